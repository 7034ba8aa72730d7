"""int8 kernels, part A (conv, depthwise, fully connected, pools, mean, pad,
transpose, concatenation): the C decoders + kernels against each op's
ref_int8 byte for byte, ref_int8 against ref_float within a few LSB, and
ref_float against plain float64 loops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pytool import ops as opreg
from pytool.host import cbuild
from pytool.ir import Graph, Op, QuantParams, Tensor
from pytool.reference import run_float, run_int8

CDEF = """
typedef struct { uint8_t dtype; uint8_t rank; uint8_t flags; int32_t dims[5]; int32_t bytes;
                 int32_t offset; const void *data; float scale; int32_t zero_point; ...; } odl_tensor_t;
typedef struct { uint16_t code; uint8_t n_inputs; uint8_t n_outputs; const int16_t *inputs;
                 const int16_t *outputs; const int32_t *params; uint16_t n_params; ...; } odl_op_t;
typedef struct { uint16_t n_tensors; const odl_tensor_t *tensors; ...; } odl_model_t;
typedef struct odl_ctx { const odl_model_t *model; uint8_t *arena; uint32_t arena_size; ...; } odl_ctx_t;
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


# ---------------------------------------------------------------- float vs int8


def _quantize(x, s, z):
    return np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_int8_tracks_float(kind):
    """Dequantized int8 output within 2 LSB of ref_float on the dequantized inputs."""
    rng = np.random.default_rng(7)
    s_x, z_x = 0.03, -5
    x = rng.uniform(-3, 3, (1, 6, 6, 4) if kind != "FULLY_CONNECTED" else (3, 16)).astype(np.float32)
    if kind == "CONV_2D":
        wf = rng.normal(0, 0.3, (5, 3, 3, 4))
    elif kind == "DEPTHWISE_CONV_2D":
        wf = rng.normal(0, 0.3, (1, 3, 3, 8))
    else:
        wf = rng.normal(0, 0.3, (6, 16))
    axis = 3 if kind == "DEPTHWISE_CONV_2D" else 0
    red = tuple(i for i in range(wf.ndim) if i != axis)
    ws = (np.abs(wf).max(axis=red) / 127).astype(np.float32)
    shp = [1] * wf.ndim
    shp[axis] = -1
    wq = np.clip(np.round(wf / ws.reshape(shp)), -127, 127).astype(np.int8)
    nch = ws.size
    bf = rng.normal(0, 0.5, nch)
    bs = (np.float64(np.float32(s_x)) * ws.astype(np.float64)).astype(np.float32)
    g = Graph()
    g.add_tensor(Tensor("x", x.shape, "int8", quant=qp(s_x, z_x)))
    g.add_tensor(Tensor("w", wf.shape, "int8", data=wq, quant=QuantParams(ws, np.zeros(nch, np.int64), axis)))
    g.add_tensor(
        Tensor("b", (nch,), "int32", data=np.round(bf / bs), quant=QuantParams(bs, np.zeros(nch), 0))
    )
    attrs = {"activation": "RELU6"}
    if kind != "FULLY_CONNECTED":
        attrs.update(stride=(2, 1), dilation=(1, 1), padding="SAME")
    if kind == "DEPTHWISE_CONV_2D":
        attrs["depth_multiplier"] = 2
    op = Op(kind, ["x", "w", "b"], ["y"], attrs, name="k")
    g.ops.append(op)
    s_y, z_y = 6 / 255, -128
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "int8", quant=qp(s_y, z_y)))
    g.inputs, g.outputs = ["x"], ["y"]
    xq = _quantize(x, s_x, z_x)
    (yf,) = run_float(g, [(xq.astype(np.float64) - z_x) * np.float32(s_x)])
    (yq,) = run_int8(g, [xq])
    deq = (yq.astype(np.float64) - z_y) * np.float32(s_y)
    assert np.abs(deq - yf).max() <= 2 * s_y
    assert int(yq.max()) - int(yq.min()) > 20  # the case exercises a real range


