"""REDUCE_MAX and REDUCE_MIN (reduce_min.py). IR: inputs [x, axes const],
attrs {keep_dims}. TFLite Micro takes the raw maximum / minimum, so input and
output must share quantization. C: inputs [x]; params [outer, reduce, inner]
(contiguous reduced axes, as MEAN), and is_min = 1 for REDUCE_MIN; other axis
sets (TFLite's ReduceGeneric takes any): [d0..d4 (rank lifted to 5), mask of
the reduced axes, is_min]."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.mean import infer_shapes, resolved_axes, view_3d
from pytool.ops.unary_common import io_dtype, per_tensor

OPCODE = 45
TYPES = ("int8",)
__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def macs(g: Graph, op: Op) -> int:
    return 0


# REDUCE_ALL / REDUCE_ANY (reduce_all.py) share this reference: on bools they are min / max.
REDUCE = {"REDUCE_MAX": np.max, "REDUCE_MIN": np.min, "REDUCE_ALL": np.all, "REDUCE_ANY": np.any}


def ref_float(g: Graph, op: Op, xs: list) -> list:
    axes = tuple(resolved_axes(g, op))
    y = REDUCE[op.type](np.asarray(xs[0]), axis=axes, keepdims=True) if axes else np.asarray(xs[0])
    return [np.asarray(y).reshape(g.tensors[op.outputs[0]].shape)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    io_dtype(g, op, ("int8",))  # TFLite Micro has no int16 REDUCE_MAX / REDUCE_MIN
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    if np.float32(qx.scale[0]) != np.float32(qy.scale[0]) or int(qx.zero_point[0]) != int(qy.zero_point[0]):
        raise IRError(f"{op.type} '{op.name}': input and output quantization must match (TFLite Micro)")
    extra = [1] if op.type == "REDUCE_MIN" else []
    return Lowered(inputs=[op.inputs[0]], params=minmax_params(g, op, extra))


def minmax_params(g: Graph, op: Op, extra: list[int]) -> list[int]:
    """[outer, reduce, inner, *extra] for contiguous axes, else the 5-D form
    [d0..d4, mask, is_min] (extra holds is_min when it is 1)."""
    shape, axes = tuple(g.tensors[op.inputs[0]].shape), resolved_axes(g, op)
    if not axes or not any(shape[i] != 1 for i in range(axes[0], axes[-1] + 1) if i not in axes):
        return [*view_3d(op, shape, axes), *extra]
    if len(shape) > 5:
        raise IRError(f"{op.type} '{op.name}': rank {len(shape)} is above the runtime's 5")
    lift = 5 - len(shape)
    return [*([1] * lift + list(shape)), sum(1 << (a + lift) for a in axes), extra[0] if extra else 0]


def reduce_lowered(low: Lowered, x: np.ndarray, fn) -> np.ndarray:
    """The C's reduction on the lowered params (either form)."""
    p = low.params
    if len(p) == 7:
        return fn(np.asarray(x).reshape(p[:5]), axis=tuple(d for d in range(5) if (p[5] >> d) & 1))
    return fn(np.asarray(x).reshape(p[:3]), axis=1)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    return [reduce_lowered(low, xs[0], REDUCE[op.type]).reshape(g.tensors[op.outputs[0]].shape)]
