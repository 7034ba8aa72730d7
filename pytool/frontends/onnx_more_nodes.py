"""ONNX converters for LeakyRelu, HardSwish, ConvTranspose and Resize (float
and QDQ): each maps onto one TFLite op exactly or is refused with the reason."""

from __future__ import annotations

import numpy as np

from pytool.frontends import onnx_nodes as cv
from pytool.frontends.onnx import Builder


def leaky_relu(b: Builder) -> None:
    a = b.check_attrs({"alpha"})
    x, y = b.node.input[0], b.node.output[0]
    xin = b.value(x, None)
    b.emit("LEAKY_RELU", [xin], [b.output(y, b.is_nhwc(x))], {"alpha": float(a.get("alpha", 0.01))})


def hard_swish(b: Builder) -> None:
    b.check_attrs(set())
    x, y = b.node.input[0], b.node.output[0]
    xin = b.value(x, None)
    b.emit("HARD_SWISH", [xin], [b.output(y, b.is_nhwc(x))])


def conv_transpose(b: Builder) -> None:
    a = b.check_attrs({"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape",
                       "pads", "strides"})
    x, w = list(b.node.input)[:2]
    bias_v = b.node.input[2] if len(b.node.input) > 2 and b.node.input[2] else None
    cv._need_rank4(b, x)
    wc = b.need_const(w, "weights")
    if wc.data.ndim != 4:
        raise b.err(f"weights '{w}' have rank {wc.data.ndim}; only 2-D transposed convolutions are supported")
    c_in, c_out, kh, kw = wc.data.shape
    if int(a.get("group", 1)) != 1:
        raise b.err("attribute 'group' != 1 is not supported (TFLite's TRANSPOSE_CONV has no groups)")
    if cv._hw_attr(b, a, "dilations", 1) != (1, 1):
        raise b.err("dilations other than 1 are not supported (TFLite's TRANSPOSE_CONV has none)")
    strides = cv._hw_attr(b, a, "strides", 1)
    n = b.shape(x)[0]
    y = b.node.output[0]
    _, _, oh, ow = b.shape(y)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = [0, 0, 0, 0] if auto == "VALID" else list(a.get("pads", [0, 0, 0, 0]))
    # TFLite places input row i at output row i * stride - pad: VALID has pad 0
    # (rows past the output are dropped), SAME pad = TFLite's conv padding of
    # the output size. ONNX's leading pads must equal one of them.
    same = [max(0, (-(-size // s) - 1) * s + k - size) // 2 for size, k, s in zip((oh, ow), (kh, kw), strides)]
    padding = "VALID" if pads[:2] == [0, 0] else "SAME" if pads[:2] == same else None
    if padding is None:
        raise b.err(f"pads {pads} with output {oh}x{ow} have no TFLite TRANSPOSE_CONV equivalent (SAME or VALID)")
    y, act = cv._fuse_activation(b, y)
    w_ir = cv._transposed(b, w, wc, [1, 2, 3, 0])  # [in, out, kh, kw] -> OHWI
    inputs = [cv._int_const(b, f"{y}_output_shape", [n, oh, ow, c_out]), w_ir, b.value(x, True)]
    if bias_v:
        bc = b.need_const(bias_v, "bias")
        inputs.append(b.add_const(bias_v, bc.data, bc.quant))
    b.emit("TRANSPOSE_CONV", inputs, [b.output(y, True)], {"stride": strides, "padding": padding,
                                                            "activation": act})


_RESIZE_MODES = {
    # (mode, coordinate_transformation_mode, nearest_mode) -> (op, align_corners, half_pixel_centers)
    ("nearest", "asymmetric", "floor"): ("RESIZE_NEAREST_NEIGHBOR", False, False),
    ("nearest", "half_pixel", "round_prefer_ceil"): ("RESIZE_NEAREST_NEIGHBOR", False, True),
    ("nearest", "tf_half_pixel_for_nn", "floor"): ("RESIZE_NEAREST_NEIGHBOR", False, True),
    ("nearest", "align_corners", "round_prefer_ceil"): ("RESIZE_NEAREST_NEIGHBOR", True, False),
    ("linear", "asymmetric", None): ("RESIZE_BILINEAR", False, False),
    ("linear", "half_pixel", None): ("RESIZE_BILINEAR", False, True),
    ("linear", "align_corners", None): ("RESIZE_BILINEAR", True, False),
}


def _s(v, default: str) -> str:
    if v is None:
        return default
    return v.decode() if isinstance(v, bytes) else str(v)


def resize(b: Builder) -> None:
    a = b.check_attrs({"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                       "exclude_outside", "extrapolation_value", "antialias", "keep_aspect_ratio_policy", "axes"})
    x, y = b.node.input[0], b.node.output[0]
    cv._need_rank4(b, x)
    mode = _s(a.get("mode"), "nearest")
    ctm = _s(a.get("coordinate_transformation_mode"), "half_pixel")
    nearest = _s(a.get("nearest_mode"), "round_prefer_floor") if mode == "nearest" else None
    if int(a.get("exclude_outside", 0)) or int(a.get("antialias", 0)):
        raise b.err("exclude_outside / antialias are not supported")
    key = (mode, ctm, nearest)
    if key not in _RESIZE_MODES:
        raise b.err(f"Resize mode={mode}, coordinate_transformation_mode={ctm}"
                    + (f", nearest_mode={nearest}" if nearest else "")
                    + f" has no TFLite equivalent; supported: {sorted(k for k in _RESIZE_MODES)}")
    op, align, half = _RESIZE_MODES[key]
    n, c, h, w = b.shape(x)
    yn, yc, oh, ow = b.shape(y)
    if (yn, yc) != (n, c):
        raise b.err("Resize may scale only H and W")
    size = cv._int_const(b, f"{y}_size", np.array([oh, ow], np.int32))
    b.emit(op, [b.value(x, True), size], [b.output(y, True)], {"align_corners": align, "half_pixel_centers": half})
