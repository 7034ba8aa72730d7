"""MIRROR_PAD. IR: inputs [x, paddings const [rank, 2]], attrs {mode:
'REFLECT' | 'SYMMETRIC'}.

C (int8, as TFLite Micro): inputs [x]; params [offset (REFLECT 1, SYMMETRIC
0), in_dims[5], left pads[5]] (rank lifted to 5). Raw values, no requantize.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.strided_slice import check_same_dtype, lift5

OPCODE = 55
TYPES = ("int8",)  # TFLite Micro's MIRROR_PAD takes float32 and int8


def _pads(g: Graph, op: Op) -> np.ndarray:
    p = g.tensors[op.inputs[1]] if len(op.inputs) > 1 else None
    rank = len(g.tensors[op.inputs[0]].shape)
    if p is None or p.data is None or np.asarray(p.data).shape != (rank, 2):
        raise IRError(f"MIRROR_PAD '{op.name}': paddings must be a constant [{rank}, 2]")
    pads = np.asarray(p.data, np.int64)
    if (pads < 0).any():
        raise IRError(f"MIRROR_PAD '{op.name}': negative paddings {pads.tolist()}")
    return pads


def _offset(op: Op) -> int:
    mode = op.attrs.get("mode", "REFLECT")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise IRError(f"MIRROR_PAD '{op.name}': mode {mode!r}; REFLECT or SYMMETRIC")
    return 1 if mode == "REFLECT" else 0


def index_map(p: int, left: int, n: int, offset: int) -> int:
    """TFLite Micro's GetInputDimension (far-edge clamp for wide pads)."""
    if p < left:
        orig = left + offset - 1
        return orig - min(p, orig - offset)
    p -= left
    if p >= n:
        orig = n - (1 + offset)
        return orig - min(p - n, orig)
    return p


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    pads = _pads(g, op)
    return [tuple(int(d + a + b) for d, (a, b) in zip(g.tensors[op.inputs[0]].shape, pads))]


def macs(g: Graph, op: Op) -> int:
    return 0


def _gather(g: Graph, op: Op, x: np.ndarray, offset: int) -> np.ndarray:
    pads, shape = _pads(g, op), g.tensors[op.inputs[0]].shape
    out = infer_shapes(g, op)[0]
    idx = [[index_map(p, int(a), int(n), offset) for p in range(m)] for (a, _), n, m in zip(pads, shape, out)]
    return np.asarray(x).reshape(shape)[np.ix_(*idx)]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [_gather(g, op, xs[0], _offset(op))]


def lower(g: Graph, op: Op) -> Lowered:
    dt = check_same_dtype(g, op, [op.inputs[0], op.outputs[0]])
    if dt not in ("int8", "float32"):  # float32: the same element moves
        raise IRError(f"MIRROR_PAD '{op.name}': {dt} tensors; TFLite Micro has int8 and float32 kernels only")
    shape = g.tensors[op.inputs[0]].shape
    if len(shape) > 5 or len(shape) < 1:
        raise IRError(f"MIRROR_PAD '{op.name}': rank {len(shape)} must be 1..5")
    pads = _pads(g, op)
    left = [0] * (5 - len(shape)) + [int(a) for a, _ in pads]
    return Lowered(inputs=[op.inputs[0]], params=[_offset(op), *lift5(shape), *left])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [_gather(g, op, xs[0], low.params[0])]
