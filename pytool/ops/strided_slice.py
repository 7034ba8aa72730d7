"""STRIDED_SLICE. IR: inputs [x, begin, end, strides] (consts), attrs
{begin_mask, end_mask, shrink_axis_mask, ellipsis_mask, new_axis_mask, offset}.

C (runtime_c/src/ops/strided_slice.c, any of int8/int16/int32): a strided-view
copy that SLICE, SPLIT, SPLIT_V, PACK and UNPACK lower to as well. params:
  [0] mode (0: one input -> n outputs, 1: n inputs -> one output)
  [1..5] the single tensor as 5-D
  per part: start[5], step[5], count[5]
The TFLite index rules (StartForAxis / StopForAxis of strided_slice_logic.h)
are resolved here, so the C only copies.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 22
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def lift5(shape) -> list[int]:
    if len(shape) > 5:
        raise IRError(f"rank {len(shape)} is above the runtime's 5")
    return [1] * (5 - len(shape)) + [int(d) for d in shape]


def view_params(mode: int, whole_shape, parts: list[tuple[list[int], list[int], list[int]]]) -> list[int]:
    """parts: (start, step, count) in the whole's rank, lifted to 5-D here."""
    pad = 5 - len(whole_shape)
    params = [mode, *lift5(whole_shape)]
    for start, step, count in parts:
        params += [0] * pad + list(start) + [1] * pad + list(step) + [1] * pad + list(count)
    return [int(p) for p in params]


def view_gather(whole: np.ndarray, params: list[int], k: int) -> np.ndarray:
    dims = params[1:6]
    start, step, count = (np.array(params[6 + 15 * k + 5 * j: 11 + 15 * k + 5 * j]) for j in range(3))
    idx = [s + np.arange(c) * st for s, st, c in zip(start, step, count)]
    return np.asarray(whole).reshape(dims)[np.ix_(*idx)]


def view_scatter(parts: list, params: list[int], dtype) -> np.ndarray:
    dims = params[1:6]
    out = np.zeros(dims, dtype)
    for k, p in enumerate(parts):
        start, step, count = (np.array(params[6 + 15 * k + 5 * j: 11 + 15 * k + 5 * j]) for j in range(3))
        idx = [s + np.arange(c) * st for s, st, c in zip(start, step, count)]
        out[np.ix_(*idx)] = np.asarray(p).reshape([int(c) for c in count])
    return out


RAW_COPY = frozenset({"uint8", "bool", "int64"})  # extra types the strided-view copy moves


def check_same_dtype(g: Graph, op: Op, names: list[str], raw: bool = False) -> str:
    """One dtype for all names; raw: the op lowers to the strided-view copy,
    which also moves uint8, bool and int64 bytes (odl_copy_elem_size)."""
    dts = {g.tensors[n].dtype for n in names}
    if len(dts) != 1 or not dts <= {"int8", "int16", "int32", "float32", *(RAW_COPY if raw else ())}:
        raise IRError(f"{op.type} '{op.name}': tensors {names} have dtypes {sorted(dts)}; one dtype expected")
    return dts.pop()  # float32, uint8, bool, int64 too: byte copies, as TFLite Micro's raw paths


def _const(g: Graph, op: Op, k: int, what: str) -> list[int]:
    if len(op.inputs) <= k or g.tensors[op.inputs[k]].data is None:
        raise IRError(f"{op.type} '{op.name}': {what} (input {k}) must be a constant")
    return [int(v) for v in np.asarray(g.tensors[op.inputs[k]].data).reshape(-1)]


def resolve(g: Graph, op: Op) -> tuple[list[int], list[int], list[int], list[int]]:
    """(start, step, count, output shape) per input axis, TFLite's rules."""
    shape = g.tensors[op.inputs[0]].shape
    rank = len(shape)
    begin, end, strides = _const(g, op, 1, "begin"), _const(g, op, 2, "end"), _const(g, op, 3, "strides")
    a = op.attrs
    if a.get("ellipsis_mask", 0) or a.get("new_axis_mask", 0):
        raise IRError(f"STRIDED_SLICE '{op.name}': ellipsis_mask / new_axis_mask are not supported (TFLite Micro "
                      "rejects them too)")
    if not len(begin) == len(end) == len(strides) == rank:
        raise IRError(f"STRIDED_SLICE '{op.name}': begin/end/strides must have {rank} entries")
    starts, steps, counts, out_shape = [], [], [], []
    for ax in range(rank):
        size, stride = shape[ax], strides[ax]
        if stride == 0:
            raise IRError(f"STRIDED_SLICE '{op.name}': stride 0 on axis {ax}")
        start = begin[ax]
        if a.get("begin_mask", 0) & (1 << ax):
            start = INT_MIN if stride > 0 else INT_MAX
        if start < 0:
            start += size
        start = min(max(start, 0), size) if stride > 0 else min(max(start, -1), size - 1)
        shrink = bool(a.get("shrink_axis_mask", 0) & (1 << ax))
        if shrink:
            stop = start + 1
        else:
            stop = end[ax]
            if a.get("offset", False):
                stop = start + stop
            if a.get("end_mask", 0) & (1 << ax):
                stop = INT_MAX if stride > 0 else INT_MIN
            if stop < 0:
                stop += size
            stop = min(max(stop, 0), size) if stride > 0 else min(max(stop, -1), size - 1)
        count = max(0, -(-(stop - start) // stride)) if stride > 0 else max(0, -(-(start - stop) // -stride))
        starts.append(start if count else 0)
        steps.append(stride)
        counts.append(count)
        if not shrink:
            out_shape.append(count)
    return starts, steps, counts, out_shape


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [tuple(resolve(g, op)[3])]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    s, st, c, out = resolve(g, op)
    idx = [a + np.arange(n) * b for a, b, n in zip(s, st, c)]
    return [np.asarray(xs[0])[np.ix_(*idx)].reshape(out)]


def lower(g: Graph, op: Op) -> Lowered:
    check_same_dtype(g, op, [op.inputs[0], op.outputs[0]], raw=True)
    s, st, c, _ = resolve(g, op)
    return Lowered(inputs=[op.inputs[0]], params=view_params(0, g.tensors[op.inputs[0]].shape, [(s, st, c)]))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [view_gather(xs[0], low.params, 0).reshape(g.tensors[op.outputs[0]].shape)]
