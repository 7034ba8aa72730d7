"""SPACE_TO_BATCH_ND. IR: inputs [x NHWC (or NHC), block_shape const, paddings
const [[top, bottom], [left, right]]], attrs {}.

C (int8): inputs [x]; params [block_h, block_w, pad_top, pad_left, pad_value].
Padding takes the output zero point. TFLite Micro never initialises its pad
value (whatever its op data held is memset in), so padded positions are the
one place its bytes are not reproducible; unpadded uses are byte-exact.
The output tensor's shape carries the padded, blocked size.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints
from pytool.ops.strided_slice import check_same_dtype

OPCODE = 47
TYPES = ("int8",)  # TFLite Micro has no int16 kernel


def geometry(g: Graph, op: Op) -> tuple[list[int], list[int]]:
    x = g.tensors[op.inputs[0]].shape
    block = const_ints(g, op, 1, "block_shape")
    edges = const_ints(g, op, 2, "paddings" if op.type == "SPACE_TO_BATCH_ND" else "crops")
    if len(x) not in (3, 4) or len(block) != len(x) - 2 or len(edges) != 2 * len(block) or min(block) < 1:
        raise IRError(f"{op.type} '{op.name}': needs a 3-D or 4-D input with one block size per spatial axis")
    if len(block) == 1:
        block, edges = block + [1], edges + [0, 0]
    return block, edges


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x = g.tensors[op.inputs[0]].shape
    (bh, bw), (t, b, left, r) = geometry(g, op)
    h, w = x[1] + t + b, (x[2] if len(x) == 4 else 1) + left + r
    if h % bh or w % bw:
        raise IRError(f"SPACE_TO_BATCH_ND '{op.name}': padded size {h}x{w} is not a multiple of the block")
    shape = [x[0] * bh * bw, h // bh, w // bw, x[-1]]
    return [tuple(shape if len(x) == 4 else [shape[0], shape[1], shape[3]])]


def macs(g: Graph, op: Op) -> int:
    return 0


def _as4(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 4 else a[:, :, None, :]


def _run(x: np.ndarray, out_shape, bh, bw, top, left, fill) -> np.ndarray:
    x4 = _as4(x)
    n, h, w, c = x4.shape
    oh, ow = out_shape[1], (out_shape[2] if len(out_shape) == 4 else 1)
    y = np.full((n * bh * bw, oh, ow, c), fill, x.dtype)
    for ob in range(n * bh * bw):
        nb, blk = ob % n, ob // n
        i, j = blk // bw, blk % bw
        for yy in range(oh):
            iy = yy * bh + i - top
            for xx in range(ow):
                ix = xx * bw + j - left
                if 0 <= iy < h and 0 <= ix < w:
                    y[ob, yy, xx] = x4[nb, iy, ix]
    return y.reshape(out_shape)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    (bh, bw), (t, _, left, _) = geometry(g, op)
    return [_run(np.asarray(xs[0]), g.tensors[op.outputs[0]].shape, bh, bw, t, left, 0)]


def lower(g: Graph, op: Op) -> Lowered:
    if check_same_dtype(g, op, [op.inputs[0], op.outputs[0]]) not in ("int8", "float32"):
        raise IRError(f"{op.type} '{op.name}': int8 or float32 only (TFLite Micro has no int16 kernel)")
    (bh, bw), (t, _, left, _) = geometry(g, op)
    q = g.tensors[op.outputs[0]].quant
    return Lowered(inputs=[op.inputs[0]], params=[bh, bw, t, left, int(q.zero_point[0]) if q is not None else 0])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    bh, bw, t, left, pad = low.params
    x = np.asarray(xs[0])
    fill = np.frombuffer(bytes([pad & 0xFF]) * x.dtype.itemsize, x.dtype)[0]  # byte fill, as memset
    return [_run(x, g.tensors[op.outputs[0]].shape, bh, bw, t, left, fill)]
