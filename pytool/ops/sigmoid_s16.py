"""int16 LOGISTIC and TANH (TFLite Micro's reference_integer_ops for int16):
Prepare's input rescale and the table interpolation, shared by both op modules.

C ops LOGISTIC_S16 / TANH_S16: inputs [x]; params [input_multiplier (0 for a
power-of-two scale), input_left_shift]. Zero points must be 0 and the output
scale 2^-15, as TFLite Micro requires.
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.sigmoid_lut import SIGMOID_TABLE_U16
from pytool.ops.unary_common import per_tensor

LOGISTIC_S16, TANH_S16 = 40, 41
TABLE = np.asarray(SIGMOID_TABLE_U16, np.int64)


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in float32."""
    v = np.float32(np.float32(math.log(np.float32(x))) * np.float32(1.0 / math.log(2.0)))
    r = np.float32(np.round(v))  # std::round: half away from zero; exact .5 cannot occur here
    return abs(float(v - r)) < 1e-3, int(r)


def lower(g: Graph, op: Op, tanh: bool) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    qx, qy = per_tensor(g, op, x), per_tensor(g, op, y)
    if int(qx.zero_point[0]) or int(qy.zero_point[0]):
        raise IRError(f"{op.type} '{op.name}': int16 needs zero points 0 (TFLite Micro)")
    pot, log2 = checked_log2(float(qx.scale[0]))
    left = (15 - 3) + log2
    pot = pot and (left in (0, 1) if tanh else left == 0)
    if pot:
        mult = 0
    else:
        m = float(np.float32(qx.scale[0])) * 4096.0 * 3.0
        left = 0
        while m <= 32767.0 / 2.0 and left <= 30:
            left += 1
            m *= 2.0
        mult = int(m)
    ok, out_log2 = checked_log2(float(qy.scale[0]))
    if not ok or out_log2 != -15:
        raise IRError(f"{op.type} '{op.name}': int16 output scale must be 2^-15, got {float(qy.scale[0])}")
    return Lowered(inputs=[x], params=[mult, left], opcode=TANH_S16 if tanh else LOGISTIC_S16)


def _shift(v: np.ndarray, s: int) -> np.ndarray:
    return np.asarray(v, np.int64) >> s  # numpy's >> on int64 is arithmetic, as the C


def ref(x: np.ndarray, params: list[int], tanh: bool) -> np.ndarray:
    mult, left = params
    if mult == 0:
        mult, left = 3 << left, 0
    rnd = 1 << (left - 1) if left > 0 else 0
    v = _shift(np.asarray(x, np.int64) * mult + rnd, left)
    a = np.abs(v)
    frac_bits = 8 if tanh else 9
    uh = a >> frac_bits
    idx = np.minimum(uh, 254)
    ua, ub = TABLE[idx], TABLE[idx + 1]
    r = (ua << frac_bits) + (a & ((1 << frac_bits) - 1)) * (ub - ua)
    if tanh:
        r = np.where(uh >= 255, 0xFFFF << 8, r)
        r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
        return _shift(r, 8).astype(np.int16)
    r = np.where(uh >= 255, 0x7FFF << 10, r)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16)
