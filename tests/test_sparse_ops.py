"""Fixed-point backward of the ops the sparse update passes through besides
the weighted layers (runtime_c/src/train/bw_*.c): the C equals the numpy twin
(pytool/training/sparse_kernels.py) bit for bit, and both match a float64
Jacobian of the op at the operating point (cosine > 0.9999)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_sparse_kernels import SETTINGS, _arr, _buf, _close, _errors, _vjp, lib  # noqa: F401

from pytool.training import sparse_kernels as sk


def _maxpool_float(x, f, stride, pad, out_hw):
    B, H, W, C = x.shape
    y = np.zeros((B, *out_hw, C))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            y0, x0 = oy * stride - pad[0], ox * stride - pad[1]
            y[:, oy, ox, :] = x[:, max(0, y0) : min(H, y0 + f), max(0, x0) : min(W, x0 + f), :].max(axis=(1, 2))
    return y


@SETTINGS
@given(st.integers(0, 3), st.integers(0, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_max_pool_bw(lib, h_extra, w_extra, f, c, stride, same, ties, seed):  # noqa: F811
    ffi, cl = lib
    rng = np.random.default_rng(seed)
    h, w = f + h_extra, f + w_extra
    if same:
        oh, ow = -(-h // stride), -(-w // stride)
        ph, pw = max(0, ((oh - 1) * stride + f - h) // 2), max(0, ((ow - 1) * stride + f - w) // 2)
    else:
        oh, ow, ph, pw = (h - f) // stride + 1, (w - f) // stride + 1, 0, 0
    n_in = h * w * c
    if ties:  # few levels: windows with equal maxima take the first one
        x = rng.integers(-3, 3, (1, h, w, c)).astype(np.int64)
    else:
        x = (rng.permutation(256)[:n_in] - 128).reshape(1, h, w, c).astype(np.int64)
    e, exp = _errors(rng, (1, oh, ow, c))
    p = ffi.new("odl_pool_params_t *", (stride, stride, f, f, ph, pw, -128, 127))
    e_in, exp_in = ffi.new("int32_t[]", n_in), ffi.new("int32_t *")
    assert cl.odl_max_pool2d_s8_bw_input(p, ffi.new("odl_dims4_t *", (1, h, w, c)), _buf(ffi, "int8_t", x),
                                         ffi.new("odl_dims4_t *", (1, oh, ow, c)), _buf(ffi, "int32_t", e), exp,
                                         e_in, exp_in) == 0
    got = _arr(ffi, e_in, n_in, np.int32)
    ref, ref_exp = sk.maxpool_bw_input(e, exp, x, (stride, stride), (f, f), (ph, pw))
    assert exp_in[0] == ref_exp and np.array_equal(got, ref.reshape(-1))
    if not ties:  # distinct values: max is linear near x, its Jacobian picks the argmax
        x0 = x.astype(np.float64)
        base = _maxpool_float(x0, f, stride, (ph, pw), (oh, ow))

        def lin(v):
            return (_maxpool_float(x0 + 0.01 * v, f, stride, (ph, pw), (oh, ow)) - base) / 0.01

        _close(got * 2.0 ** exp_in[0], _vjp(lin, np.zeros(x.shape), e * 2.0**exp))


# ---------------------------------------------------------------- data movement and element-wise tables

def _one_op(op_type, x_shape, consts, attrs, qx=(0.05, 3), qy=None):
    from pytool.ir import Graph, Op, QuantParams, Tensor

    g = Graph()
    g.add_tensor(Tensor("x", x_shape, "int8", quant=QuantParams.per_tensor(*qx)))
    names = ["x"]
    for i, (dt, arr) in enumerate(consts):
        g.add_tensor(Tensor(f"c{i}", np.shape(arr), dt, data=np.asarray(arr)))
        names.append(f"c{i}")
    op = Op(op_type, names, ["y"], attrs, name="k")
    from pytool import ops as opreg

    shape = opreg.get(op_type).infer_shapes(g, op)[0] if hasattr(opreg.get(op_type), "infer_shapes") else x_shape
    g.add_tensor(Tensor("y", shape, "int8", quant=QuantParams.per_tensor(*(qy or qx))))
    g.ops.append(op)
    g.inputs, g.outputs = ["x"], ["y"]
    return g


MOVES = [
    ("PAD", (1, 3, 4, 2), [("int32", [[0, 0], [1, 2], [0, 1], [0, 0]])], {}),
    ("TRANSPOSE", (1, 3, 4, 2), [("int32", [0, 2, 3, 1])], {}),
    ("STRIDED_SLICE", (1, 5, 6, 2), [("int32", [0, 1, 0, 0]), ("int32", [1, 5, 6, 2]), ("int32", [1, 2, 3, 1])],
     {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}),
]


@pytest.mark.parametrize("op_type,shape,consts,attrs", MOVES, ids=[m[0] for m in MOVES])
def test_move_bw_is_the_transposed_copy(lib, op_type, shape, consts, attrs):  # noqa: F811
    """The map from the op's own float reference; C == numpy; and the error
    equals the float64 Jacobian transpose of the op applied to the output error."""
    from pytool import ops as opreg
    from pytool.training.sparse_ops import move_map

    ffi, cl = lib
    g = _one_op(op_type, shape, consts, attrs)
    mp = move_map(g, 0, "x")
    rng = np.random.default_rng(1)
    ny, nx = int(np.prod(g.tensors["y"].shape)), int(np.prod(shape))
    e, exp = _errors(rng, (ny,))
    e_in, exp_in = ffi.new("int32_t[]", nx), ffi.new("int32_t *")
    assert cl.odl_move_s8_bw_input(ny, nx, _buf(ffi, "int32_t", mp), _buf(ffi, "int32_t", e), exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, nx, np.int32)
    ref, ref_exp = sk.move_bw_input(e, exp, mp, nx)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref)
    consts_f = [np.asarray(a) for _, a in consts]
    f = opreg.get(op_type).ref_float

    def lin(v):
        return np.asarray(f(g, g.ops[0], [v, *consts_f])[0], np.float64)

    _close(got * 2.0 ** exp_in[0], _vjp(lin, np.zeros(shape), e.reshape(g.tensors["y"].shape) * 2.0**exp))


@given(st.integers(1, 5), st.integers(1, 4), st.booleans(), st.integers(0, 2**31))
@SETTINGS
def test_mul_bw_is_the_other_operand(lib, h, w, bcast, seed):  # noqa: F811
    from pytool.ir import Graph, Op, QuantParams, Tensor
    from pytool.training.sparse_ops import mul_other

    ffi, cl = lib
    rng = np.random.default_rng(seed)
    g = Graph()
    oshape = (1, w) if bcast else (h, w)
    g.add_tensor(Tensor("a", (h, w), "int8", quant=QuantParams.per_tensor(0.1, 0)))
    g.add_tensor(Tensor("b", oshape, "int8", quant=QuantParams.per_tensor(float(rng.uniform(0.001, 0.2)),
                                                                       int(rng.integers(-20, 20)))))
    g.add_tensor(Tensor("y", (h, w), "int8", quant=QuantParams.per_tensor(0.1, 0)))
    g.ops.append(Op("MUL", ["a", "b"], ["y"], {"activation": "NONE"}))
    mp, zp, ((m, sh),) = mul_other(g, 0, 0)
    b = rng.integers(-128, 128, oshape)
    e, exp = _errors(rng, (h * w,))
    e_in, exp_in = ffi.new("int32_t[]", h * w), ffi.new("int32_t *")
    assert cl.odl_mul_s8_bw_input(h * w, _buf(ffi, "int8_t", b), _buf(ffi, "int32_t", mp), zp, m, sh,
                                  _buf(ffi, "int32_t", e), exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, h * w, np.int32)
    ref, ref_exp = sk.mul_bw_input(e, exp, b, mp, zp, m, sh)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref)
    breal = float(g.tensors["b"].quant.scale[0]) * (b - zp)
    _close(got * 2.0 ** exp_in[0], _vjp(lambda v: v * breal, np.zeros((h, w)), e.reshape(h, w) * 2.0**exp))


def test_concatenation_bw_takes_its_operand_slice(lib):  # noqa: F811
    from pytool.ir import Graph, Op, QuantParams, Tensor
    from pytool.training.sparse_ops import move_map

    ffi, cl = lib
    g = Graph()
    for n, s in (("a", (1, 2, 3)), ("b", (1, 2, 4)), ("y", (1, 2, 7))):
        g.add_tensor(Tensor(n, s, "int8", quant=QuantParams.per_tensor(0.1, 0)))
    g.ops.append(Op("CONCATENATION", ["a", "b"], ["y"], {"axis": 2}))
    mp = move_map(g, 0, "b")
    assert mp.tolist() == [-1, -1, -1, 0, 1, 2, 3, -1, -1, -1, 4, 5, 6, 7]
    e = np.arange(1, 15, dtype=np.int64)
    e_in, exp_in = ffi.new("int32_t[]", 8), ffi.new("int32_t *")
    assert cl.odl_move_s8_bw_input(14, 8, _buf(ffi, "int32_t", mp), _buf(ffi, "int32_t", e), -3, e_in, exp_in) == 0
    assert _arr(ffi, e_in, 8, np.int32).tolist() == [4, 5, 6, 7, 11, 12, 13, 14] and exp_in[0] == -3


TABLES = [("LOGISTIC", (0.08, -10), (1 / 256, -128), {}), ("TANH", (0.03, 5), (1 / 128, 0), {}),
          ("HARD_SWISH", (0.05, 0), (0.04, -30), {}), ("LEAKY_RELU", (0.02, 7), (0.02, 7), {"alpha": 0.1})]


@pytest.mark.parametrize("op_type,qx,qy,attrs", TABLES, ids=[t[0] for t in TABLES])
def test_table_bw_matches_float_derivative(lib, op_type, qx, qy, attrs):  # noqa: F811
    from pytool import ops as opreg
    from pytool.training.sparse_ops import deriv_table

    ffi, cl = lib
    g = _one_op(op_type, (1, 256), [], attrs, qx=qx, qy=qy)
    table, frac = deriv_table(g, 0)
    assert np.abs(table).max() < 2**15 and np.abs(table).max() >= 2**13  # the fraction bits use the range
    x = np.arange(-128, 128, dtype=np.int64)
    rng = np.random.default_rng(2)
    e, exp = _errors(rng, (256,))
    e_in, exp_in = ffi.new("int32_t[]", 256), ffi.new("int32_t *")
    assert cl.odl_table_s8_bw_input(256, _buf(ffi, "int8_t", x), _buf(ffi, "int16_t", table), frac,
                                    _buf(ffi, "int32_t", e), exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, 256, np.int32)
    ref, ref_exp = sk.table_bw_input(e, exp, x, table, frac)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref)
    # float64 Jacobian of the op's float reference at the dequantized inputs (central differences
    # away from kinks), against the error times the derivative
    xr = qx[0] * (x - qx[1])
    h = 1e-4
    f = opreg.get(op_type).ref_float
    num = (np.asarray(f(g, g.ops[0], [xr + h])[0], np.float64) - np.asarray(f(g, g.ops[0], [xr - h])[0], np.float64))
    num /= 2 * h
    kink = np.isin(np.round(xr, 6), [-3.0, 3.0, 0.0])
    want = e * 2.0**exp * num
    _close((got * 2.0 ** exp_in[0])[~kink], want[~kink])


# ---------------------------------------------------------------- through a chain of these ops, C == reference

TABLE_Q = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0), "HARD_SWISH": (0.03, -60), "LEAKY_RELU": (0.05, -20)}


def chain_graph(table_op: str):
    """x (1,8) -> FC 12 (trained) -> RESHAPE (1,3,4) -> TRANSPOSE (1,4,3) -> PAD (1,5,4) -> RESHAPE (1,20)
    -> MUL by a constant (20,) -> table op -> STRIDED_SLICE (1,16) -> CONCATENATION with x (1,24)
    -> FC 5 (trained) -> SOFTMAX."""
    from pytool.ir import Graph, Op, QuantParams, Tensor

    rng = np.random.default_rng(7)
    g = Graph()

    def t(name, shape, dtype="int8", q=None, data=None):
        qp = None if q is None else QuantParams.per_tensor(*q) if len(q) == 2 else QuantParams(q[0], q[1], q[2])
        g.add_tensor(Tensor(name, shape, dtype, data=data, quant=qp))

    qa = (0.05, -3)
    t("x", (1, 8), q=TABLE_Q[table_op])  # concatenated with the table op's output: one quantization
    t("w1", (12, 8), q=(np.full(12, 0.02), np.zeros(12, np.int64), 0), data=rng.integers(-127, 128, (12, 8)))
    t("b1", (12,), "int32", q=(np.full(12, 0.02 / 128), np.zeros(12, np.int64), 0),
      data=rng.integers(-300, 300, 12))
    t("a", (1, 12), q=qa)
    t("s1", (3,), "int32", data=[1, 3, 4])
    t("a3", (1, 3, 4), q=qa)
    t("perm", (3,), "int32", data=[0, 2, 1])
    t("at", (1, 4, 3), q=qa)
    t("pads", (3, 2), "int32", data=[[0, 0], [1, 0], [0, 1]])
    t("ap", (1, 5, 4), q=qa)
    t("s2", (2,), "int32", data=[1, 20])
    t("af", (1, 20), q=qa)
    t("m", (20,), q=(0.02, 10), data=rng.integers(-40, 60, 20))  # real values in [-1, 1]: no saturation
    t("am", (1, 20), q=(0.05, 5))
    t("z", (1, 20), q=TABLE_Q[table_op])
    for n, v in (("beg", [0, 2]), ("end", [1, 18]), ("st", [1, 1])):
        t(n, (2,), "int32", data=v)
    t("zs", (1, 16), q=TABLE_Q[table_op])
    t("c", (1, 24), q=TABLE_Q[table_op])
    t("w2", (5, 24), q=(np.full(5, 0.03), np.zeros(5, np.int64), 0), data=rng.integers(-127, 128, (5, 24)))
    t("b2", (5,), "int32", q=(np.full(5, 0.03 / 128), np.zeros(5, np.int64), 0), data=rng.integers(-200, 200, 5))
    t("logits", (1, 5), q=(0.1, 0))
    t("p", (1, 5), q=(1 / 256, -128))
    slice_attrs = {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}
    g.ops = [
        Op("FULLY_CONNECTED", ["x", "w1", "b1"], ["a"], {"activation": "NONE", "keep_num_dims": False}),
        Op("RESHAPE", ["a", "s1"], ["a3"]),
        Op("TRANSPOSE", ["a3", "perm"], ["at"]),
        Op("PAD", ["at", "pads"], ["ap"]),
        Op("RESHAPE", ["ap", "s2"], ["af"]),
        Op("MUL", ["af", "m"], ["am"], {"activation": "NONE"}),
        Op(table_op, ["am"], ["z"], {"alpha": 0.1} if table_op == "LEAKY_RELU" else {}),
        Op("STRIDED_SLICE", ["z", "beg", "end", "st"], ["zs"], slice_attrs),
        Op("CONCATENATION", ["zs", "x"], ["c"], {"axis": 1, "activation": "NONE"}),
        Op("FULLY_CONNECTED", ["c", "w2", "b2"], ["logits"], {"activation": "NONE", "keep_num_dims": False}),
        Op("SOFTMAX", ["logits"], ["p"], {"beta": 1.0}),
    ]
    g.inputs, g.outputs = ["x"], ["p"]
    g.validate()
    return g


@pytest.mark.parametrize("table_op", list(TABLE_Q))
def test_chain_of_moves_and_tables_c_equals_reference(table_op, tmp_path):
    """Errors pass TRANSPOSE, PAD, RESHAPE, MUL, the element-wise op, STRIDED_SLICE and
    CONCATENATION to the first layer: the C equals the numpy reference bit for bit
    (weights, biases, residuals, losses) over 12 steps, and the first layer's
    integer input error follows the float64 chain's direction."""
    from pytool import compile_model, load_host
    from pytool.training import TrainSpec
    from pytool.training.scheme import FloatChain
    from pytool.training.sparse_ref import SparseRef

    g = chain_graph(table_op)
    (tmp_path / "s.toml").write_text('[[layer]]\nop = 0\nupdate = "weights"\n[[layer]]\nop = 9\nupdate = "weights"\n'
                                     'rounding = "stochastic"\n')
    spec = TrainSpec(method="sparse", scheme=str(tmp_path / "s.toml"), lr=0.05, seed=2)
    art = compile_model(g, tmp_path / "m", train=spec)
    st, _ = art.program.sparse
    net, ref = load_host(art), SparseRef(g, st)
    rng = np.random.default_rng(3)
    moved = 0
    for i in range(12):
        x = rng.integers(-128, 128, (1, 8)).astype(np.int8)
        a, b = net.train_step(x, i % 5), ref.train_step(x, i % 5)
        assert (a["loss_q16"], a["predicted"]) == (b["loss_q16"], b["predicted"]), i
        for n in ("w1", "b1", "w2", "b2"):
            assert np.array_equal(net.tensor(art.program.index[n]).reshape(-1), ref.tensor(n).reshape(-1)), (i, n)
        moved += int(np.any(ref.tensor("w1") != g.tensors["w1"].data))
    assert moved > 0  # the error reached the first layer and moved it
    # the error at the first layer's output against float64 autodiff of the dequantized chain at
    # the same operating point (int8 activations dequantized, the int8 masks), factory weights
    fc, ref = FloatChain(g, 0), SparseRef(g, st)
    for _ in range(4):
        x = rng.integers(-128, 128, (1, 8)).astype(np.int8)
        vals = ref.eval_sample(x, 1)["vals"]
        ref.train_step(x, 1)
        e, exp = ref.errors["a"]
        fc.grads(_dequantized(g, vals), 1, _int8_masks(fc, vals))
        want = fc.errors["a"].reshape(-1)
        got = e.reshape(-1) * 2.0**exp
        assert got @ want / (np.linalg.norm(got) * np.linalg.norm(want) + 1e-30) > 0.999
        ref = SparseRef(g, st)


