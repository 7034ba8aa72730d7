"""MEAN. IR: inputs [x, axes const int32], attrs {keep_dims}.

int8 follows TFLite Micro's EvalIntegerMean, which (in the tflite-micro
release the tests run against) always takes reference_ops::QuantizedMeanOrSum,
even when input and output share scale and zero point: int32 sum of raw
values, minus zp_in * count, requantized by QuantizeMultiplier(s_in / s_out)
with 1/count folded in exactly as it does (shift = min(floor(log2 count), 32,
31 + shift); multiplier = (multiplier << shift) // count), plus zp_out,
clamped. No axes: a copy (ReduceIsCopy). Older TFLM releases had a
same-quantization path (sum / count, truncating); the kernel keeps it under
same_quant = 1, which lowering now uses only for the copy case. The reduced
axes must be contiguous once size-1 axes are ignored (H,W of NHWC, or any
single run of axes).

C (runtime_c/src/ops/mean.c): inputs [x]; params [outer, reduce, inner,
same_quant, input_zp, output_zp, multiplier, shift], x viewed as
[outer, reduce, inner] and y as [outer, inner].
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


def view_3d(op: Op, shape: tuple, axes: list[int]) -> tuple[int, int, int]:
    """(outer, reduce, inner) for a contiguous run of reduced axes."""
    if not axes:
        return 1, 1, int(np.prod(shape, dtype=np.int64))
    first, last = axes[0], axes[-1]
    if any(shape[i] != 1 for i in range(first, last + 1) if i not in axes):
        raise IRError(f"MEAN '{op.name}': axes {axes} of shape {shape} are not contiguous; not supported")
    prod = lambda s: int(np.prod(s, dtype=np.int64))  # noqa: E731
    return prod(shape[:first]), prod(shape[first : last + 1]), prod(shape[last + 1 :])


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
    outer, reduce, inner = view_3d(op, g.tensors[x].shape, axes)
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    s_in, s_out = np.float32(qx.scale[0]), np.float32(qy.scale[0])
    zp_in, zp_out = int(qx.zero_point[0]), int(qy.zero_point[0])
    copy = not axes
    mult, shift = quantize_multiplier(float(np.float64(s_in) / np.float64(s_out)))
    if not copy and mean:
        mult, shift = fold_count(mult, shift, reduce)
    return Lowered(inputs=[x], params=[outer, reduce, inner, int(copy), zp_in, zp_out, mult, shift],
                   opcode=MEAN_S16 if dtype == "int16" else None)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    outer, reduce, inner, same, zp_in, zp_out, mult, shift = low.params
    dt = g.tensors[op.outputs[0]].np_dtype
    lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    total = np.asarray(xs[0], np.int64).reshape(outer, reduce, inner).sum(axis=1)
    if same:
        y = np.sign(total) * (np.abs(total) // reduce)  # C division truncates toward zero
    else:
        y = np.clip(multiply_by_quantized_multiplier(total - zp_in * reduce, mult, shift) + zp_out, lo, hi)
    return [y.astype(dt).reshape(g.tensors[op.outputs[0]].shape)]
