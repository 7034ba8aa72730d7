"""BasicClassifier, TFLite Micro's custom op for hotword-style score
thresholds. IR: inputs [scores int32 [N] or [1, N], target indices int32 [K],
thresholds int32 [K]] (constant or computed), outputs [detected bool [K],
posteriors int32 [K]], attrs {}: posteriors[i] = scores[target[i]],
detected[i] = posteriors[i] >= thresholds[i]. A target index outside [0, N)
fails the op (TFLite Micro fails it too, after writing the targets before
it; here nothing is written).

C: inputs [scores, targets, thresholds], params [].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 68
TYPES = ("int32",)


def _check(g: Graph, op: Op) -> None:
    where = f"BasicClassifier '{op.name}'"
    if len(op.inputs) != 3 or len(op.outputs) != 2:
        raise IRError(f"{where}: needs inputs [scores, target indices, thresholds] and outputs [detected, "
                      f"posteriors], got {len(op.inputs)} and {len(op.outputs)}")
    x, idx, th, det, post = (g.tensors[n] for n in (*op.inputs, *op.outputs))
    if len(x.shape) not in (1, 2) or any(len(t.shape) != 1 for t in (idx, th, det, post)):
        raise IRError(f"{where}: scores must be 1-D or 2-D and the rest 1-D (as TFLite Micro)")
    k = idx.shape[0]
    if th.shape[0] != k or det.shape[0] != k or post.shape[0] != k:
        raise IRError(f"{where}: {k} target indices but thresholds {list(th.shape)}, outputs {list(det.shape)} "
                      f"and {list(post.shape)}")
    if (x.dtype, idx.dtype, th.dtype, det.dtype, post.dtype) != ("int32", "int32", "int32", "bool", "int32"):
        raise IRError(f"{where}: types {x.dtype}, {idx.dtype}, {th.dtype} -> {det.dtype}, {post.dtype}; int32 "
                      "scores, indices and thresholds to bool and int32 expected (as TFLite Micro)")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _check(g, op)
    k = g.tensors[op.inputs[1]].shape[0]
    return [(k,), (k,)]


def macs(g: Graph, op: Op) -> int:
    return 0


def classify(op: Op, scores, targets, thresholds) -> list[np.ndarray]:
    """The numpy twin."""
    x = np.asarray(scores, np.int32).reshape(-1)
    idx = np.asarray(targets, np.int64).reshape(-1)
    if np.any((idx < 0) | (idx >= x.size)):
        raise IRError(f"BasicClassifier '{op.name}': a target index is out of range [0, {x.size})")
    post = x[idx]
    return [post >= np.asarray(thresholds, np.int32).reshape(-1), post]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return classify(op, *xs)


def lower(g: Graph, op: Op) -> Lowered:
    _check(g, op)
    return Lowered(inputs=list(op.inputs), params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return classify(op, *xs)
