"""float32 kernels (the F32 C op) against their numpy twins, byte for byte, on
random shapes, strides, dilations, groups, broadcasts and axes; odl_expf, odl_sinf, odl_cosf
against their twins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_cdef import RUNTIME_CDEF

from pytool import ops as opreg
from pytool.host import cbuild
from pytool.ir import Graph, Op, Tensor
from pytool.ops import f32

CDEF = RUNTIME_CDEF + """
int odl_op_f32(odl_ctx_t *, const odl_op_t *);
float odl_expf(float x);
float odl_sinf(float x);
float odl_cosf(float x);
float odl_tanhf(float x);
float odl_expm1f(float x);
"""
PRELUDE = '#include "odl/ops.h"\n#include "odl/kernels_f32.h"\n'
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACTS = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])


@pytest.fixture(scope="module")
def lib():
    return cbuild.build("f32_kernels", CDEF, PRELUDE, cbuild.runtime_sources())


def run_c(lib, g: Graph, op: Op, feeds: dict) -> np.ndarray:
    ffi, c = lib
    low = opreg.get(op.type).lower(g, op)
    assert low.opcode == f32.OPCODE
    arrays = [None if a is None else np.ascontiguousarray(g.tensors[a].data if g.tensors[a].is_const else feeds[a])
              for a in low.inputs]
    out = np.full(g.tensors[op.outputs[0]].shape, 0x55, g.tensors[op.outputs[0]].np_dtype)
    entries, keep = [*arrays, out], []
    tensors = ffi.new("odl_tensor_t[]", len(entries))
    index = []
    for k, a in enumerate(entries):
        if a is None:
            index.append(-1)
            continue
        t = tensors[k]
        code = {np.dtype(np.float32): 5, np.dtype(np.int32): 3, np.dtype(np.int64): 4, np.dtype(bool): 1}[a.dtype]
        t.dtype, t.rank, t.bytes, t.offset = code, a.ndim, a.nbytes, -1
        for d in range(a.ndim):
            t.dims[d] = a.shape[d]
        buf = ffi.from_buffer(a)
        keep.append(buf)
        t.data = buf
        index.append(k)
    model = ffi.new("odl_model_t*", {"n_tensors": len(entries), "tensors": tensors})
    ctx = ffi.new("odl_ctx_t*", {"model": model})
    ins, outs = ffi.new("int16_t[]", index[:-1]), ffi.new("int16_t[]", index[-1:])
    params = ffi.new("int32_t[]", [int(p) for p in low.params])
    opc = ffi.new("odl_op_t*", {"code": f32.OPCODE, "n_inputs": len(arrays), "n_outputs": 1, "inputs": ins,
                                "outputs": outs, "params": params, "n_params": len(low.params)})
    assert c.odl_op_f32(ctx, opc) == 0
    want = f32.ref(g, op, low, [None if a is None else a for a in arrays])[0]
    assert out.tobytes() == np.asarray(want, out.dtype).reshape(out.shape).tobytes()
    return out


def _graph(rng, tensors: dict, op: Op) -> tuple[Graph, dict]:
    g, feeds = Graph(), {}
    for name, (shape, const) in tensors.items():
        data = rng.uniform(-2, 2, shape).astype(np.float32)
        g.add_tensor(Tensor(name, shape, "float32", data=data if const else None))
        if not const:
            feeds[name] = data
    g.ops.append(op)
    for n, sh in zip(op.outputs, opreg.get(op.type).infer_shapes(g, op)):
        g.add_tensor(Tensor(n, sh, "float32"))
    return g, feeds


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 7), st.integers(1, 7), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.sampled_from(["SAME", "VALID"]),
       ACTS, st.booleans(), st.integers(1, 2), st.integers(0, 2**31))
def test_conv_2d_f32(lib, n, h, w, ic, groups, o_per, k, stride, dil, padding, act, bias, kind, seed):
    rng = np.random.default_rng(seed)
    c = ic * groups
    if kind == 1:
        tensors = {"x": ((n, h, w, c), False), "w": ((o_per * groups, k, k, ic), True)}
        attrs = {}
        oc = o_per * groups
    else:
        tensors = {"x": ((n, h, w, c), False), "w": ((1, k, k, c * o_per), True)}
        attrs = {"depth_multiplier": o_per}
        oc = c * o_per
    if bias:
        tensors["b"] = ((oc,), True)
    if padding == "VALID" and (h - (k - 1) * dil < 1 or w - (k - 1) * dil < 1):
        return
    op = Op("CONV_2D" if kind == 1 else "DEPTHWISE_CONV_2D", list(tensors), ["y"],
            {**attrs, "stride": (stride, stride), "dilation": (dil, dil), "padding": padding, "activation": act})
    g, feeds = _graph(rng, tensors, op)
    run_c(lib, g, op, feeds)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 24), st.integers(1, 8), ACTS, st.booleans(), st.integers(0, 2**31))
def test_fully_connected_f32(lib, batches, depth, out, act, bias, seed):
    tensors = {"x": ((batches, depth), False), "w": ((out, depth), True)}
    if bias:
        tensors["b"] = ((out,), True)
    op = Op("FULLY_CONNECTED", list(tensors), ["y"], {"activation": act})
    g, feeds = _graph(np.random.default_rng(seed), tensors, op)
    run_c(lib, g, op, feeds)


@SETTINGS
@given(st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"]), st.integers(1, 7), st.integers(1, 7), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.sampled_from(["SAME", "VALID"]), ACTS,
       st.integers(0, 2**31))
def test_pools_f32(lib, kind, h, w, c, fh, fw, stride, padding, act, seed):
    if padding == "VALID" and (fh > h or fw > w):
        return
    tensors = {"x": ((1, h, w, c), False)}
    op = Op(kind, ["x"], ["y"], {"filter": (fh, fw), "stride": (stride, stride), "padding": padding,
                                "activation": act})
    g, feeds = _graph(np.random.default_rng(seed), tensors, op)
    run_c(lib, g, op, feeds)


shapes4 = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@SETTINGS
@given(st.sampled_from(["ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "PRELU", "FLOOR_DIV",
                        "FLOOR_MOD"]), shapes4, st.lists(st.booleans(), min_size=4, max_size=4),
       st.integers(0, 3), ACTS, st.integers(0, 2**31))
def test_binary_f32_broadcast(lib, kind, shape, ones, drop, act, seed):
    sb = [1 if o else d for d, o in zip(shape, ones)][drop if drop < len(shape) else 0:]
    tensors = {"a": (tuple(shape), False), "b": (tuple(sb) or (1,), seed % 2 == 0)}
    op = Op(kind, ["a", "b"], ["y"], {"activation": act} if kind in ("ADD", "SUB", "MUL", "DIV") else {})
    g, feeds = _graph(np.random.default_rng(seed), tensors, op)
    run_c(lib, g, op, feeds)


@SETTINGS
@given(st.sampled_from(["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"]), shapes4, st.data(), st.booleans(),
       st.integers(0, 2**31))
def test_reduce_f32(lib, kind, shape, data, keep, seed):
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    g = Graph()
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape).astype(np.float32)
    g.add_tensor(Tensor("x", tuple(shape), "float32"))
    g.add_tensor(Tensor("axes", (len(axes),), "int32", data=np.array(axes, np.int32)))
    op = Op(kind, ["x", "axes"], ["y"], {"keep_dims": keep})
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "float32"))
    run_c(lib, g, op, {"x": x})


@SETTINGS
@given(st.sampled_from(["SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "ABS", "RSQRT",
                        "L2_NORMALIZATION", "ELU", "NEG", "SQUARE", "FLOOR", "CEIL", "ROUND", "SQRT", "EXP",
                        "LOG_SOFTMAX", "LOG", "SIN", "COS"]),
       st.integers(1, 4), st.integers(1, 12),
       st.floats(0.1, 3.0), st.integers(0, 2**31))
def test_unary_f32(lib, kind, outer, depth, beta, seed):
    rng = np.random.default_rng(seed)
    op = Op(kind, ["x"], ["y"], {"beta": beta, "alpha": beta - 1.0})
    g = Graph()
    g.add_tensor(Tensor("x", (outer, depth), "float32"))
    g.add_tensor(Tensor("y", (outer, depth), "float32"))
    g.ops.append(op)
    x = (rng.uniform(-12, 12, (outer, depth)) * rng.choice([0.1, 1, 3], (outer, depth))).astype(np.float32)
    if kind in ("ROUND", "FLOOR", "CEIL"):  # exact halves and integers too
        x[:, ::2] = np.round(x[:, ::2] * 2) / 2
    run_c(lib, g, op, {"x": x})


def test_odl_expf_equals_its_twin(lib):
    from pytool.ops.f32_expf import expf

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-110, 95, 3000), rng.uniform(-1, 1, 1000)]).astype(np.float32)
    x = np.concatenate([x, np.float32([0.0, -0.0, np.inf, -np.inf, 88.72, 88.73, -103.97, -104.0])])
    got = np.array([lib[1].odl_expf(float(v)) for v in x], np.float32)
    assert got.tobytes() == expf(x).tobytes()


def test_odl_tanhf_expm1f_equal_glibc(lib):
    """odl_tanhf / odl_expm1f are glibc's tanhf / expm1f bit for bit (exhaustively
    checked once over every float; here random floats of every exponent and the
    edges of each branch), so the twins keep calling the host's C library."""
    import ctypes
    import ctypes.util

    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    rng = np.random.default_rng(9)
    bits = rng.integers(0, 2**32, 6000, dtype=np.uint64).astype(np.uint32)
    edges = np.float32([0.0, -0.0, 1e-30, 0.3465, 0.3466, 1.0397, 1.0398, 18.7, 22.0, -22.0, 88.72, 88.73,
                        -17.0, -18.8, np.inf, -np.inf])
    x = np.concatenate([bits.view(np.float32), edges, rng.uniform(-30, 30, 3000).astype(np.float32)])
    for name in ("tanhf", "expm1f"):
        fn = getattr(libm, name)
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        want = np.array([fn(float(v)) for v in x], np.float32)
        got = np.array([getattr(lib[1], "odl_" + name)(float(v)) for v in x], np.float32)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert got[~np.isnan(got)].tobytes() == want[~np.isnan(want)].tobytes(), name


