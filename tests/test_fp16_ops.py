"""FP16 backward through LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, MUL, PAD,
TRANSPOSE, STRIDED_SLICE and CONCATENATION (runtime_c/src/kernels/fp16/unary.c):
each kernel equals its numpy twin bit for bit on random data, each backward
matches a float64 Jacobian (analytic derivative for the elementwise maps,
the exact adjoint for the linear ones), and the CNN fixture with each op
inserted after its max-pool trains its conv through the op with the host
equal to the numpy twin step by step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.host import cbuild
from pytool.ir import Op, QuantParams, Tensor
from pytool.reference import run_int8
from pytool.training import TrainSpec
from pytool.training import fp16_ref as R
from pytool.training import fp16_ref_ops as RO
from pytool.training.fp16 import build_plan
from pytool.training.fp16_ref import Fp16Reference
from pytool.training.loop import load_dataset

NETS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "train_nets"
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

CDEF = """
typedef uint16_t odl_f16_t;
typedef struct { odl_f16_t *data; odl_f16_t *grad; int32_t dims[4]; } odl_f16_tensor_t;
int odl_unary_f16_fw(int32_t, float, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_unary_f16_bw_input(int32_t, float, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_mul_f16_fw(int32_t, const odl_f16_tensor_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_mul_f16_bw_input(int32_t, odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_pad_f16_fw(const int32_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_pad_f16_bw_input(const int32_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_gather_f16_fw(const int32_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_gather_f16_bw_input(const int32_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_concat_f16_fw(int32_t, const odl_f16_tensor_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_concat_f16_bw_input(int32_t, odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
"""


@pytest.fixture(scope="module")
def c():
    srcs = [p for p in cbuild.runtime_sources() if "kernels/fp16" in p.as_posix()]
    return cbuild.build("fp16_ops_kernels", CDEF, '#include "odl/kernels_f16.h"\n', srcs)


class T:
    """An FP16 tensor for C: value and gradient bits, dims."""

    def __init__(self, c, vals, dims, grad=None):
        ffi = c[0]
        self.bits = R.f16_bits(vals).reshape(-1).copy()
        self.gbits = R.f16_bits(np.zeros(self.bits.size) if grad is None else grad).reshape(-1).copy()
        self.t = ffi.new("odl_f16_tensor_t *")
        self.t.data = ffi.cast("odl_f16_t *", ffi.from_buffer(self.bits))
        self.t.grad = ffi.cast("odl_f16_t *", ffi.from_buffer(self.gbits))
        self.t.dims = list(dims)

    @property
    def val(self):
        return R.from_bits(self.bits)

    @property
    def grad(self):
        return R.from_bits(self.gbits)


def rand(rng, n, scale=3.0):
    return R.to_f16(rng.standard_normal(n).astype(np.float32) * np.float32(scale))


@SETTINGS
@given(kind=st.integers(1, 4), n=st.integers(1, 80), seed=st.integers(0, 2**16))
def test_unary_c_equals_twin_and_analytic_derivative(c, kind, n, seed):
    _, lib = c
    rng = np.random.default_rng(seed)
    alpha = np.float32(0.2)
    x = rand(rng, n)
    x[: min(n, 3)] = [0.0, -3.0, 3.0][: min(n, 3)]
    g, g0 = rand(rng, n, 1.0), rand(rng, n, 0.1)
    tx, ty = T(c, x, (1, 1, 1, n), g0), T(c, np.zeros(n), (1, 1, 1, n), g)
    assert lib.odl_unary_f16_fw(kind, alpha, tx.t, ty.t) == 0
    y = R.to_f16(RO.unary_fw(kind, alpha, x))
    assert np.array_equal(ty.bits, R.f16_bits(y))
    assert lib.odl_unary_f16_bw_input(kind, alpha, tx.t, ty.t) == 0
    want = R.to_f16(g0 + g * RO.unary_grad(kind, alpha, x, y))
    assert np.array_equal(tx.gbits, R.f16_bits(want))
    # float64 derivative of the exact function, away from the kinks
    x64 = x.astype(np.float64)
    d64 = {1: lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2, 2: lambda v: 1 - np.tanh(v) ** 2,
           3: lambda v: np.where(v < -3, 0.0, np.where(v > 3, 1.0, (2 * v + 3) / 6)),
           4: lambda v: np.where(v > 0, 1.0, 0.2)}[kind](x64)
    smooth = (np.abs(x64) > 1e-3) & (np.abs(np.abs(x64) - 3) > 1e-3)
    got = (tx.grad - g0).astype(np.float64)
    err = np.abs(got - g * d64)[smooth]
    # one FP16 rounding of the sum, plus the derivative read from the FP16 output
    # (|d/dy| <= 2 times half an FP16 ulp of y <= 1)
    bound = 4 * 2.0**-10 * (np.abs(g * d64) + np.abs(g0)) + np.abs(g) * 2.0**-9 + 2.0**-20
    assert np.all(err <= bound[smooth])


@SETTINGS
@given(n=st.integers(1, 60), act=st.integers(0, 2), same=st.booleans(), seed=st.integers(0, 2**16))
def test_mul_c_equals_twin_and_product_rule(c, n, act, same, seed):
    _, lib = c
    rng = np.random.default_rng(seed)
    a, g = rand(rng, n), rand(rng, n, 1.0)
    b = a if same else rand(rng, n)
    ta = T(c, a, (1, 1, 1, n))
    tb = ta if same else T(c, b, (1, 1, 1, n))
    ty = T(c, np.zeros(n), (1, 1, 1, n), g)
    assert lib.odl_mul_f16_fw(act, ta.t, tb.t, ty.t) == 0
    y = R.to_f16(R.act_fw(act, a * b))
    assert np.array_equal(ty.bits, R.f16_bits(y))
    assert lib.odl_mul_f16_bw_input(act, ta.t, tb.t, ty.t) == 0
    gp = R.act_grad(act, y, g)
    zero = np.zeros(n, np.float32)  # the gradients start at +0: R(+0 + g'b)
    ga = R.to_f16(zero + gp * b)
    if same:  # both contributions land in one gradient, a's first
        assert np.array_equal(ta.gbits, R.f16_bits(R.to_f16(ga + gp * a)))
    else:
        assert np.array_equal(ta.gbits, R.f16_bits(ga)) and np.array_equal(tb.gbits, R.f16_bits(R.to_f16(zero + gp * a)))
        # d(a*b)/da = b: the adjoint in float64, up to one rounding
        assert np.allclose(ta.grad, gp.astype(np.float64) * b, rtol=2.0**-10, atol=2.0**-24)


def _adjoint_ok(src, g, gx):
    """gx must be the exact float64 adjoint of out = x[src] (src -1 = zero)."""
    want = np.zeros(gx.size)
    np.add.at(want, src[src >= 0], g.reshape(-1)[src.reshape(-1) >= 0].astype(np.float64))
    return np.array_equal(gx.reshape(-1).astype(np.float64), want)


@SETTINGS
@given(dims=st.tuples(*[st.integers(1, 4)] * 4), before=st.tuples(*[st.integers(0, 2)] * 4),
       after=st.tuples(*[st.integers(0, 2)] * 4), seed=st.integers(0, 2**16))
def test_pad_c_equals_twin_and_adjoint(c, dims, before, after, seed):
    _, lib = c
    rng = np.random.default_rng(seed)
    od = tuple(d + b + a for d, b, a in zip(dims, before, after))
    x, g = rand(rng, int(np.prod(dims))), rand(rng, int(np.prod(od)), 1.0)
    tx, ty = T(c, x, dims), T(c, np.ones(int(np.prod(od))), od, g)
    words = np.array(before, np.int32)
    ptr = c[0].cast("int32_t *", c[0].from_buffer(words))
    assert lib.odl_pad_f16_fw(ptr, tx.t, ty.t) == 0
    src = np.pad(np.arange(x.size).reshape(dims) + 1, list(zip(before, after))) - 1
    assert np.array_equal(ty.val.reshape(-1), np.where(src >= 0, x[np.maximum(src, 0)], 0).reshape(-1))
    assert lib.odl_pad_f16_bw_input(ptr, tx.t, ty.t) == 0
    assert _adjoint_ok(src.reshape(-1), g, tx.grad)


@SETTINGS
@given(dims=st.tuples(*[st.integers(1, 4)] * 4), perm=st.permutations(range(4)), step=st.integers(-2, 2),
       seed=st.integers(0, 2**16))
def test_gather_c_equals_twin_and_adjoint(c, dims, perm, step, seed):
    """TRANSPOSE by perm, then a slice with step along the last axis."""
    _, lib = c
    rng = np.random.default_rng(seed)
    idx = np.transpose(np.arange(int(np.prod(dims))).reshape(dims), perm)
    step = step or 1
    idx = idx[..., ::step]
    src = idx
    strides = [int(np.diff(src, axis=d).reshape(-1)[0]) if src.shape[d] > 1 else 0 for d in range(4)]
    words = np.array([*strides, int(src.reshape(-1)[0])], np.int32)
    x, g = rand(rng, int(np.prod(dims))), rand(rng, src.size, 1.0)
    tx, ty = T(c, x, dims), T(c, np.zeros(src.size), src.shape, g)
    ptr = c[0].cast("int32_t *", c[0].from_buffer(words))
    assert lib.odl_gather_f16_fw(ptr, tx.t, ty.t) == 0
    assert np.array_equal(ty.val.reshape(-1), x[src.reshape(-1)])
    assert np.array_equal(RO.gather_index(words, src.shape), src)
    assert lib.odl_gather_f16_bw_input(ptr, tx.t, ty.t) == 0
    assert _adjoint_ok(src.reshape(-1), g, tx.grad)


@SETTINGS
@given(dims=st.tuples(*[st.integers(1, 3)] * 4), axis=st.integers(0, 3), extra=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_concat_c_equals_twin_and_adjoint(c, dims, axis, extra, seed):
    _, lib = c
    rng = np.random.default_rng(seed)
    db = tuple(extra if d == axis else n for d, n in enumerate(dims))
    od = tuple(a + b if d == axis else a for d, (a, b) in enumerate(zip(dims, db)))
    a, b = rand(rng, int(np.prod(dims))), rand(rng, int(np.prod(db)))
    g = rand(rng, int(np.prod(od)), 1.0)
    ta, tb, ty = T(c, a, dims), T(c, b, db), T(c, np.zeros(int(np.prod(od))), od, g)
    assert lib.odl_concat_f16_fw(axis, ta.t, tb.t, ty.t) == 0
    want = np.concatenate([a.reshape(dims), b.reshape(db)], axis=axis)
    assert np.array_equal(ty.val.reshape(od), want)
    assert lib.odl_concat_f16_bw_input(axis, ta.t, tb.t, ty.t) == 0
    ga, gb = np.split(g.reshape(od), [dims[axis]], axis=axis)
    assert np.array_equal(ta.grad.reshape(dims), ga) and np.array_equal(tb.grad.reshape(db), gb)


# --- the CNN fixture with one op between its max-pool and its flatten ---------------------------

POOL = "cnn_1/pool1_1/MaxPool2d"


def _insert(g, op_type: str, cur: str, k: int) -> tuple[str, int]:
    """op_type applied to tensor cur by a new op at index k; returns its output."""
    p = g.tensors[cur]
    n_, h, w, ch = p.shape
    q = p.quant
    attrs, consts, inputs, shape = {}, [], [cur], p.shape
    if op_type == "PAD":
        consts = [("pads", np.array([[0, 0], [1, 0], [0, 1], [0, 0]], np.int32))]
        shape = (n_, h + 1, w + 1, ch)
    elif op_type == "TRANSPOSE":
        consts, shape = [("perm", np.array([0, 2, 1, 3], np.int32))], (n_, w, h, ch)
    elif op_type == "STRIDED_SLICE":
        consts = [("begin", np.array([0, 1, 0, 0], np.int32)), ("end", np.array([n_, h, w, ch], np.int32)),
                  ("strides", np.array([1, 1, 1, 2], np.int32))]
        shape = (n_, h - 1, w, (ch + 1) // 2)
    elif op_type == "CONCATENATION":
        attrs, inputs, shape = {"axis": 3, "activation": "NONE"}, [cur, cur], (n_, h, w, 2 * ch)
    elif op_type == "MUL":
        attrs, inputs = {"activation": "NONE"}, [cur, cur]
        q = QuantParams.per_tensor(float(q.scale[0]) ** 2 * 255 / 2, -128)
    elif op_type == "LOGISTIC":
        q = QuantParams.per_tensor(1 / 256, -128)
    elif op_type == "TANH":
        q = QuantParams.per_tensor(1 / 128, 0)
    elif op_type == "LEAKY_RELU":
        attrs = {"alpha": 0.2}
    for name, data in consts:
        name = f"{name}{k}"
        g.tensors[name] = Tensor(name, data.shape, "int32", data=data)
        inputs.append(name)
    out = f"x{k}"
    g.tensors[out] = Tensor(out, shape, "int8", quant=q)
    g.ops.insert(k, Op(op_type, inputs, [out], attrs, name=f"{op_type.lower()}{k}"))
    return out, k + 1


def cnn_with(*op_types: str):
    """The CNN with op_types applied in turn to the max-pool output (1, 4, 4, 8);
    the flatten and the dense layer are resized to whatever comes out."""
    g = load_graph(NETS / "cnn_int8.tflite")
    k = next(i for i, op in enumerate(g.ops) if op.type == "RESHAPE")
    cur = POOL
    for t in op_types:
        cur, k = _insert(g, t, cur, k)
    n = int(np.prod(g.tensors[cur].shape))
    flat, fc = g.ops[k], g.ops[k + 1]
    g.tensors["flat_shape"] = Tensor("flat_shape", (2,), "int32", data=np.array([1, n], np.int32))
    flat.inputs = [cur, "flat_shape"]
    g.tensors[flat.outputs[0]].shape = (1, n)
    w = g.tensors[fc.inputs[1]]
    g.tensors["fc_w"] = Tensor("fc_w", (10, n), "int8", data=np.resize(w.data, (10, n)).astype(np.int8), quant=w.quant)
    fc.inputs = [fc.inputs[0], "fc_w", fc.inputs[2]]
    return g


@pytest.mark.parametrize("op_type", ["LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "MUL", "PAD", "TRANSPOSE",
                                     "STRIDED_SLICE", "CONCATENATION"])
def test_cnn_trains_its_conv_through_the_op(tmp_path, op_type):
    g = cnn_with(op_type)
    spec = TrainSpec(method="fp16", trainable="last:2", lr=0.01, momentum=0.9, extra={"initial_scale": 2.0**12})
    art = compile_model(g, tmp_path, train=spec)
    host = load_host(art)
    plan = build_plan(g, spec)
    assert op_type in [ly.op_type for ly in plan.layers]
    ref = Fp16Reference(g, plan)
    data = load_dataset(NETS / "field.npz", host.inputs[0])
    conv_w = next(s.name for s in plan.slots if s.trainable and len(s.shape) == 4)
    before = host.tensor(f"fp16:{conv_w}").copy()
    for k in range(12):
        x, y = data.x[k], int(data.y[k])
        stats = host.train_step(x, y)
        r = ref.step(run_int8(g, [x.reshape(1, 8, 8, 1)], keep_all=True), y)
        assert (stats["loss_q16"], stats["predicted"], stats["flags"]) == (r["loss_q16"], r["predicted"], r["flags"])
    k = next(i for i, s in enumerate(plan.slots) if s.name == conv_w)
    after = host.tensor(f"fp16:{conv_w}")
    assert np.array_equal(after.view(np.uint16).reshape(-1), R.f16_bits(ref.val[k]).reshape(-1))
    assert not np.array_equal(after, before), "the conv below the op must learn"


CHAIN = ("PAD", "TANH", "TRANSPOSE", "MUL", "LEAKY_RELU", "CONCATENATION", "HARD_SWISH", "STRIDED_SLICE", "LOGISTIC")


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["mps2-an386", "mps3-an547"])
def test_chain_of_ops_trains_bit_exact_on_qemu(tmp_path, board_name):
    import zlib

    from pytool.link import Link
    from pytool.link.train import train_step, weights_digest
    from pytool.targets import QemuSession, build_firmware, get_board

    g = cnn_with(*CHAIN)
    spec = TrainSpec(method="fp16", trainable="last:2", lr=0.01, momentum=0.9, extra={"initial_scale": 2.0**12})
    art = compile_model(g, tmp_path / "model", train=spec)
    assert [ly.op_type for ly in build_plan(g, spec).layers][2:-2] == list(CHAIN)
    host = load_host(art)
    data = load_dataset(NETS / "field.npz", host.inputs[0])
    samples = [(data.x[k], int(data.y[k])) for k in range(40)]
    stats = [host.train_step(x, y) for x, y in samples]
    blobs = [host.tensor(t.name).tobytes() for t in art.program.tensors if t.flags & 0x08]
    board = get_board(board_name)
    elf = build_firmware(art.dir, board, tmp_path / "fw", mode="link")
    with QemuSession(elf, board, timeout=120) as q, Link(q.url, timeout=30.0) as link:
        for k, (x, y) in enumerate(samples):
            assert train_step(link, x, y) == stats[k], f"{board_name}: step {k}"
        crc, _, _ = weights_digest(link)
        assert crc == zlib.crc32(b"".join(blobs))
