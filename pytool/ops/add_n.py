"""ADD_N. IR: inputs [x_0, ..., x_{n-1}] (one shape), attrs {}.

C (int8, inputs sharing one quantization, as TFLite Micro): params [-z_in,
z_out, left_shift 20, in multiplier, in shift (1/2), out multiplier, out shift
(2 s_in / (2^20 s_out)), act_min, act_max]. TFLite Micro's reference AddN also
adds the rescaled (-z_in << 20) once, and so do we.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops import add as _add
from pytool.ops.unary_common import per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier

OPCODE = 57
TYPES = ("int8",)  # TFLite Micro's ADD_N takes float32 and int8
LEFT_SHIFT = 20


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shapes = {tuple(g.tensors[n].shape) for n in op.inputs}
    if len(shapes) != 1:
        raise IRError(f"ADD_N '{op.name}': inputs have different shapes {sorted(shapes)}")
    return [shapes.pop()]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.outputs[0]].numel * len(op.inputs)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.sum([np.asarray(x, np.float32) for x in xs], axis=0).astype(np.float32)]


def requant_params(g: Graph, op: Op, inputs: list[str]) -> list[int]:
    """TFLite Micro's ADD_N / CUMSUM Prepare: [-z_in, z_out, 20, in mult, in
    shift (1/2), out mult, out shift (2 s_in / (2^20 s_out)), -128, 127]."""
    names = [*inputs, op.outputs[0]]
    if {g.tensors[n].dtype for n in names} != {"int8"}:
        raise IRError(f"{op.type} '{op.name}': tensors must all be int8 (TFLite Micro's quantized kernel)")
    qs = [per_tensor(g, op, n) for n in inputs]
    if len({(float(np.float32(q.scale[0])), int(q.zero_point[0])) for q in qs}) != 1:
        raise IRError(f"{op.type} '{op.name}': the inputs must share one scale and zero point (TFLite Micro)")
    qy = per_tensor(g, op, op.outputs[0])
    s_in, s_out = float(np.float32(qs[0].scale[0])), float(np.float32(qy.scale[0]))
    twice = 2.0 * s_in
    mi, si = _add.smaller_than_one(op, "input", s_in / twice)
    mo, so = _add.smaller_than_one(op, "output", twice / ((1 << LEFT_SHIFT) * s_out))
    return [-int(qs[0].zero_point[0]), int(qy.zero_point[0]), LEFT_SHIFT, mi, si, mo, so, -128, 127]


def rescale_in(x, params: list[int]) -> np.ndarray:
    off, _, left, mi, si = params[:5]
    return multiply_by_quantized_multiplier((np.asarray(x, np.int64) + off) << left, mi, si)


def rescale_out(acc, params: list[int]) -> np.ndarray:
    _, zy, _, _, _, mo, so, lo, hi = params[:9]
    acc = ((np.asarray(acc, np.int64) + 2**31) % 2**32) - 2**31
    return np.clip(multiply_by_quantized_multiplier(acc, mo, so) + zy, lo, hi).astype(np.int8)


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if len(op.inputs) > 32:
        raise IRError(f"ADD_N '{op.name}': {len(op.inputs)} inputs; at most 32")
    return Lowered(inputs=list(op.inputs), params=requant_params(g, op, list(op.inputs)))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    acc = rescale_in(0, low.params)  # the rescaled zero input, (-z_in << 20) halved
    for x in xs:
        acc = acc + rescale_in(x, low.params)
    return [rescale_out(acc, low.params).reshape(g.tensors[op.outputs[0]].shape)]
