"""Cases found by running small microcontroller-style Keras models (keyword
spotters, RNNs, transformers, autoencoders, ...) through the converter and
TFLite Micro (docs/design/ops-coverage.md, "Second model proxy"): each is
rebuilt here as a small schema-built model and byte-compared with TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from test_tflm_ops import check_model
from tflite_build import T, single_op

FC, CONV, DW = 9, 3, 4
OPT_CONV, OPT_DW = 1, 2


def _conv16(code: int, bias: str, seed: int) -> bytes:
    """int16 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED with an int32, int64
    or absent ("none") bias. A Keras 3 LSTM unrolled by the converter has
    bias-less recurrent FCs: TFLite Micro accumulates those in int64."""
    from ai_edge_litert import schema_py_generated as s

    rng = np.random.default_rng(seed)
    if code == FC:
        xs, ws, ys, opts, otype = (2, 40), (6, 40), (2, 6), None, 0
    elif code == CONV:
        xs, ws, ys, otype = (1, 6, 5, 5), (4, 3, 3, 5), (1, 4, 3, 4), OPT_CONV
        opts = s.Conv2DOptionsT()
    else:
        xs, ws, ys, otype = (1, 6, 5, 3), (1, 3, 3, 6), (1, 4, 3, 6), OPT_DW
        opts = s.DepthwiseConv2DOptionsT()
        opts.depthMultiplier = 2
    if opts is not None:
        opts.padding, opts.strideH, opts.strideW, opts.dilationHFactor, opts.dilationWFactor = 1, 1, 1, 1, 1
    t = [T(xs, "int16", 0.0011, 0), T(ws, "int8", 0.013, 0, rng.integers(-127, 128, ws, dtype=np.int8))]
    ins = [0, 1, -1]
    if bias != "none":
        t.append(T((ys[-1],), bias, 0.0011 * 0.013, 0, rng.integers(-300000, 300000, ys[-1]).astype(bias)))
        ins[2] = 2
    t.append(T(ys, "int16", 0.004, 0))
    return single_op(code, t, ins, [len(t) - 1], model_inputs=[0], options=opts, options_type=otype)


CASES = {
    **{f"fc_int16_bias_{b}": (FC, b) for b in ("none", "int32", "int64")},
    **{f"conv_int16_bias_{b}": (CONV, b) for b in ("none", "int32", "int64")},
    # int16 DEPTHWISE_CONV_2D: TFLite Micro reads an int64 bias only and crashes without one
    "depthwise_int16_bias_int64": (DW, "int64"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_int16_conv_fc_bias_types_match_tflite_micro(name, tmp_path):
    code, bias = CASES[name]
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(_conv16(code, bias, len(name)))
    check_model(path, tmp_path / "build", n=3, seed=5)


MEAN, SUM, ADD, SUB, MUL, MAXIMUM = 40, 74, 0, 41, 18, 55
OPT_REDUCER = 27


def _reduce(code: int, dtype: str, shape: tuple, axes: list[int], keep: bool) -> bytes:
    """MEAN / SUM over axes that are not one contiguous run, as Keras 3's
    GroupNormalization emits ([N, H, W, G, C/G] over H, W and C/G)."""
    from ai_edge_litert import schema_py_generated as s

    o = s.ReducerOptionsT()
    o.keepDims = keep
    out = tuple(1 if i in axes else d for i, d in enumerate(shape)) if keep else \
        tuple(d for i, d in enumerate(shape) if i not in axes)
    zx, zy = (-3, 6) if dtype == "int8" else (0, 0)
    t = [T(shape, dtype, 0.021, zx), T((len(axes),), "int32", data=np.array(axes, np.int32)),
         T(out, dtype, 0.013 if code == MEAN else 0.2, zy)]
    return single_op(code, t, [0, 1], [2], model_inputs=[0], options=o, options_type=OPT_REDUCER)


def _binary(code: int, dtype: str, a: tuple, b: tuple) -> bytes:
    """A binary op broadcasting rank-5 shapes that merge into 4-D views
    (MAXIMUM: one quantization, as TFLite Micro compares raw values)."""
    y = tuple(int(d) for d in np.broadcast_shapes(a, b))
    z = (-5, 7, 2) if dtype == "int8" else (0, 0, 0)
    q = [(0.02, z[0])] * 3 if code == MAXIMUM else [(0.02, z[0]), (0.03, z[1]), (0.04, z[2])]
    t = [T(s, dtype, *qq) for s, qq in zip((a, b, y), q)]
    return single_op(code, t, [0, 1], [2])


def _float_mul_rank5() -> bytes:
    """int8 -> DEQUANTIZE -> float32 MUL by a rank-5 broadcast constant."""
    from tflite_build import Sub, model

    a, b = (1, 4, 3, 2, 3), (1, 1, 1, 2, 1)
    c = np.array([1.5, -0.25], np.float32).reshape(b)
    t = [T(a, "int8", 0.02, -5), T(a, "float32"), T(b, "float32", data=c), T(a, "float32")]
    return model([Sub(t, [(6, [0], [1], 0, None), (MUL, [1, 2], [3], 0, None)], [0], [3])])


REDUCE_CASES = {
    "mean_int8_axes_1_2_4": (MEAN, "int8", (1, 4, 3, 2, 3), [1, 2, 4], True),
    "mean_int8_axes_0_2_no_keep": (MEAN, "int8", (3, 4, 5), [0, 2], False),
    "mean_int16_axes_1_3": (MEAN, "int16", (2, 3, 4, 5), [1, 3], True),
    "sum_int8_axes_1_3": (SUM, "int8", (1, 3, 2, 4), [1, 3], False),
}
BINARY_CASES = {
    # scales whose SUB ratios differ between float32 and double (TFLite Micro: double)
    "sub_int8_scale_ratios": (SUB, "int8", (6, 50), (6, 50)),
    "sub_int16_scale_ratios": (SUB, "int16", (6, 50), (1, 50)),
    "sub_int8_rank5_groupnorm": (SUB, "int8", (1, 4, 3, 2, 3), (1, 1, 1, 2, 1)),
    "mul_int16_rank5": (MUL, "int16", (2, 3, 1, 4, 5), (1, 3, 6, 4, 5)),
    "add_int8_rank5_both_broadcast": (ADD, "int8", (1, 1, 3, 2, 4), (2, 5, 1, 2, 4)),
    "maximum_int8_rank5": (MAXIMUM, "int8", (1, 4, 3, 2, 3), (1, 1, 1, 2, 1)),
}


@pytest.mark.parametrize("name", sorted(REDUCE_CASES))
def test_reduce_any_axes_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(_reduce(*REDUCE_CASES[name]))
    check_model(path, tmp_path / "build", n=3, seed=7)


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
def test_rank5_broadcast_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(_binary(*BINARY_CASES[name]))
    check_model(path, tmp_path / "build", n=3, seed=9)


def test_float32_rank5_broadcast_matches_tflite_micro(tmp_path):
    path = tmp_path / "mul_float32_rank5.tflite"
    path.write_bytes(_float_mul_rank5())
    check_model(path, tmp_path / "build", n=3, seed=9)


def test_rank5_broadcast_beyond_four_views_is_refused(tmp_path):
    from pytool import compile_model
    from pytool.frontends.errors import ModelError
    from pytool.ir import IRError

    path = tmp_path / "alternating.tflite"
    path.write_bytes(_binary(ADD, "int8", (2, 1, 2, 1, 2), (1, 2, 1, 2, 1)))
    with pytest.raises((ModelError, IRError), match="more than 4 dimensions"):
        compile_model(path, out_dir=tmp_path / "build")
