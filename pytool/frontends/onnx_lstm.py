"""ONNX LSTM -> the IR's UNIDIRECTIONAL_SEQUENCE_LSTM, and the constant
folding of the shape plumbing exporters put around it (PyTorch builds the zero
initial states from Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape).

ONNX's LSTM is stateless: every run starts from initial_h / initial_c. The IR
op gets attrs stateless=True, so the C clears its state before each sequence;
only zero initial states are accepted. Y becomes a RESHAPE of the op's output,
Y_h a STRIDED_SLICE of its last step; Y_c (the cell state) is not an output of
the TFLite op and is refused, as are the variants TFLite Micro's kernel lacks.
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from pytool.frontends import onnx_nodes as cv
from pytool.frontends.onnx import Builder, Const
from pytool.ir import Tensor

_ONNX_GATES = "iofc"  # ONNX's gate order in W, R and B
_IR_GATES = "ifco"  # the IR's (TFLite's)


def _const_inputs(b: Builder) -> list[np.ndarray]:
    out = []
    for v in b.node.input:
        c = b.const(v) if v else None
        if v and c is None:
            raise b.err(f"input '{v}' is computed at run time; {b.node.op_type} is only supported on constants "
                        "(shape plumbing folded at conversion)")
        if c is not None and c.quant is not None:
            raise b.err(f"input '{v}' is a quantized constant; {b.node.op_type} folds plain constants only")
        out.append(None if c is None else c.data)
    return out


def shape(b: Builder) -> None:
    a = b.check_attrs({"start", "end"})
    dims = np.array(b.shape(b.node.input[0]), np.int64)
    b.consts[b.node.output[0]] = Const(dims[int(a.get("start", 0)):a.get("end", None)])


def gather(b: Builder) -> None:
    a = b.check_attrs({"axis"})
    data, idx = _const_inputs(b)
    b.consts[b.node.output[0]] = Const(np.take(data, idx, axis=int(a.get("axis", 0))))


def constant_of_shape(b: Builder) -> None:
    a = b.check_attrs({"value"})
    (dims,) = _const_inputs(b)
    fill = a.get("value")
    v = numpy_helper.to_array(fill).reshape(-1) if fill is not None else np.zeros(1, np.float32)
    b.consts[b.node.output[0]] = Const(np.full(tuple(int(d) for d in dims), v[0], v.dtype))


def cast(b: Builder) -> None:
    a = b.check_attrs({"to", "saturate", "round_mode"})
    (data,) = _const_inputs(b)
    b.consts[b.node.output[0]] = Const(data.astype(helper.tensor_dtype_to_np_dtype(int(a["to"]))))


def expand(b: Builder) -> None:
    b.check_attrs(set())
    data, dims = _const_inputs(b)
    out = np.broadcast_shapes(data.shape, tuple(int(d) for d in dims))
    b.consts[b.node.output[0]] = Const(np.broadcast_to(data, out).copy())


def slice_(b: Builder) -> None:
    b.check_attrs(set())
    vals = _const_inputs(b) + [None] * 5
    data, starts, ends, axes, steps = vals[:5]
    axes = list(range(len(starts))) if axes is None else [int(v) % data.ndim for v in axes]
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * data.ndim
    for ax, s, e, st in zip(axes, starts, ends, steps):
        sl[ax] = slice(int(s), int(e), int(st))
    b.consts[b.node.output[0]] = Const(data[tuple(sl)])


def _zero_state(b: Builder, v: str, what: str) -> None:
    if not v:
        return
    c = b.const(v)
    if c is None:
        raise b.err(f"{what} ('{v}') is computed at run time; only a constant zero initial state is supported")
    if np.any(c.float() != 0):
        raise b.err(f"{what} ('{v}') is not zero; only zero initial states are supported")


def lstm(b: Builder) -> None:
    a = b.check_attrs({"hidden_size", "direction", "layout", "activations", "clip", "input_forget",
                       "activation_alpha", "activation_beta"})
    ins = list(b.node.input) + [""] * (8 - len(b.node.input))
    x, w, r, bias, seq_lens, h0, c0, peep = ins
    direction = a.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction != "forward":
        raise b.err(f"direction '{direction}' is not supported; TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM runs forward")
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    if acts and acts != ["Sigmoid", "Tanh", "Tanh"]:
        raise b.err(f"activations {acts} are not supported; only Sigmoid, Tanh, Tanh")
    if "clip" in a:
        raise b.err("attribute 'clip' (clipping the gate inputs) has no TFLite equivalent")
    if int(a.get("input_forget", 0)):
        raise b.err("input_forget=1 (coupled input-forget gate) is not supported (TFLite Micro's LSTM has none)")
    if peep:
        raise b.err("peephole weights (input P) are not supported (TFLite Micro's LSTM has none)")
    yc = b.node.output[2] if len(b.node.output) > 2 else ""
    if yc and (b.consumers.get(yc) or yc in b.graph_outputs):
        raise b.err("output Y_c (the last cell state) is not supported; TFLite's LSTM outputs the hidden states")
    if any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in b.nodes):
        # onnxruntime's static QDQ quantization leaves LSTM in float: a mixed graph
        raise b.err("an LSTM in a QDQ (pre-quantized) model is not supported; compile the float model with "
                    "calibration data and the LSTM is quantized to TFLite's integer LSTM")
    time_major = int(a.get("layout", 0)) == 0
    xs = b.shape(x)
    if len(xs) != 3:
        raise b.err(f"input X must be 3-D, got {xs}")
    nt, nb, ni = xs if time_major else (xs[1], xs[0], xs[2])
    ns = int(a["hidden_size"]) if "hidden_size" in a else b.shape(r)[-1]
    wc, rc = b.need_const(w, "weights W").float(), b.need_const(r, "recurrence weights R").float()
    if wc.shape != (1, 4 * ns, ni) or rc.shape != (1, 4 * ns, ns):
        raise b.err(f"W {wc.shape} / R {rc.shape} do not fit hidden_size {ns} and input size {ni}")
    bc = b.need_const(bias, "bias B").float().reshape(2, 4 * ns).sum(0) if bias else np.zeros(4 * ns, np.float32)
    if seq_lens:
        sc = b.need_const(seq_lens, "sequence_lens").data
        if np.any(sc != nt):
            raise b.err(f"sequence_lens {sc.tolist()} differ from the sequence length {nt}; not supported")
    _zero_state(b, h0, "initial_h")
    _zero_state(b, c0, "initial_c")
    y_name = b.node.output[0] if b.node.output[0] else b.node.name or "lstm"
    order = [_ONNX_GATES.index(k) for k in _IR_GATES]
    w4, r4, b4 = wc[0].reshape(4, ns, ni), rc[0].reshape(4, ns, ns), bc.reshape(4, ns)
    inputs = [b.value(x, False)]
    inputs += [b.add_const(f"{y_name}_w_{_IR_GATES[k]}", w4[g]) for k, g in enumerate(order)]
    inputs += [b.add_const(f"{y_name}_r_{_IR_GATES[k]}", r4[g]) for k, g in enumerate(order)]
    inputs += [b.add_const(f"{y_name}_b_{_IR_GATES[k]}", b4[g]) for k, g in enumerate(order)]
    for part in ("hidden", "cell"):
        n = b.g.unique_name(f"{y_name}_{part}_state")
        b.g.add_tensor(Tensor(n, (nb, ns), "float32"))
        b.g.meta.setdefault("variables", {})[n] = np.zeros((nb, ns), np.float32)
        inputs.append(n)
    seq = b.g.unique_name(f"{y_name}_sequence")
    b.g.add_tensor(Tensor(seq, (xs[0], xs[1], ns), "float32"))
    b.emit("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [seq],
           {"time_major": time_major, "cell_clip": 0.0, "activation": "TANH", "stateless": True})
    outs = list(b.node.output) + ["", ""]
    if outs[0]:
        b.emit("RESHAPE", [seq], [b.output(outs[0], False)])
    if outs[1]:
        begin = [nt - 1, 0, 0] if time_major else [0, nt - 1, 0]
        end = [nt, nb, ns] if time_major else [nb, nt, ns]
        last = b.g.unique_name(f"{y_name}_last")
        b.g.add_tensor(Tensor(last, (1, nb, ns) if time_major else (nb, 1, ns), "float32"))
        b.emit("STRIDED_SLICE", [seq, cv._int_const(b, f"{last}_begin", begin), cv._int_const(b, f"{last}_end", end),
                                 cv._int_const(b, f"{last}_strides", [1, 1, 1])], [last], {})
        b.emit("RESHAPE", [last], [b.output(outs[1], False)])


CONVERTERS = {"LSTM": lstm, "Shape": shape, "Gather": gather, "ConstantOfShape": constant_of_shape, "Cast": cast,
              "Expand": expand, "Slice": slice_}
