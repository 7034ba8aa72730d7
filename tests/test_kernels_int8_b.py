"""int8 element-wise / activation / (de)quantization kernels (ADD, MUL,
SOFTMAX, LOGISTIC, QUANTIZE, DEQUANTIZE, RELU, RELU6).

Two checks per op: the C kernel equals the numpy reference (ref_int8) byte
for byte, and the numpy reference equals the real TFLite Micro interpreter
running a one-op .tflite built here with the same quantization."""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool import ops as opreg
from pytool.host.cbuild import ROOT, build
from pytool.ir import Graph, IRError, Op, QuantParams, Tensor
from pytool.reference import run_int8

KERNELS = ["add", "mul", "softmax", "logistic", "quantize", "dequantize", "relu", "relu6"]

CDEF = """
typedef int... odl_status_t;
typedef struct { int32_t n, h, w, c; } odl_dims4_t;
typedef struct { int32_t input1_offset, input2_offset, output_offset, left_shift, input1_multiplier,
  input1_shift, input2_multiplier, input2_shift, output_multiplier, output_shift, act_min, act_max; } odl_add_params_t;
typedef struct { int32_t input1_offset, input2_offset, output_offset, output_multiplier, output_shift,
  act_min, act_max; } odl_mul_params_t;
typedef struct { int32_t input_multiplier, input_left_shift, diff_min; } odl_softmax_params_t;
typedef struct { int32_t input_zero_point, input_range_radius, input_multiplier, input_left_shift; } odl_logistic_params_t;
typedef struct { int32_t input_zero_point, output_zero_point, output_multiplier, output_shift, act_min, act_max; } odl_relu_params_t;
odl_status_t odl_add_s8(const odl_add_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                        const int8_t *, const odl_dims4_t *, int8_t *);
odl_status_t odl_mul_s8(const odl_mul_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                        const int8_t *, const odl_dims4_t *, int8_t *);
odl_status_t odl_softmax_s8(const odl_softmax_params_t *, int32_t, int32_t, const int8_t *, int8_t *);
odl_status_t odl_logistic_s8(const odl_logistic_params_t *, int32_t, const int8_t *, int8_t *);
odl_status_t odl_quantize_f32_s8(float, int32_t, int32_t, const float *, int8_t *);
odl_status_t odl_requantize_s8(int32_t, int32_t, int32_t, int32_t, int32_t, const int8_t *, int8_t *);
odl_status_t odl_dequantize_s8_f32(float, int32_t, int32_t, const int8_t *, float *);
odl_status_t odl_relu_s8(const odl_relu_params_t *, int32_t, const int8_t *, int8_t *);
odl_status_t odl_relu6_s8(int32_t, int32_t, int32_t, const int8_t *, int8_t *);
"""

SLOW_OK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def c():
    src = [ROOT / "runtime_c/src/kernels/int8" / f"{k}.c" for k in KERNELS] + [ROOT / "runtime_c/src/core/status.c"]
    ffi, lib = build("kernels_int8_b", CDEF, '#include "odl/kernels_int8.h"\n', src)
    return ffi, lib


# --- one-op graphs ---------------------------------------------------------

def qtensor(name, shape, dtype, scale=None, zp=0, data=None) -> Tensor:
    q = QuantParams.per_tensor(scale, zp) if scale is not None else None
    return Tensor(name, tuple(shape), dtype, data=data, quant=q)


def one_op(op_type: str, ins: list[Tensor], out: Tensor, **attrs) -> tuple[Graph, Op]:
    g = Graph()
    for t in ins + [out]:
        g.add_tensor(t)
    op = Op(op_type, [t.name for t in ins], [out.name], attrs, name="k")
    g.ops.append(op)
    g.inputs = [t.name for t in ins if not t.is_const]
    g.outputs = [out.name]
    g.validate()
    return g, op


def ref(g: Graph, op: Op, xs: list[np.ndarray]):
    spec = opreg.get(op.type)
    low = spec.lower(g, op)
    return low, spec.ref_int8(g, op, low, xs)[0]


def dims4(shape) -> dict:
    v = [1] * (4 - len(shape)) + list(shape)
    return {"n": v[0], "h": v[1], "w": v[2], "c": v[3]}


def i8(ffi, a):
    a = np.ascontiguousarray(a, np.int8)
    return a, ffi.cast("int8_t *", a.ctypes.data)


