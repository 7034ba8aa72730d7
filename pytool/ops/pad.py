"""PAD. IR: inputs [x, paddings const [rank, 2] (before, after)]. Float pads
with 0; int8 pads with the output zero point (TFLite Micro), input and output
sharing their quantization.

C (runtime_c/src/ops/pad.c): inputs [x]; params [pad_value, before_0,
after_0, ..., before_{r-1}, after_{r-1}].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.common import quant_of
from pytool.ops.quantize import float_bits, float_from_bits

OPCODE = 9
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def paddings(g: Graph, op: Op) -> np.ndarray:
    x, p = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if p.data is None:
        raise IRError(f"PAD '{op.name}': paddings '{p.name}' must be a constant")
    pads = np.asarray(p.data, np.int64)
    if pads.shape != (len(x.shape), 2) or np.any(pads < 0):
        raise IRError(
            f"PAD '{op.name}': paddings {pads.tolist()} must be [rank={len(x.shape)}, 2], non-negative"
        )
    if not 1 <= len(x.shape) <= 5:
        raise IRError(f"PAD '{op.name}': rank {len(x.shape)} not supported (1..5)")
    return pads


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    pads = paddings(g, op)
    return [tuple(int(d + b + a) for d, (b, a) in zip(g.tensors[op.inputs[0]].shape, pads))]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    value = float(np.asarray(xs[2]).reshape(-1)[0]) if len(xs) > 2 else 0.0
    return [np.pad(np.asarray(xs[0]), [tuple(r) for r in paddings(g, op).tolist()], constant_values=value)]


def lower(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    if g.tensors[x].dtype in ("int16", "int32", "float32") and g.tensors[y].dtype == g.tensors[x].dtype:
        return _lower_view(g, op)
    for n in (x, y):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"PAD '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 expected")
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    if np.float32(qx.scale[0]) != np.float32(qy.scale[0]) or int(qx.zero_point[0]) != int(qy.zero_point[0]):
        raise IRError(f"PAD '{op.name}': input and output quantization differ; int8 PAD needs them equal")
    flat = [int(v) for row in paddings(g, op) for v in row]
    return Lowered(inputs=[x], params=[pad_value(g, op), *flat])


def pad_value(g: Graph, op: Op) -> int:
    """PADV2's constant (raw, as TFLite Micro copies it), else the output zero point."""
    if len(op.inputs) > 2:
        c = g.tensors[op.inputs[2]]
        if c.data is None or c.numel != 1 or c.dtype != g.tensors[op.inputs[0]].dtype:
            raise IRError(f"{op.type} '{op.name}': constant_values must be a one-element constant of the "
                          f"input's type ({g.tensors[op.inputs[0]].dtype}), as TFLite Micro requires")
        v = np.asarray(c.data).reshape(-1)[0]
        return float_bits(float(v)) if c.dtype == "float32" else int(v)  # float32: its bits
    q = g.tensors[op.outputs[0]].quant
    return int(q.zero_point[0]) if q is not None else 0


PAD_VIEW = 30


def _lower_view(g: Graph, op: Op) -> Lowered:
    """int16/int32/float32: fill with the output zero point (0 without
    quantization; float32: the constant's bits, 0.0 for PAD),
    then the strided-view copy places the input (C op PAD_VIEW)."""
    from pytool.ops.strided_slice import view_params

    x, y = op.inputs[0], op.outputs[0]
    pads = paddings(g, op)
    part = ([int(b) for b, _ in pads], [1] * len(pads), list(g.tensors[x].shape))
    fill = pad_value(g, op)
    return Lowered(inputs=[x], params=[fill, *view_params(1, g.tensors[y].shape, [part])], opcode=PAD_VIEW)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == PAD_VIEW:
        x = np.asarray(xs[0])
        pads = [(int(b), int(a)) for b, a in paddings(g, op)]
        fill = float_from_bits(low.params[0]) if x.dtype == np.float32 else low.params[0]
        return [np.pad(x, pads, constant_values=fill)]
    x = np.asarray(xs[0], np.int8)
    pads = np.asarray(low.params[1:], np.int64).reshape(x.ndim, 2)
    return [np.pad(x, [tuple(r) for r in pads.tolist()], constant_values=low.params[0])]
