"""The last TFLite Micro ops: DYNAMIC_UPDATE_SLICE (int8, int16, int32,
float32 with computed int32 / int64 start indices, clamped as TFLite Micro
clamps them), on schema-built models: the generated C gives TFLite Micro's
bytes and the numpy twin the C's; mps2-an386 gives the host's bytes."""

from __future__ import annotations

import numpy as np
import pytest
from f32_models import Builder

from pytool import compile_model, load_host
from pytool.reference import run_int8

ADD, DEQUANTIZE, DYNAMIC_UPDATE_SLICE = 0, 6, 151
QUANT = {"int8": (0.05, -3), "int16": (0.002, 0)}


def _t(b: Builder, shape, dtype: str) -> int:
    scale, zp = QUANT.get(dtype, (None, 0))
    return b.t(shape, dtype, scale, zp)


def dus_model(dtype: str, index_dtype: str = "int32") -> bytes:
    """operand [3, 4, 5] and update [2, 2, 3] inputs; the start indices an
    input (int64) or computed (int32: input + [1, -1, 2]); a second update of
    the operand's own size through constant indices."""
    b = Builder(5)
    x, u, s = _t(b, (3, 4, 5), dtype), _t(b, (2, 2, 3), dtype), b.t((3,), index_dtype)
    x_in = x
    if dtype == "float32":  # an int8 model with a float32 island: the operand is dequantized
        x_in = _t(b, (3, 4, 5), "int8")
        b.op(DEQUANTIZE, [x_in], [x])
    if index_dtype == "int32":
        start = b.t((3,), "int32")
        b.op(ADD, [s, b.t((3,), "int32", data=np.array([1, -1, 2], np.int32))], [start])
    else:
        start = s
    y, full = _t(b, (3, 4, 5), dtype), _t(b, (3, 4, 5), dtype)
    b.op(DYNAMIC_UPDATE_SLICE, [x, u, start], [y])
    b.op(DYNAMIC_UPDATE_SLICE, [y, x, b.t((3,), "int32", data=np.array([7, -9, 2], np.int32))], [full])
    y2 = _t(b, (3, 4, 5), dtype)
    b.op(DYNAMIC_UPDATE_SLICE, [x, u, b.t((3,), "int32", data=np.array([1, 9, -4], np.int32))], [y2])
    return b.build([x_in, u, s], [y, full, y2])


def _values(rng, shape, dtype: str) -> np.ndarray:
    if dtype == "float32":
        return rng.uniform(-4, 4, shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def _compare(path, tmp_path, inputs: list[list[np.ndarray]]) -> list:
    from tflite_micro import runtime

    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    outs = []
    for k, xs in enumerate(inputs):
        for i, x in enumerate(xs):
            ip.set_input(x, i)
        ip.invoke()
        got = net.invoke(*xs)
        got = list(got) if isinstance(got, tuple | list) else [got]
        for i, (c, r) in enumerate(zip(got, run_int8(art.graph, list(xs)))):
            w = np.array(ip.get_output(i))
            assert c.dtype == w.dtype and c.tobytes() == w.tobytes(), f"invoke {k} output {i}: TFLite Micro"
            assert r.tobytes() == c.tobytes(), f"invoke {k} output {i}: numpy twin"
        outs.append(got)
    return outs


def _dus_inputs(dtype: str, index_dtype: str, n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[_values(rng, (3, 4, 5), "int8" if dtype == "float32" else dtype), _values(rng, (2, 2, 3), dtype),
             rng.integers(-3, 7, 3).astype(index_dtype)] for _ in range(n)]


@pytest.mark.parametrize("dtype,index_dtype", [("int8", "int32"), ("int16", "int64"), ("int32", "int32"),
                                               ("float32", "int64")])
def test_dynamic_update_slice_matches_tflite_micro(dtype, index_dtype, tmp_path):
    path = tmp_path / "dus.tflite"
    path.write_bytes(dus_model(dtype, index_dtype))
    xs = _dus_inputs(dtype, index_dtype, 6, len(dtype))
    xs[0][2] = np.array([-(2**31) + 5 if index_dtype == "int32" else -(2**40), 2, 9], index_dtype)  # clamped
    outs = _compare(path, tmp_path, xs)
    # the update landed somewhere: not every output equals the operand
    assert any(o[0].tobytes() != o[1].tobytes() for o in outs)
    if dtype != "float32":  # the full-size update copies the operand
        assert all(o[1].tobytes() == x[0].tobytes() for o, x in zip(outs, xs))