@pytest.mark.parametrize("kind", ["AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"])
def test_int8_pool_mean_tracks_float(kind):
    rng = np.random.default_rng(3)
    s, z = 0.02, 7
    xq = rng.integers(-128, 128, (1, 5, 7, 3)).astype(np.int8)
    if kind == "MEAN":
        g, op, _ = build_mean((1, 5, 7, 3), [1, 2], True, s, z, 0.004, -3, 0)
        s_y, z_y = 0.004, -3
    else:
        g, op, _ = build_pool(
            dict(
                kind=kind,
                n=1,
                h=5,
                w=7,
                c=3,
                filt=(3, 2),
                stride=(2, 2),
                padding="SAME",
                act="NONE",
                s=s,
                z=z,
                seed=0,
            )
        )
        s_y, z_y = s, z
    (yf,) = run_float(g, [(xq.astype(np.float64) - z) * np.float32(s)])
    (yq,) = run_int8(g, [xq])
    assert np.abs((yq.astype(np.float64) - z_y) * s_y - yf).max() <= 1.01 * s_y


# ---------------------------------------------------------------- ref_float vs loops


def _float_graph(kind, x_shape, attrs, consts):
    g = Graph()
    g.add_tensor(Tensor("x", x_shape, "float32"))
    names = ["x"]
    for name, arr in consts:
        g.add_tensor(Tensor(name, arr.shape, str(arr.dtype), data=arr))
        names.append(name)
    op = Op(kind, names, ["y"], attrs, name="f")
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "float32"))
    return g, op


def _loop_conv(x, w, b, stride, dil, pad, out_hw, depthwise, m=1):
    n, h, wd, c = x.shape
    oc = w.shape[3] if depthwise else w.shape[0]
    y = np.zeros((n, *out_hw, oc))
    for bi in range(n):
        for oy in range(out_hw[0]):
            for ox in range(out_hw[1]):
                for o in range(oc):
                    acc = b[o]
                    for fy in range(w.shape[1]):
                        for fx in range(w.shape[2]):
                            iy, ix = (
                                oy * stride[0] - pad[0] + fy * dil[0],
                                ox * stride[1] - pad[1] + fx * dil[1],
                            )
                            if 0 <= iy < h and 0 <= ix < wd:
                                if depthwise:
                                    acc += x[bi, iy, ix, o // m] * w[0, fy, fx, o]
                                else:
                                    acc += np.dot(x[bi, iy, ix, :], w[o, fy, fx, :])
                    y[bi, oy, ox, o] = acc
    return y


def test_ref_float_conv_depthwise_fc_against_loops():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 7, 6, 3)).astype(np.float32)
    w = rng.normal(size=(4, 3, 2, 3)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    g, op = _float_graph(
        "CONV_2D",
        x.shape,
        dict(stride=(2, 1), dilation=(2, 1), padding="SAME", activation="NONE"),
        [("w", w), ("b", b)],
    )
    # SAME: out 4x6; total pad h = (4-1)*2 + 5 - 7 = 4 -> top 2; w: (6-1)*1 + 2 - 6 = 1 -> left 0
    want = _loop_conv(x, w, b, (2, 1), (2, 1), (2, 0), (4, 6), False)
    np.testing.assert_allclose(
        opreg.get("CONV_2D").ref_float(g, op, [x, w, b])[0], want, rtol=1e-5, atol=1e-5
    )

    wd = rng.normal(size=(1, 3, 3, 6)).astype(np.float32)
    bd = rng.normal(size=6).astype(np.float32)
    g, op = _float_graph(
        "DEPTHWISE_CONV_2D",
        x.shape,
        dict(stride=(1, 2), dilation=(1, 1), padding="SAME", activation="RELU", depth_multiplier=2),
        [("w", wd), ("b", bd)],
    )
    # SAME: pad h total (7-1)*1 + 3 - 7 = 2 -> top 1; w total (3-1)*2 + 3 - 6 = 1 -> left 0
    want = np.maximum(_loop_conv(x, wd, bd, (1, 2), (1, 1), (1, 0), (7, 3), True, m=2), 0)
    np.testing.assert_allclose(
        opreg.get("DEPTHWISE_CONV_2D").ref_float(g, op, [x, wd, bd])[0], want, rtol=1e-5, atol=1e-5
    )

    wf = rng.normal(size=(5, 18)).astype(np.float32)
    g, op = _float_graph(
        "FULLY_CONNECTED", (7, 18), {"activation": "NONE", "keep_num_dims": False}, [("w", wf)]
    )
    xf = x.reshape(7, 18)
    want = np.array(
        [[sum(float(xf[i, k]) * float(wf[o, k]) for k in range(18)) for o in range(5)] for i in range(7)]
    )
    np.testing.assert_allclose(
        opreg.get("FULLY_CONNECTED").ref_float(g, op, [xf, wf])[0], want, rtol=1e-5, atol=1e-5
    )


def test_ref_float_pools_and_mean_against_loops():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 4, 3)).astype(np.float32)
    attrs = dict(filter=(3, 3), stride=(2, 2), padding="SAME", activation="NONE")
    ga, opa = _float_graph("AVERAGE_POOL_2D", x.shape, attrs, [])
    gm, opm = _float_graph("MAX_POOL_2D", x.shape, attrs, [])
    avg = opreg.get("AVERAGE_POOL_2D").ref_float(ga, opa, [x])[0]
    mx = opreg.get("MAX_POOL_2D").ref_float(gm, opm, [x])[0]
    assert avg.shape == mx.shape == (2, 3, 2, 3)
    # SAME: pad total h = (3-1)*2 + 3 - 5 = 2 -> top 1; w = (2-1)*2 + 3 - 4 = 1 -> left 0
    for b in range(2):
        for oy in range(3):
            for ox in range(2):
                ys = [y for y in range(oy * 2 - 1, oy * 2 + 2) if 0 <= y < 5]
                xs = [v for v in range(ox * 2, ox * 2 + 3) if 0 <= v < 4]
                win = x[b][np.ix_(ys, xs)]  # only valid elements are averaged
                np.testing.assert_allclose(avg[b, oy, ox], win.mean(axis=(0, 1)), rtol=1e-5)
                np.testing.assert_allclose(mx[b, oy, ox], win.max(axis=(0, 1)))
    for keep in (True, False):
        g, op = _float_graph("MEAN", x.shape, {"keep_dims": keep}, [("axes", np.array([1, 2], np.int32))])
        got = opreg.get("MEAN").ref_float(g, op, [x, np.array([1, 2])])[0]
        want = np.array(
            [
                [sum(float(x[b, i, j, c]) for i in range(5) for j in range(4)) / 20 for c in range(3)]
                for b in range(2)
            ]
        )
        assert got.shape == ((2, 1, 1, 3) if keep else (2, 3))
        np.testing.assert_allclose(got.reshape(2, 3), want, rtol=1e-5)


