"""HARD_SWISH. IR: inputs [x], attrs {}. y = x * relu6(x + 3) / 6.

C (int8): inputs [x], params (TFLite Micro's HardSwishPrepare):
  [0] zx  [1] zy  [2] reluish multiplier (int16)  [3] reluish exponent
  [4] output multiplier (int16)  [5] output exponent (<= 0)
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.unary_common import io_dtype, per_tensor
from quantize.fixedpoint import quantize_multiplier

OPCODE = 21
TYPES = ("int8",)  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    return [(x * np.clip(x + np.float32(3), 0, 6) / np.float32(6)).astype(np.float32)]


def downscale_to_int16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    return 32767 if m >= 2**31 - 1 - (1 << 15) else (m + (1 << 15)) >> 16


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    io_dtype(g, op, ("int8",))
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    hires = np.float32(np.float32(1.0 / 128.0) * np.float32(qx.scale[0]))
    m_out, e_out = quantize_multiplier(float(np.float32(hires / np.float32(qy.scale[0]))))
    if e_out > 0:
        raise IRError(f"HARD_SWISH '{op.name}': output scale must be at least input scale / 128")
    m_rel, e_rel = quantize_multiplier(float(np.float32(hires / np.float32(3.0 / 32768.0))))
    if not -15 <= e_rel <= 15 or e_out < -15:
        raise IRError(f"HARD_SWISH '{op.name}': scales give shifts out of the 16-bit range")
    return Lowered(inputs=[op.inputs[0]], params=[int(qx.zero_point[0]), int(qy.zero_point[0]),
                                                  downscale_to_int16(m_rel), e_rel, downscale_to_int16(m_out), e_out])


def _wrap16(v):
    return ((np.asarray(v, np.int64) + 2**15) % 2**16) - 2**15


def _sat16(v):
    return np.clip(v, -(2**15), 2**15 - 1)


def _srdhm16(a, b):
    ab = np.asarray(a, np.int64) * np.asarray(b, np.int64)
    num = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    r = np.where(num >= 0, num // 2**15, -((-num) // 2**15))
    return np.where((np.asarray(a) == b) & (np.asarray(a) == -(2**15)), 2**15 - 1, _wrap16(r))


def _sdhm16(a, b):
    ab = np.asarray(a, np.int64) * np.asarray(b, np.int64)
    r = np.where(ab >= 0, ab // 2**15, -((-ab) // 2**15))
    return np.where((np.asarray(a) == b) & (np.asarray(a) == -(2**15)), 2**15 - 1, _wrap16(r))


def _rdbp(x, e: int):
    x = np.asarray(x, np.int64)
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > ((mask >> 1) + (x < 0)))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    zx, zy, m_rel, e_rel, m_out, e_out = low.params
    x = _wrap16(np.asarray(xs[0], np.int64) - zx)
    hires = _wrap16(x * 128)
    preshift = _srdhm16(hires, m_out)
    r = hires
    if e_rel > 0:
        r = _sat16(r * (1 << (e_rel - 1)))
    r = _srdhm16(r, m_rel)
    if e_rel > 0:
        r = _sat16(r * 2)
    if e_rel < 0:
        r = _rdbp(r, -e_rel)
    r = (r + (1 << 15)) >> 1
    y = _wrap16(_rdbp(_sdhm16(r, preshift), -e_out) + zy)
    return [np.clip(y, -128, 127).astype(np.int8)]
