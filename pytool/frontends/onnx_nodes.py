"""One converter per ONNX op type: reads the current node of a Builder and
appends IR ops. Weights go to TFLite layouts (OHWI, 1HW(C*M), [out, in])."""

from __future__ import annotations

import math

import numpy as np

from pytool.frontends.onnx import Builder, Const
from pytool.ir import QuantParams, Tensor

# ---- shared helpers ---------------------------------------------------------------------


def _ins(b: Builder) -> list[str]:
    return list(b.node.input)


def _opt_input(b: Builder, k: int) -> str | None:
    ins = b.node.input
    return ins[k] if len(ins) > k and ins[k] else None


def _temp(b: Builder, base: str, shape, dtype: str = "float32") -> str:
    name = b.g.unique_name(base)
    b.g.add_tensor(Tensor(name, tuple(shape), dtype))
    return name


def _int_const(b: Builder, base: str, values) -> str:
    return b.add_const(base, np.asarray(values, np.int32))


def _transposed(b: Builder, base: str, c: Const, perm: list[int], data: np.ndarray | None = None) -> str:
    """An IR const holding c (or `data` in c's layout) transposed by perm, quant axis following."""
    arr = np.transpose(c.data if data is None else data, perm)
    quant = c.quant if data is None else None
    if quant is not None and quant.per_channel:
        quant = QuantParams(quant.scale, quant.zero_point, perm.index(quant.axis))
    return b.add_const(base, np.ascontiguousarray(arr), quant)


def _clip_bounds(b: Builder, idx: int) -> tuple[float, float] | None:
    n = b.nodes[idx]
    if b.opset < 11:
        a = b.attrs(n)
        return float(a.get("min", -np.inf)), float(a.get("max", np.inf))
    bounds = []
    for k, default in ((1, -np.inf), (2, np.inf)):
        v = n.input[k] if len(n.input) > k and n.input[k] else None
        if v is None:
            bounds.append(default)
            continue
        c = b.const(v)
        if c is None:
            return None
        bounds.append(float(c.float().reshape(-1)[0]))
    return bounds[0], bounds[1]


def _activation_name(lo: float, hi: float) -> str | None:
    return {(0.0, math.inf): "RELU", (0.0, 6.0): "RELU6", (-1.0, 1.0): "RELU_N1_TO_1"}.get((lo, hi))


def _fuse_activation(b: Builder, y: str) -> tuple[str, str]:
    """Folds a sole-consumer Relu/Clip into the producing op: returns the value
    the op's output stands for and the fused activation."""
    j = b.sole_consumer(y)
    if j is None or j in b.done:
        return y, "NONE"
    n = b.nodes[j]
    act = None
    if n.op_type == "Relu":
        act = "RELU"
    elif n.op_type == "Clip":
        bounds = _clip_bounds(b, j)
        act = _activation_name(*bounds) if bounds else None
    if act is None:
        return y, "NONE"
    b.done.add(j)
    return n.output[0], act


