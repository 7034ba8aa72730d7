"""CONCATENATION. IR: inputs [x_0, ..., x_{n-1}], attrs {axis, activation}.
int8 inputs must share the output's quantization (TFLite Micro requires it),
so the kernel copies, clamping to the activation range.

C (runtime_c/src/ops/concatenation.c): inputs [x_0, ..., x_{n-1}]; params
[axis (normalised to 0..rank-1), act_min, act_max].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.common import activation_float, activation_range_quantized, quant_of

OPCODE = 11
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def axis_of(g: Graph, op: Op) -> int:
    rank = len(g.tensors[op.inputs[0]].shape)
    a = int(op.attrs.get("axis", 0))
    if not -rank <= a < rank:
        raise IRError(f"CONCATENATION '{op.name}': axis {a} out of range for rank {rank}")
    return a % rank


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    axis = axis_of(g, op)
    shapes = [g.tensors[n].shape for n in op.inputs]
    base = shapes[0]
    for n, s in zip(op.inputs, shapes):
        if len(s) != len(base) or any(s[d] != base[d] for d in range(len(base)) if d != axis):
            raise IRError(f"CONCATENATION '{op.name}': input '{n}' {s} does not match {base} off axis {axis}")
    return [tuple(sum(s[d] for s in shapes) if d == axis else base[d] for d in range(len(base)))]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = np.concatenate([np.asarray(x) for x in xs], axis=axis_of(g, op))
    return [activation_float(y, op.attrs.get("activation", "NONE"))]


def lower(g: Graph, op: Op) -> Lowered:
    y = op.outputs[0]
    if g.tensors[y].dtype in ("int16", "float32", "int32", "int64", "bool"):  # value copies (TFLite Micro's raw paths)
        return _lower_s16(g, op)
    qy = quant_of(g, y, op)
    for n in [*op.inputs, y]:
        if g.tensors[n].dtype != "int8":
            raise IRError(f"CONCATENATION '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 expected")
        q = quant_of(g, n, op)
        if np.float32(q.scale[0]) != np.float32(qy.scale[0]) or int(q.zero_point[0]) != int(qy.zero_point[0]):
            raise IRError(
                f"CONCATENATION '{op.name}': input '{n}' quantization differs from output '{y}'; "
                "int8 concatenation needs them equal"
            )
    act = activation_range_quantized(
        op.attrs.get("activation", "NONE"), float(qy.scale[0]), int(qy.zero_point[0])
    )
    return Lowered(inputs=list(op.inputs), params=[axis_of(g, op), act[0], act[1]])


def _lower_s16(g: Graph, op: Op) -> Lowered:
    """int16: TFLite Micro copies the values (no requantization, no
    activation), so the strided-view copy (scatter) does it."""
    from pytool.ops.data_movement import lower_scatter, split_parts

    if op.attrs.get("activation", "NONE") != "NONE":
        raise IRError(f"CONCATENATION '{op.name}': a fused activation on int16 is not supported")
    axis = axis_of(g, op)
    sizes = [g.tensors[n].shape[axis] for n in op.inputs]
    return lower_scatter(g, op, list(op.inputs), split_parts(g.tensors[op.outputs[0]].shape, axis, sizes))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode is not None:
        from pytool.ops.data_movement import ref_scatter

        return ref_scatter(g, op, low, xs)
    axis, amin, amax = low.params
    return [
        np.clip(np.concatenate([np.asarray(x, np.int64) for x in xs], axis=axis), amin, amax).astype(np.int8)
    ]
