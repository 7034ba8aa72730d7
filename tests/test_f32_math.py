"""FLOOR_DIV / FLOOR_MOD beyond the float island of tests/test_float_ops.py
(math_model): int32 (TFLite Micro refuses int32; full TFLite, LiteRT, is the
reference there) and float FLOOR_DIV's zero divisor, which fails the op as in
TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_build import T, single_op

from pytool import compile_model, load_host
from pytool.host import OdlError
from pytool.reference import run_int8

FLOOR_DIV, FLOOR_MOD, FILL = 90, 95, 94


@pytest.mark.parametrize("code", [FLOOR_DIV, FLOOR_MOD])
def test_int32_floor_div_mod_match_litert(code, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    divisor = np.array([3, -3, 7, -1, 2, -5, 1000, -65536], np.int32)
    path = tmp_path / "m.tflite"
    path.write_bytes(single_op(code, [T((3, 8), "int32"), T((8,), "int32", data=divisor), T((3, 8), "int32")],
                               [0, 1], [2], model_inputs=[0]))
    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = Interpreter(model_content=path.read_bytes())
    ip.allocate_tensors()
    rng = np.random.default_rng(code)
    x = rng.integers(-2**31 + 1, 2**31, (3, 8)).astype(np.int32)
    x[0] = [-7, 7, -8, 5, -9, 9, -1000, 65535]  # exact multiples and sign changes
    ip.set_tensor(ip.get_input_details()[0]["index"], x)
    ip.invoke()
    want = ip.get_tensor(ip.get_output_details()[0]["index"])
    got = net.invoke(x)
    assert got.dtype == np.int32 and got.tobytes() == want.tobytes()
    np.testing.assert_array_equal(run_int8(art.graph, [x])[0], got)


def test_float_floor_div_by_zero_fails_as_tflite_micro(tmp_path):
    from tflite_micro import runtime

    path = tmp_path / "m.tflite"
    tensors = [T((1, 4), "int8", 0.1, 0), T((1, 4), "float32"),
               T((4,), "float32", data=np.array([1, 0, 2, 3], np.float32)), T((1, 4), "float32")]
    path.write_bytes(_two_ops(tensors))
    net = load_host(compile_model(path, out_dir=tmp_path / "build"))
    x = np.array([[5, -3, 2, 1]], np.int8)
    ip = runtime.Interpreter.from_file(str(path))
    ip.set_input(x, 0)
    with pytest.raises(RuntimeError):
        ip.invoke()
    with pytest.raises(OdlError):
        net.invoke(x)


def _two_ops(tensors: list[T]) -> bytes:
    """DEQUANTIZE -> FLOOR_DIV(constant divisor): a float island in an int8 model."""
    import f32_models

    b = f32_models.Builder(0)
    b.tensors = list(tensors)
    b.op(f32_models.DEQ, [0], [1])
    b.op(FLOOR_DIV, [1, 2], [3])
    return b.build([0], [3])


def test_fill_with_a_runtime_value_matches_tflite_micro(tmp_path):
    """FILL whose value is computed (constant inputs fold at read time):
    float32 after a DEQUANTIZE and int8 straight from the input."""
    import f32_models
    from test_tflm_ops import check_model

    b = f32_models.Builder(0)
    x = b.t((1,), "int8", 0.1, 2)
    xf, sf, sq = b.t((1,)), b.t(()), b.t((), "int8", 0.1, 2)  # TFLite Micro's FILL takes a rank-0 value
    yf, yq = b.t((2, 3, 4)), b.t((3, 5), "int8", 0.1, 2)
    scalar = b.t((0,), "int32", data=np.zeros(0, np.int32))
    b.op(f32_models.DEQ, [x], [xf])
    b.op(f32_models.RESHAPE, [xf, scalar], [sf])
    b.op(f32_models.RESHAPE, [x, scalar], [sq])
    b.op(FILL, [b.t((3,), "int32", data=np.array([2, 3, 4], np.int32)), sf], [yf])
    b.op(FILL, [b.t((2,), "int64", data=np.array([3, 5], np.int64)), sq], [yq])
    path = tmp_path / "fill.tflite"
    path.write_bytes(b.build([x], [yf, yq]))
    check_model(path, tmp_path / "build", n=3, seed=4)


def test_logf_twin_matches_the_c_library():
    """odl_logf's twin gives glibc's logf bits (the host's TFLite Micro calls
    glibc); checked exhaustively once over every positive float, here on a
    sample spanning subnormals to the largest float, plus the special values."""
    import ctypes
    import ctypes.util

    from pytool.ops.f32_logf import logf

    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    lib.logf.restype, lib.logf.argtypes = ctypes.c_float, [ctypes.c_float]
    rng = np.random.default_rng(3)
    bits = np.concatenate([rng.integers(0, 0x7F800000, 20000, dtype=np.uint32),
                           np.array([0, 0x80000000, 0x3F800000, 0x7F800000, 0xFF800000, 0xBF800000, 1, 0x7FC00000],
                                    np.uint32)])
    x = bits.view(np.float32)
    want = np.array([lib.logf(float(v)) for v in x], np.float32)
    got = logf(x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert got[ok].tobytes() == want[ok].tobytes()


def test_constant_floor_mod_folds_to_tflite_micro_bits(tmp_path):
    """Constant FLOOR_MOD folds at read time through the kernel's twin: fmod's
    -0.0 stays (numpy's mod would give +0.0), visible after a MUL."""
    import f32_models
    from test_tflm_ops import check_model

    b = f32_models.Builder(0)
    x = b.t((1, 4), "int8", 0.1, 0)
    xf, c, y = b.t((1, 4)), b.t((1, 4)), b.t((1, 4))
    a = b.t((1, 4), data=np.array([[-4, 5, -5, 6]], np.float32))
    d = b.t((4,), data=np.array([2, -3, 3, 2], np.float32))
    b.op(f32_models.DEQ, [x], [xf])
    b.op(FLOOR_MOD, [a, d], [c])
    b.op(f32_models.MUL, [xf, c], [y], *f32_models._opts("MulOptions"))
    path = tmp_path / "fold.tflite"
    path.write_bytes(b.build([x], [y]))
    check_model(path, tmp_path / "build", n=3, seed=2)


# Where glibc's x86-64 FMA variant (fused x - n pi/2) rounds differently, from an
# exhaustive comparison over every float: 6 sinf and 11 cosf magnitudes, both signs.
SIN_FMA = (0x4255B0A9, 0x42A35C07, 0x42A35D44, 0x42A97360, 0x42CF5854, 0x42E87A55)
COS_FMA = (0x418A3ADB, 0x418A3ADC, 0x418A3ADD, 0x418A3ADE, 0x41BC76D9, 0x4202EB4B, 0x42687A55, 0x4280CE28,
           0x42870E40, 0x42C55FAA, 0x42D8D23E)


@pytest.mark.parametrize("name", ["sinf", "cosf"])
def test_sincosf_twin_matches_the_c_library(name):
    """odl_sinf / odl_cosf's twin gives glibc's bits (the host's TFLite Micro
    calls glibc) on a dense sample of the fast-reduction range, random floats of
    every exponent (the large reduction) and the special values; the known FMA
    inputs (listed) are the only ones that differ, by the fused rounding."""
    import ctypes
    import ctypes.util

    from pytool.ops import f32_sincosf

    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    c_fn = getattr(lib, name)
    c_fn.restype, c_fn.argtypes = ctypes.c_float, [ctypes.c_float]
    rng = np.random.default_rng(4)
    known = np.array(SIN_FMA if name == "sinf" else COS_FMA, np.uint32)
    bits = np.concatenate([np.arange(0x3F400000, 0x42F00000, 4099, dtype=np.uint32),
                           rng.integers(0, 0x7F800000, 8000, dtype=np.uint32),
                           np.array([0, 1, 0x39800000, 0x3F490FDA, 0x3F490FDB, 0x42F00000, 0x7F7FFFFF, 0x7F800000,
                                     0x7FC00000], np.uint32)])
    bits = np.concatenate([bits, bits | np.uint32(0x80000000)])
    bits = bits[~np.isin(bits & np.uint32(0x7FFFFFFF), known)]
    x = bits.view(np.float32)
    want = np.array([c_fn(float(v)) for v in x], np.float32)
    got = getattr(f32_sincosf, name)(x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert got[ok].tobytes() == want[ok].tobytes()
    k = np.concatenate([known, known | np.uint32(0x80000000)]).view(np.float32)
    differ = getattr(f32_sincosf, name)(k).view(np.uint32) != np.array([c_fn(float(v)) for v in k], np.float32).view(
        np.uint32)
    assert differ.all()
