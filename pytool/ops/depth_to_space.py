"""DEPTH_TO_SPACE (int8, as TFLite Micro). IR: inputs [x NHWC], attrs
{block_size}; y[n, h*b + i, w*b + j, c] = x[n, h, w, (i*b + j)*C' + c].

C: TRANSPOSE_VIEW (pytool/ops/transpose_view.py), a pure byte shuffle.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.transpose_view import block_size, lower_view, nhwc, ref_view

OPCODE = 49
TYPES = ("int8",)  # TFLite Micro's DEPTH_TO_SPACE takes float32 and int8


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    if c % (b * b):
        raise IRError(f"DEPTH_TO_SPACE '{op.name}': channels {c} are not a multiple of block_size^2 = {b * b}")
    return [(n, h * b, w * b, c // (b * b))]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    x = np.asarray(xs[0]).reshape(n, h, w, b, b, c // (b * b))
    return [x.transpose(0, 1, 3, 2, 4, 5).reshape(infer_shapes(g, op)[0])]


def lower(g: Graph, op: Op) -> Lowered:
    if g.tensors[op.inputs[0]].dtype != "int8":
        raise IRError(f"DEPTH_TO_SPACE '{op.name}': {g.tensors[op.inputs[0]].dtype} input; TFLite Micro has an int8 "
                      "kernel only")
    n, h, w, c = nhwc(g, op)
    b = block_size(op)
    return lower_view(g, op, [n * h, w, b, c // b], [0, 2, 1, 3])


ref_int8 = ref_view
