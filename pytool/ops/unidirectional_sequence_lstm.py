"""UNIDIRECTIONAL_SEQUENCE_LSTM (the Keras LSTM layer as TFLite fuses it).

IR: inputs [x [B, T, I] (or [T, B, I] when time_major), input weights [S, I]
for the gates i, f, c, o, recurrent weights [S, S] (same order), gate biases
[S] (same order), hidden state [B, S], cell state [B, S]] (15 inputs; the
last two are graph variables, g.meta["variables"], updated in place and kept
across invokes), attrs {time_major, cell_clip, activation: "TANH", stateless}.
stateless (ONNX's LSTM): each invoke starts from the zero state instead.
Output y: the hidden state after every step, [B, T, S] ([T, B, S]).

TFLite's optional inputs (peephole, projection, layer norm, CIFG) are refused
by the readers: TFLite Micro's kernel has none of them.

C (runtime_c/src/ops/unidirectional_sequence_lstm.c): TFLite's integer
8x8->16 LSTM as TFLite Micro computes it (lstm_eval_common.cc Prepare,
lstm_eval.h LstmStep): int8 x/h/y and weights, int32 biases, int16 cell state
with a power-of-two scale; gate pre-activations in Q3.12, activations Q0.15.
16x8 (TFLite Micro's EvalLstm<int16_t, int8_t, int16_t, int64_t>): int16 x/h/y
with zero points 0 and int64 biases; the gate FCs accumulate in int64 and
rescale with the 64-bit MultiplyByQuantizedMultiplier (16-bit multiplier).
float32 (every tensor): the F32 C op's LSTM kind (pytool/ops/f32_recurrent.py).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32_recurrent
from pytool.ops.common import quant_of
from pytool.ops.conv_s16 import mbqm64
from pytool.ops.sigmoid_s16 import checked_log2
from pytool.ops.sigmoid_s16 import ref as table_ref
from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 64  # clear of the codes other new ops take in order
TYPES = ("int8", "int16", "float32")
STATE_INPUTS = (13, 14)  # ref_int8's extra results: the new hidden and cell state
N_INPUTS = 15
GATE_IN, GATE_REC, GATE_BIAS, HIDDEN, CELL = 1, 5, 9, 13, 14
GATE_SCALE = 2.0**-12  # Q3.12: the gate pre-activation scale TFLite fixes
ACT_SCALE = 2.0**-15  # Q0.15: sigmoid / tanh outputs


def dims(g: Graph, op: Op) -> tuple[int, int, int, int]:
    """(batches, steps, inputs, units), checked against every weight."""
    if len(op.inputs) != N_INPUTS:
        raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': expected {N_INPUTS} inputs, got {len(op.inputs)}")
    xs = g.tensors[op.inputs[0]].shape
    if len(xs) != 3:
        raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': input must be 3-D, got {xs}")
    tm = bool(op.attrs.get("time_major", False))
    nb, nt, ni = (xs[1], xs[0], xs[2]) if tm else xs
    ns = g.tensors[op.inputs[GATE_IN]].shape[0]
    for k in range(4):
        wi, wr = g.tensors[op.inputs[GATE_IN + k]].shape, g.tensors[op.inputs[GATE_REC + k]].shape
        b = g.tensors[op.inputs[GATE_BIAS + k]].shape
        if tuple(wi) != (ns, ni) or tuple(wr) != (ns, ns) or tuple(b) != (ns,):
            raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': gate {k} weights {wi}/{wr}/{b} do not fit "
                          f"{ni} inputs and {ns} units")
    for k in (HIDDEN, CELL):
        if g.tensors[op.inputs[k]].numel != nb * ns:
            raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': state '{op.inputs[k]}' must hold {nb}x{ns}")
    return nb, nt, ni, ns


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _, _, _, ns = dims(g, op)
    xs = g.tensors[op.inputs[0]].shape
    return [(xs[0], xs[1], ns)]


def macs(g: Graph, op: Op) -> int:
    nb, nt, ni, ns = dims(g, op)
    return nb * nt * 4 * ns * (ni + ns)


def _rows(x: np.ndarray, time_major: bool) -> np.ndarray:
    """[T, B, ...] view of a sequence tensor."""
    return x if time_major else np.swapaxes(x, 0, 1)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return _run_float(g, op, xs)[:3]


def cell_peak(g: Graph, op: Op, xs: list) -> float:
    """The largest |cell state| over the steps of one float run (calibration)."""
    return _run_float(g, op, xs)[3]


def _run_float(g: Graph, op: Op, xs: list) -> list:
    nb, nt, _, ns = dims(g, op)
    tm = bool(op.attrs.get("time_major", False))
    x = _rows(np.asarray(xs[0], np.float64), tm)
    wi = [np.asarray(xs[GATE_IN + k], np.float64) for k in range(4)]
    wr = [np.asarray(xs[GATE_REC + k], np.float64) for k in range(4)]
    bias = [np.asarray(xs[GATE_BIAS + k], np.float64) for k in range(4)]
    h = np.asarray(xs[HIDDEN], np.float64).reshape(nb, ns).copy()
    c = np.asarray(xs[CELL], np.float64).reshape(nb, ns).copy()
    if op.attrs.get("stateless", False):
        h[:], c[:] = 0.0, 0.0
    clip = float(op.attrs.get("cell_clip", 0.0))
    ys, peak = [], 0.0
    for t in range(nt):
        pre = [x[t] @ wi[k].T + h @ wr[k].T + bias[k] for k in range(4)]
        i, f, o = (1.0 / (1.0 + np.exp(-pre[k])) for k in (0, 1, 3))
        c = f * c + i * np.tanh(pre[2])
        if clip > 0:
            c = np.clip(c, -clip, clip)
        peak = max(peak, float(np.max(np.abs(c), initial=0.0)))
        h = o * np.tanh(c)
        ys.append(h)
    y = _rows(np.stack(ys), tm)
    hs, cs = g.tensors[op.inputs[HIDDEN]].shape, g.tensors[op.inputs[CELL]].shape
    return [y.astype(np.float32), h.reshape(hs).astype(np.float32), c.reshape(cs).astype(np.float32), peak]


def _scale(g: Graph, op: Op, name: str) -> tuple[float, int]:
    q = quant_of(g, name, op)
    if q.per_channel:
        raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': tensor '{name}' is per-channel; "
                      "TFLite Micro's LSTM needs per-tensor scales")
    return float(q.scale[0]), int(q.zero_point[0])


def lower(g: Graph, op: Op) -> Lowered:
    dims(g, op)
    if g.tensors[op.inputs[0]].dtype == "float32":
        return f32_recurrent.lower_lstm(g, op)
    name = f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}'"
    x, h, c, y = op.inputs[0], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
    act = "int16" if g.tensors[x].dtype == "int16" else "int8"
    want = {x: act, h: act, c: "int16", y: act}
    want.update({op.inputs[k]: "int8" for k in range(GATE_IN, GATE_BIAS)})
    want.update({op.inputs[GATE_BIAS + k]: "int64" if act == "int16" else "int32" for k in range(4)})
    for n, d in want.items():
        if g.tensors[n].dtype != d:
            raise IRError(f"{name}: tensor '{n}' is {g.tensors[n].dtype}, {d} expected "
                          f"(integer {'16x8' if act == 'int16' else '8x8->16'} LSTM)")
    if op.attrs.get("activation", "TANH") != "TANH":
        raise IRError(f"{name}: only the tanh cell activation is supported, not {op.attrs['activation']}")
    sx, zx = _scale(g, op, x)
    sh, zh = _scale(g, op, h)
    sc, zc = _scale(g, op, c)
    if zc != 0:
        raise IRError(f"{name}: the int16 cell state needs zero point 0")
    if act == "int16" and (zx or zh):
        raise IRError(f"{name}: the 16x8 LSTM needs input and hidden-state zero points 0")
    _, power = checked_log2(sc)  # TFLite Micro takes the nearest power of two without checking
    mult = {"in": [], "rec": []}
    for k in range(4):
        for kind, base, s_act in (("in", GATE_IN, sx), ("rec", GATE_REC, sh)):
            sw, zw = _scale(g, op, op.inputs[base + k])
            if zw != 0:
                raise IRError(f"{name}: weights '{op.inputs[base + k]}' need zero point 0")
            mult[kind].append(quantize_multiplier(effective_scale(s_act, sw, GATE_SCALE)))
    forget = quantize_multiplier(effective_scale(ACT_SCALE, sc, sc))
    inp = quantize_multiplier(effective_scale(ACT_SCALE, ACT_SCALE, sc))
    hid = quantize_multiplier(effective_scale(ACT_SCALE, ACT_SCALE, sh))
    left = 15 + power - 3
    tanh_mult, tanh_shift = (3, -left) if left < 0 else (0, left)
    clip = float(np.float32(op.attrs.get("cell_clip", 0.0)))
    if clip < 0:
        raise IRError(f"{name}: cell_clip must be >= 0, got {clip}")
    # -1: no clip. A positive clip below one cell quantum truncates to 0 and clamps the cell to 0, as in TFLite Micro.
    qclip = int(np.trunc(min(max(clip / float(np.float32(sc)), -32768.0), 32767.0))) if clip > 0 else -1
    params = [int(bool(op.attrs.get("time_major", False))), zx, zh]
    params += [m for m, _ in mult["in"]] + [s for _, s in mult["in"]]
    params += [m for m, _ in mult["rec"]] + [s for _, s in mult["rec"]]
    params += [*forget, *inp, *hid, tanh_mult, tanh_shift, qclip]
    params += [int(bool(op.attrs.get("stateless", False)))]
    return Lowered(inputs=list(op.inputs), params=params)


def _sat16(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -32768, 32767)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32_recurrent.f32.OPCODE:
        return f32_recurrent.ref_lstm(low, xs, dims(g, op))
    nb, nt, _, ns = dims(g, op)
    p = low.params
    tm, zx, zh = bool(p[0]), p[1], p[2]
    in_m, in_s, rec_m, rec_s = p[3:7], p[7:11], p[11:15], p[15:19]
    fm, fs, im, is_, hm, hs, tmul, tsh, qclip, stateless = p[19:29]
    a16 = np.asarray(xs[0]).dtype == np.int16
    rescale = mbqm64 if a16 else multiply_by_quantized_multiplier  # int64 vs int32 accumulator
    lo, hi = (-32768, 32767) if a16 else (-128, 127)
    x = _rows(np.asarray(xs[0], np.int64), tm) - zx
    wi = [np.asarray(xs[GATE_IN + k], np.int64) for k in range(4)]
    wr = [np.asarray(xs[GATE_REC + k], np.int64) for k in range(4)]
    bias = [np.asarray(xs[GATE_BIAS + k], np.int64) for k in range(4)]
    h = np.asarray(xs[HIDDEN], np.int64).reshape(nb, ns).copy()
    c = np.asarray(xs[CELL], np.int64).reshape(nb, ns).copy()
    if stateless:
        h[:], c[:] = zh, 0
    ys = []
    for t in range(nt):
        act = []
        for k in range(4):
            a = _sat16(rescale(x[t] @ wi[k].T + bias[k], in_m[k], in_s[k]))
            r = _sat16(rescale((h - zh) @ wr[k].T, rec_m[k], rec_s[k]))
            act.append(table_ref(_sat16(a + r), [0, 0], tanh=k == 2).astype(np.int64))
        i, f, gg, o = act
        fc = _sat16(multiply_by_quantized_multiplier(f * c, fm, fs))
        ig = _sat16(multiply_by_quantized_multiplier(i * gg, im, is_))
        c = _sat16(fc + ig)
        if qclip >= 0:
            c = np.clip(c, -qclip, qclip)
        th = table_ref(c, [tmul, tsh], tanh=True).astype(np.int64)
        h = np.clip(multiply_by_quantized_multiplier(th * o, hm, hs) + zh, lo, hi)
        ys.append(h)
    dt = np.int16 if a16 else np.int8
    y = _rows(np.stack(ys), tm).astype(dt)
    hshape, cshape = np.asarray(xs[HIDDEN]).shape, np.asarray(xs[CELL]).shape
    return [y, h.reshape(hshape).astype(dt), c.reshape(cshape).astype(np.int16)]
