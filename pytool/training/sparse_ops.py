"""Backward data of the sparse update's data-movement and element-wise ops.

- Data movement (PAD, TRANSPOSE, STRIDED_SLICE, SLICE, CONCATENATION): the
  real-valued gradient of an output element goes to the input element it was
  copied from. The map (output index -> input index, -1 for padding or
  another operand of a concatenation) comes from running the op's own float
  reference on an index tensor, so it follows every op's geometry exactly;
  it sits in flash with the training config (int32 per output element).
- MUL: the error of the operand on the path is the output error times the
  other operand's real value; the other operand's broadcast index per output
  element is a map like the data-movement ones.
- Element-wise (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU): dy/dx at each of the
  256 int8 input values, dequantized and evaluated in float64, as an int16
  table with `frac` fraction bits: E_in = E_out * table[x + 128] exactly,
  exponent - frac (runtime_c/src/train/bw_move.c).
- A conv that ends the backward under a disjoint max-pool (pooled_conv)
  reads the pool's error itself; the conv output's error is never made.
"""

from __future__ import annotations

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph
from pytool.ops.conv_2d import pair
from pytool.reference import _dequant_const
from pytool.training import TrainSpecError
from quantize.fixedpoint import quantize_multiplier

MOVE_OPS = ("PAD", "TRANSPOSE", "STRIDED_SLICE", "SLICE", "CONCATENATION")
TABLE_OPS = ("LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU")
TABLE_BITS = 15  # |table| < 2^15 keeps E * table inside int32


def move_map(g: Graph, k: int, in_t: str) -> np.ndarray:
    """int32 [numel(output)]: the flat index in in_t each output element copies, or -1."""
    op = g.ops[k]
    xs = []
    for n in op.inputs:
        t = g.tensors[n]
        if n == in_t:
            xs.append(np.arange(1, int(np.prod(t.shape)) + 1, dtype=np.float64).reshape(t.shape))
        elif t.is_const:
            xs.append(_dequant_const(t))
        else:
            xs.append(np.zeros(t.shape, np.float64))
    y = np.asarray(opreg.get(op.type).ref_float(g, op, xs)[0], np.float64).reshape(-1)
    if y.size and (np.any(y != np.round(y)) or y.max() > 2**24):
        raise TrainSpecError(f"sparse update: {op.type} (op #{k}) is not a plain copy; no backward for it")
    return np.round(y).astype(np.int64) - 1


def float_deriv(g: Graph, k: int, x: np.ndarray) -> np.ndarray:
    """dy/dx of an element-wise op at real inputs x (float64)."""
    op = g.ops[k]
    x = np.asarray(x, np.float64)
    if op.type == "LOGISTIC":
        s = 0.5 * (1.0 + np.tanh(0.5 * x))
        return s * (1.0 - s)
    if op.type == "TANH":
        return 1.0 - np.tanh(x) ** 2
    if op.type == "HARD_SWISH":
        return np.where(x < -3.0, 0.0, np.where(x > 3.0, 1.0, (2.0 * x + 3.0) / 6.0))
    if op.type == "LEAKY_RELU":
        return np.where(x > 0, 1.0, float(op.attrs.get("alpha", 0.2)))
    raise TrainSpecError(f"sparse update: no derivative for {op.type}")


def deriv_table(g: Graph, k: int) -> tuple[np.ndarray, int]:
    """(int16 [256] dy/dx at int8 input v = -128..127 in Q(frac), frac)."""
    q = g.tensors[g.ops[k].inputs[0]].quant
    if q is None or g.tensors[g.ops[k].inputs[0]].dtype != "int8":
        raise TrainSpecError(f"sparse update: {g.ops[k].type} (op #{k}) needs an int8 input")
    v = np.arange(-128, 128, dtype=np.float64)
    d = float_deriv(g, k, float(q.scale[0]) * (v - int(q.zero_point[0])))
    top = float(np.abs(d).max())
    frac = int(np.floor(np.log2((2**TABLE_BITS - 1) / top))) if top > 0 else 0
    frac = max(0, min(frac, 30))
    table = np.clip(np.round(d * 2.0**frac), -(2**15) + 1, 2**15 - 1).astype(np.int64)
    return table, frac


def mul_other(g: Graph, k: int, arg: int) -> tuple[np.ndarray, int, list[tuple[int, int]]]:
    """MUL with operand `arg` on the path: (the other operand's flat index per
    output element, its zero point, [its scale as a quantize_multiplier pair])."""
    op = g.ops[k]
    other = g.tensors[op.inputs[1 - arg]]
    if other.quant is None or other.dtype != "int8":
        raise TrainSpecError(f"sparse update: MUL (op #{k}) needs an int8 operand '{other.name}'")
    n = int(np.prod(other.shape))
    idx = np.broadcast_to(np.arange(n).reshape(other.shape), g.tensors[op.outputs[0]].shape).reshape(-1)
    m, s = quantize_multiplier(float(other.quant.scale[0]))
    return idx.astype(np.int64), int(other.quant.zero_point[0]), [(int(m), int(s))]


def pooled_conv(g: Graph, steps: list) -> int | None:
    """Index of a MAX_POOL_2D step with disjoint windows (stride >= filter) whose
    input is the output of the CONV_2D that ends the backward. That conv's
    bw_weight reads the pool's output error and routes it itself (kind
    CONV_POOL, odl_conv2d_s8_bw_weight_pooled): the conv output's int32 error,
    4 bytes per conv output element, is never made."""
    for j in range(len(steps) - 1):
        s, t = steps[j], steps[j + 1]
        pool, conv = g.ops[s.op], g.ops[t.op]
        if (pool.type != "MAX_POOL_2D" or conv.type != "CONV_2D" or t.in_t is not None or s.in_t != t.out_t
                or s.side_t is not None or s.acc):
            continue
        (fh, fw), (sh, sw) = pair(pool, "filter"), pair(pool, "stride")
        if sh >= fh and sw >= fw:
            return j
    return None
