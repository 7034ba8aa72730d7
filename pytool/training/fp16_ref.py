"""numpy twin of the FP16 training kernels and of the FP16 backprop step.

Every function follows the rounding points and summation orders documented in
runtime_c/include/odl/kernels_f16.h, so the C runtime and this module give the
same bits. Values are carried as float32 arrays; `rnd` is the storage rounding
(to_f16: round to binary16 and back; identity: a float32 backprop with the same
summation orders, used as the FP32 baseline).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

F32 = np.float32
Round = Callable[[np.ndarray], np.ndarray]


def f16_bits(x) -> np.ndarray:
    """float32 -> binary16 bits, RNE, overflow to inf, NaN -> 0x7e00 (as odl_f32_to_f16)."""
    x = np.asarray(x, dtype=F32)
    with np.errstate(over="ignore", invalid="ignore"):
        h = x.astype(np.float16).view(np.uint16).copy()
    h[np.isnan(x)] = 0x7E00
    return h


def from_bits(h) -> np.ndarray:
    return np.asarray(h, dtype=np.uint16).view(np.float16).astype(F32)


def to_f16(x) -> np.ndarray:
    return from_bits(f16_bits(x))


def identity(x) -> np.ndarray:
    return np.asarray(x, dtype=F32)


# --- exp / ln / sqrt from +, -, *, / (odl_f16_expf, _logf, _sqrtf) --------------------------

_EXP_C = [F32(1) / F32(d) for d in (720, 120, 24, 6)]


def expf(x) -> np.ndarray:
    x = np.asarray(x, dtype=F32)
    t = x * F32(1.44269504)
    tc = np.maximum(t, F32(-125))  # keeps the bit trick in range; those lanes become 0 below
    k = -np.trunc(F32(0.5) - tc).astype(np.int32)
    kf = k.astype(F32)
    r = (x - kf * F32(0.693145752)) - kf * F32(1.42860677e-06)
    p = _EXP_C[0]
    for c in (_EXP_C[1], _EXP_C[2], _EXP_C[3], F32(0.5), F32(1), F32(1)):
        p = c + r * p
    scale = ((k + 127).astype(np.uint32) << np.uint32(23)).view(F32)
    out = (p * scale).astype(F32)
    return np.where(t < F32(-125), F32(0), out).astype(F32)


def logf(x: float) -> np.float32:
    x = F32(x)
    u = int(np.array(x, F32).view(np.uint32))
    e = (u >> 23) - 127
    m = np.array((u & 0x7FFFFF) | 0x3F800000, np.uint32).view(F32)[()]
    if m > F32(1.41421356):
        m = m * F32(0.5)
        e += 1
    f = (m - F32(1)) / (m + F32(1))
    s = f * f
    p = F32(1) / F32(9)
    for c in (F32(1) / F32(7), F32(1) / F32(5), F32(1) / F32(3), F32(1)):
        p = c + s * p
    return F32(F32(e) * F32(0.693147181) + F32(2) * f * p)


def sqrtf(x) -> np.ndarray:
    x = np.asarray(x, dtype=F32)
    safe = np.where(x > 0, x, F32(1)).astype(F32)
    y = ((safe.view(np.uint32) >> np.uint32(1)) + np.uint32(0x1FBB4000)).view(F32)
    for _ in range(3):
        y = F32(0.5) * (y + safe / y)
    return np.where(x > 0, y, F32(0)).astype(F32)


# --- activations ---------------------------------------------------------------------------

ACTS = {"NONE": 0, "RELU": 1, "RELU6": 2}


def act_fw(act: int, v: np.ndarray) -> np.ndarray:
    if act == 0:
        return v
    out = np.where(v > 0, v, F32(0))
    if act == 2:
        out = np.where(v > 0, np.where(v < 6, v, F32(6)), F32(0))
    return out.astype(F32)


def act_grad(act: int, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Gradient at the pre-activation, selected by the stored output y."""
    if act == 0:
        return g
    keep = y > 0
    if act == 2:
        keep &= y < 6
    return np.where(keep, g, F32(0)).astype(F32)


