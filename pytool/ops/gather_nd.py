"""GATHER_ND. IR: inputs [params, indices int32 (const or not)], attrs {};
y = params[tuple(indices[..., :])] with shape indices.shape[:-1] +
params.shape[k:], k = indices.shape[-1].

C (int8, as TFLite Micro): inputs [params, indices], params []. Raw values;
like TFLite Micro only each slice's flat offset is range-checked (an index
past one axis but inside the tensor reads on, as there).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 56
TYPES = ("int8",)  # TFLite Micro's GATHER_ND takes float32 and int8


def _depth(g: Graph, op: Op) -> int:
    p, i = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if not i.shape or not 1 <= i.shape[-1] <= len(p.shape):
        raise IRError(f"GATHER_ND '{op.name}': indices shape {list(i.shape)} does not fit params rank {len(p.shape)}")
    return int(i.shape[-1])


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    p, i = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    return [tuple(i.shape[:-1]) + tuple(p.shape[_depth(g, op):])]


def macs(g: Graph, op: Op) -> int:
    return 0


def _gather(g: Graph, op: Op, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
    p = np.asarray(params)
    k = _depth(g, op)
    strides = np.cumprod((p.shape[1:] + (1,))[::-1])[::-1]  # element strides per axis
    slice_n = int(np.prod(p.shape[k:], dtype=np.int64))
    flat = p.reshape(-1)
    idx = np.asarray(indices, np.int64).reshape(-1, k)
    starts = idx @ strides[:k]
    if ((starts < 0) | (starts + slice_n > flat.size)).any():
        raise IRError(f"GATHER_ND '{op.name}': an index tuple is out of range")
    out = np.stack([flat[s:s + slice_n] for s in starts]) if len(starts) else np.zeros((0, slice_n), p.dtype)
    return out.reshape(infer_shapes(g, op)[0])


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [_gather(g, op, xs[0], xs[1])]


def lower(g: Graph, op: Op) -> Lowered:
    p, i, y = (g.tensors[n] for n in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if p.dtype not in ("int8", "float32") or y.dtype != p.dtype:
        raise IRError(f"GATHER_ND '{op.name}': params {p.dtype} / output {y.dtype}; TFLite Micro has int8 and "
                      "float32 kernels only")
    if i.dtype != "int32":
        raise IRError(f"GATHER_ND '{op.name}': indices are {i.dtype}, int32 expected")
    if len(p.shape) > 5:
        raise IRError(f"GATHER_ND '{op.name}': params rank {len(p.shape)} is above 5")
    return Lowered(inputs=[op.inputs[0], op.inputs[1]], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [_gather(g, op, xs[0], xs[1])]
