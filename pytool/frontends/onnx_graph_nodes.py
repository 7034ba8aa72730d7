"""ONNX converters for pooling, element-wise, shape and QDQ nodes, and the
table of every supported ONNX op type."""

from __future__ import annotations

import numpy as np

from pytool.frontends import onnx_lstm
from pytool.frontends import onnx_nodes as cv
from pytool.frontends.layout import axis_nchw_to_nhwc, perm_nchw_to_nhwc
from pytool.frontends.onnx import Builder, Const
from pytool.ir import QuantParams

# ---- pooling ----------------------------------------------------------------------------


def _pool(b: Builder, op_type: str) -> None:
    a = b.check_attrs({"auto_pad", "kernel_shape", "pads", "strides", "ceil_mode", "count_include_pad",
                       "dilations", "storage_order"})
    if len(b.node.output) > 1 and b.node.output[1]:
        raise b.err("the Indices output is not supported")
    x = b.node.input[0]
    cv._need_rank4(b, x)
    _, _, h, w = b.shape(x)
    if "kernel_shape" not in a:
        raise b.err("attribute 'kernel_shape' is missing")
    k = cv._hw_attr(b, a, "kernel_shape", 1)
    s = cv._hw_attr(b, a, "strides", 1)
    if cv._hw_attr(b, a, "dilations", 1) != (1, 1):
        raise b.err(f"attribute 'dilations' {list(a['dilations'])} is not supported for pooling; supported: [1, 1]")
    pads = cv._spatial_pads(b, a, (h, w), k, s, (1, 1))
    padding = cv._tflite_padding(pads, (h, w), k, s, (1, 1))
    include_pad = op_type == "AVERAGE_POOL_2D" and bool(a.get("count_include_pad", 0)) and any(pads)
    if include_pad:
        padding = "VALID"  # zero-padding first makes every window full: the ONNX divisor
    elif padding is None:
        raise b.err(f"attribute 'pads' {pads} is not supported: pooling pads must equal TFLite SAME or VALID "
                    "(an explicit PAD would change the averages/maxima)")
    if a.get("ceil_mode", 0):
        for size, kk, ss, p0, p1 in zip((h, w), k, s, pads[:2], pads[2:]):
            if (size + p0 + p1 - kk) % ss:
                raise b.err("attribute 'ceil_mode'=1 changes the output size here; not supported")
    y, act = cv._fuse_activation(b, b.node.output[0])
    xin = b.value(x, True)
    if include_pad:
        # TFLite averages over valid elements only; ONNX count_include_pad=1 divides by
        # the full window, which is what an explicit zero PAD before a VALID pool gives.
        top, left, bottom, right = pads
        n, c = b.shape(x)[:2]
        padded = cv._temp(b, f"{y}_padded", (n, h + top + bottom, w + left + right, c), b.g.tensors[xin].dtype)
        b.g.tensors[padded].quant = b.g.tensors[xin].quant
        paddings = cv._int_const(b, f"{y}_paddings", [[0, 0], [top, bottom], [left, right], [0, 0]])
        b.emit("PAD", [xin, paddings], [padded])
        xin = padded
    attrs = {"stride": s, "filter": k, "padding": padding, "activation": act}
    b.emit(op_type, [xin], [b.output(y, True)], attrs)


def average_pool(b: Builder) -> None:
    _pool(b, "AVERAGE_POOL_2D")


def max_pool(b: Builder) -> None:
    _pool(b, "MAX_POOL_2D")


def global_average_pool(b: Builder) -> None:
    b.check_attrs(set())
    x = b.node.input[0]
    cv._need_rank4(b, x)
    axes = cv._int_const(b, f"{b.node.output[0]}_axes", [1, 2])
    b.emit("MEAN", [b.value(x, True), axes], [b.output(b.node.output[0], True)], {"keep_dims": True})