# --- C kernels ------------------------------------------------------------

def c_binary(c, kind, low, a, b, out_shape):
    ffi, lib = c
    out = np.zeros(out_shape, np.int8)
    a, pa = i8(ffi, a)
    b, pb = i8(ffi, b)
    _, po = i8(ffi, out)
    p = ffi.new(f"odl_{kind}_params_t *", low.params)
    fn = lib.odl_add_s8 if kind == "add" else lib.odl_mul_s8
    st_ = fn(p, ffi.new("odl_dims4_t *", dims4(a.shape)), pa, ffi.new("odl_dims4_t *", dims4(b.shape)), pb,
             ffi.new("odl_dims4_t *", dims4(out_shape)), po)
    assert st_ == 0
    return out


def c_unary(c, op_type, low, x):
    ffi, lib = c
    p = low.params
    n = x.size
    if op_type == "DEQUANTIZE":
        out = np.zeros(x.shape, np.float32)
        xa, px = i8(ffi, x)
        scale = np.array([p[0]], np.int64).astype(np.int32).view(np.float32)[0]
        assert lib.odl_dequantize_s8_f32(float(scale), p[1], n, px, ffi.cast("float *", out.ctypes.data)) == 0
        return out
    out = np.zeros(x.shape, np.int8)
    _, po = i8(ffi, out)
    if op_type == "QUANTIZE" and p[0] == 0:
        xf = np.ascontiguousarray(x, np.float32)
        scale = np.array([p[1]], np.int64).astype(np.int32).view(np.float32)[0]
        st_ = lib.odl_quantize_f32_s8(float(scale), p[2], n, ffi.cast("float *", xf.ctypes.data), po)
    else:
        xa, px = i8(ffi, x)
        if op_type == "QUANTIZE":
            st_ = lib.odl_requantize_s8(p[1], p[2], p[3], p[4], n, px, po)
        elif op_type == "SOFTMAX":
            st_ = lib.odl_softmax_s8(ffi.new("odl_softmax_params_t *", p), n // x.shape[-1], x.shape[-1], px, po)
        elif op_type == "LOGISTIC":
            st_ = lib.odl_logistic_s8(ffi.new("odl_logistic_params_t *", p), n, px, po)
        elif op_type == "RELU":
            st_ = lib.odl_relu_s8(ffi.new("odl_relu_params_t *", p), n, px, po)
        else:
            st_ = lib.odl_relu6_s8(p[0], p[1], n, px, po)
    assert st_ == 0
    return out


# --- TFLite Micro oracle ----------------------------------------------------

ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def tflite_one_op(g: Graph, op: Op) -> bytes:
    """A one-op .tflite (schema object API) with the graph's quantization."""
    from ai_edge_litert import schema_py_generated as s

    ttype = {"int8": s.TensorType.INT8, "float32": s.TensorType.FLOAT32}
    m = s.ModelT()
    m.version = 3
    m.buffers = [s.BufferT()]
    sg = s.SubGraphT()
    sg.tensors = []
    names = op.inputs + op.outputs
    for name in names:
        t = g.tensors[name]
        tt = s.TensorT()
        tt.name, tt.shape, tt.type = name, list(t.shape), ttype[t.dtype]
        if t.quant is not None:
            tt.quantization = s.QuantizationParametersT()
            tt.quantization.scale = [float(t.quant.scale[0])]
            tt.quantization.zeroPoint = [int(t.quant.zero_point[0])]
        buf = s.BufferT()
        if t.is_const:
            buf.data = np.frombuffer(t.data.tobytes(), np.uint8)
        m.buffers.append(buf)
        tt.buffer = len(m.buffers) - 1
        sg.tensors.append(tt)
    code = getattr(s.BuiltinOperator, op.type)
    oc = s.OperatorCodeT()
    oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
    m.operatorCodes = [oc]
    o = s.OperatorT()
    o.opcodeIndex = 0
    o.inputs = list(range(len(op.inputs)))
    o.outputs = [len(op.inputs)]
    if op.type in ("ADD", "MUL"):
        opts = s.AddOptionsT() if op.type == "ADD" else s.MulOptionsT()
        opts.fusedActivationFunction = ACT[op.attrs.get("activation", "NONE")]
        o.builtinOptionsType = getattr(s.BuiltinOptions, f"{op.type.title()}Options")
        o.builtinOptions = opts
    elif op.type == "SOFTMAX":
        opts = s.SoftmaxOptionsT()
        opts.beta = float(op.attrs.get("beta", 1.0))
        o.builtinOptionsType, o.builtinOptions = s.BuiltinOptions.SoftmaxOptions, opts
    sg.operators = [o]
    sg.inputs = [i for i, n in enumerate(op.inputs) if not g.tensors[n].is_const]
    sg.outputs = [len(op.inputs)]
    m.subgraphs = [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def tflm(g: Graph, op: Op, feeds: list[np.ndarray]) -> np.ndarray:
    from tflite_micro import runtime

    model = tflite_one_op(g, op)
    ip = runtime.Interpreter.from_bytes(model, arena_size=16384 + 16 * len(model))
    for i, x in enumerate(feeds):
        ip.set_input(x, i)
    ip.invoke()
    return np.array(ip.get_output(0))


def assert_bytes_equal(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype, f"{what}: {got.shape}/{got.dtype} vs {want.shape}/{want.dtype}"
    bad = np.flatnonzero(got.reshape(-1).view(np.uint8) != want.reshape(-1).view(np.uint8))
    assert bad.size == 0, f"{what}: {bad.size} bytes differ, first at {bad[:5]}: {got.reshape(-1)[bad[:5]]} vs {want.reshape(-1)[bad[:5]]}"


# --- strategies -------------------------------------------------------------

scales = st.floats(-3.0, 0.0).map(lambda e: float(np.float32(10.0**e)))
zero_points = st.integers(-128, 127)
activations = st.sampled_from(list(ACT))


@st.composite
def broadcast_pair(draw):
    """(a shape, b shape): equal, scalar, per-channel vector, random unit dims, lower rank."""
    rank = draw(st.integers(1, 4))
    out = [draw(st.integers(1, 5)) for _ in range(rank)]
    kind = draw(st.sampled_from(["equal", "scalar", "channel", "mask", "suffix"]))
    if kind == "equal":
        b = list(out)
    elif kind == "scalar":
        b = [1]
    elif kind == "channel":
        b = [out[-1]]
    elif kind == "mask":
        b = [d if draw(st.booleans()) else 1 for d in out]
    else:
        b = out[draw(st.integers(0, rank - 1)):]
    a = list(out)
    if draw(st.booleans()):
        a, b = b, a
    return tuple(a), tuple(b)


def binary_graph(op_type, sa, sb, qa, qb, qy, act, const_b=None):
    a = qtensor("a", sa, "int8", *qa)
    b = qtensor("b", sb, "int8", *qb, data=const_b)
    out_shape = tuple(np.broadcast_shapes(sa, sb))
    return one_op(op_type, [a, b], qtensor("y", out_shape, "int8", *qy), activation=act)


def rand_i8(rng, shape):
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


# --- ADD / MUL --------------------------------------------------------------

@pytest.mark.parametrize("op_type", ["ADD", "MUL"])
@SLOW_OK
@given(shapes=broadcast_pair(), qa=st.tuples(scales, zero_points), qb=st.tuples(scales, zero_points),
       qy=st.tuples(scales, zero_points), act=activations, seed=st.integers(0, 2**31))
def test_binary_c_matches_ref_and_tflm(c, op_type, shapes, qa, qb, qy, act, seed):
    sa, sb = shapes
    if op_type == "ADD":  # TFLite needs 2 max(s_a, s_b) < 2^20 s_y
        qy = (max(qy[0], 2.0 * max(qa[0], qb[0]) / 2**19), qy[1])
    g, op = binary_graph(op_type, sa, sb, qa, qb, qy, act)
    rng = np.random.default_rng(seed)
    a, b = rand_i8(rng, sa), rand_i8(rng, sb)
    low, want = ref(g, op, [a, b])
    assert_bytes_equal(c_binary(c, op_type.lower(), low, a, b, want.shape), want, f"C {op_type}")
    assert_bytes_equal(want, tflm(g, op, [a, b]), f"ref {op_type} vs tflite-micro")


@pytest.mark.parametrize("op_type", ["ADD", "MUL"])
def test_binary_const_operand_and_saturation(c, op_type):
    """A const per-channel operand, extreme values and a tight activation."""
    rng = np.random.default_rng(1)
    const = np.array([-128, 127, 0, 5], np.int8)
    g, op = binary_graph(op_type, (2, 3, 3, 4), (4,), (0.9, -128), (1.0, 0), (0.002, 3), "RELU6", const_b=const)
    a = rand_i8(rng, (2, 3, 3, 4))
    a.reshape(-1)[:4] = [-128, 127, -128, 127]
    low, want = ref(g, op, [a, const])
    assert set(np.unique(want)) >= {3, 127}, "expected both clamps to be hit"
    assert_bytes_equal(c_binary(c, op_type.lower(), low, a, const, want.shape), want, f"C {op_type}")
    assert_bytes_equal(want, tflm(g, op, [a]), f"ref {op_type} vs tflite-micro")


def test_add_rejects_output_scale_too_small():
    g, op = binary_graph("ADD", (4,), (4,), (1.0, 0), (1.0, 0), (1e-7, 0), "NONE")
    with pytest.raises(IRError, match="output multiplier"):
        opreg.get("ADD").lower(g, op)


def test_binary_c_rejects_bad_broadcast(c):
    g, op = binary_graph("ADD", (2, 3), (2, 3), (0.1, 0), (0.1, 0), (0.1, 0), "NONE")
    low, _ = ref(g, op, [np.zeros((2, 3), np.int8)] * 2)
    ffi, lib = c
    a = np.zeros(6, np.int8)
    p = ffi.new("odl_add_params_t *", low.params)
    d23, d32 = ffi.new("odl_dims4_t *", dims4((2, 3))), ffi.new("odl_dims4_t *", dims4((3, 2)))
    pa = ffi.cast("int8_t *", a.ctypes.data)
    assert lib.odl_add_s8(p, d23, pa, d32, pa, d23, pa) == 2  # ODL_ERR_SHAPE
    assert lib.odl_add_s8(ffi.NULL, d23, pa, d23, pa, d23, pa) == 1  # ODL_ERR_ARG


# --- SOFTMAX ----------------------------------------------------------------

def softmax_graph(shape, qx, beta):
    return one_op("SOFTMAX", [qtensor("x", shape, "int8", *qx)], qtensor("y", shape, "int8", 1.0 / 256, -128),
                  beta=beta)


@SLOW_OK
@given(rank=st.integers(1, 4), dims=st.lists(st.integers(1, 6), min_size=4, max_size=4), qx=st.tuples(scales, zero_points),
       beta=st.floats(0.1, 4.0).map(lambda v: float(np.float32(v))), seed=st.integers(0, 2**31),
       spread=st.sampled_from([2, 20, 256]))
def test_softmax_c_matches_ref_and_tflm(c, rank, dims, qx, beta, seed, spread):
    shape = tuple(dims[:rank])
    g, op = softmax_graph(shape, qx, beta)
    rng = np.random.default_rng(seed)
    base = int(rng.integers(-128, 128 - spread + 1)) if spread < 256 else -128
    x = (base + rng.integers(0, spread, size=shape)).astype(np.int8)
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, "SOFTMAX", low, x), want, "C SOFTMAX")
    assert_bytes_equal(want, tflm(g, op, [x]), "ref SOFTMAX vs tflite-micro")


@pytest.mark.parametrize("case", ["all_equal", "extreme", "one_hot", "long_row"])
def test_softmax_edge_cases(c, case):
    if case == "all_equal":
        x, qx, beta = np.full((3, 10), 17, np.int8), (0.05, 0), 1.0
    elif case == "extreme":  # huge logit gaps: everything but the max underflows
        x, qx, beta = np.array([[-128, 127, -128, 100]], np.int8), (1.0, 0), 4.0
    elif case == "one_hot":
        x, qx, beta = np.array([[0, 0, 0, 100]], np.int8), (0.1, 0), 1.0
    else:
        x, qx, beta = np.random.default_rng(3).integers(-128, 128, (2, 1000)).astype(np.int8), (0.02, 5), 1.0
    g, op = softmax_graph(x.shape, qx, beta)
    low, want = ref(g, op, [x])
    if case == "all_equal":
        assert np.all(want == want.flat[0]) and abs((int(want.flat[0]) + 128) - 256 / 10) <= 1
    if case == "extreme":
        assert want[0, 1] == 127 and want[0, 0] == -128
    assert_bytes_equal(c_unary(c, "SOFTMAX", low, x), want, f"C SOFTMAX {case}")
    assert_bytes_equal(want, tflm(g, op, [x]), f"ref SOFTMAX {case} vs tflite-micro")


def test_softmax_requires_output_quantization():
    g, op = one_op("SOFTMAX", [qtensor("x", (4,), "int8", 0.1, 0)], qtensor("y", (4,), "int8", 0.1, 0), beta=1.0)
    with pytest.raises(IRError, match="1/256"):
        opreg.get("SOFTMAX").lower(g, op)


def test_softmax_ref_is_close_to_float():
    x = np.random.default_rng(0).integers(-128, 128, (4, 16)).astype(np.int8)
    g, op = softmax_graph(x.shape, (0.05, -3), 1.0)
    _, q = ref(g, op, [x])
    real = opreg.get("SOFTMAX").ref_float(g, op, [0.05 * (x.astype(np.float32) + 3)])[0]
    assert np.max(np.abs((q.astype(np.float32) + 128) / 256 - real)) <= 1.5 / 256


# --- LOGISTIC ----------------------------------------------------------------

@SLOW_OK
@given(qx=st.tuples(st.floats(-3.0, 0.5).map(lambda e: float(np.float32(10.0**e))), zero_points))
def test_logistic_every_input_matches_ref_and_tflm(c, qx):
    x = np.arange(-128, 128, dtype=np.int8).reshape(2, 128)
    g, op = one_op("LOGISTIC", [qtensor("x", x.shape, "int8", *qx)], qtensor("y", x.shape, "int8", 1.0 / 256, -128))
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, "LOGISTIC", low, x), want, "C LOGISTIC")
    assert_bytes_equal(want, tflm(g, op, [x]), "ref LOGISTIC vs tflite-micro")
    real = opreg.get("LOGISTIC").ref_float(g, op, [qx[0] * (x.astype(np.float32) - qx[1])])[0]
    assert np.max(np.abs((want.astype(np.float32) + 128) / 256 - real)) <= 1.01 / 256