# --- kernels -------------------------------------------------------------------------------


def fc_fw(x, w, b, act, rnd: Round):
    n, o = x.shape[0], w.shape[0]
    x2 = x.reshape(n, -1)
    acc = np.zeros((n, o), F32)
    for k in range(x2.shape[1]):
        acc = acc + w[:, k][None, :] * x2[:, k][:, None]
    if b is not None:
        acc = acc + b[None, :]
    return rnd(act_fw(act, acc))


def fc_bw_input(x_shape, w, y, g, act, gx, rnd: Round):
    n = x_shape[0]
    gp = act_grad(act, y.reshape(n, -1), g.reshape(n, -1))
    acc = np.zeros((n, w.shape[1]), F32)
    for o in range(w.shape[0]):
        acc = acc + gp[:, o : o + 1] * w[o][None, :]
    return rnd(gx + acc.reshape(x_shape))


def fc_bw_weight(x, y, g, act, gw, gb, rnd: Round):
    n = x.shape[0]
    x2, gp = x.reshape(n, -1), act_grad(act, y.reshape(n, -1), g.reshape(n, -1))
    acc_w = np.zeros(gw.shape, F32)
    acc_b = np.zeros(gp.shape[1], F32)
    for r in range(n):
        acc_w = acc_w + gp[r][:, None] * x2[r][None, :]
        acc_b = acc_b + gp[r]
    return rnd(gw + acc_w), (rnd(gb + acc_b) if gb is not None else None)


def _taps(n_out: int, n_in: int, k: int, stride: int, pad: int, dil: int):
    """Input index of tap k for every output position, and its validity."""
    idx = np.arange(n_out) * stride - pad + k * dil
    ok = (idx >= 0) & (idx < n_in)
    return np.where(ok, idx, 0), ok


