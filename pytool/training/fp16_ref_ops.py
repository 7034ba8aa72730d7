"""numpy twin of runtime_c/src/kernels/fp16/unary.c (the layers of
pytool/training/fp16_ops.py): the same FP32 operations and rounding points, so
the C runtime and this module give the same bits."""

from __future__ import annotations

import numpy as np

from pytool.training.fp16_ops import word_f32
from pytool.training.fp16_ref import F32, Round, act_fw, act_grad, expf


def _logistic(x):
    e = expf(np.where(x >= 0, -x, x).astype(F32))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(x >= 0, F32(1) / (F32(1) + e), e / (F32(1) + e)).astype(F32)


def _tanh(x):
    a = np.where(x >= 0, x, -x).astype(F32)
    e = expf(-(a + a))
    r = ((F32(1) - e) / (F32(1) + e)).astype(F32)
    return np.where(x < 0, -r, r).astype(F32)


def unary_fw(kind: int, alpha, x):
    x = np.asarray(x, F32)
    if kind == 1:
        return _logistic(x)
    if kind == 2:
        return _tanh(x)
    if kind == 3:
        t = x + F32(3)
        t = np.where(t > 0, np.where(t < 6, t, F32(6)), F32(0)).astype(F32)
        return ((x * t) / F32(6)).astype(F32)
    return np.where(x > 0, x, F32(alpha) * x).astype(F32)


def unary_grad(kind: int, alpha, x, y):
    if kind == 1:
        return (y * (F32(1) - y)).astype(F32)
    if kind == 2:
        return (F32(1) - y * y).astype(F32)
    if kind == 3:
        mid = ((x + x + F32(3)) / F32(6)).astype(F32)
        return np.where(x < -3, F32(0), np.where(x > 3, F32(1), mid)).astype(F32)
    return np.where(x > 0, F32(1), F32(alpha)).astype(F32)


def forward(ly, v, rnd: Round, out_shape):
    """Forward of one new-kind layer; None when ly.kind is not one of them."""
    x, geo = v[ly.in0], ly.geo
    w = [int(geo[k]) for k in geo][:9]
    if ly.kind == "UNARY":
        return rnd(unary_fw(w[0], word_f32(w[1]), x))
    if ly.kind == "MUL":
        return rnd(act_fw(geo["act"], x * v[ly.in1]))
    if ly.kind == "PAD":
        out = np.zeros(_d4(out_shape), F32)
        d = x.reshape(_d4(x.shape))
        out[tuple(slice(b, b + n) for b, n in zip(w[:4], d.shape))] = rnd(d)
        return out
    if ly.kind == "GATHER":
        return rnd(x.reshape(-1)[gather_index(w, _d4(out_shape))])
    if ly.kind == "CONCAT":
        a, b = x.reshape(_d4(x.shape)), v[ly.in1].reshape(_d4(v[ly.in1].shape))
        return rnd(np.concatenate([a, b], axis=w[0]))
    return None


def backward(ly, v, gr, sl, rnd: Round) -> bool:
    """Backward of one new-kind layer into gr; False when not one of them."""
    if ly.kind not in ("UNARY", "MUL", "PAD", "GATHER", "CONCAT"):
        return False
    x, y, g, geo = v[ly.in0], v[ly.out], gr[ly.out], ly.geo
    w = [int(geo[k]) for k in geo][:9]
    if ly.kind == "MUL":
        gp = act_grad(geo["act"], y, g)
        a, b = ly.in0, ly.in1
        if sl[a].grad:
            gr[a] = rnd(gr[a] + (gp * v[b]).reshape(gr[a].shape))
        if sl[b].grad:
            gr[b] = rnd(gr[b] + (gp * v[a]).reshape(gr[b].shape))
        return True
    if ly.kind == "CONCAT":
        g4 = g.reshape(_d4(g.shape))
        n0 = _d4(x.shape)[w[0]]
        parts = np.split(g4, [n0], axis=w[0])
        for k, part in zip((ly.in0, ly.in1), parts):
            if sl[k].grad:
                gr[k] = rnd(gr[k] + part.reshape(gr[k].shape))
        return True
    if not sl[ly.in0].grad:
        return True
    if ly.kind == "UNARY":
        d = unary_grad(w[0], word_f32(w[1]), x, y)
        gr[ly.in0] = rnd(gr[ly.in0] + (g * d).reshape(x.shape))
    elif ly.kind == "PAD":
        d = _d4(x.shape)
        inner = g.reshape(_d4(g.shape))[tuple(slice(b, b + n) for b, n in zip(w[:4], d))]
        gr[ly.in0] = rnd(gr[ly.in0] + inner.reshape(x.shape))
    else:  # GATHER: each input element read once
        flat = gr[ly.in0].reshape(-1).copy()
        idx = gather_index(w, _d4(g.shape)).reshape(-1)
        flat[idx] = rnd(flat[idx] + g.reshape(-1))
        gr[ly.in0] = flat.reshape(x.shape)
    return True


def gather_index(w, out_dims) -> np.ndarray:
    grid = np.indices(out_dims)
    return (w[4] + sum(grid[d] * w[d] for d in range(4))).astype(np.int64)


def _d4(shape) -> tuple[int, ...]:
    from pytool.training.fp16_ops import _dims4

    return _dims4(shape)
