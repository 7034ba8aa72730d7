"""MEAN. IR: inputs [x, axes const int32], attrs {keep_dims}.

int8 follows TFLite Micro's EvalIntegerMean, which (in the tflite-micro
release the tests run against) always takes reference_ops::QuantizedMeanOrSum,
even when input and output share scale and zero point: int32 sum of raw
values, minus zp_in * count, requantized by QuantizeMultiplier(s_in / s_out)
with 1/count folded in exactly as it does (shift = min(floor(log2 count), 32,
31 + shift); multiplier = (multiplier << shift) // count), plus zp_out,
clamped. No axes: a copy (ReduceIsCopy). Older TFLM releases had a
same-quantization path (sum / count, truncating); the kernel keeps it under
same_quant = 1, which lowering now uses only for the copy case. Any set of
axes (GroupNormalization reduces [1, 2, 4] of [N, H, W, G, C/G]).

C (runtime_c/src/ops/mean.c): inputs [x]; params [outer, reduce, inner,
same_quant, input_zp, output_zp, multiplier, shift], x viewed as
[outer, reduce, inner] and y as [outer, inner] when the reduced axes are
contiguous (size-1 axes ignored); otherwise [n_out, count, 1, ..., d0..d4,
mask]: dims lifted to 5-D, bit d of mask set for a reduced axis.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 6
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def resolved_axes(g: Graph, op: Op) -> list[int]:
    x, axes = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if axes.data is None:
        raise IRError(f"MEAN '{op.name}': axes '{axes.name}' must be a constant")
    rank = len(x.shape)
    out = set()
    for a in np.asarray(axes.data).reshape(-1).tolist():
        if not -rank <= a < rank:
            raise IRError(f"MEAN '{op.name}': axis {a} out of range for rank {rank}")
        out.add(a % rank)
    return sorted(out)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    axes = resolved_axes(g, op)
    if op.attrs.get("keep_dims", False):
        return [tuple(1 if i in axes else d for i, d in enumerate(shape))]
    return [tuple(d for i, d in enumerate(shape) if i not in axes)]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    axes = tuple(resolved_axes(g, op))
    y = np.mean(np.asarray(xs[0], np.float64), axis=axes, keepdims=True) if axes else np.asarray(xs[0])
    return [np.asarray(y, np.float32).reshape(g.tensors[op.outputs[0]].shape)]


def view_3d(op: Op, shape: tuple, axes: list[int]) -> tuple[int, int, int] | None:
    """(outer, reduce, inner) for a contiguous run of reduced axes, else None."""
    if not axes:
        return 1, 1, int(np.prod(shape, dtype=np.int64))
    first, last = axes[0], axes[-1]
    if any(shape[i] != 1 for i in range(first, last + 1) if i not in axes):
        return None
    prod = lambda s: int(np.prod(s, dtype=np.int64))  # noqa: E731
    return prod(shape[:first]), prod(shape[first : last + 1]), prod(shape[last + 1 :])


def view_nd(op: Op, shape: tuple, axes: list[int]) -> list[int]:
    """[d0..d4, mask] (dims lifted to rank 5) for any set of reduced axes."""
    if len(shape) > 5:
        raise IRError(f"{op.type} '{op.name}': rank {len(shape)} input; up to 5 supported")
    lift = 5 - len(shape)
    return [*([1] * lift), *(int(d) for d in shape), sum(1 << (a + lift) for a in axes)]


def fold_count(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """QuantizedMeanOrSum's rescaling: 1/count into (multiplier, shift)."""
    s = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << s) // count, shift - s


MEAN_S16 = 29


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    return lower_reduce(g, op, mean=True)


def lower_reduce(g: Graph, op: Op, mean: bool) -> Lowered:
    """MEAN (1/count folded in) or SUM (QuantizedMeanOrSum with compute_sum)."""
    x, y = op.inputs[0], op.outputs[0]
    dtype = g.tensors[x].dtype
    for n in (x, y):
        if g.tensors[n].dtype != dtype or dtype not in ("int8", "int16"):
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 or int16 expected")
    axes = resolved_axes(g, op)
    shape = g.tensors[x].shape
    view = view_3d(op, shape, axes)
    nd = [] if view is not None else view_nd(op, shape, axes)
    if view is None:
        count = int(np.prod([shape[a] for a in axes], dtype=np.int64))
        view = (g.tensors[x].numel // count, count, 1)
    outer, reduce, inner = view
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    s_in, s_out = np.float32(qx.scale[0]), np.float32(qy.scale[0])
    zp_in, zp_out = int(qx.zero_point[0]), int(qy.zero_point[0])
    copy = not axes
    mult, shift = quantize_multiplier(float(np.float64(s_in) / np.float64(s_out)))
    if not copy and mean:
        mult, shift = fold_count(mult, shift, reduce)
    return Lowered(inputs=[x], params=[outer, reduce, inner, int(copy), zp_in, zp_out, mult, shift, *nd],
                   opcode=MEAN_S16 if dtype == "int16" else None)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    outer, reduce, inner, same, zp_in, zp_out, mult, shift = low.params[:8]
    dt = g.tensors[op.outputs[0]].np_dtype
    lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    if len(low.params) > 8:  # any axes: sum over the mask's axes of the 5-D view
        dims, mask = low.params[8:13], low.params[13]
        x5 = np.asarray(xs[0], np.int64).reshape(dims)
        total = x5.sum(axis=tuple(d for d in range(5) if mask >> d & 1))
    else:
        total = np.asarray(xs[0], np.int64).reshape(outer, reduce, inner).sum(axis=1)
    total = ((total + 2**31) % 2**32) - 2**31  # int32 sum, as the C (wraps)
    if same:
        y = np.sign(total) * (np.abs(total) // reduce)  # C division truncates toward zero
    else:
        y = np.clip(multiply_by_quantized_multiplier(total - zp_in * reduce, mult, shift) + zp_out, lo, hi)
    return [y.astype(dt).reshape(g.tensors[op.outputs[0]].shape)]