def global_max_pool(b: Builder) -> None:
    b.check_attrs(set())
    x = b.node.input[0]
    cv._need_rank4(b, x)
    _, _, h, w = b.shape(x)
    attrs = {"stride": (1, 1), "filter": (h, w), "padding": "VALID", "activation": "NONE"}
    b.emit("MAX_POOL_2D", [b.value(x, True)], [b.output(b.node.output[0], True)], attrs)


def reduce_mean(b: Builder) -> None:
    a = b.check_attrs({"axes", "keepdims", "noop_with_empty_axes"})
    x, y = b.node.input[0], b.node.output[0]
    r = b.rank(x)
    if "axes" in a:
        axes = list(a["axes"])
    elif cv._opt_input(b, 1):
        axes = [int(v) for v in b.need_const(b.node.input[1], "axes").data.reshape(-1)]
    else:
        axes = list(range(r))
    axes = sorted(ax % r for ax in axes)
    keep = bool(a.get("keepdims", 1))
    nhwc = b.is_nhwc(x) and r >= 3 and (keep or set(range(2, r)) <= set(axes))
    ir_axes = sorted(axis_nchw_to_nhwc(ax, r) for ax in axes) if nhwc else axes
    inputs = [b.value(x, nhwc), cv._int_const(b, f"{y}_axes", ir_axes)]
    b.emit("MEAN", inputs, [b.output(y, nhwc and keep)], {"keep_dims": keep})


# ---- element-wise -----------------------------------------------------------------------


def _broadcast_const(b: Builder, c: Const, rank: int, nhwc: bool, base: str, data=None) -> str:
    """A constant operand shaped for broadcasting against a rank-`rank` value in the chosen layout."""
    arr = c.data if data is None else data
    quant = c.quant if data is None else None
    lead = rank - arr.ndim
    if lead > 0:
        arr = arr.reshape((1,) * lead + arr.shape)
        if quant is not None and quant.per_channel:
            quant = QuantParams(quant.scale, quant.zero_point, quant.axis + lead)
    if nhwc and arr.ndim >= 3:
        perm = perm_nchw_to_nhwc(arr.ndim)
        arr = np.transpose(arr, perm)
        if quant is not None and quant.per_channel:
            quant = QuantParams(quant.scale, quant.zero_point, perm.index(quant.axis))
    return b.add_const(base, np.ascontiguousarray(arr), quant)


_NUMPY = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract, "Div": np.divide}


def binary(b: Builder) -> None:
    b.check_attrs(set())
    kind = b.node.op_type
    x0, x1 = b.node.input[:2]
    y = b.node.output[0]
    c0, c1 = b.const(x0), b.const(x1)
    if c0 is not None and c1 is not None:
        b.consts[y] = Const(_NUMPY[kind](c0.float(), c1.float()).astype(np.float32))
        return
    if kind in ("Sub", "Div") and (c1 is None or c1.quant is not None):
        raise b.err(f"{kind} is supported only with a float constant second operand (mapped to "
                    f"{'ADD' if kind == 'Sub' else 'MUL'})")
    op_type = "ADD" if kind in ("Add", "Sub") else "MUL"
    r = len(b.shape(y))
    if c0 is not None:  # constant first: swap, both ops commute
        x0, x1, c0, c1 = x1, x0, c1, c0
    if c1 is not None:
        nhwc = b.is_nhwc(x0) and r >= 3 and b.rank(x0) == r
        data = None
        if kind == "Sub":
            data = -c1.float()
        elif kind == "Div":
            data = (1.0 / c1.float().astype(np.float64)).astype(np.float32)
        inputs = [b.value(x0, nhwc), _broadcast_const(b, c1, r, nhwc, x1, data)]
    else:
        nhwc = r >= 3 and b.rank(x0) == r == b.rank(x1) and (b.is_nhwc(x0) or b.is_nhwc(x1))
        inputs = [b.value(x0, nhwc), b.value(x1, nhwc)]
    y, act = cv._fuse_activation(b, y)
    b.emit(op_type, inputs, [b.output(y, nhwc)], {"activation": act})


