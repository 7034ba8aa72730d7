"""float32 FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and pools (part of the
F32 C op, see f32.py). Sums run tap by tap in TFLite Micro's loop order
(conv: filter row, filter column, input channel; depthwise: row, column;
FC: input index), each product and sum rounded to float32, then bias, then
the activation clamp. Taps outside the image are skipped there; adding the
zero products of a zero-filled window gives the same float32 sums.

C params (act_lo / act_hi as float32 bits):
  FC:        [kind, lo, hi, batches, in_depth, out_depth]
  CONV_2D:   [kind, lo, hi, N, H, W, C, OH, OW, OC, KH, KW, filter_in_depth, sh, sw, dh, dw, pad_h, pad_w]
  DEPTHWISE: [kind, lo, hi, N, H, W, C, OH, OW, OC, KH, KW, depth_multiplier, sh, sw, dh, dw, pad_h, pad_w]
  pools (average, max, L2): [kind, lo, hi, N, H, W, C, OH, OW, KH, KW, sh, sw, pad_h, pad_w]
  RESIZE_BILINEAR: [kind, N, H, W, C, OH, OW, half_pixel_centers, h_scale, w_scale] (scales float32:
             in / out, or (in - 1) / (out - 1) with align_corners)
  TRANSPOSE_CONV: [kind, lo, hi, N, H, W, IC, OH, OW, OC, KH, KW, sh, sw, pad_h, pad_w] (TFLite's
             scatter order: input pixel by pixel, each tap added into the output, then bias and clamp)
  BATCH_MATMUL: [kind, b0, b1, b2, M, K, N, adj_x, adj_y, lhs batch strides 3, rhs batch strides 3]
             (broadcast batch axes have stride 0; each output a k-ordered float32 sum)
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.conv_2d import pair, spatial, windows
from pytool.ops.f32 import (
    AVG_POOL,
    BATCH_MATMUL,
    CONV,
    DEPTHWISE,
    FC,
    L2_POOL,
    MAX_POOL,
    RESIZE_BILINEAR,
    TRANSPOSE_CONV,
    act_params,
    clamp,
)
from pytool.ops.quantize import float_bits, float_from_bits


def _bias(g: Graph, op: Op) -> str | None:
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is not None and g.tensors[b].dtype != "float32":
        raise IRError(f"{op.type} '{op.name}': bias '{b}' is {g.tensors[b].dtype}; a float32 op needs a float32 bias")
    return b


def _check_float(g: Graph, op: Op, names: list[str]) -> None:
    for n in names:
        if g.tensors[n].dtype != "float32":
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; float32 expected")


def lower_fc(g: Graph, op: Op) -> Lowered:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    _check_float(g, op, [x, w, y])
    out_depth, in_depth = (int(d) for d in g.tensors[w].shape)
    batches = g.tensors[x].numel // in_depth
    return Lowered(inputs=[x, w, _bias(g, op)], params=[FC, *act_params(op), batches, in_depth, out_depth])


def _geometry(g: Graph, op: Op, k_hw: tuple[int, int], dilation: tuple[int, int]) -> list[int]:
    n, h, w, c = (int(d) for d in g.tensors[op.inputs[0]].shape)
    (oh, ow), pad = spatial(op, (h, w), k_hw, dilation)
    return [n, h, w, c, oh, ow]


def lower_conv(g: Graph, op: Op) -> Lowered:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    _check_float(g, op, [x, w, y])
    oc, kh, kw, ic = (int(d) for d in g.tensors[w].shape)
    dil = pair(op, "dilation")
    n, h, wd, c, oh, ow = _geometry(g, op, (kh, kw), dil)
    _, pad = spatial(op, (h, wd), (kh, kw), dil)
    if c % ic or oc % (c // ic):
        raise IRError(f"CONV_2D '{op.name}': {c} input channels do not split into groups of {ic}")
    params = [CONV, *act_params(op), n, h, wd, c, oh, ow, oc, kh, kw, ic, *pair(op, "stride"), *dil, *pad]
    return Lowered(inputs=[x, w, _bias(g, op)], params=params)


def lower_depthwise(g: Graph, op: Op) -> Lowered:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    _check_float(g, op, [x, w, y])
    _, kh, kw, oc = (int(d) for d in g.tensors[w].shape)
    dil = pair(op, "dilation")
    n, h, wd, c, oh, ow = _geometry(g, op, (kh, kw), dil)
    _, pad = spatial(op, (h, wd), (kh, kw), dil)
    if oc % c:
        raise IRError(f"DEPTHWISE_CONV_2D '{op.name}': {oc} output channels for {c} input channels")
    params = [DEPTHWISE, *act_params(op), n, h, wd, c, oh, ow, oc, kh, kw, oc // c, *pair(op, "stride"), *dil, *pad]
    return Lowered(inputs=[x, w, _bias(g, op)], params=params)


def _lower_pool(kind: int):
    def lower(g: Graph, op: Op) -> Lowered:
        _check_float(g, op, [op.inputs[0], op.outputs[0]])
        filt = pair(op, "filter")
        n, h, w, c, oh, ow = _geometry(g, op, filt, (1, 1))
        _, pad = spatial(op, (h, w), filt)
        params = [kind, *act_params(op), n, h, w, c, oh, ow, *filt, *pair(op, "stride"), *pad]
        return Lowered(inputs=[op.inputs[0]], params=params)
    return lower


def _seq_sum(terms) -> np.ndarray:
    total = None
    for t in terms:  # one float32 rounding per product and per sum, in loop order
        total = t.astype(np.float32) if total is None else (total + t).astype(np.float32)
    return total


def _finish(total: np.ndarray, bias, low: Lowered) -> np.ndarray:
    if bias is not None:
        total = (total + np.asarray(bias, np.float32)).astype(np.float32)
    else:
        total = (total + np.float32(0)).astype(np.float32)
    return clamp(total, low.params[1], low.params[2])


def ref_fc(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    batches, in_depth, out_depth = low.params[3:6]
    x = np.asarray(xs[0], np.float32).reshape(batches, in_depth)
    w = np.asarray(xs[1], np.float32)
    total = _seq_sum((x[:, d:d + 1] * w[None, :, d]).astype(np.float32) for d in range(in_depth))
    if total is None:
        total = np.zeros((batches, out_depth), np.float32)
    return _finish(np.float32(0) + total, xs[2], low)


def ref_conv(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    n, h, w, c, oh, ow, oc, kh, kw, ic, sh, sw, dh, dw, ph, pw = low.params[3:19]
    x = np.asarray(xs[0], np.float32).reshape(n, h, w, c)
    wt = np.asarray(xs[1], np.float32)
    win = windows(x, (kh, kw), (sh, sw), (dh, dw), (ph, pw), (oh, ow), fill=0)  # N,OH,OW,KH,KW,C
    group_base = (np.arange(oc) // (oc // (c // ic))) * ic
    terms = ((win[:, :, :, ky, kx, group_base + i] * wt[:, ky, kx, i]).astype(np.float32)
             for ky in range(kh) for kx in range(kw) for i in range(ic))
    return _finish(np.float32(0) + _seq_sum(terms), xs[2], low)


def ref_depthwise(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    n, h, w, c, oh, ow, oc, kh, kw, m, sh, sw, dh, dw, ph, pw = low.params[3:19]
    x = np.asarray(xs[0], np.float32).reshape(n, h, w, c)
    wt = np.asarray(xs[1], np.float32)
    win = windows(x, (kh, kw), (sh, sw), (dh, dw), (ph, pw), (oh, ow), fill=0)
    src = np.arange(oc) // m
    terms = ((win[:, :, :, ky, kx, src] * wt[0, ky, kx, :]).astype(np.float32) for ky in range(kh) for kx in range(kw))
    return _finish(np.float32(0) + _seq_sum(terms), xs[2], low)


def ref_pool(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    kind = low.params[0]
    n, h, w, c, oh, ow, fh, fw, sh, sw, ph, pw = low.params[3:15]
    x = np.asarray(xs[0], np.float32).reshape(n, h, w, c)
    if kind == MAX_POOL:
        lowest = np.finfo(np.float32).min
        win = windows(x, (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow), fill=-np.inf)
        best = np.full((n, oh, ow, c), lowest, np.float32)
        for ky in range(fh):
            for kx in range(fw):
                v = win[:, :, :, ky, kx, :]
                best = np.where(best < v, v, best)  # std::max(best, v)
        return clamp(best.astype(np.float32), low.params[1], low.params[2])
    if kind == L2_POOL:  # sum of squares in window order, / count, sqrtf (TFLite's L2Pool)
        x = (x * x).astype(np.float32)
    win = windows(x, (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow), fill=0)
    ones = windows(np.ones((1, h, w, 1), np.float32), (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow), fill=0)
    total = _seq_sum(win[:, :, :, ky, kx, :] for ky in range(fh) for kx in range(fw))
    count = ones.sum(axis=(3, 4)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = ((np.float32(0) + total) / count).astype(np.float32)
        if kind == L2_POOL:
            avg = np.sqrt(avg)
    return clamp(avg.astype(np.float32), low.params[1], low.params[2])


def _scale(n_in: int, n_out: int, align: bool) -> np.float32:
    if align and n_out > 1:
        return np.float32(np.float32(n_in - 1) / np.float32(n_out - 1))
    return np.float32(np.float32(n_in) / np.float32(n_out))


def lower_resize_bilinear(g: Graph, op: Op) -> Lowered:
    from pytool.ops.resize_common import out_hw

    _check_float(g, op, [op.inputs[0], op.outputs[0]])
    n, h, w, c = (int(d) for d in g.tensors[op.inputs[0]].shape)
    oh, ow = out_hw(g, op)
    align, half = bool(op.attrs.get("align_corners")), bool(op.attrs.get("half_pixel_centers"))
    params = [RESIZE_BILINEAR, n, h, w, c, oh, ow, int(half), float_bits(_scale(h, oh, align)),
              float_bits(_scale(w, ow, align))]
    return Lowered(inputs=[op.inputs[0]], params=params)


def _interp(size_out: int, scale: np.float32, half: int, size_in: int):
    v = np.arange(size_out, dtype=np.float32)
    s = ((v + np.float32(0.5)) * scale - np.float32(0.5)) if half else v * scale
    s = s.astype(np.float32)
    lo = np.maximum(np.floor(s).astype(np.int64), 0)
    hi = np.minimum(np.ceil(s).astype(np.int64), size_in - 1)
    return s, lo, hi


def ref_resize_bilinear(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    n, h, w, c, oh, ow, half = low.params[1:8]
    x = np.asarray(xs[0], np.float32).reshape(n, h, w, c)
    ys, y0, y1 = _interp(oh, float_from_bits(low.params[8]), half, h)
    xs_, x0, x1 = _interp(ow, float_from_bits(low.params[9]), half, w)
    one = np.float32(1)
    dy = (ys - y0.astype(np.float32)).astype(np.float32)[None, :, None, None]
    dx = (xs_ - x0.astype(np.float32)).astype(np.float32)[None, None, :, None]
    v00, v10 = x[:, y0][:, :, x0], x[:, y1][:, :, x0]
    v01, v11 = x[:, y0][:, :, x1], x[:, y1][:, :, x1]
    f32 = np.float32
    t = (v00 * (one - dy)).astype(f32) * (one - dx)
    t = t.astype(f32) + ((v10 * dy).astype(f32) * (one - dx)).astype(f32)
    t = t.astype(f32) + ((v01 * (one - dy)).astype(f32) * dx).astype(f32)
    t = t.astype(f32) + ((v11 * dy).astype(f32) * dx).astype(f32)
    return t.astype(f32)


def lower_transpose_conv(g: Graph, op: Op) -> Lowered:
    from pytool.ops.transpose_conv import _pads

    w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
    _check_float(g, op, [w, x, y])
    bias = op.inputs[3] if len(op.inputs) > 3 else None
    if bias is not None and g.tensors[bias].dtype != "float32":
        raise IRError(f"TRANSPOSE_CONV '{op.name}': bias '{bias}' is {g.tensors[bias].dtype}; float32 expected")
    n, h, wd, ic = (int(d) for d in g.tensors[x].shape)
    oc, kh, kw, wic = (int(d) for d in g.tensors[w].shape)
    _, oh, ow, _ = (int(d) for d in g.tensors[y].shape)
    if wic != ic:
        raise IRError(f"TRANSPOSE_CONV '{op.name}': filter depth {wic} differs from the input's {ic}")
    params = [TRANSPOSE_CONV, *act_params(op), n, h, wd, ic, oh, ow, oc, kh, kw, *pair(op, "stride"), *_pads(g, op)]
    return Lowered(inputs=[x, w, bias], params=params)


def ref_transpose_conv(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    n, h, wd, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw = low.params[3:16]
    x = np.asarray(xs[0], np.float32).reshape(n, h, wd, ic)
    w = np.asarray(xs[1], np.float32)
    out = np.zeros((n, oh, ow, oc), np.float32)
    for iy in range(h):  # TFLite's scatter order
        for ix in range(wd):
            for c in range(ic):
                for fy in range(kh):
                    oy = iy * sh - ph + fy
                    for fx in range(kw):
                        ox = ix * sw - pw + fx
                        if 0 <= oy < oh and 0 <= ox < ow:
                            out[:, oy, ox, :] = (out[:, oy, ox, :] + (x[:, iy, ix, c, None] * w[None, :, fy, fx, c])
                                                 .astype(np.float32)).astype(np.float32)
    if xs[2] is not None:
        out = (out + np.asarray(xs[2], np.float32)).astype(np.float32)
    return clamp(out, low.params[1], low.params[2])


def lower_batch_matmul(g: Graph, op: Op) -> Lowered:
    from pytool.ops.batch_matmul import _mats

    _check_float(g, op, [op.inputs[0], op.inputs[1], op.outputs[0]])
    a, b = _mats(g, op)
    adj_x, adj_y = int(bool(op.attrs.get("adj_x"))), int(bool(op.attrs.get("adj_y")))
    m, k = (a[-1], a[-2]) if adj_x else (a[-2], a[-1])
    n = b[-2] if adj_y else b[-1]
    out_batch = [1] * (5 - len(g.tensors[op.outputs[0]].shape)) + list(g.tensors[op.outputs[0]].shape[:-2])

    def strides(shape: tuple) -> list[int]:
        bdims = [1] * (5 - len(shape)) + list(shape[:-2])
        mat = int(shape[-1] * shape[-2])
        st, acc = [0, 0, 0], mat
        for i in range(2, -1, -1):
            st[i] = acc if bdims[i] == out_batch[i] and bdims[i] > 1 else 0
            acc *= bdims[i]
        return st

    params = [BATCH_MATMUL, *out_batch, int(m), int(k), int(n), adj_x, adj_y, *strides(a), *strides(b)]
    return Lowered(inputs=[op.inputs[0], op.inputs[1]], params=params)


def ref_batch_matmul(g: Graph, op: Op, low: Lowered, xs: list) -> np.ndarray:
    from pytool.ops.batch_matmul import _operands

    a, b = _operands(op, xs, np.float32)
    a, b = np.broadcast_arrays(a[..., :, None, :], np.swapaxes(b, -1, -2)[..., None, :, :])  # [.., M, N, K]
    k = a.shape[-1]
    total = np.zeros(a.shape[:-1], np.float32)
    for i in range(k):  # sequential float32 sum over k
        total = (total + (a[..., i] * b[..., i]).astype(np.float32)).astype(np.float32)
    return total


LOWER = {"FULLY_CONNECTED": lower_fc, "CONV_2D": lower_conv, "DEPTHWISE_CONV_2D": lower_depthwise,
         "AVERAGE_POOL_2D": _lower_pool(AVG_POOL), "MAX_POOL_2D": _lower_pool(MAX_POOL),
         "L2_POOL_2D": _lower_pool(L2_POOL),
         "RESIZE_BILINEAR": lower_resize_bilinear, "BATCH_MATMUL": lower_batch_matmul,
         "TRANSPOSE_CONV": lower_transpose_conv}
REF = {FC: ref_fc, CONV: ref_conv, DEPTHWISE: ref_depthwise, AVG_POOL: ref_pool, MAX_POOL: ref_pool, L2_POOL: ref_pool,
       RESIZE_BILINEAR: ref_resize_bilinear, BATCH_MATMUL: ref_batch_matmul, TRANSPOSE_CONV: ref_transpose_conv}
