"""Fixed-point forward gradient: C == numpy reference bit for bit, the
int16-weight kernels start from the deployed function, the guard band keeps
perturbations exact, bad options are rejected, and the digits shift task is
learned (>= 80 % of the float32-backprop gain)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.host import OdlError, cbuild
from pytool.training import TrainSpec, TrainSpecError
from pytool.training.forward_grad import prepare
from pytool.training.forward_grad_ref import ForwardGradReference
from pytool.training.loop import load_dataset
from pytool.training.prng import prng_key, prng_words

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
FIXTURES = ROOT / "tests" / "fixtures" / "models"


@pytest.fixture(scope="module")
def digits():
    return load_graph(DIGITS / "digits_int8_tf.tflite")


def _build(g, spec: TrainSpec, tmp: Path):
    art = compile_model(g, tmp / f"fg_{spec.key()}", train=spec)
    return art, load_host(art)


def _field(net, name="field.npz"):
    return load_dataset(DIGITS / name, net.inputs[0])


def test_prng_c_matches_numpy():
    ffi, lib = cbuild.build(
        "fg_prng",
        "uint32_t odl_prng_key(uint32_t, uint32_t, uint32_t, uint32_t); uint32_t word(uint32_t, uint32_t);",
        '#include "odl/prng.h"\nuint32_t word(uint32_t k, uint32_t c) { return odl_prng_word(k, c); }',
        [ROOT / "runtime_c" / "src" / "train" / "prng.c"],
    )
    rng = np.random.default_rng(1)
    for seed, step, stream, tensor in rng.integers(0, 2**32, (20, 4), dtype=np.uint64).tolist():
        key = prng_key(seed, step, stream, tensor)
        assert lib.odl_prng_key(seed, step, stream, tensor) == key
        assert [lib.word(key, c) for c in range(40)] == prng_words(key, 40).tolist()
    bits = np.unpackbits(prng_words(prng_key(0, 0, 0, 0), 4096).view(np.uint8))
    assert abs(bits.mean() - 0.5) < 0.01  # Rademacher signs are balanced


@pytest.mark.parametrize("momentum, lr_shift", [(0.0, 0), (0.75, 0), (0.0, 2)])
def test_c_equals_reference_bit_for_bit(digits, tmp_path, momentum, lr_shift):
    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=2.0, directions=4, epsilon=4.0,
                     seed=11, momentum=momentum)
    _, net = _build(digits, spec, tmp_path)
    ref = ForwardGradReference(digits, spec)
    net.set_lr_shift(lr_shift)  # the rate schedule's runtime setter: lr / 2^shift
    ref.lr_shift = lr_shift
    d = _field(net)
    steps = 110 if momentum == 0 and lr_shift == 0 else 40
    order = np.random.default_rng(0).permutation(len(d))[:steps]
    losses = []
    for k, i in enumerate(order):
        a = net.train_step(d.x[i], int(d.y[i]))
        b = ref.train_step(d.x[i], int(d.y[i]))
        assert (a["loss_q16"], a["predicted"], a["flags"], a["step"]) == (
            b["loss_q16"], b["predicted"], b["flags"], b["step"]), f"step {k}"
        losses.append(a["loss_q16"])
        if k % 10 == 9 or k == steps - 1:
            for t in ref.setup.tensors:
                assert np.array_equal(net.tensor(t.name), ref.params[t.name]), f"{t.name} after step {k}"
    moved = [t.name for t in ref.setup.tensors if not np.array_equal(ref.params[t.name], t.init)]
    assert len(moved) == len(ref.setup.tensors)  # every trainable tensor learned something
    assert len(set(losses)) > 10


def test_same_seed_same_bytes(digits, tmp_path):
    spec = TrainSpec(method="forward-grad", trainable="last:1", lr=2.0, directions=4, epsilon=4.0, seed=5)
    _, net = _build(digits, spec, tmp_path)
    d = _field(net)
    names = [n for n, i in net.meta["tensors"].items() if net.meta["tensor_info"][i]["flags"] & 0x08]

    def run() -> tuple[bytes, list[int]]:
        net.reset()
        losses = [net.train_step(d.x[i], int(d.y[i]))["loss_q16"] for i in range(60)]
        return b"".join(net.tensor(n).tobytes() for n in names), losses

    first, second = run(), run()
    assert first == second
    other = TrainSpec(**{**spec.__dict__, "seed": 6})
    _, net2 = _build(digits, other, tmp_path)
    for i in range(60):
        net2.train_step(d.x[i], int(d.y[i]))
    assert b"".join(net2.tensor(n).tobytes() for n in names) != first[0]


@pytest.mark.parametrize("model", ["digits", "mobilenet_tiny", "dw_m2_s2_valid", "conv_per_tensor", "fc_per_tensor"])
def test_step0_equals_int8_inference(model, tmp_path):
    """Every weighted layer trainable (int16 kernels everywhere): before any
    step the outputs equal the int8 model's bit for bit."""
    path = DIGITS / "digits_int8_tf.tflite" if model == "digits" else FIXTURES / f"{model}.tflite"
    g = load_graph(path)
    n_layers = sum(op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") for op in g.ops)
    spec = TrainSpec(method="forward-grad", trainable=f"last:{n_layers}", epsilon=1.0, lr=1.0)
    plain = load_host(compile_model(g, tmp_path / "plain"))
    art, trained = _build(g, spec, tmp_path)
    w16 = [t for t in art.program.tensors if t.dtype == "int16"]
    assert len(w16) == n_layers
    rng = np.random.default_rng(3)
    shape = plain.inputs[0].shape
    for _ in range(20):
        x = rng.integers(-128, 128, size=shape, dtype=np.int8)
        assert np.array_equal(plain.invoke(x), trained.invoke(x))


def test_guard_band_and_int16_limits(digits, tmp_path):
    """Weights pushed to the guard band (and set to its limits) stay there,
    perturbations never wrap, and C still equals the reference."""
    spec = TrainSpec(method="forward-grad", trainable="last:1", lr=10.0, directions=2, epsilon=64.0, seed=2)
    _, net = _build(digits, spec, tmp_path)
    ref = ForwardGradReference(digits, spec)
    w = next(t for t in ref.setup.tensors if t.kind == 0)
    assert (w.lo, w.hi) == (-32768 + w.eps, 32767 - w.eps)
    # put every other weight on a guard-band limit, in C and in the reference
    edge = w.init.copy().reshape(-1)
    edge[0::4], edge[1::4] = w.lo, w.hi
    edge = edge.reshape(w.init.shape)
    idx = net.meta["tensors"][w.name]
    net.ffi.memmove(net.lib.odl_tensor_ptr(net.ctx, idx), edge.tobytes(), edge.nbytes)
    ref.params[w.name] = edge.copy()
    d = _field(net)
    clipped = 0
    for i in range(30):
        a = net.train_step(d.x[i], int(d.y[i]))
        b = ref.train_step(d.x[i], int(d.y[i]))
        assert a["loss_q16"] == b["loss_q16"] and a["flags"] == b["flags"]
        got = net.tensor(w.name)
        assert np.array_equal(got, ref.params[w.name])
        assert got.min() >= w.lo and got.max() <= w.hi
        clipped += a["flags"] & 2
    assert clipped  # the band did clip some updates
    assert (net.tensor(w.name) == w.lo).any() and (net.tensor(w.name) == w.hi).any()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"epsilon": 0.0}, "--epsilon"),
        ({"epsilon": -1.0}, "--epsilon"),
        ({"directions": 0}, "--directions"),
        ({"directions": 33}, "--directions"),
        ({"lr": 0.0}, "--lr"),
        ({"lr": 50.0}, "--lr"),
        ({"lr": 1e-30}, "--lr"),
        ({"trainable": ""}, "--trainable"),
        ({"trainable": "no_such_tensor"}, "no_such_tensor"),
        ({"trainable": "last:9"}, "last:9"),
        ({"momentum": 1.0}, "--momentum"),
    ],
)
def test_bad_hyper_parameters_rejected(digits, change, message):
    spec = TrainSpec(method="forward-grad", **{"trainable": "last:1", "lr": 1.0, **change})
    with pytest.raises(TrainSpecError, match=re.escape(message)):
        prepare(digits, spec)