# ---- shape and layout ---------------------------------------------------------------------


def pad(b: Builder) -> None:
    a = b.check_attrs({"mode", "pads", "value"})
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "constant":
        raise b.err(f"attribute 'mode'={mode} is not supported; supported: constant")
    x, y = b.node.input[0], b.node.output[0]
    r = b.rank(x)
    if b.opset < 11:
        pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
    else:
        pads = [int(v) for v in b.need_const(b.node.input[1], "pads").data.reshape(-1)]
        v = cv._opt_input(b, 2)
        value = float(b.need_const(v, "constant_value").float().reshape(-1)[0]) if v else 0.0
        axes_v = cv._opt_input(b, 3)
        if axes_v:
            axes = [int(k) % r for k in b.need_const(axes_v, "axes").data.reshape(-1)]
            full = [0] * (2 * r)
            for i, ax in enumerate(axes):
                full[ax], full[r + ax] = pads[i], pads[len(axes) + i]
            pads = full
    if value != 0.0:
        raise b.err(f"constant_value {value} is not supported; supported: 0")
    if len(pads) != 2 * r or min(pads) < 0:
        raise b.err(f"pads {pads} are not supported: need {2 * r} non-negative values")
    rows = [[pads[i], pads[r + i]] for i in range(r)]
    nhwc = b.is_nhwc(x) and r >= 3
    if nhwc:
        rows = [rows[p] for p in perm_nchw_to_nhwc(r)]
    xin = b.value(x, nhwc)
    b.emit("PAD", [xin, cv._int_const(b, f"{y}_paddings", rows)], [b.output(y, nhwc)])


def _reshape_to(b: Builder, x: str, y: str) -> None:
    c = b.const(x)
    if c is not None:  # constant folding: e.g. a shape-fixed weight
        b.consts[y] = Const(c.data.reshape(b.shape(y)), c.quant if not (c.quant and c.quant.per_channel) else None)
        if c.quant is not None and c.quant.per_channel:
            raise b.err(f"reshaping the per-channel quantized constant '{x}' is not supported")
        return
    # NCHW semantics: a 4-D value held as NHWC must be back in NCHW order before
    # its elements are re-read row-major, unless both orders share the same bytes.
    xin = b.value(x, None) if b.memory_order_agrees(x) else b.value(x, False)
    b.emit("RESHAPE", [xin], [b.output(y, False)])


def reshape(b: Builder) -> None:
    b.check_attrs({"allowzero"})
    _reshape_to(b, b.node.input[0], b.node.output[0])


def flatten(b: Builder) -> None:
    b.check_attrs({"axis"})
    _reshape_to(b, b.node.input[0], b.node.output[0])


def squeeze_unsqueeze(b: Builder) -> None:
    b.check_attrs({"axes"})
    _reshape_to(b, b.node.input[0], b.node.output[0])


def identity(b: Builder) -> None:
    b.check_attrs({"seed", "ratio", "training_mode"} if b.node.op_type == "Dropout" else set())
    b.alias(b.node.output[0], b.node.input[0])


def concat(b: Builder) -> None:
    a = b.check_attrs({"axis"})
    ins, y = list(b.node.input), b.node.output[0]
    r = len(b.shape(y))
    axis = int(a["axis"]) % r
    if all(b.const(v) is not None for v in ins):
        b.consts[y] = Const(np.concatenate([b.const(v).data for v in ins], axis=axis))
        return
    nhwc = r >= 3 and any(b.is_nhwc(v) for v in ins if b.const(v) is None)
    ir_axis = axis_nchw_to_nhwc(axis, r) if nhwc else axis
    inputs = [b.value(v, nhwc) for v in ins]
    y, act = cv._fuse_activation(b, y)
    b.emit("CONCATENATION", inputs, [b.output(y, nhwc)], {"axis": ir_axis, "activation": act})


