"""UNIDIRECTIONAL_SEQUENCE_LSTM in .tflite: TFLite's 24 inputs packed into the
IR op's 15 (pytool/ops/unidirectional_sequence_lstm.py), and its options.
The LSTM variants TFLite Micro's kernel refuses (peephole, projection, layer
norm, CIFG) are refused here with the reason; the intermediate tensors only
matter to those variants and are not read."""

from __future__ import annotations

import tflite

# TFLite input slots (lstm_shared.h): 0 input, 1-4 input weights, 5-8 recurrent
# weights, 9-11 peephole, 12-15 gate biases, 16-17 projection, 18 hidden
# state, 19 cell state, 20-23 layer-norm coefficients.
_KEPT = (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 18, 19)
_VARIANTS = {(9, 10, 11): "peephole connections", (16, 17): "a projection layer",
             (20, 21, 22, 23): "layer normalisation"}
_ACT_TANH = 4


def pack_inputs(ins: list[int], ctx) -> list[int]:
    """The 15 IR inputs from TFLite's 24, or a ModelError naming what is unsupported."""
    if len(ins) != 24:
        raise ctx.error(f"expected 24 inputs, got {len(ins)}")
    for slots, what in _VARIANTS.items():
        if any(ins[k] >= 0 for k in slots):
            raise ctx.error(f"an LSTM with {what} is not supported (TFLite Micro's LSTM kernel has none)")
    if ins[1] < 0 or ins[5] < 0:
        raise ctx.error("a coupled input-forget gate (CIFG) LSTM is not supported (TFLite Micro's LSTM kernel "
                        "needs the input gate)")
    missing = [k for k in _KEPT if ins[k] < 0]
    if missing:
        raise ctx.error(f"required inputs {missing} are absent")
    return [ins[k] for k in _KEPT]


def read_attrs(g, op, fb_op, ctx) -> None:
    tab = fb_op.BuiltinOptions()
    if tab is None:
        raise ctx.error("UnidirectionalSequenceLSTMOptions are missing")
    o = tflite.UnidirectionalSequenceLSTMOptions()
    o.Init(tab.Bytes, tab.Pos)
    if o.AsymmetricQuantizeInputs():
        raise ctx.error("asymmetric_quantize_inputs=true (hybrid quantization) is not supported")
    if o.FusedActivationFunction() != _ACT_TANH:
        raise ctx.error(f"cell activation {o.FusedActivationFunction()} is not supported; TFLite Micro's LSTM "
                        "kernel takes TANH")
    if o.CellClip() < 0:
        raise ctx.error(f"cell_clip {o.CellClip()} must be >= 0")
    variables = g.meta.get("variables", {})
    for k, what in ((13, "hidden (output) state"), (14, "cell state")):
        if op.inputs[k] not in variables:
            raise ctx.error(f"the {what} '{op.inputs[k]}' must be a variable tensor")
    op.attrs = {"time_major": bool(o.TimeMajor()), "cell_clip": float(o.CellClip()), "activation": "TANH"}


def unpack_inputs(ins: list[int]) -> list[int]:
    """The IR's 15 input indices back into TFLite's 24 slots (-1: absent)."""
    out = [-1] * 24
    for slot, k in zip(_KEPT, ins):
        out[slot] = k
    return out


def write_options(b, g, op):
    tflite.UnidirectionalSequenceLSTMOptionsStart(b)
    tflite.UnidirectionalSequenceLSTMOptionsAddFusedActivationFunction(b, _ACT_TANH)
    tflite.UnidirectionalSequenceLSTMOptionsAddCellClip(b, float(op.attrs.get("cell_clip", 0.0)))
    tflite.UnidirectionalSequenceLSTMOptionsAddTimeMajor(b, bool(op.attrs.get("time_major", False)))
    return (tflite.BuiltinOptions.UnidirectionalSequenceLSTMOptions,
            tflite.UnidirectionalSequenceLSTMOptionsEnd(b))
