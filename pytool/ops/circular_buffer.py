"""CIRCULAR_BUFFER, TFLite Micro's custom op for strided streaming models
(int8). IR: inputs [x [1, 1, 1|w, d], buffer state int8 [slots * w * d],
counter state int32 [1]] (the reader adds both variables), outputs
[y [1, slots, w, d]] or [y, valid bool [1]], attrs {cycles_max}.

Each invoke shifts the buffer by one slot, appends x and writes the buffer
to y; then the counter (starting at cycles_max) counts down: unless it reaches
0 the invoke stops after this op (TFLite Micro's kTfLiteAbort: later ops do
not run, their outputs keep old bytes; `odl_invoke` returns ODL_OK with
`ctx->stats.stopped` set), and at 0 it restarts from cycles_max. With the
second output (TFLite Micro's newer form) nothing stops: valid says whether
the counter reached 0. TFLite Micro
keeps the buffer in the output tensor; here it is a state tensor (the
persistent arena), starting at the output's zero point (TFLite Micro's starts
as whatever its arena held), and `odl_reset_state` restarts both. The numpy
twin does not stop: after a stopped invoke only this op's output and the
state are defined.

cycles_max <= 0 (or no options) is TFLite Micro's guess for its two streaming
example models: 1 when the output has 5, 13 or 25 slots, or for the fifth such
op with w 2 and d 96 (its count is process-wide there, per model here), else 2.

C: inputs [x, buffer, counter]; params [slots, depth, cycles_max].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op, Tensor
from pytool.ops import Lowered

OPCODE = 66
TYPES = ("int8",)
STATE_INPUTS = (1, 2)  # ref_int8's extra results: the new buffer and counter


def _check(g: Graph, op: Op) -> tuple[int, int]:
    """(slots, depth) after TFLite Micro's Prepare checks."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    where = f"CIRCULAR_BUFFER '{op.name}'"
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise IRError(f"{where}: input {list(x.shape)} and output {list(y.shape)}; 4-D [1, 1, w, d] and "
                      "[1, slots, w, d] expected")
    if x.shape[1] != 1 or x.shape[0] != y.shape[0] or tuple(x.shape[2:]) != tuple(y.shape[2:]):
        raise IRError(f"{where}: input {list(x.shape)} does not fit output {list(y.shape)} "
                      "([1, 1, w, d] into [1, slots, w, d])")
    if x.shape[0] != 1:
        raise IRError(f"{where}: batch {x.shape[0]}; TFLite Micro's kernel shifts one batch only, 1 expected")
    if x.dtype != "int8" or y.dtype != "int8":
        raise IRError(f"{where}: {x.dtype} to {y.dtype}; TFLite Micro's kernel takes int8 only")
    if len(op.outputs) > 2 or (len(op.outputs) == 2 and (g.tensors[op.outputs[1]].dtype != "bool"
                                                         or g.tensors[op.outputs[1]].numel != 1)):
        raise IRError(f"{where}: outputs are [buffer] or [buffer, valid bool [1]], as TFLite Micro")
    return int(y.shape[1]), int(y.shape[2] * y.shape[3])


def read_attrs(g: Graph, op: Op, raw: bytes, error) -> None:
    """cycles_max from the flexbuffer options (TFLite Micro's fallback when
    absent or <= 0), then the buffer and counter state tensors."""
    cycles = 0
    if raw:
        from flatbuffers import flexbuffers

        try:
            m = flexbuffers.Loads(bytes(raw))
        except Exception as e:  # the flexbuffer decoder raises many kinds on garbage
            raise error(f"custom options are not a valid flexbuffer ({type(e).__name__}: {e})") from None
        v = m.get("cycles_max", 0) if isinstance(m, dict) else None
        if not isinstance(v, int):
            raise error(f"custom option 'cycles_max' is {v!r}; an integer in a flexbuffer map is expected")
        cycles = v
    y = g.tensors[op.outputs[0]]
    if len(y.shape) != 4:
        raise error(f"output shape {list(y.shape)}; [1, slots, w, d] expected")
    if cycles <= 0:
        count = g.meta["circular_buffer_count"] = g.meta.get("circular_buffer_count", 0) + 1
        if y.shape[1] in (5, 13, 25) or (count == 5 and y.shape[2] == 2 and y.shape[3] == 96):
            cycles, g.meta["circular_buffer_count"] = 1, 0
        else:
            cycles = 2
    op.attrs = {"cycles_max": int(cycles)}
    zp = int(y.quant.zero_point[0]) if y.quant is not None else 0
    variables = g.meta.setdefault("variables", {})
    names = []
    for kind, init, quant in (("buffer", np.full(int(np.prod(y.shape)), zp, np.int8), y.quant),
                              ("counter", np.array([cycles], np.int32), None)):
        name = g.unique_name(f"{op.name}/{kind}")
        g.add_tensor(Tensor(name, init.shape, init.dtype.name, quant=quant))
        variables[name] = init
        names.append(name)
    op.inputs = [*op.inputs[:1], *names]


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [tuple(g.tensors[n].shape) for n in op.outputs[:2]]


def macs(g: Graph, op: Op) -> int:
    return 0


def step(x: np.ndarray, buf: np.ndarray, counter: np.ndarray, cycles_max: int) -> tuple:
    """(new buffer, new counter, stopped) of one invoke: TFLite Micro's shift and countdown."""
    buf = np.asarray(buf).reshape(-1)
    x = np.asarray(x).reshape(-1)
    new = np.concatenate([buf[x.size:], x]).astype(buf.dtype)
    c = int(np.asarray(counter).reshape(-1)[0]) - 1
    stopped = c != 0
    return new, np.array([c if stopped else cycles_max], np.int32), stopped


def _results(g: Graph, op: Op, xs: list, cycles_max: int) -> list:
    buf, counter, stopped = step(xs[0], xs[1], xs[2], cycles_max)
    valid = [np.array([not stopped]).reshape(g.tensors[op.outputs[1]].shape)] if len(op.outputs) == 2 else []
    return [buf.reshape(g.tensors[op.outputs[0]].shape), *valid, buf, counter]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return _results(g, op, xs, op.attrs["cycles_max"])


def lower(g: Graph, op: Op) -> Lowered:
    slots, depth = _check(g, op)
    if len(op.inputs) != 3:
        raise IRError(f"CIRCULAR_BUFFER '{op.name}': expected inputs [x, buffer state, counter state]")
    return Lowered(inputs=list(op.inputs), params=[slots, depth, op.attrs["cycles_max"]])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return _results(g, op, xs, low.params[2])