def test_odl_sinf_cosf_equal_their_twin(lib):
    from pytool.ops.f32_sincosf import cosf, sinf

    rng = np.random.default_rng(5)
    bits = np.concatenate([rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32),  # every range
                           rng.integers(0x3F000000, 0x42F00000, 3000, dtype=np.uint32)]) | np.uint32(0)
    x = np.concatenate([bits.view(np.float32), np.float32([0.0, -0.0, 1e-30, 0.785, -0.786, 119.99, 120.0,
                                                            -3e38, np.inf])])
    for c_fn, twin in ((lib[1].odl_sinf, sinf), (lib[1].odl_cosf, cosf)):
        got = np.array([c_fn(float(v)) for v in x], np.float32)
        want = twin(x)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert got[~np.isnan(got)].tobytes() == want[~np.isnan(want)].tobytes()


@SETTINGS
@given(st.sampled_from(f32.COMPARISONS), shapes4, st.lists(st.booleans(), min_size=4, max_size=4),
       st.integers(0, 2**31))
def test_compare_f32_broadcast(lib, kind, shape, ones, seed):
    rng = np.random.default_rng(seed)
    sb = tuple(1 if o else d for d, o in zip(shape, ones))
    g = Graph()
    a = (rng.integers(-3, 4, shape) * 0.5).astype(np.float32)  # ties, so EQUAL is sometimes true
    g.add_tensor(Tensor("a", tuple(shape), "float32"))
    g.add_tensor(Tensor("b", sb, "float32", data=(rng.integers(-3, 4, sb) * 0.5).astype(np.float32)))
    op = Op(kind, ["a", "b"], ["y"], {})
    g.ops.append(op)
    g.add_tensor(Tensor("y", tuple(shape), "bool"))
    run_c(lib, g, op, {"a": a})