@pytest.mark.parametrize("field, value", [("eps", "0"), ("directions", "0"), ("lr_shift", "63")])
def test_c_rejects_bad_config(digits, tmp_path, field, value):
    spec = TrainSpec(method="forward-grad", trainable="last:1", lr=1.0, directions=4, epsilon=4.0)
    art = compile_model(digits, tmp_path / "ok", train=spec)
    src = (art.dir / "model.c").read_text()
    if field == "directions":
        src, n = re.subn(r"(odl_fg_config = \{\n    \d+u, )4,", rf"\g<1>{value},", src)
    else:  # first tensor row: {index, kind, 0, eps, lr_mult, lr_shift, lo, hi, momentum}
        pos = {"eps": 3, "lr_shift": 5}[field]

        def edit(m):
            vals = m.group(1).split(", ")
            vals[pos] = value
            return "{" + ", ".join(vals) + "},"
        src, n = re.subn(r"\{(-?\d+(?:, -?\d+u?){8})\},", edit, src, count=1)
    assert n == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.c").write_text(src)
    for f in ("model.h", "model.json"):
        (bad / f).write_text((art.dir / f).read_text())
    with pytest.raises(OdlError) as e:
        load_host(bad)
    assert e.value.status == "ODL_ERR_TRAIN"


def test_extra_ram_within_budget(digits):
    spec = TrainSpec(method="forward-grad", trainable="last:1", directions=8, epsilon=4.0, lr=2.0)
    prog, _ = prepare(digits, spec)
    extra = prog.plan.extra
    assert extra["trainable weights (int16)"] == 10 * 32 * 2
    # step, d_k, accumulators of the 10 outputs, z tables of the 32 inputs
    assert extra["forward-grad state"] == 4 + 4 * 8 + 12 * 10 + 8 * 32
    beyond = prog.plan.persistent_size - extra["trainable weights (int16)"]
    assert beyond <= 1024  # biases + state + alignment


def test_digits_shift_recovers_float_gain(digits, tmp_path):
    """last:1 forward gradient vs float32 backprop of the same layer."""
    from pytool.training.float_baseline import train_float
    from pytool.training.loop import train

    f, ft = np.load(DIGITS / "field.npz"), np.load(DIGITS / "field_test.npz")
    fl = train_float(digits, "last:1", f["x"], f["y"], ft["x"], ft["y"], epochs=30, lr=0.01)
    gains = []
    for seed in range(3):
        spec = TrainSpec(method="forward-grad", trainable="last:1", lr=2.0, directions=8, epsilon=4.0, seed=seed)
        _, net = _build(digits, spec, tmp_path)
        rep, _ = train(net.train_step, net.eval_sample, _field(net), _field(net, "field_test.npz"),
                       epochs=10, seed=seed, progress=False)
        gains.append(rep["accuracy_after"] - rep["accuracy_before"])
    recovered = float(np.mean(gains)) / (fl.accuracy_after - fl.accuracy_before)
    assert recovered >= 0.80, (gains, fl.accuracy_before, fl.accuracy_after)
