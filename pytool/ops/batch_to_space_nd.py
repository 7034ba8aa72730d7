"""BATCH_TO_SPACE_ND. IR: inputs [x NHWC (or NHC), block_shape const, crops
const [[top, bottom], [left, right]]], attrs {}. The inverse of
SPACE_TO_BATCH_ND. C: inputs [x]; params [block_h, block_w, crop_top, crop_left]."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.space_to_batch_nd import _as4, geometry
from pytool.ops.strided_slice import check_same_dtype

OPCODE = 48
TYPES = ("int8",)  # TFLite Micro has no int16 kernel


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x = g.tensors[op.inputs[0]].shape
    (bh, bw), (t, b, left, r) = geometry(g, op)
    if x[0] % (bh * bw):
        raise IRError(f"BATCH_TO_SPACE_ND '{op.name}': batch {x[0]} is not a multiple of the block")
    shape = [x[0] // (bh * bw), x[1] * bh - t - b, (x[2] if len(x) == 4 else 1) * bw - left - r, x[-1]]
    return [tuple(shape if len(x) == 4 else [shape[0], shape[1], shape[3]])]


def macs(g: Graph, op: Op) -> int:
    return 0


def _run(x: np.ndarray, out_shape, bh, bw, top, left) -> np.ndarray:
    x4 = _as4(x)
    n_in, h, w, c = x4.shape
    on, oh, ow = out_shape[0], out_shape[1], (out_shape[2] if len(out_shape) == 4 else 1)
    y = np.zeros((on, oh, ow, c), x.dtype)
    for ib in range(n_in):
        nb, blk = ib % on, ib // on
        i, j = blk // bw, blk % bw
        for yy in range(h):
            oy = yy * bh + i - top
            for xx in range(w):
                ox = xx * bw + j - left
                if 0 <= oy < oh and 0 <= ox < ow:
                    y[nb, oy, ox] = x4[ib, yy, xx]
    return y.reshape(out_shape)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    (bh, bw), (t, _, left, _) = geometry(g, op)
    return [_run(np.asarray(xs[0]), g.tensors[op.outputs[0]].shape, bh, bw, t, left)]


def lower(g: Graph, op: Op) -> Lowered:
    if check_same_dtype(g, op, [op.inputs[0], op.outputs[0]]) not in ("int8", "float32"):
        raise IRError(f"{op.type} '{op.name}': int8 or float32 only (TFLite Micro has no int16 kernel)")
    (bh, bw), (t, _, left, _) = geometry(g, op)
    return Lowered(inputs=[op.inputs[0]], params=[bh, bw, t, left])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    bh, bw, t, left = low.params
    return [_run(np.asarray(xs[0]), g.tensors[op.outputs[0]].shape, bh, bw, t, left)]
