"""FP16 layers without a window or weights (issue: backward through every op):
elementwise LOGISTIC / TANH / HARD_SWISH / LEAKY_RELU (UNARY), MUL, and the
data-movement ops PAD, TRANSPOSE / STRIDED_SLICE (a strided GATHER) and
CONCATENATION of two inputs. Each layer's parameters travel in the ten int32
words of odl_f16_layer_t.geo (runtime_c/include/odl/train_fp16.h)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.training import TrainSpecError

UNARY_KINDS = {"LOGISTIC": 1, "TANH": 2, "HARD_SWISH": 3, "LEAKY_RELU": 4}
OP_KIND = {**dict.fromkeys(UNARY_KINDS, "UNARY"), "MUL": "MUL", "PAD": "PAD", "TRANSPOSE": "GATHER",
           "STRIDED_SLICE": "GATHER", "CONCATENATION": "CONCAT"}
KINDS = {"UNARY": 11, "MUL": 12, "PAD": 13, "GATHER": 14, "CONCAT": 15}


def axis4(rank: int, axis: int) -> int:
    """Position of IR axis `axis` in the kernels' 4-D dims (fp16._dims4)."""
    return {1: [3], 2: [0, 3], 3: [0, 2, 3], 4: [0, 1, 2, 3]}[rank][axis]


def f32_word(x: float) -> int:
    return int(np.array([x], np.float32).view(np.int32)[0])


def word_f32(w: int) -> np.float32:
    return np.array([w], np.int32).view(np.float32)[0]


def _dims4(shape) -> tuple[int, ...]:
    from pytool.training.fp16 import _dims4 as d4

    return d4(tuple(shape), False)


def _source_map(g: Graph, op: Op) -> np.ndarray:
    """Input flat index (or -1 for a padded element) of every output element,
    in the output's 4-D dims."""
    from pytool import ops as opreg

    x = g.tensors[op.inputs[0]]
    idx = (np.arange(int(np.prod(x.shape))) + 1).astype(np.float64).reshape(x.shape)
    src = np.asarray(opreg.get(op.type).ref_float(g, op, [idx])[0]).astype(np.int64) - 1
    return src.reshape(_dims4(g.tensors[op.outputs[0]].shape))


def words(g: Graph, op: Op, kind: str, label: str) -> list[int]:
    """The ten geo words of one layer (act, word 9, is filled by the caller)."""
    w = [0] * 10
    if kind == "UNARY":
        w[0] = UNARY_KINDS[op.type]
        w[1] = f32_word(float(op.attrs.get("alpha", 0.2))) if op.type == "LEAKY_RELU" else 0
    elif kind == "PAD":
        src = _source_map(g, op)
        inside = np.argwhere(src >= 0)
        before = inside.min(axis=0) if inside.size else np.zeros(4, np.int64)
        if inside.size == 0 or not np.array_equal(inside.max(axis=0) - before + 1,
                                                  _dims4(g.tensors[op.inputs[0]].shape)):
            raise TrainSpecError(f"fp16: {label} is not a zero padding the kernel can express")
        w[:4] = [int(b) for b in before]
    elif kind == "GATHER":
        src = _source_map(g, op)
        strides = [int(np.diff(src, axis=d).reshape(-1)[0]) if src.shape[d] > 1 else 0 for d in range(4)]
        grid = np.indices(src.shape)
        fit = int(src.reshape(-1)[0]) + sum(grid[d] * strides[d] for d in range(4))
        if np.any(src < 0) or not np.array_equal(fit, src) or len(np.unique(src)) != src.size:
            raise TrainSpecError(f"fp16: {label} is not a strided view the kernel can express")
        w[:5] = [*strides, int(src.reshape(-1)[0])]
    elif kind == "CONCAT":
        if len(op.inputs) != 2:
            raise TrainSpecError(f"fp16: {label} joins {len(op.inputs)} tensors; FP16 training joins two")
        from pytool.ops.concatenation import axis_of

        rank = len(g.tensors[op.inputs[0]].shape)
        w[0] = axis4(rank, axis_of(g, op))
    elif kind == "MUL":
        a, b = (g.tensors[n].shape for n in op.inputs[:2])
        if a != b:
            raise TrainSpecError(f"fp16: {label} broadcasts; only same-shape MUL trains")
    return w
