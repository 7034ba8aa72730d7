"""CONV_2D. IR: inputs [x NHWC, w OHWI, (bias int32 [O])], attrs {stride:(h,w),
dilation:(h,w), padding:'SAME'|'VALID', activation}. Grouped when
x channels = groups * w in-channels (TFLite semantics).

C (runtime_c/src/ops/conv_2d.c): inputs [x, w, bias | None, multiplier int32 [O],
shift int32 [O]]; params [input_offset, output_offset, act_min, act_max,
stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, as_int32, conv_s16, f32
from pytool.ops.common import activation_float, activation_range_quantized, conv_out_size, conv_pad, quant_of
from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 1
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def pair(op: Op, key: str, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    v = op.attrs.get(key, default)
    if isinstance(v, int):
        v = (v, v)
    if len(v) != 2 or min(v) < 1:
        raise IRError(f"{op.type} '{op.name}': attribute {key} must be two positive ints, got {v!r}")
    return int(v[0]), int(v[1])


def spatial(op: Op, in_hw: tuple[int, int], k_hw: tuple[int, int], dilation: tuple[int, int] = (1, 1)):
    """Output size and leading padding per spatial axis: ((oh, ow), (pad_h, pad_w))."""
    stride = pair(op, "stride")
    padding = op.attrs.get("padding", "VALID")
    out = tuple(conv_out_size(in_hw[i], k_hw[i], stride[i], dilation[i], padding) for i in range(2))
    pad = tuple(conv_pad(in_hw[i], k_hw[i], stride[i], dilation[i], padding) for i in range(2))
    if min(out) < 1:
        raise IRError(
            f"{op.type} '{op.name}': window {k_hw} does not fit input {in_hw} with {padding} padding"
        )
    return out, pad


def windows(x: np.ndarray, k_hw, stride, dilation, pad, out_hw, fill=0) -> np.ndarray:
    """[N, OH, OW, KH, KW, C] view of every tap; taps outside the image read fill."""
    n, h, w, c = x.shape
    need_h = (out_hw[0] - 1) * stride[0] + (k_hw[0] - 1) * dilation[0] + 1
    need_w = (out_hw[1] - 1) * stride[1] + (k_hw[1] - 1) * dilation[1] + 1
    xp = np.full((n, max(h + pad[0], need_h), max(w + pad[1], need_w), c), fill, dtype=x.dtype)
    xp[:, pad[0] : pad[0] + h, pad[1] : pad[1] + w, :] = x
    ys = np.arange(out_hw[0])[:, None] * stride[0] + np.arange(k_hw[0])[None, :] * dilation[0]
    xs = np.arange(out_hw[1])[:, None] * stride[1] + np.arange(k_hw[1])[None, :] * dilation[1]
    win = xp[:, ys[:, None, :, None], xs[None, :, None, :], :]  # N, OH, OW, KH, KW, C
    return win


def _shapes(g: Graph, op: Op):
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if len(x.shape) != 4 or len(w.shape) != 4:
        raise IRError(f"CONV_2D '{op.name}': input {x.shape} and filter {w.shape} must be 4-D (NHWC, OHWI)")
    if x.shape[3] % w.shape[3] != 0 or w.shape[0] % (x.shape[3] // w.shape[3]) != 0:
        raise IRError(f"CONV_2D '{op.name}': input channels {x.shape[3]} do not fit filter {w.shape} (OHWI)")
    return x.shape, w.shape


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    xs, ws = _shapes(g, op)
    (oh, ow), _ = spatial(op, xs[1:3], ws[1:3], pair(op, "dilation"))
    return [(xs[0], oh, ow, ws[0])]


def macs(g: Graph, op: Op) -> int:
    n, oh, ow, o = g.tensors[op.outputs[0]].shape
    ws = g.tensors[op.inputs[1]].shape
    return n * oh * ow * o * ws[1] * ws[2] * ws[3]


def _grouped_dot(win: np.ndarray, w: np.ndarray) -> np.ndarray:
    """win [N,OH,OW,KH,KW,C], w [O,KH,KW,I] -> [N,OH,OW,O] (groups = C // I)."""
    groups = win.shape[-1] // w.shape[3]
    per = w.shape[0] // groups
    parts = []
    for gi in range(groups):
        wg = w[gi * per : (gi + 1) * per]
        xg = win[..., gi * w.shape[3] : (gi + 1) * w.shape[3]]
        parts.append(np.tensordot(xg, wg, axes=([3, 4, 5], [1, 2, 3])))
    return np.concatenate(parts, axis=-1)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x, w = np.asarray(xs[0], np.float64), np.asarray(xs[1], np.float64)
    dil = pair(op, "dilation")
    out_hw, pad = spatial(op, x.shape[1:3], w.shape[1:3], dil)
    acc = _grouped_dot(windows(x, w.shape[1:3], pair(op, "stride"), dil, pad, out_hw), w)
    if len(xs) > 2 and xs[2] is not None:
        acc = acc + np.asarray(xs[2], np.float64)
    return [activation_float(acc, op.attrs.get("activation", "NONE")).astype(np.float32)]


def channel_multipliers(
    s_in: float, w_scales: np.ndarray, s_out: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """TFLite PopulateConvolutionQuantizationParams: one (multiplier, shift) per
    output channel from float32 scales promoted to double."""
    scales = np.broadcast_to(np.asarray(w_scales, np.float32), (n,)) if np.size(w_scales) == 1 else w_scales
    pairs = [quantize_multiplier(effective_scale(s_in, float(scales[c]), s_out)) for c in range(n)]
    return as_int32([m for m, _ in pairs]), as_int32([s for _, s in pairs])


def check_int8(g: Graph, op: Op, names: list[str], bias: str | None) -> None:
    for n in names:
        if g.tensors[n].dtype != "int8":
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 expected")
    if bias is not None and g.tensors[bias].dtype != "int32":
        raise IRError(f"{op.type} '{op.name}': bias '{bias}' is {g.tensors[bias].dtype}, int32 expected")


def lower_conv(g: Graph, op: Op, out_channels: int, extra: list[int]) -> Lowered:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    check_int8(g, op, [x, w, y], bias)
    qx, qw, qy = quant_of(g, x, op), quant_of(g, w, op), quant_of(g, y, op)
    if np.any(qw.zero_point != 0):
        raise IRError(f"{op.type} '{op.name}': filter '{w}' must be symmetric (zero point 0), as in TFLite")
    if qw.scale.size not in (1, out_channels):
        raise IRError(f"{op.type} '{op.name}': filter has {qw.scale.size} scales for {out_channels} channels")
    mult, shift = channel_multipliers(float(qx.scale[0]), qw.scale, float(qy.scale[0]), out_channels)
    act = activation_range_quantized(
        op.attrs.get("activation", "NONE"), float(qy.scale[0]), int(qy.zero_point[0])
    )
    xs, ws = g.tensors[x].shape, g.tensors[w].shape
    stride, dil = pair(op, "stride"), pair(op, "dilation")
    _, pad = spatial(op, xs[1:3], ws[1:3], dil)
    params = [-int(qx.zero_point[0]), int(qy.zero_point[0]), act[0], act[1], *stride, *dil, *pad, *extra]
    return Lowered(inputs=[x, w, bias, mult, shift], params=[int(p) for p in params])


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    _shapes(g, op)
    if conv_s16.is_s16(g, op):
        return conv_s16.lower_conv(g, op, g.tensors[op.inputs[1]].shape[0], [], depthwise=False)
    return lower_conv(g, op, g.tensors[op.inputs[1]].shape[0], [])


def requantize(acc: np.ndarray, bias, mult, shift, out_offset: int, act_min: int, act_max: int) -> np.ndarray:
    """Bias, per-channel requantization (channels last), offset, clamp: the C epilogue."""
    acc = acc.astype(np.int64)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    out = multiply_by_quantized_multiplier(acc, np.asarray(mult, np.int64), np.asarray(shift, np.int64))
    return np.clip(out + out_offset, act_min, act_max).astype(np.int8)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    x, w, bias, mult, shift = xs
    in_off, out_off, amin, amax, sh, sw, dh, dw, ph, pw = low.params[:10]
    _, oh, ow, _ = g.tensors[op.outputs[0]].shape
    xi = np.asarray(x, np.int64) + in_off  # padding then adds nothing: taps outside are skipped
    win = windows(xi, w.shape[1:3], (sh, sw), (dh, dw), (ph, pw), (oh, ow), fill=0)
    acc = _grouped_dot(win, np.asarray(w, np.int64))
    if low.opcode == conv_s16.CONV_2D_S16:
        return [conv_s16.requantize(acc, bias, mult, shift, amin, amax)]
    return [requantize(acc, bias, mult, shift, out_off, amin, amax)]