def _dequantized(g, vals: dict) -> dict:
    out = {}
    for name, v in vals.items():
        q = g.tensors[name].quant
        if q is not None and not g.tensors[name].is_const:
            out[name] = (np.asarray(v, np.float64) - float(q.zero_point[0])) * float(q.scale[0])
    return out


def _int8_masks(fc, vals: dict) -> dict:
    """The int8 mask rules (sparse_kernels.act_bw / sat_bw) applied to float errors."""
    from pytool.training import sparse as sp

    masks = {}
    for s in fc.steps:
        y = np.asarray(vals[s.out_t], np.int64)
        if sp.mask_mode(s) == 2:
            masks[s.out_t] = lambda d, y=y: np.where(((y >= 127) & (d < 0)) | ((y <= -128) & (d > 0)), 0.0, d)
        elif sp.mask_mode(s) == 1:
            masks[s.out_t] = lambda d, y=y, lo=s.mask[0], hi=s.mask[1]: np.where((y > lo) & (y < hi), d, 0.0)
        else:
            masks[s.out_t] = lambda d: d
    return masks



CNN_SCHEMES = {
    "all": '[[layer]]\nop = 0\nupdate = "weights"\n[[layer]]\nop = 3\nupdate = "weights"\n',
    "conv_bias": '[[layer]]\nop = 0\nupdate = "bias"\n[[layer]]\nop = 3\nupdate = "weights"\nrounding = "round"\n',
    "conv_subset": '[[layer]]\nop = 0\nupdate = "weights"\nchannels = [1, 5]\nrounding = "stochastic"\n',
}


