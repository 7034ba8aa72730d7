"""Forward gradient by activity perturbation (runtime_c/src/train/forward_grad_act.c):
C == numpy twin bit for bit on the host and on the QEMU boards, the estimate
points along float64 backprop's gradient (ReLU floors masked), the rate is a
float SGD rate, what it cannot train is refused by name, and it learns the
digits task that weight perturbation could not (docs/design/forward-grad.md)."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.host import OdlError
from pytool.training import TrainSpec, TrainSpecError
from pytool.training.forward_grad import prepare, replay
from pytool.training.forward_grad_ref import ForwardGradReference
from pytool.training.loop import load_dataset, train

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
NETS = ROOT / "tests" / "fixtures" / "train_nets"
MODELS = {"digits": (DIGITS / "digits_int8_tf.tflite", DIGITS), "mlp": (NETS / "mlp_int8.tflite", NETS),
          "cnn": (NETS / "cnn_int8.tflite", NETS)}


def _spec(trainable: str, lr: float = 0.01, seed: int = 3, **kw) -> TrainSpec:
    return TrainSpec(method="forward-grad", trainable=trainable, lr=lr, epsilon=2.0, seed=seed,
                     extra={"fg_perturb": "activity"}, **kw)


def _setup(name: str, spec: TrainSpec, tmp: Path):
    path, folder = MODELS[name]
    g = load_graph(path)
    art = compile_model(g, tmp / f"{name}_{spec.key()}", train=spec)
    net = load_host(art)
    return g, art, net, load_dataset(folder / "field.npz", net.inputs[0])


def _weights(art, net) -> bytes:
    return b"".join(net.tensor(t.name).tobytes() for t in art.program.tensors if t.flags & 0x08)


@pytest.mark.parametrize("name, trainable, lr_shift", [("digits", "last:1", 0), ("digits", "last:2", 0),
                                                       ("digits", "last:2", 1), ("mlp", "last:2", 0),
                                                       ("cnn", "last:1", 0)])
def test_c_equals_twin_bit_for_bit(tmp_path, name, trainable, lr_shift):
    spec = _spec(trainable)
    g, _, net, d = _setup(name, spec, tmp_path)
    ref = ForwardGradReference(g, spec)
    assert ref.setup.activity is not None and ref.setup.directions == 1
    net.set_lr_shift(lr_shift)
    ref.lr_shift = lr_shift
    for k, i in enumerate(np.random.default_rng(0).permutation(len(d))[:50]):
        a, b = net.train_step(d.x[i], int(d.y[i])), ref.train_step(d.x[i], int(d.y[i]))
        assert (a["loss_q16"], a["predicted"], a["flags"], a["step"]) == (
            b["loss_q16"], b["predicted"], b["flags"], b["step"]), f"step {k}"
    for t in ref.setup.tensors:
        assert np.array_equal(net.tensor(t.name), ref.params[t.name]), t.name
        assert not np.array_equal(ref.params[t.name], t.init), f"{t.name} never moved"


def test_band_clips_like_the_twin(tmp_path):
    """A rate large enough to drive weights into the int16 band: both clamp alike and flag it."""
    spec = _spec("last:1", lr=30.0)
    g, _, net, d = _setup("digits", spec, tmp_path)
    ref = ForwardGradReference(g, spec)
    flags = 0
    for i in range(30):
        a, b = net.train_step(d.x[i], int(d.y[i])), ref.train_step(d.x[i], int(d.y[i]))
        assert (a["loss_q16"], a["flags"]) == (b["loss_q16"], b["flags"]), i
        flags |= a["flags"]
    assert flags & 2
    for t in ref.setup.tensors:
        assert np.array_equal(net.tensor(t.name), ref.params[t.name]), t.name


def _float_grads(g, st, params: dict, vals: dict, label: int) -> list[np.ndarray]:
    """float64 backprop over the dequantized trained layers (fine logits, ReLU mask):
    dL/dW (real) per layer."""
    act = st.activity
    ops = [g.ops[ly.op_index] for ly in act.layers]
    xs, hs = [], []
    h = None
    for j, op in enumerate(ops):
        tx = g.tensors[op.inputs[0]]
        x = (np.asarray(vals[op.inputs[0]], np.float64).reshape(-1) - tx.quant.zero_point[0]) * tx.quant.scale[0]
        if j:
            x = h
        sw = np.asarray(g.tensors[op.inputs[1]].quant.scale, np.float64).reshape(-1, 1)
        w = params[op.inputs[1]].astype(np.float64) / 128.0 * sw
        b = params[op.inputs[2]].astype(np.float64) * tx.quant.scale[0] * sw.reshape(-1)
        z = w @ x + b
        xs.append(x)
        hs.append(z)
        h = np.maximum(z, 0.0) if op.attrs.get("activation") == "RELU" else z
    p = np.exp(h - h.max())
    p /= p.sum()
    p[label] -= 1.0
    grads, dz = [], p
    for j in range(len(ops) - 1, -1, -1):
        grads.insert(0, np.outer(dz, xs[j]))
        if j:
            sw = np.asarray(g.tensors[ops[j].inputs[1]].quant.scale, np.float64).reshape(-1, 1)
            w = params[ops[j].inputs[1]].astype(np.float64) / 128.0 * sw
            dz = (dz @ w) * (hs[j - 1] > 0)
    return grads


@pytest.mark.parametrize("trainable", ["last:1", "last:2"])
def test_step_follows_the_float_gradient(tmp_path, trainable):
    """One step's weight change, in real units and divided by -lr, against float64 backprop of
    the same layers at the same weights (per layer and sample: cosine, norm ratio)."""
    spec = _spec(trainable, lr=0.05)  # large enough that integer rounding of the step stays small
    g, _, _, d = _setup("digits", spec, tmp_path)
    ref = ForwardGradReference(g, spec)
    st = ref.setup
    cos_all, ratios = [], []
    for i in range(12):
        vals = {g.inputs[0]: np.asarray(d.x[i]).reshape(g.tensors[g.inputs[0]].shape)}
        ref._run(vals, 0)
        before = {n: v.copy() for n, v in ref.params.items()}
        want = _float_grads(g, st, before, vals, int(d.y[i]))
        ref.train_step(d.x[i], int(d.y[i]))
        for ly, gw in zip(st.activity.layers, want):
            name = st.tensors[ly.w_slot].name
            sw = np.asarray(g.tensors[name].quant.scale, np.float64).reshape(-1, 1)
            got = -(ref.params[name].astype(np.float64) - before[name]) / 128.0 * sw / spec.lr
            if np.linalg.norm(gw) < 1e-6:
                continue
            cos = float(np.sum(got * gw) / (np.linalg.norm(got) * np.linalg.norm(gw)))
            cos_all.append(cos)
            ratios.append(float(np.linalg.norm(got) / np.linalg.norm(gw)))
    # central differences of ±ε output LSBs: exact up to rounding, except a unit whose
    # pre-activation lies within ε of its ReLU floor (one side of the difference is flat there)
    assert len(cos_all) >= 12
    assert np.median(cos_all) > 0.995 and min(cos_all) > 0.6, cos_all
    assert abs(np.median(ratios) - 1.0) < 0.02, ratios


def test_refusals(tmp_path):
    cnn = load_graph(MODELS["cnn"][0])
    with pytest.raises(TrainSpecError, match="--perturb activity: it trains FULLY_CONNECTED layers only, not CONV_2D"):
        prepare(cnn, _spec("last:2"))
    digits = load_graph(MODELS["digits"][0])
    with pytest.raises(TrainSpecError, match="--perturb activity: it trains one or two layers, not 3"):
        prepare(digits, _spec("last:3"))
    with pytest.raises(TrainSpecError, match="needs the ce loss"):
        prepare(digits, _spec("last:1", loss="mse"))
    with pytest.raises(TrainSpecError, match="--perturb 'sideways'"):
        prepare(digits, TrainSpec(method="forward-grad", trainable="last:1", extra={"fg_perturb": "sideways"}))
    # its update needs the layers' inputs: no replay from scalars (fleet records)
    _, _, net, d = _setup("digits", _spec("last:1"), tmp_path)
    net.train_step(d.x[0], int(d.y[0]))
    with pytest.raises(OdlError):
        replay(net, 0, [0])


def test_learns_digits_where_weight_perturbation_stalls(tmp_path):
    """3 epochs, halving, last:2: the float-equivalent rate that float SGD likes also works here."""
    spec = _spec("last:2", lr=0.0075, seed=1)
    _, _, net, d = _setup("digits", spec, tmp_path)
    t = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
    _, h = train(net.train_step, net.eval_sample, d, t, epochs=3, seed=1, progress=False,
                 on_epoch_start=net.set_lr_shift)
    before, after = h.eval_acc[0][1], h.eval_acc[-1][1]
    assert before < 0.65 and after >= 0.87, (before, after)


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547", "riscv32-virt"])
def test_board_equals_host(tmp_path, board):
    from pytool.link import Link
    from pytool.link import train as link_train
    from pytool.targets import QemuSession, build_firmware

    spec = _spec("last:2", lr=0.01)
    _, art, host, d = _setup("digits", spec, tmp_path)
    stats = [host.train_step(d.x[i], int(d.y[i])) for i in range(30)]
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url) as link:
        for i, want in enumerate(stats):
            got = link_train.train_step(link, d.x[i], int(d.y[i]))
            assert (got["loss_q16"], got["flags"], got["step"]) == (want["loss_q16"], want["flags"], want["step"]), i
        crc, _, _ = link_train.weights_digest(link)
    assert crc == zlib.crc32(_weights(art, host))
