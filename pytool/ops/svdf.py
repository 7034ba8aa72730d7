"""SVDF. IR: inputs [x [batch, in], w_feature [filters, in], w_time [filters,
memory], (bias int32 [units]), state (variable) [batch, filters * memory]],
attrs {rank, activation}. The state is updated in place and kept across
invokes (a graph variable, g.meta["variables"]).

C (int8 x, int16 or int8 state and time weights; runtime_c/src/ops/svdf.c):
inputs [x, w_feature, w_time, bias | None, state]; params [rank, zx, z_state,
zy, mult_1, shift_1 (s_x s_wf / s_state), mult_2, shift_2 (s_state s_wt / s_y)],
TFLite Micro's PrepareSvdf / EvalIntegerSvdfReference. Its integer path
applies no fused activation, so only NONE is accepted there.
float32 (every tensor): the F32 C op's SVDF kind (pytool/ops/f32_recurrent.py).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32_recurrent
from pytool.ops.common import activation_float, quant_of
from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 39
TYPES = ("int8", "float32")
STATE_INPUTS = (-1,)  # ref_int8's second result is the new state


def _parts(op: Op) -> tuple[str, str, str, str | None, str]:
    if len(op.inputs) == 5:
        return tuple(op.inputs)  # type: ignore[return-value]
    if len(op.inputs) == 4:
        x, wf, wt, st = op.inputs
        return x, wf, wt, None, st
    raise IRError(f"SVDF '{op.name}': expected 4 or 5 inputs, got {len(op.inputs)}")


def _dims(g: Graph, op: Op) -> tuple[int, int, int, int, int]:
    x, wf, wt, _, st = _parts(op)
    (nb, ni), (nf, ni2), (nf2, nm) = g.tensors[x].shape, g.tensors[wf].shape, g.tensors[wt].shape
    rank = int(op.attrs.get("rank", 1))
    if ni != ni2 or nf != nf2 or rank < 1 or nf % rank or g.tensors[st].numel != nb * nf * nm:
        raise IRError(f"SVDF '{op.name}': inconsistent shapes or rank {rank}")
    return nb, ni, nf, nm, rank


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    nb, _, nf, _, rank = _dims(g, op)
    return [(nb, nf // rank)]


def macs(g: Graph, op: Op) -> int:
    nb, ni, nf, nm, _ = _dims(g, op)
    return nb * nf * (ni + nm)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    nb, ni, nf, nm, rank = _dims(g, op)
    x, wf, wt = (np.asarray(v, np.float64) for v in xs[:3])
    bias = xs[3] if len(xs) == 5 else None
    state = np.roll(np.asarray(xs[-1], np.float64).reshape(-1), -1).reshape(nb, nf, nm)
    state[:, :, -1] = x @ wf.T
    y = (state * wt[None]).sum(-1).reshape(nb, nf // rank, rank).sum(-1)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    act = op.attrs.get("activation", "NONE")
    if act in f32_recurrent.SVDF_TRANSCENDENTAL:
        y = f32_recurrent.SVDF_TRANSCENDENTAL[act](y)
    else:
        y = activation_float(y, act)
    return [y.astype(np.float32), state.reshape(nb, nf * nm).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    x, wf, wt, bias, st = _parts(op)
    y = op.outputs[0]
    _dims(g, op)
    if g.tensors[x].dtype == "float32":
        return f32_recurrent.lower_svdf(g, op, (x, wf, wt, bias, st))
    want = {x: "int8", wf: "int8", y: "int8"}
    for n, d in want.items():
        if g.tensors[n].dtype != d:
            raise IRError(f"SVDF '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, {d} expected")
    if g.tensors[st].dtype not in ("int16", "int8") or g.tensors[wt].dtype != g.tensors[st].dtype:
        raise IRError(f"SVDF '{op.name}': state and time weights must both be int16 (or both int8)")
    if op.attrs.get("activation", "NONE") != "NONE":
        raise IRError(f"SVDF '{op.name}': TFLite Micro's integer SVDF applies no fused activation; "
                      f"{op.attrs['activation']} is not supported")
    q = {n: quant_of(g, n, op) for n in (x, wf, wt, st, y)}
    m1, s1 = quantize_multiplier(effective_scale(float(q[x].scale[0]), float(q[wf].scale[0]), float(q[st].scale[0])))
    m2, s2 = quantize_multiplier(effective_scale(float(q[st].scale[0]), float(q[wt].scale[0]), float(q[y].scale[0])))
    params = [int(op.attrs.get("rank", 1)), int(q[x].zero_point[0]), int(q[st].zero_point[0]),
              int(q[y].zero_point[0]), m1, s1, m2, s2]
    return Lowered(inputs=[x, wf, wt, bias, st], params=params)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32_recurrent.f32.OPCODE:
        nb, _, nf, nm, _ = _dims(g, op)
        return f32_recurrent.ref_svdf(low, xs, (nb, nf, nm))
    x, wf, wt, bias, st = xs
    rank, zx, zs, zy, m1, s1, m2, s2 = low.params
    nb, _, nf, nm, _ = _dims(g, op)
    lo, hi = (-128, 127) if np.asarray(st).dtype == np.int8 else (-32768, 32767)
    state = np.roll(np.asarray(st, np.int64).reshape(-1), -1).reshape(nb, nf, nm)
    dot = (np.asarray(x, np.int64) - zx) @ np.asarray(wf, np.int64).T
    state[:, :, -1] = np.clip(multiply_by_quantized_multiplier(dot, m1, s1) + zs, lo, hi)
    t = ((state - zs) * np.asarray(wt, np.int64)[None]).sum(-1)
    acc = t.reshape(nb, nf // rank, rank).sum(-1)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    acc = ((acc + 2**31) % 2**32) - 2**31
    y = np.clip(multiply_by_quantized_multiplier(acc, m2, s2) + zy, -128, 127).astype(np.int8)
    return [y, state.reshape(np.asarray(st).shape).astype(np.asarray(st).dtype)]