@pytest.mark.parametrize("scheme", list(CNN_SCHEMES))
def test_cnn_through_max_pool_c_equals_reference(tmp_path, scheme):
    """The AIfES CNN fixture (conv 3x3 SAME + ReLU -> max-pool 2x2 -> dense 10): the
    host C (the conv reads the pool's error, CONV_POOL) equals the numpy reference
    (unfused steps) over 100 steps with every weight, 30 with a bias-only conv or a
    channel subset."""
    from pytool import compile_model, load_host
    from pytool.compiler import load_graph
    from pytool.training import TrainSpec
    from pytool.training.loop import load_dataset
    from pytool.training.sparse_ref import SparseRef

    nets = cbuild_root() / "tests" / "fixtures" / "train_nets"
    g = load_graph(nets / "cnn_int8.tflite")
    (tmp_path / "s.toml").write_text(CNN_SCHEMES[scheme])
    spec = TrainSpec(method="sparse", scheme=str(tmp_path / "s.toml"), lr=0.01, seed=1)
    art = compile_model(g, tmp_path / "m", train=spec)
    st, _ = art.program.sparse
    net, ref = load_host(art), SparseRef(g, st)
    data = load_dataset(nets / "field.npz", net.inputs[0])
    w = g.ops[0].inputs[1]
    for i in range(100 if scheme == "all" else 30):
        x, y = data.x[i % len(data)], int(data.y[i % len(data)])
        a, b = net.train_step(x, y), ref.train_step(x, y)
        assert (a["loss_q16"], a["predicted"]) == (b["loss_q16"], b["predicted"]), i
        assert np.array_equal(net.tensor(art.program.index[w]).reshape(-1), ref.tensor(w).reshape(-1)), i
    learned = ref.tensor(g.ops[0].inputs[2 if scheme == "conv_bias" else 1])
    assert np.any(learned != g.tensors[g.ops[0].inputs[2 if scheme == "conv_bias" else 1]].data)  # below the pool
    if scheme == "conv_bias":
        b = g.ops[0].inputs[2]
        assert np.array_equal(net.tensor(art.program.index[b]).reshape(-1), learned.reshape(-1))


def cbuild_root():
    from pytool.host import cbuild

    return cbuild.ROOT
