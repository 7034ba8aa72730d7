"""Builds tiny single-op .tflite models with LiteRT's generated schema (object
API), for ops and type combinations the TensorFlow converter does not emit
(int16 <-> int32 QUANTIZE, CAST, SQUEEZE, EXPAND_DIMS); tests run them in
TFLite Micro as the reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TYPES = {"int8": 9, "int16": 7, "int32": 2, "float32": 0, "int64": 4, "bool": 6, "uint8": 3, "uint32": 15}


@dataclass
class T:
    shape: tuple
    dtype: str
    scale: float | None = None
    zero_point: int = 0
    data: np.ndarray | None = None
    variable: bool = False


def schema_tensor(s, m, k: int, t: T, type_code: int):
    """The schema TensorT of t (named t<k>); its constant data goes into a new
    buffer of m."""
    ft = s.TensorT()
    ft.name, ft.shape, ft.type, ft.buffer = f"t{k}".encode(), list(t.shape), type_code, 0
    ft.isVariable = t.variable
    if t.data is not None:
        b = s.BufferT()
        b.data = list(np.ascontiguousarray(t.data, dtype=t.dtype).tobytes())
        m.buffers.append(b)
        ft.buffer = len(m.buffers) - 1
    if t.scale is not None:
        q = s.QuantizationParametersT()
        q.scale, q.zeroPoint = [float(t.scale)], [int(t.zero_point)]
        ft.quantization = q
    return ft


def single_op(op_code: int, tensors: list[T], inputs: list[int], outputs: list[int],  # noqa: PLR0913
              model_inputs: list[int] | None = None, options=None, options_type: int = 0) -> bytes:
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version = 3
    code = s.OperatorCodeT()
    code.builtinCode = op_code
    code.deprecatedBuiltinCode = min(op_code, 127)
    code.version = 1
    m.operatorCodes = [code]
    empty = s.BufferT()
    m.buffers = [empty]
    g = s.SubGraphT()
    g.tensors = [schema_tensor(s, m, k, t, _TYPES[t.dtype]) for k, t in enumerate(tensors)]
    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs, op.outputs = list(inputs), list(outputs)
    if options is not None:
        op.builtinOptionsType, op.builtinOptions = options_type, options
    g.operators = [op]
    g.inputs = list(model_inputs if model_inputs is not None else inputs)
    g.outputs = list(outputs)
    m.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


@dataclass
class Sub:
    """One subgraph for `model`: tensors, ops as (builtin code, inputs, outputs,
    options type, options), inputs, outputs. A tensor with dtype "resource"
    is a resource handle."""

    tensors: list[T]
    ops: list[tuple]
    inputs: list[int]
    outputs: list[int]


def model(subgraphs: list[Sub]) -> bytes:
    """A .tflite model with several subgraphs (subgraph 0 is the main one)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version = 3
    m.buffers = [s.BufferT()]
    m.operatorCodes, codes = [], {}
    m.subgraphs = []
    for sub in subgraphs:
        g = s.SubGraphT()
        g.tensors = [schema_tensor(s, m, k, t, s.TensorType.RESOURCE if t.dtype == "resource" else _TYPES[t.dtype])
                     for k, t in enumerate(sub.tensors)]
        g.operators = []
        for code, ins, outs, otype, opts in sub.ops:
            if code not in codes:
                oc = s.OperatorCodeT()
                oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
                codes[code] = len(m.operatorCodes)
                m.operatorCodes.append(oc)
            op = s.OperatorT()
            op.opcodeIndex, op.inputs, op.outputs = codes[code], list(ins), list(outs)
            if opts is not None:
                op.builtinOptionsType, op.builtinOptions = otype, opts
            g.operators.append(op)
        g.inputs, g.outputs = list(sub.inputs), list(sub.outputs)
        m.subgraphs.append(g)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
