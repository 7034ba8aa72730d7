"""float32 SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM: the F32 C op's SVDF and LSTM
kinds (runtime_c/src/kernels/float32/recurrent.c) and their numpy twins.

SVDF is TFLite Micro's EvalFloatSvdfReference: the state [batch, filters,
memory] shifts left by one element, its newest column is x . w_feature (sum in
input order), each filter's dot with w_time (in time order) is added over rank
onto the bias (or 0), then TFLite Micro's ActivationValFloat (RELU is
max(0, x) as 0 < x ? x : 0; TANH tanhf, SIGN_BIT 1 or 0). LSTM is TFLite Micro's LstmStep on float tensors:
each gate is FC(x) + bias and FC(h) + 0, each clamped to +-FLT_MAX (the
kActNone range) and added, then TFLite's float Logistic (odl_expf, its
cut-offs) or tanhf; c = f c + i g (each product clamped), then the cell clip
max(min(clip, c), -clip); h = tanhf(c) o. The states are the op's variable
inputs, updated in place as in the integer kernels.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.quantize import float_bits

SVDF, LSTM = 46, 47  # F32 kinds after COS (pytool/ops/f32_math.py)
SVDF_ACTS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4, "SIGN_BIT": 5}
# float64 forms for ref_float (calibration, validate)
SVDF_TRANSCENDENTAL = {"TANH": np.tanh, "SIGN_BIT": lambda y: np.signbit(y).astype(np.float64)}
F32_MAX = np.float32(np.finfo(np.float32).max)


def all_float(g: Graph, names: list) -> bool:
    return all(n is None or g.tensors[n].dtype == "float32" for n in names)


def check_float(g: Graph, op: Op, names: list) -> None:
    bad = [n for n in names if n is not None and g.tensors[n].dtype != "float32"]
    if bad:
        raise IRError(f"{op.type} '{op.name}': float32 input with {g.tensors[bad[0]].dtype} tensor '{bad[0]}'; "
                      "the float kernel takes every tensor in float32 (as TFLite Micro)")


def lower_svdf(g: Graph, op: Op, parts: tuple) -> Lowered:
    check_float(g, op, [*parts, op.outputs[0]])
    act = op.attrs.get("activation", "NONE") or "NONE"
    if act not in SVDF_ACTS:
        raise IRError(f"SVDF '{op.name}': fused activation {act} on float32 is not supported")
    return Lowered(inputs=list(parts), params=[SVDF, int(op.attrs.get("rank", 1)), SVDF_ACTS[act]],
                   opcode=f32.OPCODE)


def _seq_dot(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k a[..., k] * w[:, k] in k order, one float32 rounding per step (from 0)."""
    total = np.zeros((*a.shape[:-1], w.shape[0]), np.float32)
    for k in range(a.shape[-1]):
        total = (total + (a[..., k:k + 1] * w[:, k]).astype(np.float32)).astype(np.float32)
    return total


def _svdf_act(act: int, a: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if act == SVDF_ACTS["RELU"]:
            return np.where(np.float32(0) < a, a, np.float32(0))
        if act in (SVDF_ACTS["RELU_N1_TO_1"], SVDF_ACTS["RELU6"]):
            lo, hi = (np.float32(-1), np.float32(1)) if act == SVDF_ACTS["RELU_N1_TO_1"] else (np.float32(0),
                                                                                              np.float32(6))
            m = np.where(hi < a, hi, a)
            return np.where(lo < m, m, lo)
        if act == SVDF_ACTS["TANH"]:
            return f32.libm().tanhf(a)
        if act == SVDF_ACTS["SIGN_BIT"]:
            return np.signbit(a).astype(np.float32)
    return a


def ref_svdf(low: Lowered, xs: list, shape: tuple) -> list:
    """[y, new state]; shape = (batches, filters, memory)."""
    x, wf, wt, bias, st = (None if v is None else np.asarray(v, np.float32) for v in xs)
    nb, nf, nm = shape
    rank, act = low.params[1], low.params[2]
    state = np.concatenate([st.reshape(-1)[1:], st.reshape(-1)[-1:]]).reshape(nb, nf, nm)
    state[:, :, -1] = _seq_dot(x, wf)
    s = np.zeros((nb, nf), np.float32)
    for j in range(nm):
        s = (s + (wt[None, :, j] * state[:, :, j]).astype(np.float32)).astype(np.float32)
    s = s.reshape(nb, nf // rank, rank)
    out = np.broadcast_to(bias, (nb, nf // rank)).astype(np.float32) if bias is not None else np.zeros(
        (nb, nf // rank), np.float32)
    for r in range(rank):
        out = (out + s[:, :, r]).astype(np.float32)
    return [_svdf_act(act, out), state.reshape(st.shape)]


def lower_lstm(g: Graph, op: Op) -> Lowered:
    check_float(g, op, [*op.inputs, op.outputs[0]])
    if op.attrs.get("activation", "TANH") != "TANH":
        raise IRError(f"UNIDIRECTIONAL_SEQUENCE_LSTM '{op.name}': only the tanh cell activation is supported")
    clip = float(np.float32(op.attrs.get("cell_clip", 0.0)))
    params = [LSTM, int(bool(op.attrs.get("time_major", False))), float_bits(clip),
              int(bool(op.attrs.get("stateless", False)))]
    return Lowered(inputs=list(op.inputs), params=params, opcode=f32.OPCODE)


def _clamp(v: np.ndarray) -> np.ndarray:
    v = np.where(v < -F32_MAX, -F32_MAX, v)
    return np.where(F32_MAX < v, F32_MAX, v).astype(np.float32)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return f32._ref_logistic(None, [v.astype(np.float32)])  # type: ignore[arg-type]


def ref_lstm(low: Lowered, xs: list, dims: tuple) -> list:
    """[y, new hidden, new cell]; dims = (batches, steps, inputs, units)."""
    nb, nt, _, ns = dims
    tm, clip, stateless = bool(low.params[1]), np.float32(np.uint32(low.params[2] & 0xFFFFFFFF).view(np.float32)), \
        bool(low.params[3])
    v = [np.asarray(a, np.float32) for a in xs]
    x = v[0] if tm else np.swapaxes(v[0], 0, 1)  # [T, B, I]
    h = np.zeros((nb, ns), np.float32) if stateless else v[13].reshape(nb, ns).copy()
    c = np.zeros((nb, ns), np.float32) if stateless else v[14].reshape(nb, ns).copy()
    tanhf = f32.libm().tanhf
    ys = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(nt):
            pre = [(_clamp((_seq_dot(x[t], v[1 + k]) + v[9 + k]).astype(np.float32))
                    + _clamp((_seq_dot(h, v[5 + k]) + np.float32(0)).astype(np.float32))).astype(np.float32)
                   for k in range(4)]
            i, f, o = _sigmoid(pre[0]), _sigmoid(pre[1]), _sigmoid(pre[3])
            gg = tanhf(pre[2])
            c = (_clamp((f * c).astype(np.float32)) + _clamp((i * gg).astype(np.float32))).astype(np.float32)
            if clip > 0:
                m = np.where(c < clip, c, clip)
                c = np.where(m < -clip, -clip, m).astype(np.float32)
            h = _clamp((tanhf(c) * o).astype(np.float32))
            ys.append(h)
    y = np.stack(ys)
    y = y if tm else np.swapaxes(y, 0, 1)
    return [y.astype(np.float32), h.reshape(v[13].shape), c.reshape(v[14].shape)]