# --- QUANTIZE / DEQUANTIZE ---------------------------------------------------

@SLOW_OK
@given(qy=st.tuples(scales, zero_points), seed=st.integers(0, 2**31), n=st.integers(1, 64))
def test_quantize_float_matches_ref_and_tflm(c, qy, seed, n):
    rng = np.random.default_rng(seed)
    span = 200 * qy[0]
    x = rng.uniform(-span, span, (1, n)).astype(np.float32)
    x[0, : n // 4] = (np.round(x[0, : n // 4] / qy[0]) + 0.5) * np.float32(qy[0])  # near .5 ties
    g, op = one_op("QUANTIZE", [qtensor("x", x.shape, "float32")], qtensor("y", x.shape, "int8", *qy))
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, "QUANTIZE", low, x), want, "C QUANTIZE f32")
    assert_bytes_equal(want, tflm(g, op, [x]), "ref QUANTIZE f32 vs tflite-micro")


def test_quantize_exact_ties_round_away_from_zero(c):
    x = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1e9, -1e9, np.inf, -np.inf, np.nan]], np.float32)
    g, op = one_op("QUANTIZE", [qtensor("x", x.shape, "float32")], qtensor("y", x.shape, "int8", 1.0, 0))
    low, want = ref(g, op, [x])
    assert want.tolist() == [[-3, -2, -1, 1, 2, 3, 127, -128, 127, -128, 0]]
    assert_bytes_equal(c_unary(c, "QUANTIZE", low, x), want, "C QUANTIZE ties")
    assert_bytes_equal(want[:, :6], tflm(g, op, [x])[:, :6], "ref QUANTIZE ties vs tflite-micro")