def _back_taps(n_in: int, n_out: int, k: int, stride: int, pad: int, dil: int):
    """Output index that input position i feeds through tap k, and its validity."""
    t = np.arange(n_in) + pad - k * dil
    ok = (t >= 0) & (t % stride == 0) & (t // stride < n_out)
    return np.where(ok, t // stride, 0), ok


def _gather(a, yi, yok, xi, xok):
    """a[:, yi][:, :, xi] with invalid taps zeroed (adding +0 never changes a sum)."""
    g = a[:, yi][:, :, xi]
    return np.where((yok[:, None] & xok[None, :])[None, :, :, None], g, F32(0)).astype(F32)


def conv_fw(x, w, b, geo, rnd: Round, out_hw):
    n, h, wd, ic = x.shape
    oc, kh, kw, _ = w.shape
    oh, ow = out_hw
    acc = np.zeros((n, oh, ow, oc), F32)
    for ky in range(kh):
        yi, yok = _taps(oh, h, ky, geo["stride_h"], geo["pad_top"], geo["dil_h"])
        for kx in range(kw):
            xi, xok = _taps(ow, wd, kx, geo["stride_w"], geo["pad_left"], geo["dil_w"])
            xk = _gather(x, yi, yok, xi, xok)
            for c in range(ic):
                acc = acc + xk[..., c : c + 1] * w[:, ky, kx, c]
    if b is not None:
        acc = acc + b
    return rnd(act_fw(geo["act"], acc))


def conv_bw_input(x_shape, w, y, g, geo, gx, rnd: Round):
    n, h, wd, ic = x_shape
    oc, kh, kw, _ = w.shape
    oh, ow = y.shape[1], y.shape[2]
    gp = act_grad(geo["act"], y, g)
    acc = np.zeros(x_shape, F32)
    for ky in range(kh):
        yi, yok = _back_taps(h, oh, ky, geo["stride_h"], geo["pad_top"], geo["dil_h"])
        for kx in range(kw):
            xi, xok = _back_taps(wd, ow, kx, geo["stride_w"], geo["pad_left"], geo["dil_w"])
            gk = _gather(gp, yi, yok, xi, xok)
            for o in range(oc):
                acc = acc + gk[..., o : o + 1] * w[o, ky, kx, :]
    return rnd(gx + acc)


def _patch(x, n, oy, ox, kh, kw, geo):
    _, h, wd, _ = x.shape
    iy = oy * geo["stride_h"] - geo["pad_top"] + np.arange(kh) * geo["dil_h"]
    ix = ox * geo["stride_w"] - geo["pad_left"] + np.arange(kw) * geo["dil_w"]
    yok, xok = (iy >= 0) & (iy < h), (ix >= 0) & (ix < wd)
    p = x[n][np.where(yok, iy, 0)][:, np.where(xok, ix, 0)]
    return np.where((yok[:, None] & xok[None, :])[:, :, None], p, F32(0)).astype(F32)


def conv_bw_weight(x, y, g, geo, gw, gb, rnd: Round):
    oc, kh, kw, ic = gw.shape
    gp = act_grad(geo["act"], y, g)
    acc_w = np.zeros(gw.shape, F32)
    acc_b = np.zeros(oc, F32)
    for n in range(y.shape[0]):
        for oy in range(y.shape[1]):
            for ox in range(y.shape[2]):
                acc_w = acc_w + gp[n, oy, ox][:, None, None, None] * _patch(x, n, oy, ox, kh, kw, geo)[None]
                acc_b = acc_b + gp[n, oy, ox]
    return rnd(gw + acc_w), (rnd(gb + acc_b) if gb is not None else None)


def dw_fw(x, w, b, geo, rnd: Round, out_hw):
    n, h, wd, ic = x.shape
    _, kh, kw, oc = w.shape
    m = oc // ic
    oh, ow = out_hw
    acc = np.zeros((n, oh, ow, oc), F32)
    for ky in range(kh):
        yi, yok = _taps(oh, h, ky, geo["stride_h"], geo["pad_top"], geo["dil_h"])
        for kx in range(kw):
            xi, xok = _taps(ow, wd, kx, geo["stride_w"], geo["pad_left"], geo["dil_w"])
            acc = acc + np.repeat(_gather(x, yi, yok, xi, xok), m, axis=-1) * w[0, ky, kx]
    if b is not None:
        acc = acc + b
    return rnd(act_fw(geo["act"], acc))


def dw_bw_input(x_shape, w, y, g, geo, gx, rnd: Round):
    n, h, wd, ic = x_shape
    _, kh, kw, oc = w.shape
    m = oc // ic
    gp = act_grad(geo["act"], y, g)
    acc = np.zeros(x_shape, F32)
    for ky in range(kh):
        yi, yok = _back_taps(h, y.shape[1], ky, geo["stride_h"], geo["pad_top"], geo["dil_h"])
        for kx in range(kw):
            xi, xok = _back_taps(wd, y.shape[2], kx, geo["stride_w"], geo["pad_left"], geo["dil_w"])
            gk = _gather(gp, yi, yok, xi, xok).reshape(n, h, wd, ic, m)
            wk = w[0, ky, kx].reshape(ic, m)
            for j in range(m):
                acc = acc + gk[..., j] * wk[:, j]
    return rnd(gx + acc)


def dw_bw_weight(x, y, g, geo, gw, gb, rnd: Round):
    _, kh, kw, oc = gw.shape
    m = oc // x.shape[3]
    gp = act_grad(geo["act"], y, g)
    acc_w = np.zeros(gw.shape, F32)
    acc_b = np.zeros(oc, F32)
    for n in range(y.shape[0]):
        for oy in range(y.shape[1]):
            for ox in range(y.shape[2]):
                acc_w = acc_w + gp[n, oy, ox] * np.repeat(_patch(x, n, oy, ox, kh, kw, geo), m, axis=-1)[None]
                acc_b = acc_b + gp[n, oy, ox]
    return rnd(gw + acc_w), (rnd(gb + acc_b) if gb is not None else None)


def _pool_counts(h, wd, oh, ow, geo):
    """Number of valid taps per output window."""
    def span(n_in, n_out, stride, pad, f):
        s = np.arange(n_out) * stride - pad
        return np.minimum(s + f, n_in) - np.maximum(s, 0)

    cy = span(h, oh, geo["stride_h"], geo["pad_top"], geo["filter_h"])
    cx = span(wd, ow, geo["stride_w"], geo["pad_left"], geo["filter_w"])
    return (cy[:, None] * cx[None, :]).astype(F32)


def avgpool_fw(x, geo, rnd: Round, out_hw):
    n, h, wd, c = x.shape
    oh, ow = out_hw
    acc = np.zeros((n, oh, ow, c), F32)
    for ky in range(geo["filter_h"]):
        yi, yok = _taps(oh, h, ky, geo["stride_h"], geo["pad_top"], 1)
        for kx in range(geo["filter_w"]):
            xi, xok = _taps(ow, wd, kx, geo["stride_w"], geo["pad_left"], 1)
            acc = acc + _gather(x, yi, yok, xi, xok)
    cnt = _pool_counts(h, wd, oh, ow, geo)
    return rnd(act_fw(geo["act"], acc / cnt[None, :, :, None]))


def avgpool_bw_input(x_shape, y, g, geo, gx, rnd: Round):
    n, h, wd, c = x_shape
    oh, ow = y.shape[1], y.shape[2]
    gp = act_grad(geo["act"], y, g) / _pool_counts(h, wd, oh, ow, geo)[None, :, :, None]
    acc = np.zeros(x_shape, F32)
    for ky in range(geo["filter_h"]):
        yi, yok = _back_taps(h, oh, ky, geo["stride_h"], geo["pad_top"], 1)
        for kx in range(geo["filter_w"]):
            xi, xok = _back_taps(wd, ow, kx, geo["stride_w"], geo["pad_left"], 1)
            acc = acc + _gather(gp.astype(F32), yi, yok, xi, xok)
    return rnd(gx + acc)


def mean_geo(x_shape) -> dict:
    return dict(stride_h=1, stride_w=1, pad_top=0, pad_left=0, dil_h=1, dil_w=1,
                filter_h=x_shape[1], filter_w=x_shape[2], depth_multiplier=1, act=0)


def _argmax_windows(x, geo, oh, ow):
    """Flat (y, x) index per output window of the first maximum, shape [N, OH, OW, C]."""
    n, h, wd, c = x.shape
    best = np.full((n, oh, ow, c), -np.inf, F32)
    arg = np.zeros((n, oh, ow, c), np.int64)
    for ky in range(geo["filter_h"]):
        yi, yok = _taps(oh, h, ky, geo["stride_h"], geo["pad_top"], 1)
        for kx in range(geo["filter_w"]):
            xi, xok = _taps(ow, wd, kx, geo["stride_w"], geo["pad_left"], 1)
            v = x[:, yi][:, :, xi]
            ok = (yok[:, None] & xok[None, :])[None, :, :, None] & (v > best)
            best = np.where(ok, v, best)
            arg = np.where(ok, (yi[:, None] * wd + xi[None, :])[None, :, :, None], arg)
    return best, arg


def maxpool_fw(x, geo, rnd: Round, out_hw):
    best, _ = _argmax_windows(x, geo, *out_hw)
    return rnd(act_fw(geo["act"], best))


def maxpool_bw_input(x, y, g, geo, gx, rnd: Round):
    n, h, wd, c = x.shape
    _, arg = _argmax_windows(x, geo, y.shape[1], y.shape[2])
    gp = act_grad(geo["act"], y, g)
    flat = gx.reshape(n, h * wd, c).copy()
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for oy in range(y.shape[1]):
        for ox in range(y.shape[2]):
            a = arg[:, oy, ox, :]
            flat[nn, a, cc] = rnd(flat[nn, a, cc] + gp[:, oy, ox, :])
    return flat.reshape(x.shape)


def softmax_ce(z, label: int, scale: float, rnd: Round):
    """(loss, argmax, grad = R((softmax - onehot) * scale))."""
    z = np.asarray(z, F32).reshape(-1)
    best = int(np.argmax(z))  # first maximum, as the C loop's strict '>'
    m = z[best]
    e = expf(z - m)
    s = F32(0)
    for v in e:
        s = F32(s + v)
    loss = F32(logf(s) - F32(z[label] - m))
    onehot = (np.arange(z.size) == label).astype(F32)
    return loss, best, rnd(((e / s) - onehot) * F32(scale))


def mse(z, label: int, scale: float, rnd: Round):
    z = np.asarray(z, F32).reshape(-1)
    best = int(np.argmax(z))
    d = z - (np.arange(z.size) == label).astype(F32)
    acc = F32(0)
    for v in d:
        acc = F32(acc + v * v)
    loss = F32(acc / F32(z.size))
    return loss, best, rnd((d * (F32(2) / F32(z.size))) * F32(scale))


def loss_q16(loss: np.float32) -> int:
    """odl_train_stats_t.loss_q16 from the FP32 loss (as the C rounds it)."""
    if not loss < F32(32767):
        return 2**31 - 1
    v = F32(loss * F32(65536)) + (F32(-0.5) if loss < 0 else F32(0.5))
    return int(np.trunc(F32(v)))


def quantize_logits(z, scale: float, zero_point: int) -> np.ndarray:
    """FP16 logits -> int8 as odl_fp16_invoke and TFLite Micro's QUANTIZE: the
    float32 quotient x / scale, rounded half away from zero, + zero point,
    saturated; NaN -> 0."""
    with np.errstate(invalid="ignore"):
        v = np.asarray(z, F32) / F32(scale)
    v = np.clip(np.where(np.isnan(v), F32(0), v), F32(-1024), F32(1024)).astype(F32)
    r = np.trunc(v)
    frac = v - r
    r = r.astype(np.int32) + (frac >= F32(0.5)) - (frac <= F32(-0.5))
    return np.clip(r + int(zero_point), -128, 127).astype(np.int8)


# --- the training step of pytool.training.fp16 (odl_fp16_step) -------------------------------


_NEW_KINDS = ("UNARY", "MUL", "PAD", "GATHER", "CONCAT")


class Fp16Reference:
    """Executes an Fp16Plan like fp16_backprop.c: FP16 storage (to_f16) gives
    the C bits; identity storage gives a float32 backprop with the same init,
    data order and hyper-parameters (loss scale 1)."""

    def __init__(self, g, plan, rnd: Round = to_f16):
        self.g, self.plan, self.rnd = g, plan, rnd
        self.h = plan.hyper()
        self.fp16 = rnd is to_f16
        self.reset()

    def reset(self) -> None:
        sl = self.plan.slots
        self.val = [s.init.reshape(s.shape).astype(F32) if s.init is not None else np.zeros(s.shape, F32) for s in sl]
        self.grad = [np.zeros(s.shape, F32) for s in sl]
        self.master = {k: self.val[k].copy() for k in self.plan.params}
        self.m = {k: np.zeros(sl[k].shape, F32) for k in self.plan.params}
        self.v = {k: np.zeros(sl[k].shape, F32) for k in self.plan.params}
        self.scale = F32(self.h["loss_scale"]) if self.fp16 else F32(1)
        self.b1t = self.b2t = F32(1)
        self.good = self.skipped = self.applied = 0

    def _load(self, acts: dict) -> None:
        for name, k in self.plan.boundaries:
            t = self.g.tensors[name]
            q = np.asarray(acts[name]).astype(np.int32) - int(t.quant.zero_point[0])
            self.val[k] = self.rnd((q.astype(F32) * F32(t.quant.scale[0])).reshape(self.plan.slots[k].shape))

    def _forward(self) -> None:
        v, r = self.val, self.rnd
        for ly in self.plan.layers:
            x, geo = v[ly.in0], ly.geo
            out_shape = self.plan.slots[ly.out].shape
            out_hw = (out_shape[1], out_shape[2]) if len(out_shape) == 4 else None
            b = v[ly.bias] if ly.bias >= 0 else None
            if ly.kind == "FC":
                y = fc_fw(x, v[ly.weight], b, geo["act"], r)
            elif ly.kind in ("CONV", "PWCONV"):
                y = conv_fw(x, v[ly.weight], b, geo, r, out_hw)
            elif ly.kind == "DWCONV":
                y = dw_fw(x, v[ly.weight], b, geo, r, out_hw)
            elif ly.kind == "AVGPOOL":
                y = avgpool_fw(x, geo, r, out_hw)
            elif ly.kind == "MEAN":
                y = avgpool_fw(x, mean_geo(x.shape), r, (1, 1))
            elif ly.kind == "MAXPOOL":
                y = maxpool_fw(x, geo, r, out_hw)
            elif ly.kind == "ADD":
                y = r(act_fw(geo["act"], x + v[ly.in1]))
            elif ly.kind in _NEW_KINDS:
                y = fp16_ref_ops.forward(ly, v, r, out_shape)
            else:  # ACT, RESHAPE
                y = r(act_fw(geo["act"], x))
            v[ly.out] = y.reshape(out_shape).astype(F32)

    def _backward(self) -> None:
        v, gr, r, sl = self.val, self.grad, self.rnd, self.plan.slots
        for ly in reversed(self.plan.layers):
            x, y, g, geo = v[ly.in0], v[ly.out], gr[ly.out], ly.geo
            want_x = sl[ly.in0].grad
            if fp16_ref_ops.backward(ly, v, gr, sl, r):
                continue
            if ly.kind in ("FC", "CONV", "PWCONV", "DWCONV"):
                w = v[ly.weight]
                gb = gr[ly.bias] if ly.bias >= 0 and sl[ly.bias].grad else None
                if ly.kind == "FC":
                    y2, g2 = y.reshape(x.shape[0], -1), g.reshape(x.shape[0], -1)
                    if want_x:
                        gr[ly.in0] = fc_bw_input(x.shape, w, y2, g2, geo["act"], gr[ly.in0], r)
                    gw, gb = fc_bw_weight(x, y2, g2, geo["act"], gr[ly.weight], gb, r)
                elif ly.kind == "DWCONV":
                    if want_x:
                        gr[ly.in0] = dw_bw_input(x.shape, w, y, g, geo, gr[ly.in0], r)
                    gw, gb = dw_bw_weight(x, y, g, geo, gr[ly.weight], gb, r)
                else:
                    if want_x:
                        gr[ly.in0] = conv_bw_input(x.shape, w, y, g, geo, gr[ly.in0], r)
                    gw, gb = conv_bw_weight(x, y, g, geo, gr[ly.weight], gb, r)
                if sl[ly.weight].grad:
                    gr[ly.weight] = gw
                if gb is not None:
                    gr[ly.bias] = gb
            elif not want_x and ly.kind != "ADD":
                continue
            elif ly.kind in ("AVGPOOL", "MEAN"):
                pg = geo if ly.kind == "AVGPOOL" else mean_geo(x.shape)
                gr[ly.in0] = avgpool_bw_input(x.shape, y, g, pg, gr[ly.in0], r)
            elif ly.kind == "MAXPOOL":
                gr[ly.in0] = maxpool_bw_input(x, y, g, geo, gr[ly.in0], r)
            elif ly.kind == "ADD":
                gp = act_grad(geo["act"], y, g)
                for k in (ly.in0, ly.in1):
                    if sl[k].grad:
                        gr[k] = r(gr[k] + gp.reshape(gr[k].shape))
            else:  # ACT, RESHAPE
                gr[ly.in0] = r(gr[ly.in0] + act_grad(geo["act"], y, g).reshape(x.shape))

    def _loss(self, label: int, scale) -> tuple[np.float32, int, np.ndarray]:
        fn = mse if self.h["loss"] == "mse" else softmax_ce
        return fn(self.val[self.plan.logits], label, scale, self.rnd)

    def eval(self, acts: dict, label: int) -> dict:
        self._load(acts)
        self._forward()
        loss, pred, _ = self._loss(label, F32(1))
        return {"loss": float(loss), "loss_q16": loss_q16(loss), "predicted": pred, "correct": pred == label}

    def invoke(self, acts: dict) -> list[np.ndarray]:
        """odl_invoke of the trained model (odl_fp16_invoke): FP16 head, logits
        quantized into the int8 tensor of the last head op, then the int8 ops
        after the head. acts: the int8 backbone's tensors (run_int8 keep_all)."""
        from pytool import ops as opreg

        self._load(acts)
        self._forward()
        g, last = self.g, self.plan.layers[-1].op_index
        head = {n for op in g.ops[self.plan.first_op : last] for n in op.outputs}
        vals = {n: v for n, v in acts.items() if n not in head}
        out = g.tensors[g.ops[last].outputs[0]]
        vals[out.name] = quantize_logits(self.val[self.plan.logits], out.quant.scale[0],
                                         out.quant.zero_point[0]).reshape(out.shape)
        for op in g.ops[last + 1 :]:
            spec = opreg.get(op.type)
            low = spec.lower(g, op)
            xs = [None if a is None else (a if isinstance(a, np.ndarray) else vals[a]) for a in low.inputs]
            for n, v in zip(op.outputs, spec.ref_int8(g, op, low, xs)):
                vals[n] = np.asarray(v).astype(g.tensors[n].np_dtype).reshape(g.tensors[n].shape)
        return [vals[n] for n in g.outputs]

    def step(self, acts: dict, label: int) -> dict:
        self._load(acts)
        self._forward()
        self.grad = [np.zeros(s.shape, F32) for s in self.plan.slots]
        loss, pred, gz = self._loss(label, self.scale)
        self.grad[self.plan.logits] = gz.reshape(self.plan.slots[self.plan.logits].shape)
        self._backward()
        out = {"loss": float(loss), "loss_q16": loss_q16(loss), "predicted": pred, "correct": pred == label,
               "flags": 0 if loss < F32(32767) else 4}
        if not all(np.isfinite(self.grad[k]).all() for k in self.plan.params):
            out["flags"] |= 1 | 4
            self.skipped += 1
            self.good = 0
            if self.h["dynamic"] and self.scale > 1:
                self.scale = F32(self.scale * F32(0.5))
            return out
        h = self.h
        b1, b2 = F32(h["beta1"]), F32(h["beta2"])
        if h["optimizer"] == "adam":
            self.b1t, self.b2t = F32(self.b1t * b1), F32(self.b2t * b2)
        for k in self.plan.params:
            self._update(k, b1, b2)
        self.applied += 1
        if h["dynamic"] and self.fp16:
            self.good += 1
            if self.good >= h["growth_interval"]:
                self.good = 0
                if F32(self.scale * F32(2)) <= F32(h["loss_scale_max"]):
                    self.scale = F32(self.scale * F32(2))
        return out

    def _update(self, k: int, b1, b2) -> None:
        h = self.h
        lr, mu = F32(h["lr"]), F32(h["momentum"])
        g = self.grad[k] * (F32(1) / self.scale)
        w = self.master[k] if h["master"] or not self.fp16 else self.val[k]
        if h["optimizer"] == "adam":
            self.m[k] = b1 * self.m[k] + (F32(1) - b1) * g
            self.v[k] = b2 * self.v[k] + (F32(1) - b2) * (g * g)
            mhat, vhat = self.m[k] / (F32(1) - self.b1t), self.v[k] / (F32(1) - self.b2t)
            w = w - (lr * mhat) / (sqrtf(vhat) + F32(h["eps"]))
        elif mu > 0:
            self.m[k] = mu * self.m[k] + g
            w = w - lr * self.m[k]
        else:
            w = w - lr * g
        w = w.astype(F32)
        self.master[k] = w
        self.val[k] = self.rnd(w)


# The twin of the windowless layers (UNARY, MUL, PAD, GATHER, CONCAT) uses this
# module's helpers, so it is imported once they exist.
from pytool.training import fp16_ref_ops  # noqa: E402