def _spatial_pads(b: Builder, a: dict, in_hw, k_hw, strides, dilations) -> list[int]:
    """Explicit [top, left, bottom, right] pads from pads / auto_pad."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(pads) != 4 or min(pads) < 0:
            raise b.err(f"attribute 'pads' {pads} is not supported: need 4 non-negative values")
        return pads
    if auto == "VALID":
        return [0, 0, 0, 0]
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise b.err(f"attribute 'auto_pad'={auto} is not supported; supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER")
    begin, end = [], []
    for size, k, s, d in zip(in_hw, k_hw, strides, dilations):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, big = total // 2, total - total // 2
        begin.append(small if auto == "SAME_UPPER" else big)
        end.append(big if auto == "SAME_UPPER" else small)
    return begin + end


def _tflite_padding(pads: list[int], in_hw, k_hw, strides, dilations) -> str | None:
    """'VALID' or 'SAME' when explicit pads equal what TFLite would use, else None."""
    if not any(pads):
        return "VALID"
    same = []
    for size, k, s, d in zip(in_hw, k_hw, strides, dilations):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        same.append((total // 2, total - total // 2))
    if pads == [same[0][0], same[1][0], same[0][1], same[1][1]]:
        return "SAME"
    return None


def _hw_attr(b: Builder, a: dict, key: str, default: int) -> tuple[int, int]:
    v = list(a.get(key, [default, default]))
    if len(v) != 2 or min(v) < 1:
        raise b.err(f"attribute '{key}' {v} is not supported: need two values >= 1 (2-D only)")
    return int(v[0]), int(v[1])


def _need_rank4(b: Builder, x: str) -> None:
    if b.rank(x) != 4:
        raise b.err(f"input '{x}' has rank {b.rank(x)}; only 2-D spatial ops on 4-D NCHW tensors are supported")


# ---- convolution ------------------------------------------------------------------------


def _fold_batchnorm(b: Builder, y: str, w: np.ndarray, bias: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    j = b.sole_consumer(y)
    if j is None or j in b.done or b.nodes[j].op_type != "BatchNormalization":
        return y, w, bias
    n = b.nodes[j]
    a = b.attrs(n)
    consts = [b.const(v) for v in n.input[1:5]]
    if any(c is None for c in consts) or a.get("training_mode", 0) or len([o for o in n.output if o]) > 1:
        return y, w, bias
    gamma, beta, mean, var = (c.float().astype(np.float64) for c in consts)
    scale = gamma / np.sqrt(var + float(a.get("epsilon", 1e-5)))
    w = (w.astype(np.float64) * scale.reshape(-1, 1, 1, 1)).astype(np.float32)
    bias = ((bias.astype(np.float64) - mean) * scale + beta).astype(np.float32)
    b.done.add(j)
    return n.output[0], w, bias


def conv(b: Builder) -> None:
    a = b.check_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
    x, w = _ins(b)[:2]
    bias_v = _opt_input(b, 2)
    _need_rank4(b, x)
    wc = b.need_const(w, "weights")
    if wc.data.ndim != 4:
        raise b.err(f"weights '{w}' have rank {wc.data.ndim}; only 2-D convolutions are supported")
    m_out, c_per_group, kh, kw = wc.data.shape
    _, c_in, h, wd = b.shape(x)
    strides = _hw_attr(b, a, "strides", 1)
    dilations = _hw_attr(b, a, "dilations", 1)
    if "kernel_shape" in a and tuple(a["kernel_shape"]) != (kh, kw):
        raise b.err(f"attribute 'kernel_shape' {list(a['kernel_shape'])} disagrees with weights {[kh, kw]}")
    group = int(a.get("group", 1))
    if group == 1:
        kind = "CONV_2D"
    elif group == c_in and c_per_group == 1:
        kind = "DEPTHWISE_CONV_2D"
    else:
        raise b.err(
            f"attribute 'group'={group} is not supported: only 1 (convolution) or the input "
            f"channel count {c_in} (depthwise) map onto the runtime"
        )
    pads = _spatial_pads(b, a, (h, wd), (kh, kw), strides, dilations)
    padding = _tflite_padding(pads, (h, wd), (kh, kw), strides, dilations)

    y = b.node.output[0]
    bias_c = b.need_const(bias_v, "bias") if bias_v else None
    w_data, b_data = None, None
    if wc.quant is None and (bias_c is None or bias_c.quant is None):
        w0 = wc.float()
        b0 = bias_c.float() if bias_c is not None else np.zeros(m_out, np.float32)
        y2, w1, b1 = _fold_batchnorm(b, y, w0, b0)
        if y2 != y:
            y, w_data, b_data = y2, w1, b1
    y, act = _fuse_activation(b, y)

    xin = b.value(x, True)
    if padding is None:
        top, left, bottom, right = pads
        padded = _temp(b, f"{y}_padded", (b.shape(x)[0], h + top + bottom, wd + left + right, c_in),
                       b.g.tensors[xin].dtype)
        b.g.tensors[padded].quant = b.g.tensors[xin].quant
        paddings = _int_const(b, f"{y}_paddings", [[0, 0], [top, bottom], [left, right], [0, 0]])
        b.emit("PAD", [xin, paddings], [padded])
        xin, padding = padded, "VALID"

    perm = [0, 2, 3, 1] if kind == "CONV_2D" else [1, 2, 3, 0]
    w_ir = _transposed(b, w, wc, perm, w_data)
    inputs = [xin, w_ir]
    if b_data is not None:
        inputs.append(b.add_const(bias_v or f"{w}_bias", b_data))
    elif bias_c is not None:
        inputs.append(b.add_const(bias_v, bias_c.data, bias_c.quant))
    attrs = {"stride": strides, "dilation": dilations, "padding": padding, "activation": act}
    if kind == "DEPTHWISE_CONV_2D":
        attrs["depth_multiplier"] = m_out // c_in
    b.emit(kind, inputs, [b.output(y, True)], attrs)


def batchnorm(b: Builder) -> None:
    """A BatchNormalization not folded into a conv: y = x * s + t per channel."""
    a = b.check_attrs({"epsilon", "momentum", "training_mode", "spatial"})
    if a.get("training_mode", 0):
        raise b.err("attribute 'training_mode'=1 is not supported (inference only)")
    x = _ins(b)[0]
    gamma, beta, mean, var = (b.need_const(v, "BatchNormalization parameter").float().astype(np.float64)
                              for v in _ins(b)[1:5])
    scale = gamma / np.sqrt(var + float(a.get("epsilon", 1e-5)))
    shift = beta - mean * scale
    if b.rank(x) < 2:
        raise b.err(f"input '{x}' has rank {b.rank(x)}; need a channel axis")
    xin = b.value(x, True)  # channels last, so per-channel constants broadcast
    y = b.node.output[0]
    scaled = _temp(b, f"{y}_scaled", b.g.tensors[xin].shape)
    b.emit("MUL", [xin, b.add_const(f"{y}_scale", scale.astype(np.float32))], [scaled], {"activation": "NONE"})
    y, act = _fuse_activation(b, y)
    b.emit("ADD", [scaled, b.add_const(f"{y}_shift", shift.astype(np.float32))], [b.output(y, True)],
           {"activation": act})


# ---- fully connected ---------------------------------------------------------------------


def gemm(b: Builder) -> None:
    a = b.check_attrs({"alpha", "beta", "transA", "transB"})
    if a.get("transA", 0):
        raise b.err("attribute 'transA'=1 is not supported (the input must be [batch, features])")
    x, w = _ins(b)[:2]
    c_v = _opt_input(b, 2)
    if b.rank(x) != 2:
        raise b.err(f"input '{x}' has rank {b.rank(x)}; Gemm needs rank 2")
    wc = b.need_const(w, "B (weights)")
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    perm = [0, 1] if a.get("transB", 0) else [1, 0]
    m_out = wc.data.shape[perm[0]]
    scaled = None
    if alpha != 1.0:
        if wc.quant is not None:
            raise b.err(f"attribute 'alpha'={alpha} with quantized weights is not supported")
        scaled = wc.float() * np.float32(alpha)
    inputs = [b.value(x, False), _transposed(b, w, wc, perm, scaled)]
    if c_v:
        cc = b.need_const(c_v, "C (bias)")
        if cc.data.size not in (1, m_out) or (cc.data.ndim == 2 and cc.data.shape[0] != 1):
            raise b.err(f"C (bias) of shape {list(cc.data.shape)} is not supported; need [{m_out}] or [1, {m_out}]")
        if cc.quant is not None:
            if beta != 1.0:
                raise b.err(f"attribute 'beta'={beta} with a quantized bias is not supported")
            inputs.append(b.add_const(c_v, np.broadcast_to(cc.data.reshape(-1), (m_out,)).copy(), cc.quant))
        else:
            inputs.append(b.add_const(c_v, np.broadcast_to(cc.float().reshape(-1) * np.float32(beta), (m_out,)).copy()))
    y, act = _fuse_activation(b, b.node.output[0])
    b.emit("FULLY_CONNECTED", inputs, [b.output(y, False)], {"activation": act, "keep_num_dims": False})


def matmul(b: Builder) -> None:
    b.check_attrs(set())
    x, w = _ins(b)[:2]
    wc = b.const(w)
    if wc is None or wc.data.ndim != 2:
        raise b.err(f"MatMul with a non-constant or non-2-D second operand '{w}' is not supported "
                    "(only activation x constant weights maps onto FULLY_CONNECTED)")
    if b.rank(x) < 2:
        raise b.err(f"input '{x}' has rank {b.rank(x)}; need rank >= 2")
    m_out = wc.data.shape[1]
    inputs = [b.value(x, False), _transposed(b, w, wc, [1, 0])]
    y = b.node.output[0]
    j = b.sole_consumer(y)
    if j is not None and j not in b.done and b.nodes[j].op_type == "Add":
        n = b.nodes[j]
        other = n.input[1] if n.input[0] == y else n.input[0]
        oc = b.const(other)
        if oc is not None and oc.data.size == m_out and oc.data.shape[-1] == m_out:
            data = oc.data.reshape(-1)
            inputs.append(b.add_const(other, data.copy(), oc.quant) if oc.quant is not None
                          else b.add_const(other, oc.float().reshape(-1)))
            b.done.add(j)
            y = n.output[0]
    y, act = _fuse_activation(b, y)
    keep = b.rank(x) > 2
    b.emit("FULLY_CONNECTED", inputs, [b.output(y, False)], {"activation": act, "keep_num_dims": keep})


# ---- activations -------------------------------------------------------------------------


def _unary(b: Builder, op_type: str) -> None:
    x, y = b.node.input[0], b.node.output[0]
    xin = b.value(x, None)
    b.emit(op_type, [xin], [b.output(y, b.is_nhwc(x))])


def relu(b: Builder) -> None:
    b.check_attrs(set())
    _unary(b, "RELU")


def clip(b: Builder) -> None:
    b.check_attrs({"min", "max"})
    bounds = _clip_bounds(b, b.index)
    if bounds is None:
        raise b.err("non-constant min/max inputs are not supported")
    act = _activation_name(*bounds)
    if act not in ("RELU", "RELU6"):
        raise b.err(f"Clip to [{bounds[0]}, {bounds[1]}] is not supported on its own; supported: [0, 6], "
                    "[0, inf) (and [-1, 1] fused into a conv/fc/add)")
    _unary(b, act)


def sigmoid(b: Builder) -> None:
    b.check_attrs(set())
    _unary(b, "LOGISTIC")
