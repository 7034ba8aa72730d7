"""numpy twins of the fixed-point backward kernels (runtime_c/src/train/bw_*.c).

Error signals are block floating point: int64 arrays of mantissas with
|E| <= 2^15 and one exponent; the real gradient is E * 2^exp. Every function
here gives the same integers as its C twin (tests/test_sparse_kernels.py).
"""

from __future__ import annotations

import numpy as np

from pytool.training.fixed_loss import exp_neg_q16

MANT_BITS = 15
POOL_FRAC = 10
I64_MAX = np.int64(2**63 - 1)


def round_shift(x, shift: int):
    """x / 2^shift rounded half away from zero; shift <= 0 multiplies, saturating."""
    x = np.asarray(x, np.int64)
    if shift > 62:
        return np.zeros_like(x)
    if shift > 0:
        half = np.int64(1 << (shift - 1))
        a = (np.abs(x) + half) >> np.int64(shift)
        return np.where(x >= 0, a, -a)
    if shift == 0:
        return x.copy()
    s = -shift
    lim = 0 if s >= 62 else (2**63 - 1) >> s
    with np.errstate(over="ignore"):
        y = x * np.int64(1 << min(s, 62))
    y = np.where(x > lim, I64_MAX, y)
    return np.where(x < -lim, -I64_MAX, y)


def round_shift_each(x, shifts):
    """round_shift with a per-element shift (all shifts > 0 here)."""
    x = np.asarray(x, np.int64)
    shifts = np.broadcast_to(np.asarray(shifts, np.int64), x.shape)
    out = np.empty_like(x)
    for s in np.unique(shifts):
        m = shifts == s
        out[m] = round_shift(x[m], int(s))
    return out


def normalize(e: np.ndarray, exp: int) -> tuple[np.ndarray, int]:
    m = int(np.abs(e).max()) if e.size else 0
    s = 0
    while (m >> s) >= (1 << MANT_BITS):
        s += 1
    if s == 0:
        return e, exp
    return round_shift(e, s), exp + s


def sum_shift(terms: int, term_bits: int) -> int:
    return max(0, int(terms).bit_length() + term_bits - 31)


def softmax_ce_bw(logits: np.ndarray, scale_q16: int, label: int) -> tuple[np.ndarray, int]:
    q = np.asarray(logits, np.int64).reshape(-1)
    best = int(np.argmax(q))  # first maximum, as the C loop
    ex = np.array([exp_neg_q16(int(v - q[best]) * scale_q16) for v in q], np.int64)
    p = (ex << np.int64(16)) // ex.sum()
    e = p.copy()
    e[label] -= 65536
    return normalize(e, -16)


def act_bw(y: np.ndarray, act_min: int, act_max: int, e: np.ndarray) -> np.ndarray:
    y = np.asarray(y, np.int64).reshape(e.shape)
    return np.where((y > act_min) & (y < act_max), e, 0)


