"""int8 kernels, part A (conv, depthwise, fully connected, pools, mean, pad,
transpose, concatenation): the C decoders + kernels against each op's
ref_int8 byte for byte, ref_int8 against ref_float within a few LSB, and
ref_float against plain float64 loops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from runtime_cdef import RUNTIME_CDEF

from pytool import ops as opreg
from pytool.host import cbuild
from pytool.ir import Graph, Op, QuantParams, Tensor

CDEF = RUNTIME_CDEF + """
typedef struct { int32_t n, h, w, c; } odl_dims4_t;
typedef struct { int32_t input_offset, filter_offset, output_offset; int32_t act_min, act_max; } odl_fc_params_t;
int odl_fully_connected_s8(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                           int32_t per_channel, int32_t batches, int32_t in_depth, const int8_t *in,
                           int32_t out_depth, const int8_t *w, const int32_t *bias, int8_t *out);
int odl_op_conv_2d(odl_ctx_t *, const odl_op_t *);
int odl_op_depthwise_conv_2d(odl_ctx_t *, const odl_op_t *);
int odl_op_fully_connected(odl_ctx_t *, const odl_op_t *);
int odl_op_average_pool_2d(odl_ctx_t *, const odl_op_t *);
int odl_op_max_pool_2d(odl_ctx_t *, const odl_op_t *);
int odl_op_mean(odl_ctx_t *, const odl_op_t *);
int odl_op_pad(odl_ctx_t *, const odl_op_t *);
int odl_op_transpose(odl_ctx_t *, const odl_op_t *);
int odl_op_concatenation(odl_ctx_t *, const odl_op_t *);
"""
PRELUDE = '#include "odl/ops.h"\n#include "odl/kernels_int8.h"\n'
DTYPE_CODE = {"int8": 0, "int32": 3}
ODL_OK, ODL_ERR_SHAPE, ODL_ERR_UNSUPPORTED, ODL_ERR_MODEL = 0, 2, 3, 5
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def lib():
    return cbuild.build("kernels_int8_a", CDEF, PRELUDE, cbuild.runtime_sources())


class OpTable:
    """A one-op tensor table (all tensors outside the arena) for calling a decoder."""

    def __init__(self, ffi, arrays: list, outputs: list[np.ndarray], params: list[int], code: int):
        self.ffi, self.keep = ffi, []
        entries = [*arrays, *outputs]
        self.tensors = ffi.new("odl_tensor_t[]", max(1, len(entries)))
        index = []
        for k, a in enumerate(entries):
            if a is None:
                index.append(-1)
                continue
            t = self.tensors[k]
            t.dtype = DTYPE_CODE[str(a.dtype)]
            t.rank = a.ndim
            for d in range(a.ndim):
                t.dims[d] = a.shape[d]
            t.bytes = a.nbytes
            t.offset = -1
            buf = ffi.from_buffer(a)
            self.keep.append(buf)
            t.data = buf
            index.append(k)
        self.model = ffi.new("odl_model_t*", {"n_tensors": len(entries), "tensors": self.tensors})
        self.ctx = ffi.new("odl_ctx_t*", {"model": self.model})
        n_in = len(arrays)
        self.ins = ffi.new("int16_t[]", index[:n_in] or [0])
        self.outs = ffi.new("int16_t[]", index[n_in:])
        self.params = ffi.new("int32_t[]", [int(p) for p in params] or [0])
        self.op = ffi.new(
            "odl_op_t*",
            {
                "code": code,
                "n_inputs": n_in,
                "n_outputs": len(outputs),
                "inputs": self.ins,
                "outputs": self.outs,
                "params": self.params,
                "n_params": len(params),
            },
        )


def run_c(lib, g: Graph, op: Op, feeds: dict, low=None, params=None) -> tuple[int, np.ndarray]:
    """Lowers op, runs its C decoder on feeds; returns (status, output)."""
    mod = opreg.get(op.type)
    low = low or mod.lower(g, op)
    arrays = []
    for a in low.inputs:
        if a is None:
            arrays.append(None)
        elif isinstance(a, np.ndarray):
            arrays.append(np.ascontiguousarray(a, np.int32))
        else:
            t = g.tensors[a]
            arrays.append(np.ascontiguousarray(t.data if t.is_const else feeds[a]))
    y = g.tensors[op.outputs[0]]
    out = np.full(y.shape, 0x55, np.int8)
    table = OpTable(lib[0], arrays, [out], params or low.params, mod.OPCODE)
    status = getattr(lib[1], f"odl_op_{opreg.MODULES[op.type]}")(table.ctx, table.op)
    return status, out


def expect(g: Graph, op: Op, feeds: dict) -> np.ndarray:
    mod = opreg.get(op.type)
    low = mod.lower(g, op)
    xs = [
        None
        if a is None
        else (a if isinstance(a, np.ndarray) else (g.tensors[a].data if g.tensors[a].is_const else feeds[a]))
        for a in low.inputs
    ]
    return mod.ref_int8(g, op, low, xs)[0]


def check_exact(lib, g: Graph, op: Op, feeds: dict) -> np.ndarray:
    want = expect(g, op, feeds)
    status, got = run_c(lib, g, op, feeds)
    assert status == ODL_OK
    np.testing.assert_array_equal(got, want.reshape(got.shape))
    return got


# ---------------------------------------------------------------- graph builders


def qp(scale, zp) -> QuantParams:
    return QuantParams(np.atleast_1d(np.asarray(scale, np.float32)), np.atleast_1d(np.asarray(zp, np.int64)))


scales = st.floats(1e-4, 1e-1).map(lambda v: float(np.float32(v)))
zps = st.integers(-128, 127)
acts = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])


def conv_graph(
    rng,
    kind,
    n,
    h,
    w,
    c,
    o_or_m,
    kh,
    kw,
    stride,
    dil,
    padding,
    act,
    per_channel,
    s_x,
    z_x,
    s_y,
    z_y,
    w_scale_rng,
    bias=True,
    groups=1,
):
    g = Graph()
    g.add_tensor(Tensor("x", (n, h, w, c), "int8", quant=qp(s_x, z_x)))
    if kind == "CONV_2D":
        o = o_or_m
        wshape, axis, nch = (o, kh, kw, c // groups), 0, o
        attrs = {}
    else:
        wshape, axis, nch = (1, kh, kw, c * o_or_m), 3, c * o_or_m
        attrs = {"depth_multiplier": o_or_m}
    ws = w_scale_rng(nch if per_channel else 1)
    g.add_tensor(
        Tensor(
            "w",
            wshape,
            "int8",
            data=rng.integers(-127, 128, wshape),
            quant=QuantParams(ws, np.zeros(ws.size, np.int64), axis),
        )
    )
    inputs = ["x", "w"]
    if bias:
        bs = (np.float64(np.float32(s_x)) * np.broadcast_to(ws, (nch,)).astype(np.float64)).astype(np.float32)
        g.add_tensor(
            Tensor(
                "b",
                (nch,),
                "int32",
                data=rng.integers(-40000, 40000, nch),
                quant=QuantParams(bs, np.zeros(nch, np.int64), 0),
            )
        )
        inputs.append("b")
    attrs.update(stride=stride, dilation=dil, padding=padding, activation=act)
    op = Op(kind, inputs, ["y"], attrs, name="k")
    g.ops.append(op)
    shape = opreg.get(kind).infer_shapes(g, op)[0]
    g.add_tensor(Tensor("y", shape, "int8", quant=qp(s_y, z_y)))
    g.inputs, g.outputs = ["x"], ["y"]
    return g, op


@st.composite
def conv_cases(draw, kind):
    n = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    if padding == "VALID":
        assume((kh - 1) * dil[0] + 1 <= h and (kw - 1) * dil[1] + 1 <= w)
    groups = draw(st.sampled_from([1, 1, 2])) if kind == "CONV_2D" else 1
    c = groups * draw(st.integers(1, 4))
    o = groups * draw(st.integers(1, 3)) if kind == "CONV_2D" else draw(st.integers(1, 3))
    return dict(
        kind=kind,
        n=n,
        h=h,
        w=w,
        c=c,
        o_or_m=o,
        kh=kh,
        kw=kw,
        stride=stride,
        dil=dil,
        padding=padding,
        act=draw(acts),
        per_channel=draw(st.booleans()),
        s_x=draw(scales),
        z_x=draw(zps),
        s_y=draw(scales),
        z_y=draw(zps),
        bias=draw(st.booleans()),
        groups=groups,
        seed=draw(st.integers(0, 2**31)),
    )


def build_conv(case):
    case = dict(case)
    rng = np.random.default_rng(case.pop("seed"))
    g, op = conv_graph(rng, w_scale_rng=lambda k: rng.uniform(1e-4, 1e-1, k).astype(np.float32), **case)
    feeds = {"x": rng.integers(-128, 128, g.tensors["x"].shape).astype(np.int8)}
    return g, op, feeds


# ---------------------------------------------------------------- exactness


@SETTINGS
@given(conv_cases("CONV_2D"))
def test_conv2d_matches_ref_int8(lib, case):
    g, op, feeds = build_conv(case)
    check_exact(lib, g, op, feeds)


@SETTINGS
@given(conv_cases("DEPTHWISE_CONV_2D"))
def test_depthwise_matches_ref_int8(lib, case):
    g, op, feeds = build_conv(case)
    check_exact(lib, g, op, feeds)


@st.composite
def fc_cases(draw):
    return dict(
        lead=draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)),
        in_d=draw(st.integers(1, 24)),
        out_d=draw(st.integers(1, 10)),
        per_channel=draw(st.booleans()),
        w_zp=draw(st.integers(-3, 3)),
        s_x=draw(scales),
        z_x=draw(zps),
        s_y=draw(scales),
        z_y=draw(zps),
        act=draw(acts),
        keep=draw(st.booleans()),
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31)),
    )


def build_fc(c):
    rng = np.random.default_rng(c["seed"])
    g = Graph()
    g.add_tensor(Tensor("x", (*c["lead"], c["in_d"]), "int8", quant=qp(c["s_x"], c["z_x"])))
    nq = c["out_d"] if c["per_channel"] else 1
    ws = rng.uniform(1e-4, 1e-1, nq).astype(np.float32)
    wz = np.zeros(nq, np.int64) if c["per_channel"] else np.array([c["w_zp"]])
    g.add_tensor(
        Tensor(
            "w",
            (c["out_d"], c["in_d"]),
            "int8",
            data=rng.integers(-127, 128, (c["out_d"], c["in_d"])),
            quant=QuantParams(ws, wz, 0),
        )
    )
    inputs = ["x", "w"]
    if c["bias"]:
        g.add_tensor(Tensor("b", (c["out_d"],), "int32", data=rng.integers(-40000, 40000, c["out_d"])))
        inputs.append("b")
    op = Op("FULLY_CONNECTED", inputs, ["y"], {"activation": c["act"], "keep_num_dims": c["keep"]}, name="fc")
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(op.type).infer_shapes(g, op)[0], "int8", quant=qp(c["s_y"], c["z_y"])))
    feeds = {"x": rng.integers(-128, 128, g.tensors["x"].shape).astype(np.int8)}
    return g, op, feeds


@SETTINGS
@given(fc_cases())
def test_fully_connected_matches_ref_int8(lib, c):
    g, op, feeds = build_fc(c)
    got = check_exact(lib, g, op, feeds)
    # The typed kernel called directly agrees with the decoder path.
    ffi, clib = lib
    low = opreg.get(op.type).lower(g, op)
    w = g.tensors["w"].data
    mult, shift = np.ascontiguousarray(low.inputs[3]), np.ascontiguousarray(low.inputs[4])
    bias = g.tensors["b"].data.astype(np.int32) if c["bias"] else None
    out = np.zeros(got.size, np.int8)
    p = ffi.new(
        "odl_fc_params_t*",
        dict(zip(["input_offset", "filter_offset", "output_offset", "act_min", "act_max"], low.params[:5])),
    )
    x = np.ascontiguousarray(feeds["x"])
    rc = clib.odl_fully_connected_s8(
        p,
        ffi.from_buffer("int32_t[]", mult),
        ffi.from_buffer("int32_t[]", shift),
        low.params[5],
        x.size // w.shape[1],
        w.shape[1],
        ffi.from_buffer("int8_t[]", x),
        w.shape[0],
        ffi.from_buffer("int8_t[]", w),
        ffi.from_buffer("int32_t[]", bias) if bias is not None else ffi.NULL,
        ffi.from_buffer("int8_t[]", out),
    )
    assert rc == ODL_OK
    np.testing.assert_array_equal(out, got.reshape(-1))


@st.composite
def pool_cases(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    if padding == "VALID":
        assume(fh <= h and fw <= w)
    return dict(
        kind=draw(st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"])),
        n=draw(st.integers(1, 2)),
        h=h,
        w=w,
        c=draw(st.integers(1, 5)),
        filt=(fh, fw),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=padding,
        act=draw(acts),
        s=draw(scales),
        z=draw(zps),
        seed=draw(st.integers(0, 2**31)),
    )


def build_pool(c):
    rng = np.random.default_rng(c["seed"])
    g = Graph()
    g.add_tensor(Tensor("x", (c["n"], c["h"], c["w"], c["c"]), "int8", quant=qp(c["s"], c["z"])))
    op = Op(
        c["kind"],
        ["x"],
        ["y"],
        {"filter": c["filt"], "stride": c["stride"], "padding": c["padding"], "activation": c["act"]},
        name="pool",
    )
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(op.type).infer_shapes(g, op)[0], "int8", quant=qp(c["s"], c["z"])))
    g.inputs, g.outputs = ["x"], ["y"]
    return g, op, {"x": rng.integers(-128, 128, g.tensors["x"].shape).astype(np.int8)}


@SETTINGS
@given(pool_cases())
def test_pools_match_ref_int8(lib, c):
    g, op, feeds = build_pool(c)
    check_exact(lib, g, op, feeds)


def build_mean(shape, axes, keep, s_x, z_x, s_y, z_y, seed):
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add_tensor(Tensor("x", shape, "int8", quant=qp(s_x, z_x)))
    g.add_tensor(Tensor("axes", (len(axes),), "int32", data=np.array(axes, np.int32)))
    op = Op("MEAN", ["x", "axes"], ["y"], {"keep_dims": keep}, name="mean")
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get("MEAN").infer_shapes(g, op)[0], "int8", quant=qp(s_y, z_y)))
    g.inputs, g.outputs = ["x"], ["y"]
    return g, op, {"x": rng.integers(-128, 128, shape).astype(np.int8)}


@SETTINGS
@given(
    st.integers(1, 2),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 6),
    st.sampled_from([[1, 2], [2, 1], [-3, -2], [1], [2], [3], [0]]),
    st.booleans(),
    st.booleans(),
    scales,
    zps,
    scales,
    zps,
    st.integers(0, 2**31),
)
def test_mean_matches_ref_int8(lib, n, h, w, c, axes, keep, same, s_x, z_x, s_y, z_y, seed):
    if same:
        s_y, z_y = s_x, z_x
    g, op, feeds = build_mean((n, h, w, c), axes, keep, s_x, z_x, s_y, z_y, seed)
    # TFLite Micro requantizes even when the quantization is shared.
    assert opreg.get("MEAN").lower(g, op).params[3] == 0
    check_exact(lib, g, op, feeds)


def test_mean_shared_quantization_still_requantizes(lib):
    # tflite-micro takes QuantizedMeanOrSum even with equal scales: the mean of
    # [1, 0] is 1 there (rounded), where a truncating sum / count would give 0.
    g, op, _ = build_mean((1, 1, 2, 1), [1, 2], True, 0.1, 0, 0.1, 0, 0)
    x = np.array([1, 0], np.int8).reshape(1, 1, 2, 1)
    status, got = run_c(lib, g, op, {"x": x})
    assert status == ODL_OK and got.reshape(-1).tolist() == [1]
    assert expect(g, op, {"x": x}).reshape(-1).tolist() == [1]


def test_mean_without_axes_copies(lib):
    g, op, _ = build_mean((1, 2, 3, 1), [], True, 0.1, 4, 0.3, -7, 0)
    x = np.arange(-3, 3, dtype=np.int8).reshape(1, 2, 3, 1)
    status, got = run_c(lib, g, op, {"x": x})
    assert status == ODL_OK
    np.testing.assert_array_equal(got, x)  # TFLite's ReduceIsCopy: raw bytes


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=5), st.integers(0, 2**31), zps)
def test_pad_and_transpose_match_ref_int8(lib, shape, seed, zp):
    rng = np.random.default_rng(seed)
    rank = len(shape)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    pads = rng.integers(0, 3, (rank, 2)).astype(np.int32)
    perm = rng.permutation(rank).astype(np.int32)
    for kind, const in (("PAD", pads), ("TRANSPOSE", perm)):
        g = Graph()
        g.add_tensor(Tensor("x", tuple(shape), "int8", quant=qp(0.05, zp)))
        g.add_tensor(Tensor("p", const.shape, "int32", data=const))
        op = Op(kind, ["x", "p"], ["y"], {}, name=kind.lower())
        g.ops.append(op)
        g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "int8", quant=qp(0.05, zp)))
        got = check_exact(lib, g, op, {"x": x})
        if kind == "PAD":
            assert got.shape == tuple(s + a + b for s, (a, b) in zip(shape, pads))
            if pads.any():
                assert (got == zp).sum() >= got.size - x.size  # padding takes the zero point
        else:
            np.testing.assert_array_equal(got, np.transpose(x, perm))


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 4), st.data(), acts)
def test_concatenation_matches_ref_int8(lib, shape, n_inputs, data, act):
    rank = len(shape)
    axis = data.draw(st.integers(-rank, rank - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    g = Graph()
    feeds, names = {}, []
    for i in range(n_inputs):
        s = list(shape)
        s[axis] = int(rng.integers(1, 4))
        g.add_tensor(Tensor(f"x{i}", tuple(s), "int8", quant=qp(0.02, 5)))
        feeds[f"x{i}"] = rng.integers(-128, 128, s).astype(np.int8)
        names.append(f"x{i}")
    op = Op("CONCATENATION", names, ["y"], {"axis": axis, "activation": act}, name="cat")
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(op.type).infer_shapes(g, op)[0], "int8", quant=qp(0.02, 5)))
    got = check_exact(lib, g, op, feeds)
    if act == "NONE":
        np.testing.assert_array_equal(got, np.concatenate([feeds[n] for n in names], axis=axis))


# ---------------------------------------------------------------- bad tables


def test_decoders_reject_bad_tables(lib):
    rng = np.random.default_rng(1)
    case = dict(
        kind="CONV_2D",
        n=1,
        h=5,
        w=5,
        c=3,
        o_or_m=4,
        kh=3,
        kw=3,
        stride=(1, 1),
        dil=(1, 1),
        padding="SAME",
        act="NONE",
        per_channel=True,
        s_x=0.02,
        z_x=3,
        s_y=0.05,
        z_y=-2,
        bias=True,
        groups=1,
    )
    g, op = conv_graph(rng, w_scale_rng=lambda k: np.full(k, 0.01, np.float32), **case)
    feeds = {"x": rng.integers(-128, 128, (1, 5, 5, 3)).astype(np.int8)}
    low = opreg.get("CONV_2D").lower(g, op)
    assert run_c(lib, g, op, feeds, params=low.params[:-1])[0] == ODL_ERR_MODEL  # short params
    short = type(low)(inputs=[*low.inputs[:3], low.inputs[3][:2], low.inputs[4]], params=low.params)
    assert run_c(lib, g, op, feeds, low=short)[0] == ODL_ERR_SHAPE  # 2 multipliers for 4 channels
    bad_stride = list(low.params)
    bad_stride[4] = 0
    assert run_c(lib, g, op, feeds, params=bad_stride)[0] == ODL_ERR_MODEL
    g.tensors["y"].shape = (1, 5, 5, 3)  # output channels disagree with the filter
    assert run_c(lib, g, op, feeds, low=low)[0] == ODL_ERR_SHAPE

    gm, opm, fm = build_mean((1, 4, 4, 2), [1, 2], False, 0.1, 0, 0.2, 1, 0)
    lm = opreg.get("MEAN").lower(gm, opm)
    bad = list(lm.params)
    bad[1] = 3  # reduce count that does not fit the input
    assert run_c(lib, gm, opm, fm, params=bad)[0] == ODL_ERR_SHAPE

    gp = Graph()
    gp.add_tensor(Tensor("x", (2, 3), "int8", quant=qp(0.1, 0)))
    gp.add_tensor(Tensor("p", (2, 2), "int32", data=np.array([[1, 0], [0, 2]])))
    opp = Op("PAD", ["x", "p"], ["y"], {}, name="pad")
    gp.add_tensor(Tensor("y", (3, 5), "int8", quant=qp(0.1, 0)))
    xp = {"x": np.zeros((2, 3), np.int8)}
    assert run_c(lib, gp, opp, xp, params=[0, 1, 0, 0, 3])[0] == ODL_ERR_SHAPE  # 3 + 3 != 5
    assert run_c(lib, gp, opp, xp, params=[0, 1, 0, 0])[0] == ODL_ERR_MODEL
    opt = Op("TRANSPOSE", ["x", "p"], ["y"], {}, name="t")
    assert run_c(lib, gp, opt, xp, low=opreg.Lowered(inputs=["x"], params=[1, 1]))[0] == ODL_ERR_SHAPE
