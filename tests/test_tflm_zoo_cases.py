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