def sat_bw(y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """odl_sat_s8_bw_input: one-sided pass-through at the int8 bounds."""
    y = np.asarray(y, np.int64).reshape(e.shape)
    return np.where(((y >= 127) & (e < 0)) | ((y <= -128) & (e > 0)), 0, e)


def _scaled(e: np.ndarray, mult: np.ndarray, shift: np.ndarray, s0: int, axis_len: int) -> tuple[np.ndarray, int]:
    """E'[..., o] = round(E * mult_o / 2^(31 + shmax - shift_o + s0))."""
    mult = np.broadcast_to(np.asarray(mult, np.int64), (axis_len,))
    shift = np.broadcast_to(np.asarray(shift, np.int64), (axis_len,))
    shmax = int(shift.max())
    return round_shift_each(e * mult, 31 + shmax - shift + s0), shmax


def fc_bw_input(e, exp, w, mult, shift):
    """e [B, O]; w [O, I] int8; mult/shift per channel or one entry."""
    w = np.asarray(w, np.int64)
    s0 = sum_shift(w.shape[0], MANT_BITS + 7)
    ep, shmax = _scaled(e, mult, shift, s0, w.shape[0])
    return normalize(ep @ w, exp + shmax + s0)


def fc_bw_weight(e, x, input_offset: int, channel: int):
    x = np.asarray(x, np.int64).reshape(e.shape[0], -1)
    ec = e[:, channel]
    return (ec[:, None] * (x + input_offset)).sum(axis=0), int(ec.sum())


def _taps(out_len: int, in_len: int, stride: int, pad: int, k: int, dil: int):
    o = np.arange(out_len)
    i = o * stride - pad + k * dil
    ok = (i >= 0) & (i < in_len)
    return o[ok], i[ok]


def conv_bw_input(e, exp, w, mult, shift, in_shape, stride, dilation, pad):
    """e [B, OH, OW, O]; w [O, KH, KW, C]."""
    w = np.asarray(w, np.int64)
    n_out, KH, KW, _ = w.shape
    s0 = sum_shift(n_out * KH * KW, MANT_BITS + 7)
    ep, shmax = _scaled(e, mult, shift, s0, n_out)
    out = np.zeros(in_shape, np.int64)
    for ky in range(KH):
        oy, iy = _taps(e.shape[1], in_shape[1], stride[0], pad[0], ky, dilation[0])
        for kx in range(KW):
            ox, ix = _taps(e.shape[2], in_shape[2], stride[1], pad[1], kx, dilation[1])
            if oy.size and ox.size:
                out[:, iy[:, None], ix[None, :], :] += ep[:, oy[:, None], ox[None, :], :] @ w[:, ky, kx, :]
    return normalize(out, exp + shmax + s0)


def conv_bw_weight(e, x, input_offset, w_shape, stride, dilation, pad, channel):
    _, KH, KW, C = w_shape
    x = np.asarray(x, np.int64) + input_offset
    ec = e[..., channel]
    g = np.zeros((KH, KW, C), np.int64)
    for ky in range(KH):
        oy, iy = _taps(e.shape[1], x.shape[1], stride[0], pad[0], ky, dilation[0])
        for kx in range(KW):
            ox, ix = _taps(e.shape[2], x.shape[2], stride[1], pad[1], kx, dilation[1])
            if oy.size and ox.size:
                g[ky, kx] = np.einsum("byx,byxc->c", ec[:, oy[:, None], ox[None, :]], x[:, iy[:, None], ix[None, :], :])
    return g.reshape(-1), int(ec.sum())


def dw_bw_input(e, exp, w, mult, shift, in_shape, stride, dilation, pad, depth_mult):
    """w [1, KH, KW, C*M]."""
    w = np.asarray(w, np.int64)
    _, KH, KW, n_out = w.shape
    s0 = sum_shift(depth_mult * KH * KW, MANT_BITS + 7)
    ep, shmax = _scaled(e, mult, shift, s0, n_out)
    out = np.zeros(in_shape, np.int64)
    B, H, W, C = in_shape
    for ky in range(KH):
        oy, iy = _taps(e.shape[1], H, stride[0], pad[0], ky, dilation[0])
        for kx in range(KW):
            ox, ix = _taps(e.shape[2], W, stride[1], pad[1], kx, dilation[1])
            if oy.size and ox.size:
                contrib = ep[:, oy[:, None], ox[None, :], :] * w[0, ky, kx, :]
                out[:, iy[:, None], ix[None, :], :] += contrib.reshape(*contrib.shape[:3], C, depth_mult).sum(-1)
    return normalize(out, exp + shmax + s0)


def dw_bw_weight(e, x, input_offset, w_shape, stride, dilation, pad, depth_mult, channel):
    _, KH, KW, _ = w_shape
    x = np.asarray(x, np.int64)[..., channel // depth_mult] + input_offset
    ec = e[..., channel]
    g = np.zeros((KH, KW), np.int64)
    for ky in range(KH):
        oy, iy = _taps(e.shape[1], x.shape[1], stride[0], pad[0], ky, dilation[0])
        for kx in range(KW):
            ox, ix = _taps(e.shape[2], x.shape[2], stride[1], pad[1], kx, dilation[1])
            if oy.size and ox.size:
                g[ky, kx] = (ec[:, oy[:, None], ox[None, :]] * x[:, iy[:, None], ix[None, :]]).sum()
    return g.reshape(-1), int(ec.sum())


def _recip_q30(count: int) -> int:
    return ((1 << 30) + count // 2) // count


def avgpool_bw_input(e, exp, in_shape, stride, filt, pad):
    B, H, W, C = in_shape
    wins = -(-filt[0] // stride[0]) * -(-filt[1] // stride[1])
    s0 = sum_shift(wins, MANT_BITS + POOL_FRAC)
    out = np.zeros(in_shape, np.int64)
    for oy in range(e.shape[1]):
        y0 = oy * stride[0] - pad[0]
        fy0, fy1 = max(0, -y0), min(filt[0], H - y0)
        for ox in range(e.shape[2]):
            x0 = ox * stride[1] - pad[1]
            fx0, fx1 = max(0, -x0), min(filt[1], W - x0)
            count = (fy1 - fy0) * (fx1 - fx0)
            if count <= 0:
                continue
            ep = round_shift(e[:, oy, ox, :] * _recip_q30(count), 30 - POOL_FRAC + s0)
            out[:, y0 + fy0 : y0 + fy1, x0 + fx0 : x0 + fx1, :] += ep[:, None, None, :]
    return normalize(out, exp - POOL_FRAC + s0)


def mean_bw_input(e, exp, outer: int, reduce: int, inner: int):
    ep = round_shift(np.asarray(e, np.int64).reshape(outer, 1, inner) * _recip_q30(reduce), 30 - POOL_FRAC)
    return normalize(np.broadcast_to(ep, (outer, reduce, inner)).reshape(-1).copy(), exp - POOL_FRAC)


# ---------------------------------------------------------------- weight write-back (bw_update*.c)

D_ROUND = 1 << 15
ROW_BITS = 14
V_MIN, V_MAX = -127 * 256, 32767


def input_x128(x, input_offset: int) -> np.ndarray:
    """odl_bw_input_x128_s8: the int16 row of a batch-1 fully connected layer."""
    return (np.asarray(x, np.int64).reshape(-1) + input_offset) * 128


def row_to_s16(grad) -> tuple[np.ndarray, int]:
    """odl_bw_row_to_s16: (grad / 2^sg rounded, sg) with sg = bitlen(max|grad|) - 14."""
    grad = np.asarray(grad, np.int64)
    m = int(np.abs(grad).max()) if grad.size else 0
    sg = m.bit_length() - ROW_BITS
    return round_shift(grad, sg), sg


def update_d(g, c: int) -> np.ndarray:
    return (np.int64(c) * np.asarray(g, np.int64) + D_ROUND) >> np.int64(16)


def update_master(w, u, g, c: int) -> tuple[np.ndarray, np.ndarray]:
    """odl_update_master_s8: v = 256 w + u - d, clamped; (new w, new u)."""
    v = np.clip(np.asarray(w, np.int64) * 256 + np.asarray(u, np.int64) - update_d(g, c), V_MIN, V_MAX)
    return v >> np.int64(8), v & np.int64(255)


def update_round(w, g, c: int) -> np.ndarray:
    return np.clip(np.asarray(w, np.int64) - ((update_d(g, c) + 128) >> np.int64(8)), -127, 127)


def update_stochastic(w, g, c: int, words) -> np.ndarray:
    """words: odl_prng_word(key, i) for every element i of the row."""
    d = update_d(g, c)
    bump = (np.asarray(words, np.int64) & 255) < (d & 255)
    new = np.clip(np.asarray(w, np.int64) - (d >> np.int64(8)) - bump, -127, 127)
    return np.where(d != 0, new, np.asarray(w, np.int64))


def maxpool_bw_input(e, exp, x, stride, filt, pad):
    """odl_max_pool2d_s8_bw_input: the error of each output goes to the first
    largest input of its window (row-major), summed over overlapping windows."""
    x = np.asarray(x, np.int64)
    B, H, W, C = x.shape
    out = np.zeros(x.shape, np.int64)
    for oy in range(e.shape[1]):
        y0 = oy * stride[0] - pad[0]
        fy0, fy1 = max(0, -y0), min(filt[0], H - y0)
        for ox in range(e.shape[2]):
            x0 = ox * stride[1] - pad[1]
            fx0, fx1 = max(0, -x0), min(filt[1], W - x0)
            if fy1 <= fy0 or fx1 <= fx0:
                continue
            win = x[:, y0 + fy0 : y0 + fy1, x0 + fx0 : x0 + fx1, :].reshape(B, -1, C)
            k = np.argmax(win, axis=1)  # first maximum in row-major order
            wy, wx = np.divmod(k, fx1 - fx0)
            bi, ci = np.meshgrid(np.arange(B), np.arange(C), indexing="ij")
            np.add.at(out, (bi, y0 + fy0 + wy, x0 + fx0 + wx, ci), e[:, oy, ox, :])
    return normalize(out, exp)


def move_bw_input(e, exp, mapping, n_in: int):
    """odl_move_s8_bw_input: e_in[map[i]] += e_out[i] where map[i] >= 0."""
    e = np.asarray(e, np.int64).reshape(-1)
    mapping = np.asarray(mapping, np.int64)
    out = np.zeros(n_in, np.int64)
    ok = mapping >= 0
    np.add.at(out, mapping[ok], e[ok])
    return normalize(out, exp)


def table_bw_input(e, exp, x, table, frac: int):
    """odl_table_s8_bw_input: e * table[x + 128], exponent - frac."""
    x = np.asarray(x, np.int64).reshape(-1)
    return normalize(np.asarray(e, np.int64).reshape(-1) * np.asarray(table, np.int64)[x + 128], exp - frac)


def mul_bw_input(e, exp, other, mapping, other_zp: int, mult: int, shift: int):
    """odl_mul_s8_bw_input: e * (other[map] - zp) * mult, rounded at 2^-24; exponent + shift - 7."""
    o = np.asarray(other, np.int64).reshape(-1)[np.asarray(mapping, np.int64)]
    t = np.asarray(e, np.int64).reshape(-1) * (o - other_zp)
    return normalize(round_shift(t * np.int64(mult), 24), exp + shift - 7)
