"""The C op TRANSPOSE_VIEW: a transpose of a reshaped view of the input, any
integer element size. int16 TRANSPOSE uses it with the tensor's own shape;
DEPTH_TO_SPACE and SPACE_TO_DEPTH are a 4-D transpose (0, 2, 1, 3) of a view:

    DEPTH_TO_SPACE  [N*H, W, b, b*C]  ->  [N*H, b, W, b*C]   (= [N, H*b, W*b, C])
    SPACE_TO_DEPTH  [N*H, b, W, b*C]  ->  [N*H, W, b, b*C]   (= [N, H, W, b*b*C])

(the block column and the channel stay adjacent, so they move as one run).
params: [r, view dims[r], perm[r]].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.strided_slice import check_same_dtype

OPCODE = 49


def lower_view(g: Graph, op: Op, dims: list[int], perm: list[int]) -> Lowered:
    check_same_dtype(g, op, [op.inputs[0], op.outputs[0]])
    if not 1 <= len(dims) <= 5 or sorted(perm) != list(range(len(dims))):
        raise IRError(f"{op.type} '{op.name}': view {dims} / perm {perm} is not a rank 1..5 transpose")
    return Lowered(inputs=[op.inputs[0]], params=[len(dims), *map(int, dims), *map(int, perm)], opcode=OPCODE)


def ref_view(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    r = low.params[0]
    dims, perm = low.params[1:1 + r], low.params[1 + r:1 + 2 * r]
    y = np.transpose(np.asarray(xs[0]).reshape(dims), perm)
    return [np.ascontiguousarray(y).reshape(g.tensors[op.outputs[0]].shape)]


def block_size(op: Op) -> int:
    b = int(op.attrs.get("block_size", 0))
    if b < 1:
        raise IRError(f"{op.type} '{op.name}': block_size {b} must be >= 1")
    return b


def nhwc(g: Graph, op: Op) -> tuple[int, int, int, int]:
    shape = g.tensors[op.inputs[0]].shape
    if len(shape) != 4:
        raise IRError(f"{op.type} '{op.name}': input must be 4-D NHWC, got shape {list(shape)}")
    return tuple(int(d) for d in shape)