def softmax(b: Builder) -> None:
    a = b.check_attrs({"axis"})
    x, y = b.node.input[0], b.node.output[0]
    shape = b.shape(x)
    r = len(shape)
    axis = int(a.get("axis", -1 if b.opset >= 13 else 1)) % r
    if axis == r - 1:
        b.emit("SOFTMAX", [b.value(x, False)], [b.output(y, False)], {"beta": 1.0})
    elif b.opset >= 13 and r >= 3 and axis == 1 and b.is_nhwc(x):
        b.emit("SOFTMAX", [b.value(x, True)], [b.output(y, True)], {"beta": 1.0})
    elif b.opset >= 13:
        # Softmax over an inner axis: move it last, normalise, move it back.
        perm = [k for k in range(r) if k != axis] + [axis]
        inv = [perm.index(k) for k in range(r)]
        moved = cv._temp(b, f"{y}_moved", [shape[p] for p in perm])
        normed = cv._temp(b, f"{y}_normed", [shape[p] for p in perm])
        b.emit("TRANSPOSE", [b.value(x, False), cv._int_const(b, f"{y}_perm", perm)], [moved])
        b.emit("SOFTMAX", [moved], [normed], {"beta": 1.0})
        b.emit("TRANSPOSE", [normed, cv._int_const(b, f"{y}_perm_back", inv)], [b.output(y, False)])
    else:
        # Before opset 13 the input is coerced to 2-D [prod(:axis), prod(axis:)].
        flat = (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
        xin = b.value(x, None) if b.memory_order_agrees(x) else b.value(x, False)
        f_in, f_out = cv._temp(b, f"{y}_2d", flat), cv._temp(b, f"{y}_2d_softmax", flat)
        b.emit("RESHAPE", [xin], [f_in])
        b.emit("SOFTMAX", [f_in], [f_out], {"beta": 1.0})
        b.emit("RESHAPE", [f_out], [b.output(y, False)])


def transpose(b: Builder) -> None:
    a = b.check_attrs({"perm"})
    x, y = b.node.input[0], b.node.output[0]
    r = b.rank(x)
    perm = [int(p) % r for p in a.get("perm", list(reversed(range(r))))]
    c = b.const(x)
    if c is not None:
        if c.quant is not None and c.quant.per_channel:
            raise b.err(f"transposing the per-channel quantized constant '{x}' is not supported")
        b.consts[y] = Const(np.transpose(c.data, perm), c.quant)
        return
    name, held = b.ir[x]
    if held and r >= 3:
        to_nhwc = perm_nchw_to_nhwc(r)
        from_nhwc = [to_nhwc.index(k) for k in range(r)]
        perm = [from_nhwc[p] for p in perm]  # applied to the NHWC tensor
    if perm == list(range(r)):
        b.ir[y] = (name, False)
        return
    if r >= 3 and [perm[p] for p in perm_nchw_to_nhwc(r)] == list(range(r)):
        b.ir[y] = (name, True)  # the IR tensor already is y's NHWC form
        return
    b.emit("TRANSPOSE", [name, cv._int_const(b, f"{y}_perm", perm)], [b.output(y, False)])


def constant(b: Builder) -> None:
    from onnx import numpy_helper

    a = b.check_attrs({"value", "value_float", "value_floats", "value_int", "value_ints"})
    if "value" in a:
        data = numpy_helper.to_array(a["value"])
    else:
        key = next(iter(a))
        data = np.asarray(a[key], np.float32 if "float" in key else np.int64)
    b.consts[b.node.output[0]] = Const(data)


# ---- QDQ ----------------------------------------------------------------------------------


def _qparams(b: Builder, axis: int, rank: int) -> tuple[QuantParams, np.dtype]:
    scale = b.need_const(b.node.input[1], "scale").data.astype(np.float32).reshape(-1)
    zv = cv._opt_input(b, 2)
    zp_arr = b.need_const(zv, "zero_point").data if zv else np.zeros(1, np.uint8)
    if zp_arr.dtype not in (np.int8, np.int32):
        raise b.err(f"{zp_arr.dtype} quantization is not supported; supported: int8 (activations/weights), "
                    "int32 (bias); quantize with QuantType.QInt8")
    axis = axis % max(rank, 1)
    return QuantParams(scale, zp_arr.reshape(-1).astype(np.int64), axis if scale.size > 1 else 0), zp_arr.dtype


def dequantize_linear(b: Builder) -> None:
    a = b.check_attrs({"axis", "block_size"})
    if a.get("block_size", 0):
        raise b.err("attribute 'block_size' (blocked quantization) is not supported")
    x, y = b.node.input[0], b.node.output[0]
    quant, _ = _qparams(b, int(a.get("axis", 1)), b.rank(x))
    c = b.const(x)
    if c is not None:
        b.consts[y] = Const(c.data, quant)
        return
    if quant.per_channel:
        raise b.err("per-channel quantization of an activation is not supported")
    xin = b.value(x, None)
    t = b.g.tensors[xin]
    if t.quant is None:
        t.quant = quant
    b.emit("DEQUANTIZE", [xin], [b.output(y, b.is_nhwc(x), "float32")])


def quantize_linear(b: Builder) -> None:
    a = b.check_attrs({"axis", "saturate", "block_size", "output_dtype"})
    if a.get("block_size", 0):
        raise b.err("attribute 'block_size' (blocked quantization) is not supported")
    x, y = b.node.input[0], b.node.output[0]
    quant, dtype = _qparams(b, int(a.get("axis", 1)), b.rank(x))
    c = b.const(x)
    if c is not None:
        shape = [1] * c.data.ndim
        if quant.per_channel:
            shape[quant.axis] = -1
        q = np.rint(c.float() / quant.scale.reshape(shape)) + quant.zero_point.reshape(shape)
        info = np.iinfo(dtype)
        b.consts[y] = Const(np.clip(q, info.min, info.max).astype(dtype), quant)
        return
    if quant.per_channel:
        raise b.err("per-channel quantization of an activation is not supported")
    b.emit("QUANTIZE", [b.value(x, None)], [b.output(y, b.is_nhwc(x), str(np.dtype(dtype)), quant)])


CONVERTERS = {
    "Conv": cv.conv,
    "BatchNormalization": cv.batchnorm,
    "Gemm": cv.gemm,
    "MatMul": cv.matmul,
    "Relu": cv.relu,
    "Clip": cv.clip,
    "Sigmoid": cv.sigmoid,
    "AveragePool": average_pool,
    "MaxPool": max_pool,
    "GlobalAveragePool": global_average_pool,
    "GlobalMaxPool": global_max_pool,
    "ReduceMean": reduce_mean,
    "Add": binary,
    "Mul": binary,
    "Sub": binary,
    "Div": binary,
    "Pad": pad,
    "Reshape": reshape,
    "Flatten": flatten,
    "Squeeze": squeeze_unsqueeze,
    "Unsqueeze": squeeze_unsqueeze,
    "Identity": identity,
    "Dropout": identity,
    "Concat": concat,
    "Softmax": softmax,
    "Transpose": transpose,
    "Constant": constant,
    "QuantizeLinear": quantize_linear,
    "DequantizeLinear": dequantize_linear,
}
def _more() -> dict:
    from pytool.frontends import onnx_more_nodes as more

    return {"LeakyRelu": more.leaky_relu, "HardSwish": more.hard_swish, "ConvTranspose": more.conv_transpose,
            "Resize": more.resize}


CONVERTERS.update(_more())
CONVERTERS.update(onnx_lstm.CONVERTERS)
SUPPORTED = sorted(CONVERTERS)
