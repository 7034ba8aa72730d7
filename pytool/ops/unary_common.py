"""Checks shared by the element-wise activation ops (LEAKY_RELU, TANH, HARD_SWISH, ...)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op, QuantParams
from pytool.ops.common import QMAX, QMIN, quant_of


def io_dtype(g: Graph, op: Op, allowed: tuple[str, ...]) -> str:
    """The shared integer dtype of the op's first input and output."""
    x, y = op.inputs[0], op.outputs[0]
    dx, dy = g.tensors[x].dtype, g.tensors[y].dtype
    if dx != dy or dx not in allowed:
        raise IRError(
            f"{op.type} '{op.name}': input '{x}' is {dx} and output '{y}' is {dy}; "
            f"the kernels take {' or '.join(allowed)} in and out"
        )
    return dx


def per_tensor(g: Graph, op: Op, name: str) -> QuantParams:
    q = quant_of(g, name, op)
    if q.per_channel:
        raise IRError(f"{op.type} '{op.name}': tensor '{name}' is per-channel; only per-tensor is supported")
    return q


def clip(y: np.ndarray, dtype: str) -> np.ndarray:
    return np.clip(y, QMIN[dtype], QMAX[dtype]).astype(dtype)


def same_shape(g: Graph, op: Op) -> list[tuple]:
    """infer_shapes of an element-wise op: the input's shape."""
    return [g.tensors[op.inputs[0]].shape]


def no_macs(g: Graph, op: Op) -> int:
    return 0