@SETTINGS
@given(st.sampled_from(["ARG_MAX", "ARG_MIN"]), shapes4, st.data(), st.sampled_from(["int32", "int64"]),
       st.integers(0, 2**31))
def test_arg_f32(lib, kind, shape, data, out_dtype, seed):
    axis = data.draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add_tensor(Tensor("x", tuple(shape), "float32"))
    g.add_tensor(Tensor("axis", (1,), "int32", data=np.array([axis], np.int32)))
    op = Op(kind, ["x", "axis"], ["y"], {})
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], out_dtype))
    run_c(lib, g, op, {"x": (rng.integers(-2, 3, shape) * 0.5).astype(np.float32)})


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 2), st.sampled_from(["SAME", "VALID"]), ACTS, st.booleans(), st.integers(0, 2**31))
def test_transpose_conv_f32(lib, h, w, ic, oc, k, stride, padding, act, bias, seed):
    oh, ow = (h * stride, w * stride) if padding == "SAME" else ((h - 1) * stride + k, (w - 1) * stride + k)
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add_tensor(Tensor("shape", (4,), "int32", data=np.array([1, oh, ow, oc], np.int32)))
    g.add_tensor(Tensor("w", (oc, k, k, ic), "float32", data=rng.uniform(-1, 1, (oc, k, k, ic)).astype(np.float32)))
    g.add_tensor(Tensor("x", (1, h, w, ic), "float32"))
    names = ["shape", "w", "x"]
    if bias:
        g.add_tensor(Tensor("b", (oc,), "float32", data=rng.uniform(-1, 1, oc).astype(np.float32)))
        names.append("b")
    op = Op("TRANSPOSE_CONV", names, ["y"], {"stride": (stride, stride), "padding": padding, "activation": act})
    g.ops.append(op)
    g.add_tensor(Tensor("y", (1, oh, ow, oc), "float32"))
    run_c(lib, g, op, {"x": rng.uniform(-2, 2, (1, h, w, ic)).astype(np.float32)})


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.booleans(), min_size=3, max_size=3),
       st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_batch_matmul_f32(lib, batch, ones, m, k, n, adj_x, adj_y, seed):
    rng = np.random.default_rng(seed)
    rb = [1 if o else d for d, o in zip(batch, ones)]
    a_shape = (*batch, k, m) if adj_x else (*batch, m, k)
    b_shape = (*rb, n, k) if adj_y else (*rb, k, n)
    g = Graph()
    g.add_tensor(Tensor("a", a_shape, "float32"))
    g.add_tensor(Tensor("b", b_shape, "float32", data=rng.uniform(-1, 1, b_shape).astype(np.float32)))
    op = Op("BATCH_MATMUL", ["a", "b"], ["y"], {"adj_x": adj_x, "adj_y": adj_y})
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get("BATCH_MATMUL").infer_shapes(g, op)[0], "float32"))
    run_c(lib, g, op, {"a": rng.uniform(-2, 2, a_shape).astype(np.float32)})