# ---------------------------------------------------------------- against tflite-micro

PART_A = {
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "AVERAGE_POOL_2D",
    "MAX_POOL_2D",
    "MEAN",
    "PAD",
    "TRANSPOSE",
    "CONCATENATION",
    "RESHAPE",
}
FIXTURES = cbuild.ROOT / "tests" / "fixtures"


def _tflm_agrees(path, n_trials: int = 8) -> None:
    from tflite_micro import runtime

    from pytool.frontends import load_model

    g = load_model(path)
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(0)
    for _ in range(n_trials):
        x = rng.integers(-128, 128, g.tensors[g.inputs[0]].shape).astype(np.int8)
        ip.set_input(x.reshape(ip.get_input_details(0)["shape"]), 0)
        ip.invoke()
        np.testing.assert_array_equal(run_int8(g, [x])[0].reshape(-1), ip.get_output(0).reshape(-1))


def _part_a_fixtures() -> list[str]:
    import json

    entries = json.loads((FIXTURES / "manifest.json").read_text())
    return [
        e["file"] for e in entries if e["kind"] == "int8" and e["io"] == "int8" and set(e["ops"]) <= PART_A
    ]


@pytest.mark.parametrize("file", _part_a_fixtures())
def test_ref_int8_matches_tflite_micro_on_fixtures(file):
    """The integer oracle (which the C matches byte for byte) equals TFLite Micro."""
    _tflm_agrees(FIXTURES / file)


def test_mean_with_shared_quantization_matches_tflite_micro(tmp_path):
    """The mean_hw fixture rewritten so output quantization = input's: TFLite Micro
    still requantizes (no truncating same-scale path)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    buf = (FIXTURES / "models" / "mean_hw.tflite").read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    sg = m.subgraphs[0]
    (mean,) = [
        o for o in sg.operators if m.operatorCodes[o.opcodeIndex].builtinCode == schema.BuiltinOperator.MEAN
    ]
    qin, qout = sg.tensors[mean.inputs[0]].quantization, sg.tensors[mean.outputs[0]].quantization
    qout.scale, qout.zeroPoint = list(qin.scale), list(qin.zeroPoint)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    path = tmp_path / "mean_same.tflite"
    path.write_bytes(bytes(b.Output()))
    _tflm_agrees(path, n_trials=40)
