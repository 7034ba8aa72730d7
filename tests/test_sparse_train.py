"""Sparse update end to end on the host: the generated C equals the numpy
integer reference bit for bit, sub-LSB updates survive only with a master
copy or stochastic rounding, the automatic scheme recovers the float32 gain
on the digits shift task within 1.5x the inference RAM, budgets hold, and the
MobileNet-style fixture trains within 1.5x its inference memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.cli import main as cli_main
from pytool.compiler import load_graph
from pytool.planner import BudgetError
from pytool.training import TrainSpec, TrainSpecError
from pytool.training import sparse as sp
from pytool.training.loop import load_dataset, train
from pytool.training.scheme import float_train, search
from pytool.training.sparse_ref import SparseRef

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
MOBILENET = ROOT / "tests" / "fixtures" / "models" / "mobilenet_tiny.tflite"


@pytest.fixture(scope="module")
def digits():
    return load_graph(DIGITS / "digits_int8_tf.tflite")


def _toml(tmp: Path, text: str) -> str:
    p = tmp / "scheme.toml"
    p.write_text(text)
    return str(p)


def _trained(st: sp.SparseSetup) -> list[str]:
    return [n for ly in st.layers for n in (ly.weight, ly.bias) if n]


MIXED = """
[[layer]]
op = 4
update = "weights"
rounding = "master"
[[layer]]
op = 3
update = "weights"
channels = [1, 5, 7, 30]
rounding = "stochastic"
[[layer]]
op = 1
update = "weights"
fraction = 0.25
rounding = "round"
[[layer]]
op = 0
update = "bias"
"""


def test_c_equals_reference_bit_for_bit(digits, tmp_path):
    """Every rounding mode, a channel subset, conv weights and a bias-only
    layer, through RESHAPE and fused RELU masks, for 110 steps; from step 70
    at half the rate (odl_train_set_lr_shift, the per-epoch schedule)."""
    spec = TrainSpec(method="sparse", scheme=_toml(tmp_path, MIXED), lr=0.05, seed=5)
    art = compile_model(digits, tmp_path / "b", train=spec)
    net = load_host(art)
    st, _ = art.program.sparse
    ref = SparseRef(digits, st)
    d = load_dataset(DIGITS / "field.npz", net.inputs[0])
    order = np.random.default_rng(0).permutation(len(d))[:110]
    for k, i in enumerate(order):
        if k == 70:
            net.set_lr_shift(1)
            ref.lr_shift = 1
        a, b = net.train_step(d.x[i], int(d.y[i])), ref.train_step(d.x[i], int(d.y[i]))
        assert (a["loss_q16"], a["predicted"]) == (b["loss_q16"], b["predicted"]), f"step {k}"
        if k % 10 == 9:
            for n in _trained(st):
                assert np.array_equal(net.tensor(n), ref.tensor(n)), f"{n} after step {k}"
    for n in _trained(st):
        assert not np.array_equal(ref.tensor(n), digits.tensors[n].data), f"{n} never moved"
    # only the chosen channels of op 3 moved
    w3 = digits.ops[3].inputs[1]
    moved = np.flatnonzero(np.any(ref.tensor(w3) != digits.tensors[w3].data, axis=1))
    assert set(moved) <= {1, 5, 7, 30} and len(moved) > 0


def test_sub_lsb_updates_need_master_or_stochastic_rounding(digits, tmp_path):
    """With a learning rate whose updates are well below one int8 LSB, plain
    int8 write-back never changes a weight; the int16 master copy and
    stochastic rounding both accumulate them (and agree on the direction)."""
    w = digits.ops[4].inputs[1]
    moved = {}
    for mode in ("round", "master", "stochastic"):
        spec = TrainSpec(method="sparse", lr=0.00003, seed=1, scheme=_toml(
            tmp_path, f'[[layer]]\nop = 4\nupdate = "weights"\nrounding = "{mode}"\n'))
        net = load_host(compile_model(digits, tmp_path / mode, train=spec))
        data = load_dataset(DIGITS / "field.npz", net.inputs[0])
        for _ in range(2):
            for i in range(len(data)):
                net.train_step(data.x[i], int(data.y[i]))
        moved[mode] = net.tensor(w).astype(np.int64) - digits.tensors[w].data
    assert not moved["round"].any()
    assert np.count_nonzero(moved["master"]) > 20 and np.count_nonzero(moved["stochastic"]) > 20
    both = (moved["master"] != 0) & (moved["stochastic"] != 0)
    assert np.mean(np.sign(moved["master"][both]) == np.sign(moved["stochastic"][both])) > 0.8


def test_digits_auto_scheme_recovers_float_gain(digits, tmp_path):
    """1.5x the inference arena covers the training arena and the training
    call's extra stack; what fits is the two last biases, which need a larger
    step than the default (docs/design/sparse.md). 92 % of float64's gain: the
    int8 logits (scale 0.23) and activations cost the rest; the 102 % measured
    before the ReLU mask fix came from errors passed through dead ReLU units."""
    inference = sp.inference_arena(digits)
    budget = int(1.5 * inference)
    lr, epochs = 0.003, 30
    spec = TrainSpec(method="sparse", lr=lr, seed=0, ram=budget, extra={"data": str(DIGITS / "field.npz")})
    art = compile_model(digits, tmp_path / "auto", train=spec, ram=budget)
    assert art.report["arena_bytes"] + art.program.plan.stack_bytes <= budget
    assert art.program.plan.stack_bytes == sp.TRAIN_STACK_BYTES
    st, _ = art.program.sparse
    net = load_host(art)
    f, ft = np.load(DIGITS / "field.npz"), np.load(DIGITS / "field_test.npz")
    ours, ref = [], []
    for seed in range(3):
        net.reset()
        rep, _ = train(net.train_step, net.eval_sample, load_dataset(DIGITS / "field.npz", net.inputs[0]),
                       load_dataset(DIGITS / "field_test.npz", net.inputs[0]), epochs=epochs, seed=seed,
                       progress=False)
        ours.append(rep["accuracy_after"] - rep["accuracy_before"])
        before, after = float_train(digits, st.scheme, f["x"], f["y"], ft["x"], ft["y"], epochs, lr, seed)
        ref.append(after - before)
    assert np.mean(ref) > 0.2  # the shift is real and the chosen layers can fix it
    assert np.mean(ours) / np.mean(ref) >= 0.9, (ours, ref, st.scheme)


BUDGET_FACTORS = [1.35, 1.5, 3.0]  # x the inference arena; the smallest fits one bias


@pytest.mark.parametrize("factor", BUDGET_FACTORS)
def test_budgets_hold(digits, tmp_path, factor):
    """The training arena plus the reserved training stack stays within each
    budget (the board test measures the stack), and the model trains in
    exactly that arena."""
    budget = int(factor * sp.inference_arena(digits))
    spec = TrainSpec(method="sparse", lr=0.01, ram=budget, extra={"data": str(DIGITS / "field.npz")})
    art = compile_model(digits, tmp_path / f"b{factor}", train=spec, ram=budget)
    plan = art.program.plan
    assert plan.arena_size + plan.stack_bytes <= budget
    assert art.report["extra"][sp.STACK_LABEL] == plan.stack_bytes > 0
    assert max(plan.live_bytes_per_op()) + plan.persistent_size <= plan.arena_size
    net = load_host(art)
    assert net.meta["arena_size"] == plan.arena_size
    st, _ = art.program.sparse
    ref = SparseRef(digits, st)
    d = load_dataset(DIGITS / "field.npz", net.inputs[0])
    for i in range(5):  # saved activations survived the planner's reuse
        assert net.train_step(d.x[i], int(d.y[i]))["loss_q16"] == ref.train_step(d.x[i], int(d.y[i]))["loss_q16"]
    for n in _trained(st):
        assert np.array_equal(net.tensor(n), ref.tensor(n))


def test_budget_errors(digits, tmp_path):
    inference = sp.inference_arena(digits)
    with pytest.raises(TrainSpecError, match="below the inference arena"):
        compile_model(digits, tmp_path / "x", train=TrainSpec(method="sparse", ram=inference - 1))
    with pytest.raises(TrainSpecError, match="extra stack"):
        compile_model(digits, tmp_path / "s", train=TrainSpec(method="sparse", ram=inference + 100))
    spec = TrainSpec(method="sparse", scheme=_toml(tmp_path, '[[layer]]\nop = 0\nupdate = "weights"\n'),
                     ram=inference + sp.TRAIN_STACK_BYTES + 16)
    with pytest.raises(BudgetError, match="budget"):
        compile_model(digits, tmp_path / "y", train=spec, ram=spec.ram)
    # a scheme whose arena fits but not with the training stack on top
    bias = _toml(tmp_path, '[[layer]]\nop = 4\nupdate = "bias"\n')
    arena = compile_model(digits, tmp_path / "z", train=TrainSpec(method="sparse", scheme=bias)).report["arena_bytes"]
    with pytest.raises(BudgetError, match="training stack"):
        compile_model(digits, tmp_path / "w", train=TrainSpec(method="sparse", scheme=bias, ram=arena + sp.TRAIN_STACK_BYTES - 8))


@pytest.mark.parametrize("text, message", [
    ('[[layer]]\nop = 2\n', "not a CONV_2D"),
    ('[[layer]]\nop = 4\nupdate = "all"\n', "update must be"),
    ('[[layer]]\nop = 4\nchannels = [10]\n', "channels must be in"),
    ('[[layer]]\nop = 4\nrounding = "floor"\n', "rounding must be"),
    ('rounding = "master"\n', "no \\[\\[layer\\]\\]"),
])
def test_bad_scheme_files(digits, tmp_path, text, message):
    with pytest.raises(TrainSpecError, match=message):
        sp.prepare(digits, TrainSpec(method="sparse", scheme=_toml(tmp_path, text)))


def test_mobilenet_memory_and_backward(tmp_path):
    """MobileNet-style fixture (>= 50k parameters, >= 10 convs): the scheme
    picked for 1.5x the inference arena needs at most that; the C backward
    through FC, MEAN, 1x1 conv and depthwise layers equals the reference."""
    g = load_graph(MOBILENET)
    n_params = sum(t.data.size for t in g.tensors.values() if t.is_const and t.dtype == "int8")
    assert n_params >= 50_000 and sum(op.type in ("CONV_2D", "DEPTHWISE_CONV_2D") for op in g.ops) >= 10
    budget = int(1.5 * sp.inference_arena(g))
    res = search(g, TrainSpec(method="sparse", ram=budget))
    assert res.training + res.stack <= budget
    assert len(res.scheme) >= 2
    deep = TrainSpec(method="sparse", lr=0.02, seed=2, scheme=_toml(tmp_path, """
