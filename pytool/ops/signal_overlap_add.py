"""SignalOverlapAdd, int16 and float32 (stateful). IR: inputs [x int16 [..., frames,
frame_size], state int16 [rows, frame_size] (a variable the reader adds)],
outputs [y int16 [..., frames * frame_step]], attrs {frame_step}: each frame
is added (int16 saturating, float32 rounding) into the running buffer, whose
first frame_step samples are emitted and shifted out (TFLite Micro's OverlapAdd).

C (runtime_c/src/ops/signal_overlap_add.c): inputs [x, state]; params [frame_step]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, ref_float_via_int

OPCODE = 110
TYPES = ("int16", "float32")
STATE_INPUTS = (1,)


def state_spec(shape: tuple, attrs: dict, dtype: str = "int16") -> np.ndarray:
    rows = int(np.prod(shape[:-2], dtype=np.int64)) if len(shape) >= 2 else 1
    return np.zeros((rows, shape[-1] if shape else 0), np.float32 if dtype == "float32" else np.int16)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    return [(*shape[:-2], shape[-2] * attr(op, "frame_step"))]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected inputs [x, overlap state]")
    dt = g.tensors[op.inputs[0]].dtype
    if dt not in ("int16", "float32"):
        raise IRError(f"{op.type} '{op.name}': {dt} is not supported (int16 and float32 are)")
    check_dtypes(g, op, [*op.inputs, op.outputs[0]], [dt] * 3)
    shape, step = g.tensors[op.inputs[0]].shape, attr(op, "frame_step")
    if len(shape) < 2 or not 0 < step <= shape[-1]:
        raise IRError(f"{op.type} '{op.name}': frame_step {step} does not fit frames of shape {shape}")
    return Lowered(inputs=list(op.inputs), params=[step])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    step = low.params[0]
    if np.asarray(xs[0]).dtype == np.float32:
        return _ref_f32(g, op, step, xs)
    x = np.asarray(xs[0], np.int64)
    fs, nfr = x.shape[-1], x.shape[-2]
    x = x.reshape(-1, nfr, fs)
    buf = np.asarray(xs[1], np.int64).copy()
    out = np.zeros((x.shape[0], nfr * step), np.int64)
    for f in range(nfr):
        buf = np.clip(buf + x[:, f], -32768, 32767)
        out[:, f * step:(f + 1) * step] = buf[:, :step]
        buf = np.concatenate([buf[:, step:], np.zeros((buf.shape[0], step), np.int64)], axis=1)
    return [out.reshape(g.tensors[op.outputs[0]].shape).astype(np.int16), buf.astype(np.int16)]


def _ref_f32(g: Graph, op: Op, step: int, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    fs, nfr = x.shape[-1], x.shape[-2]
    x = x.reshape(-1, nfr, fs)
    buf = np.asarray(xs[1], np.float32).copy()
    out = np.zeros((x.shape[0], nfr * step), np.float32)
    for f in range(nfr):
        buf = buf + x[:, f]
        out[:, f * step:(f + 1) * step] = buf[:, :step]
        buf = np.concatenate([buf[:, step:], np.zeros((buf.shape[0], step), np.float32)], axis=1)
    return [out.reshape(g.tensors[op.outputs[0]].shape), buf]
