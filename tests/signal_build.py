"""Builds small .tflite graphs of TFLite Micro's signal-library custom ops
(options as flexbuffer maps, as TensorFlow's converter writes them) with
LiteRT's generated schema; tests run them in TFLite Micro as the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflite_build import _TYPES, T

_TYPES_ALL = {**_TYPES, "uint32": 15, "uint64": 12}


@dataclass
class Node:
    code: str  # custom code, e.g. "SignalWindow"
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)


def custom_options(options: dict) -> bytes:
    from flatbuffers import flexbuffers

    return bytes(flexbuffers.Dumps(options))


def graph_model(tensors: list[T], nodes: list[Node], inputs: list[int], outputs: list[int],
                raw_options: dict[int, bytes] | None = None) -> bytes:
    """raw_options: node index -> custom option bytes used as they are (malformed-option tests)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version = 3
    codes: list[str] = []
    for n in nodes:
        if n.code not in codes:
            codes.append(n.code)
    m.operatorCodes = []
    for c in codes:
        oc = s.OperatorCodeT()
        oc.builtinCode = oc.deprecatedBuiltinCode = 32  # CUSTOM
        oc.customCode = c.encode()
        oc.version = 1
        m.operatorCodes.append(oc)
    m.buffers = [s.BufferT()]
    g = s.SubGraphT()
    g.tensors = []
    for k, t in enumerate(tensors):
        ft = s.TensorT()
        ft.name = f"t{k}".encode()
        ft.shape = list(t.shape)
        ft.type = _TYPES_ALL[t.dtype]
        ft.buffer = 0
        ft.isVariable = t.variable
        if t.data is not None:
            b = s.BufferT()
            b.data = list(np.ascontiguousarray(t.data, dtype=t.dtype).tobytes())
            m.buffers.append(b)
            ft.buffer = len(m.buffers) - 1
        g.tensors.append(ft)
    g.operators = []
    for k, n in enumerate(nodes):
        op = s.OperatorT()
        op.opcodeIndex = codes.index(n.code)
        op.inputs, op.outputs = list(n.inputs), list(n.outputs)
        raw = (raw_options or {}).get(k)
        op.customOptions = list(raw if raw is not None else custom_options(n.options))
        op.customOptionsFormat = 0  # FLEXBUFFERS
        g.operators.append(op)
    g.inputs, g.outputs = list(inputs), list(outputs)
    m.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