@SLOW_OK
@given(qx=st.tuples(scales, zero_points), qy=st.tuples(scales, zero_points))
def test_requantize_matches_ref_and_tflm(c, qx, qy):
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    g, op = one_op("QUANTIZE", [qtensor("x", x.shape, "int8", *qx)], qtensor("y", x.shape, "int8", *qy))
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, "QUANTIZE", low, x), want, "C QUANTIZE s8")
    assert_bytes_equal(want, tflm(g, op, [x]), "ref QUANTIZE s8 vs tflite-micro")


@SLOW_OK
@given(qx=st.tuples(st.floats(-8.0, 2.0).map(lambda e: float(np.float32(10.0**e))), zero_points))
def test_dequantize_matches_ref_and_tflm(c, qx):
    x = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    g, op = one_op("DEQUANTIZE", [qtensor("x", x.shape, "int8", *qx)], qtensor("y", x.shape, "float32"))
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, "DEQUANTIZE", low, x), want, "C DEQUANTIZE")
    assert_bytes_equal(want, tflm(g, op, [x]), "ref DEQUANTIZE vs tflite-micro")


# --- RELU / RELU6 ------------------------------------------------------------

@pytest.mark.parametrize("op_type", ["RELU", "RELU6"])
@SLOW_OK
@given(qx=st.tuples(scales, zero_points), qy=st.tuples(scales, zero_points))
def test_relu_matches_ref_and_tflm(c, op_type, qx, qy):
    x = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)
    if op_type == "RELU6":  # TFLite Micro clamps in the input's quantization
        qy = qx
    g, op = one_op(op_type, [qtensor("x", x.shape, "int8", *qx)], qtensor("y", x.shape, "int8", *qy))
    low, want = ref(g, op, [x])
    assert_bytes_equal(c_unary(c, op_type, low, x), want, f"C {op_type}")
    assert_bytes_equal(want, tflm(g, op, [x]), f"ref {op_type} vs tflite-micro")


