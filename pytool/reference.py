"""numpy reference executor for the IR: float32 (the spec the quantizer
calibrates with) and int8 (the exact integer oracle of the C runtime)."""

from __future__ import annotations

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph, IRError
from pytool.ops import control_flow

CONTROL = frozenset(control_flow.SUBGRAPH_ATTRS)


def _feeds(g: Graph, inputs) -> dict[str, np.ndarray]:
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    if isinstance(inputs, dict):
        return {k: np.asarray(v) for k, v in inputs.items()}
    if len(inputs) != len(g.inputs):
        raise IRError(f"graph has {len(g.inputs)} inputs, got {len(inputs)} arrays")
    return {n: np.asarray(v) for n, v in zip(g.inputs, inputs)}


def run_float(g: Graph, inputs, keep_all: bool = False,
              state: dict | None = None) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Float32 execution. Quantized constants are dequantized on the fly.

    state: the variable tensors (LSTM, SVDF state) carried between calls,
    updated in place, as run_int8's; None starts from zero every call."""
    vals: dict[str, np.ndarray] = {}
    for n, t in g.tensors.items():
        if t.is_const:
            vals[n] = _dequant_const(t)
    if state is None:
        state = {}
    for n, v in g.meta.get("variables", {}).items():
        # Quantized state starts at the real value of its initial bytes (0 for LSTM,
        # SVDF); float state (resource variables) at its value; unquantized
        # integer state (signal-library queues and noise estimates) is exact data.
        t = g.tensors[n]
        raw = t.quant is None and t.dtype not in ("float32", "float16")
        init = np.array(v) if raw else _dequant_const(type(t)(n, t.shape, t.dtype, np.array(v), t.quant))
        vals[n] = state.setdefault(n, init)
    for n, v in _feeds(g, inputs).items():
        vals[n] = np.asarray(v, dtype=np.float32)
    for i, op in enumerate(g.ops):
        spec = opreg.get(op.type)
        if spec is None:
            raise IRError(f"{op.label(i)} has no reference implementation")
        if op.type in CONTROL:
            outs = control_flow.run(g, op, [vals[n] for n in op.inputs], lambda s, v: run_float(s, v, state=state))
            vals.update({n: state[n] for n in g.meta.get("variables", {})})
        else:
            outs = spec.ref_float(g, op, [vals[n] for n in op.inputs])
        for n, v in zip(op.outputs, outs):
            vals[n] = np.asarray(v, dtype=np.float32) if np.issubdtype(np.asarray(v).dtype, np.floating) else v
        for k, v in zip(getattr(spec, "STATE_INPUTS", ()), outs[len(op.outputs):]):
            n = op.inputs[k]
            raw = g.tensors[n].quant is None and g.tensors[n].dtype not in ("float32", "float16")
            v = np.asarray(v).astype(g.tensors[n].np_dtype) if raw else np.asarray(v, np.float32)
            vals[n] = state[n] = v.reshape(g.tensors[n].shape)
    return vals if keep_all else [vals[n] for n in g.outputs]


def _dequant_const(t) -> np.ndarray:
    if t.quant is None or t.dtype in ("float32", "float16") or t.dtype == "int64":
        return t.data.astype(np.float32) if t.dtype in ("float32", "float16") else t.data
    if t.dtype == "int32" and t.quant is not None:
        q = t.quant
        shape = [1] * t.data.ndim
        if q.per_channel:
            shape[q.axis] = -1
        return ((t.data.astype(np.float64) - q.zero_point.reshape(shape)) * q.scale.reshape(shape)).astype(np.float32)
    q = t.quant
    shape = [1] * t.data.ndim
    if q.per_channel:
        shape[q.axis] = -1
    return ((t.data.astype(np.float64) - q.zero_point.reshape(shape)) * q.scale.reshape(shape)).astype(np.float32)


def reset_state(g: Graph, current: dict | None = None, real: bool = False) -> dict[str, np.ndarray]:
    """The variable values after odl_reset_state (TFLite Micro's Reset) of the
    state `current` (a run's state dict; None: just after init): the initial
    values, except resource variables, filled with their reset byte, and
    CALL_ONCE's flag, kept. real=True: as run_float carries them (quantized
    state dequantized)."""
    out = {n: np.array(v) for n, v in g.meta.get("variables", {}).items()}
    for n, b in g.meta.get("resource_fill", {}).items():
        t = g.tensors[n]
        out[n] = np.frombuffer(bytes([b]) * t.nbytes, t.np_dtype).reshape(t.shape).copy()
    for n in g.meta.get("keep_on_reset", {}):
        if current is not None and n in current:
            out[n] = np.array(current[n])
    if real:
        for n, v in out.items():
            t = g.tensors[n]
            if t.quant is not None or t.dtype in ("float32", "float16"):
                out[n] = _dequant_const(type(t)(n, t.shape, t.dtype, v, t.quant))
    return out


def run_int8(g: Graph, inputs, keep_all: bool = False, state: dict | None = None):
    """Integer execution through each op's lowering, as the C runtime does.

    state: the variable tensors (SVDF state) carried between calls, as the C
    keeps them between invokes; updated in place. None starts from the
    initial values every call."""
    vals: dict[str, np.ndarray] = {n: t.data for n, t in g.tensors.items() if t.is_const}
    variables = g.meta.get("variables", {})
    if state is None:
        state = {}
    for n, v in variables.items():
        vals[n] = state.setdefault(n, np.array(v))
    for n, v in _feeds(g, inputs).items():
        want = g.tensors[n].np_dtype
        v = np.asarray(v)
        if v.dtype != want:
            raise IRError(f"input '{n}' must be {want}, got {v.dtype}")
        vals[n] = v
    for i, op in enumerate(g.ops):
        spec = opreg.get(op.type)
        if spec is None:
            raise IRError(f"{op.label(i)} has no reference implementation")
        if op.type in CONTROL:  # subgraphs share this run's state
            outs = control_flow.run(g, op, [vals[n] for n in op.inputs], lambda s, v: run_int8(s, v, state=state))
            vals.update({n: state[n] for n in variables})  # a subgraph may have assigned variables
        else:
            low = spec.lower(g, op)
            xs = [None if a is None else (a if isinstance(a, np.ndarray) else vals[a]) for a in low.inputs]
            outs = spec.ref_int8(g, op, low, xs)
        for n, v in zip(op.outputs, outs):
            vals[n] = np.asarray(v).astype(g.tensors[n].np_dtype).reshape(g.tensors[n].shape)
        # Extra results are the new values of the op's state inputs (STATE_INPUTS).
        for k, v in zip(getattr(spec, "STATE_INPUTS", ()), outs[len(op.outputs):]):
            n = op.inputs[k]
            vals[n] = state[n] = np.asarray(v).astype(g.tensors[n].np_dtype).reshape(g.tensors[n].shape)
    return vals if keep_all else [vals[n] for n in g.outputs]
