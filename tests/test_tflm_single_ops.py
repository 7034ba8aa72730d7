"""Single-op models the converter does not emit (built with tests/tflite_build.py),
byte-compared with TFLite Micro: int16 <-> int32 QUANTIZE (as in TFLite Micro's
SEANet integration tests), int16 DEQUANTIZE, CAST, SQUEEZE, EXPAND_DIMS, int8 NOT_EQUAL,
ADD_N, ELU, CUMSUM, LOGICAL_NOT, int32 LESS_EQUAL,
int32 ADD / SUB / MUL / MAXIMUM / MINIMUM / SQUARED_DIFFERENCE and uint8 <-> int8 QUANTIZE / uint8 DEQUANTIZE."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from test_tflm_ops import check_model
from tflite_build import T, single_op

OPT_SQUEEZE, OPT_SVDF, OPT_CUMSUM = 30, 6, 102


def _squeeze_opts():
    from ai_edge_litert import schema_py_generated as s

    o = s.SqueezeOptionsT()
    o.squeezeDims = [1]
    return o


def _cumsum(exclusive: bool, reverse: bool):
    from ai_edge_litert import schema_py_generated as s

    o = s.CumsumOptionsT()
    o.exclusive, o.reverse = exclusive, reverse
    t = [T((2, 5, 3), "int8", 0.02, -4), T((), "int32", data=np.array(1, np.int32)), T((2, 5, 3), "int8", 0.07, 6)]
    return single_op(128, t, [0, 1], [2], model_inputs=[0], options=o, options_type=OPT_CUMSUM)


def _int32_binary(code: int):
    return single_op(code, [T((2, 1, 3), "int32"), T((4, 3), "int32"), T((2, 4, 3), "int32")], [0, 1], [2])


def _svdf(rank: int, bias: bool):
    from ai_edge_litert import schema_py_generated as s

    rng = np.random.default_rng(rank)
    nb, ni, nf, nm = 1, 10, 8, 5
    o = s.SVDFOptionsT()
    o.rank = rank
    t = [T((nb, ni), "int8", 0.02, -3),
         T((nf, ni), "int8", 0.011, 0, rng.integers(-127, 128, (nf, ni), dtype=np.int8)),
         T((nf, nm), "int16", 0.00021, 0, rng.integers(-32767, 32768, (nf, nm), dtype=np.int16)),
         T((nf // rank,), "int32", 0.0009 * 0.00021, 0, rng.integers(-3000, 3000, (nf // rank,), dtype=np.int32)),
         T((nb, nf * nm), "int16", 0.0009, 0, variable=True),
         T((nb, nf // rank), "int8", 0.04, 5)]
    ins = [0, 1, 2, 3 if bias else -1, 4]
    return single_op(27, t, ins, [5], model_inputs=[0], options=o, options_type=OPT_SVDF)


CASES = {
    "abs_int16_rescaled": lambda: single_op(101, [T((2, 9), "int16", 0.003, 0), T((2, 9), "int16", 0.0021, 0)],
                                            [0], [1]),
    "svdf_rank1": lambda: _svdf(1, True),
    "svdf_rank2": lambda: _svdf(2, True),  # TFLite Micro's int8 Prepare needs the bias
    "quantize_int16_to_int32": lambda: single_op(
        114, [T((1, 6, 5), "int16", 0.0021, 0), T((1, 6, 5), "int32", 0.00037, 3)], [0], [1]),
    "quantize_int32_to_int16": lambda: single_op(
        114, [T((1, 40), "int32", 0.000013, -7), T((1, 40), "int16", 0.0019, 0)], [0], [1]),
    "quantize_int8_to_int32": lambda: single_op(
        114, [T((2, 9), "int8", 0.05, 4), T((2, 9), "int32", 0.0031, -2)], [0], [1]),
    "dequantize_int16": lambda: single_op(
        6, [T((1, 3, 7), "int16", 0.00042, 0), T((1, 3, 7), "float32")], [0], [1]),
    "cast_int8_to_int32": lambda: single_op(53, [T((3, 4), "int8"), T((3, 4), "int32")], [0], [1]),
    "cast_int32_to_int8": lambda: single_op(53, [T((3, 4), "int32"), T((3, 4), "int8")], [0], [1]),
    "cast_int16_to_float": lambda: single_op(53, [T((5,), "int16"), T((5,), "float32")], [0], [1]),
    "squeeze_int16": lambda: single_op(
        43, [T((2, 1, 3), "int16", 0.01, 0), T((2, 3), "int16", 0.01, 0)], [0], [1],
        options=_squeeze_opts(), options_type=OPT_SQUEEZE),
    "not_equal_int8_broadcast": lambda: single_op(
        72, [T((2, 1, 3), "int8", 0.02, -4), T((1, 4, 3), "int8", 0.03, 5), T((2, 4, 3), "bool")], [0, 1], [2]),
    "add_n_int8": lambda: single_op(  # the converter leaves ADD_N float
        106, [T((1, 4, 5), "int8", 0.02, -4), T((1, 4, 5), "int8", 0.02, -4), T((1, 4, 5), "int8", 0.02, -4),
              T((1, 4, 5), "int8", 0.05, 3)], [0, 1, 2], [3]),
    "elu_int8": lambda: single_op(  # the converter leaves ELU float
        111, [T((2, 5, 7), "int8", 0.031, 9), T((2, 5, 7), "int8", 0.027, -60)], [0], [1]),
    "cumsum_int8": lambda: _cumsum(False, False),  # the converter leaves CUMSUM float
    "cumsum_int8_exclusive_reverse": lambda: _cumsum(True, True),
    "logical_not_bool": lambda: single_op(87, [T((2, 3, 4), "bool"), T((2, 3, 4), "bool")], [0], [1]),
    "quantize_uint8_to_int8": lambda: single_op(
        114, [T((1, 3, 8), "uint8", 0.021, 131), T((1, 3, 8), "int8", 0.017, -5)], [0], [1]),
    "quantize_int8_to_uint8": lambda: single_op(
        114, [T((1, 3, 8), "int8", 0.02, 0), T((1, 3, 8), "uint8", 0.02, 128)], [0], [1]),
    "dequantize_uint8": lambda: single_op(6, [T((2, 7), "uint8", 0.0031, 120), T((2, 7), "float32")], [0], [1]),
    "less_equal_int32": lambda: single_op(
        63, [T((3, 1), "int32"), T((1, 4), "int32", data=np.array([[-5, 0, 7, 1 << 20]], np.int32)),
             T((3, 4), "bool")], [0, 1], [2], model_inputs=[0]),
    **{f"{name}_int32": partial(_int32_binary, code)
       for name, code in (("add", 0), ("sub", 41), ("mul", 18), ("maximum", 55), ("minimum", 57),
                          ("squared_difference", 99))},
    "expand_dims_int8": lambda: single_op(
        70, [T((2, 3), "int8", 0.1, 2), T((1,), "int32", data=np.array([1], np.int32)),
             T((2, 1, 3), "int8", 0.1, 2)], [0, 1], [2], model_inputs=[0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_single_op_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=7 if "svdf" in name else 3, seed=11)