# --- through the runtime: decoders, tensor table, params block ---------------

def quantize_dequantize_graph() -> tuple[Graph, Op]:
    """float -> QUANTIZE -> DEQUANTIZE (a lone DEQUANTIZE is a float graph)."""
    g, _ = one_op("QUANTIZE", [qtensor("x", (2, 3, 4), "float32")], qtensor("q", (2, 3, 4), "int8", 0.03, 9))
    g.add_tensor(qtensor("y", (2, 3, 4), "float32"))
    op = Op("DEQUANTIZE", ["q"], ["y"], {}, name="d")
    g.ops.append(op)
    g.outputs = ["y"]
    g.validate()
    return g, op


def e2e_cases():
    rng = np.random.default_rng(5)
    cvec = np.array([1, -5, 100, -128], np.int8)
    x234 = qtensor("x", (2, 3, 4), "int8", 0.1, 3)
    y = lambda s, z: qtensor("y", (2, 3, 4), "int8", s, z)  # noqa: E731
    return {
        "ADD": one_op("ADD", [x234, qtensor("b", (4,), "int8", 0.05, -2, data=cvec)], y(0.12, -1), activation="RELU"),
        "MUL": one_op("MUL", [x234, qtensor("b", (1, 3, 1), "int8", 0.02, 7)], y(0.01, 4), activation="NONE"),
        "SOFTMAX": softmax_graph((2, 3, 4), (0.1, 3), 1.5),
        "LOGISTIC": one_op("LOGISTIC", [x234], y(1.0 / 256, -128)),
        "QUANTIZE": one_op("QUANTIZE", [qtensor("x", (2, 3, 4), "float32")], y(0.03, 9)),
        "REQUANTIZE": one_op("QUANTIZE", [x234], y(0.07, -20)),
        "DEQUANTIZE": quantize_dequantize_graph(),
        "RELU": one_op("RELU", [x234], y(0.05, -100)),
        "RELU6": one_op("RELU6", [x234], y(0.1, 3)),
    }, rng


@pytest.mark.parametrize("case", ["ADD", "MUL", "SOFTMAX", "LOGISTIC", "QUANTIZE", "REQUANTIZE", "DEQUANTIZE", "RELU", "RELU6"])
def test_runtime_decoder_matches_ref(case, tmp_path):
    from pytool import compile_model, load_host

    cases, rng = e2e_cases()
    g, op = cases[case]
    feeds = []
    for n in g.inputs:
        t = g.tensors[n]
        feeds.append(rng.uniform(-8, 8, t.shape).astype(np.float32) if t.dtype == "float32" else rand_i8(rng, t.shape))
    net = load_host(compile_model(g, out_dir=tmp_path / case))
    got = net.invoke(*feeds)
    want = run_int8(g, feeds)[0]
    assert_bytes_equal(np.asarray(got), want, f"runtime {case}")
