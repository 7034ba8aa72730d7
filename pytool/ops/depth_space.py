"""DEPTH_TO_SPACE and SPACE_TO_DEPTH (int8, as TFLite Micro; one module for
both). IR: inputs [x NHWC], attrs {block_size}.
  DEPTH_TO_SPACE: y[n, h*b + i, w*b + j, c] = x[n, h, w, (i*b + j)*C' + c]
  SPACE_TO_DEPTH: its inverse.
C: TRANSPOSE_VIEW (pytool/ops/transpose_view.py), a pure byte shuffle.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.transpose_view import OPCODE, block_size, lower_view, nhwc, ref_view

TYPES = ("int8",)  # TFLite Micro's kernels take float32 and int8
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    if op.type == "DEPTH_TO_SPACE":
        if c % (b * b):
            raise IRError(f"DEPTH_TO_SPACE '{op.name}': channels {c} are not a multiple of block_size^2 = {b * b}")
        return [(n, h * b, w * b, c // (b * b))]
    if h % b or w % b:
        raise IRError(f"SPACE_TO_DEPTH '{op.name}': height {h} and width {w} must be multiples of block_size {b}")
    return [(n, h // b, w // b, c * b * b)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    if op.type == "DEPTH_TO_SPACE":
        x = np.asarray(xs[0]).reshape(n, h, w, b, b, c // (b * b))
    else:
        x = np.asarray(xs[0]).reshape(n, h // b, b, w // b, b, c)
    return [x.transpose(0, 1, 3, 2, 4, 5).reshape(infer_shapes(g, op)[0])]


def lower(g: Graph, op: Op) -> Lowered:
    if g.tensors[op.inputs[0]].dtype not in ("int8", "float32"):  # float32: the same byte moves
        raise IRError(f"{op.type} '{op.name}': {g.tensors[op.inputs[0]].dtype} input; TFLite Micro has int8 and "
                      "float32 kernels only")
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    # Both are the 4-D transpose (0, 2, 1, 3) of a view (block column and channel stay together).
    view = [n * h, w, b, c // b] if op.type == "DEPTH_TO_SPACE" else [n * h // b, b, w // b, b * c]
    return lower_view(g, op, view, [0, 2, 1, 3])


ref_int8 = ref_view