[[layer]]
op = 17
update = "weights"
[[layer]]
op = 15
update = "weights"
fraction = 0.1
rounding = "stochastic"
[[layer]]
op = 14
update = "weights"
fraction = 0.05
""" + '[[layer]]\nop = 12\nupdate = "bias"\n'))
    art = compile_model(g, tmp_path / "mb", train=deep)
    net = load_host(art)
    st, _ = art.program.sparse
    ref = SparseRef(g, st)
    rng = np.random.default_rng(0)
    info = net.inputs[0]
    for _ in range(4):
        x = rng.integers(-128, 128, info.shape, dtype=np.int8)
        label = int(rng.integers(0, 10))
        assert net.train_step(x, label)["loss_q16"] == ref.train_step(x, label)["loss_q16"]
    for n in _trained(st):
        assert np.array_equal(net.tensor(n), ref.tensor(n)), n


def test_plan_command(capsys):
    rc = cli_main(["plan", str(DIGITS / "digits_int8_tf.tflite"), "--train", "sparse", "--ram", "2K",
                   "--data", str(DIGITS / "field.npz")])
    assert rc == 0
    text = capsys.readouterr().out
    for word in ("FULLY_CONNECTED", "inference peak", "training peak", "bytes", "score", "why"):
        assert word in text


BELOW_FORK = """
[[layer]]
op = 17
update = "bias"
[[layer]]
op = 6
update = "weights"
fraction = 0.25
rounding = "stochastic"
[[layer]]
op = 5
update = "bias"
[[layer]]
op = 4
update = "weights"
fraction = 0.25
[[layer]]
op = 3
update = "bias"
"""


def test_residual_fork_c_equals_reference(tmp_path):
    """mobilenet_tiny's ADD (op 7) adds op 6's output to op 4's: the error at
    op 4's output is the sum of both branches. Layers on both sides of the
    fork and below it update; C equals the reference bit for bit."""
    g = load_graph(MOBILENET)
    spec = TrainSpec(method="sparse", lr=0.02, seed=3, scheme=_toml(tmp_path, BELOW_FORK))
    art = compile_model(g, tmp_path / "fork", train=spec)
    net = load_host(art)
    st, lay = art.program.sparse
    fork = g.ops[7].inputs[1]
    assert [s.op for s in st.steps if s.acc] == [5] and lay.pend.keys() == {fork}
    ref = SparseRef(g, st)
    rng = np.random.default_rng(1)
    info = net.inputs[0]
    for k in range(32):
        x = rng.integers(-128, 128, info.shape, dtype=np.int8)
        label = int(rng.integers(0, 10))
        a, b = net.train_step(x, label), ref.train_step(x, label)
        assert (a["loss_q16"], a["predicted"]) == (b["loss_q16"], b["predicted"]), f"step {k}"
        if k % 8 == 7:
            for n in _trained(st):
                assert np.array_equal(net.tensor(n), ref.tensor(n)), f"{n} after step {k}"
    for n in _trained(st):
        assert np.array_equal(net.tensor(n), ref.tensor(n)), n
        assert not np.array_equal(ref.tensor(n), g.tensors[n].data), f"{n} never moved"


def test_fork_error_is_the_sum_of_both_branches():
    """The integer error at the fork (both branches aligned and summed)
    matches float64 autodiff of the dequantized graph at the same operating
    point (int8 activations dequantized, the int8 masks)."""
    from pytool.training.scheme import FloatChain
    from pytool.training.sparse_kernels import MANT_BITS

    g = load_graph(MOBILENET)
    scheme = {4: sp.Choice("weights")}
    st = sp.make_setup(g, TrainSpec(method="sparse", lr=0.01), scheme)
    ref = SparseRef(g, st)
    fc = FloatChain(g, 4)
    fork = g.ops[7].inputs[1]
    rng = np.random.default_rng(4)
    info = g.tensors[g.inputs[0]]
    cosines = []
    for _ in range(6):
        x = rng.integers(-128, 128, info.shape, dtype=np.int8)
        label = int(rng.integers(0, 10))
        vals = ref.eval_sample(x, label)["vals"]
        ref.train_step(x, label)
        e, exp = ref.errors[fork]
        assert np.abs(e).max() < 2**MANT_BITS
        deq = {}
        masks = {}
        for name, v in vals.items():
            q = g.tensors[name].quant
            if q is not None and not g.tensors[name].is_const:
                deq[name] = (np.asarray(v, np.float64) - float(q.zero_point[0])) * float(q.scale[0])
        for s in fc.steps:  # the int8 mask rules (sparse_kernels.act_bw / sat_bw) on float errors
            y = np.asarray(vals[s.out_t], np.int64)
            if sp.mask_mode(s) == 2:
                masks[s.out_t] = lambda d, y=y: np.where(((y >= 127) & (d < 0)) | ((y <= -128) & (d > 0)), 0.0, d)
            elif sp.mask_mode(s) == 1:
                masks[s.out_t] = lambda d, y=y, lo=s.mask[0], hi=s.mask[1]: np.where((y > lo) & (y < hi), d, 0.0)
            else:
                masks[s.out_t] = lambda d: d
        fc.grads(deq, label, masks)
        want = fc.errors[fork].reshape(-1)
        got = e.astype(np.float64) * 2.0**exp
        cosines.append(float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want))))
        # both branches contribute: the ADD's copy alone is not the answer
        skip = fc.errors[g.ops[7].outputs[0]].reshape(-1)
        assert float(want @ skip / (np.linalg.norm(want) * np.linalg.norm(skip))) < 0.999
    assert min(cosines) > 0.999, cosines


def test_relu_with_zero_point_min_blocks_the_error_at_its_floor(digits):
    """Every ReLU of the digits net has zero point -128, so its clamp is the whole
    int8 range; its floor is still the activation's zero. The integer error at
    each layer's input matches float64 autodiff with the float ReLU masks
    (cosine > 0.99); passing the error through the floor like plain saturation
    gave 0.83-0.89 at conv1's output and the net learned 63-85 % of float's gain."""
    from pytool.training.scheme import FloatChain

    scheme = {0: sp.Choice("weights"), 1: sp.Choice("weights"), 3: sp.Choice("bias"), 4: sp.Choice("weights")}
    st = sp.make_setup(digits, TrainSpec(method="sparse", lr=0.003), scheme)
    assert all(sp.mask_mode(s) == 1 for s in st.steps if s.act)  # RELU-fused layers: the activation mask
    assert any(s.act and tuple(s.mask) == (-128, 127) for s in st.steps)
    assert [sp.mask_mode(s) for s in st.steps if not s.act and s.mask] == [2]  # fc2 (logits): saturation only
    fc = FloatChain(digits, 0)
    d = np.load(DIGITS / "field.npz")
    info = digits.tensors[digits.inputs[0]]
    q = info.quant
    worst = 1.0
    for i in range(6):
        x = np.clip(np.round(d["x"][i] / q.scale[0]) + q.zero_point[0], -128, 127).astype(np.int8).reshape(info.shape)
        label = int(d["y"][i])
        ref = SparseRef(digits, st)
        vals = ref.eval_sample(x, label)["vals"]
        ref.train_step(x, label)
        deq = {n: (np.asarray(v, np.float64) - float(digits.tensors[n].quant.zero_point[0]))
               * float(digits.tensors[n].quant.scale[0])
               for n, v in vals.items() if digits.tensors[n].quant is not None and not digits.tensors[n].is_const}
        fc.grads(deq, label)  # float masks: ReLU passes where the dequantized output is > 0
        for t, (e, exp) in ref.errors.items():
            got, want = e.reshape(-1) * 2.0**exp, fc.errors[t].reshape(-1)
            if np.linalg.norm(want) > 0:
                worst = min(worst, float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want))))
    assert worst > 0.99, worst
