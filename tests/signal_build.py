"""Builds small .tflite graphs of TFLite Micro's signal-library custom ops
(options as flexbuffer maps, as TensorFlow's converter writes them) with
LiteRT's generated schema; tests run them in TFLite Micro as the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflite_build import _TYPES, T, schema_tensor

_TYPES_ALL = {**_TYPES, "uint32": 15, "uint64": 12}


@dataclass
class Node:
    code: str | int  # custom code, e.g. "SignalWindow", or a builtin operator code
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)
    builtin_options: tuple | None = None  # (options object, options type) of a builtin op


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
        if isinstance(c, int):
            oc.builtinCode, oc.deprecatedBuiltinCode = c, min(c, 127)
        else:
            oc.builtinCode = oc.deprecatedBuiltinCode = 32  # CUSTOM
            oc.customCode = c.encode()
        oc.version = 1
        m.operatorCodes.append(oc)
    m.buffers = [s.BufferT()]
    g = s.SubGraphT()
    g.tensors = [schema_tensor(s, m, k, t, _TYPES_ALL[t.dtype]) for k, t in enumerate(tensors)]
    g.operators = []
    for k, n in enumerate(nodes):
        op = s.OperatorT()
        op.opcodeIndex = codes.index(n.code)
        op.inputs, op.outputs = list(n.inputs), list(n.outputs)
        if isinstance(n.code, int):
            if n.builtin_options is not None:
                op.builtinOptions, op.builtinOptionsType = n.builtin_options
        else:
            raw = (raw_options or {}).get(k)
            op.customOptions = list(raw if raw is not None else custom_options(n.options))
            op.customOptionsFormat = 0  # FLEXBUFFERS
        g.operators.append(op)
    g.inputs, g.outputs = list(inputs), list(outputs)
    m.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def hann(n: int) -> np.ndarray:
    return np.round(4096 * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n))).astype(np.int16)


def filter_bank_tables(nc: int, first: int, bins: int, seed: int) -> list[np.ndarray]:
    """Triangle-like channels over [first, bins): weights + unweights = 4096."""
    rng = np.random.default_rng(seed)
    edges = np.linspace(first, bins, nc + 2).astype(int)
    fs = edges[:-1].astype(np.int16)
    wd = np.diff(edges).astype(np.int16)
    ws = np.concatenate([[0], np.cumsum(wd)[:-1]]).astype(np.int16)
    w = rng.integers(0, 4097, int(wd.sum())).astype(np.int16)
    return [w, (4096 - w).astype(np.int16), fs, ws, wd]


def gain_lut(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-3000, 9000, 125).astype(np.int16)


SS_OPTS = {"alternate_one_minus_smoothing": 16056, "alternate_smoothing": 328, "clamping": False,
           "min_signal_remaining": 819, "num_channels": 0, "one_minus_smoothing": 15729, "smoothing": 655,
           "smoothing_bits": 10, "spectral_subtraction_bits": 14}


def preprocessor_model(nc: int = 40, length: int = 480, fft: int = 512) -> bytes:
    """micro_speech's audio preprocessor chain: window -> fft auto scale -> rfft
    -> energy -> filter bank -> sqrt -> spectral subtraction -> pcan -> log."""
    bins = fft // 2 + 1
    fb = filter_bank_tables(nc, 4, 240, 7)
    t = [T((length,), "int16"), T((length,), "int16", data=hann(length)), T((length,), "int16"),  # 0-2
         T((length,), "int16"), T((), "int32"), T((2 * bins,), "int16"), T((bins,), "uint32"),  # 3-6
         *[T(a.shape, "int16", data=a) for a in fb],  # 7-11
         T((nc,), "uint64"), T((nc,), "uint32"), T((nc,), "uint32"), T((nc,), "uint32"),  # 12-15
         T((125,), "int16", data=gain_lut(3)), T((nc,), "uint32"), T((nc,), "int16")]  # 16-18
    nodes = [
        Node("SignalWindow", [0, 1], [2], {"shift": 12}),
        Node("SignalFftAutoScale", [2], [3, 4], {}),
        Node("SignalRfft", [3], [5], {"T": 7, "fft_length": fft}),
        Node("SignalEnergy", [5], [6], {"end_index": bins, "start_index": 0}),
        Node("SignalFilterBank", [6, 7, 8, 9, 10, 11], [12], {"num_channels": nc}),
        Node("SignalFilterBankSquareRoot", [12, 4], [13], {}),
        Node("SignalFilterBankSpectralSubtraction", [13], [14, 15], {**SS_OPTS, "num_channels": nc}),
        Node("SignalPCAN", [14, 15, 16], [17], {"snr_shift": 6}),
        Node("SignalFilterBankLog", [17], [18], {"input_correction_bits": 3, "output_scale": 64}),
    ]
    return graph_model(t, nodes, [0], [18, 15])


def micro_speech_model(nc: int = 40, start: int = 4, end: int = 241, float_output: bool = False) -> bytes:
    """The graph TFLite Micro's micro_speech AudioPreprocessor converts to: the
    signal chain plus its builtin glue: RESHAPE, energy bins outside
    [start, end) zeroed by CAST / STRIDED_SLICE / CONCATENATION, and the int8
    feature scaling (CAST, MUL, ADD, DIV, ADD, MAXIMUM, MINIMUM, CAST on int32)
    or, with float_output, CAST to float32 and DIV by 25.6."""
    from ai_edge_litert import schema_py_generated as s

    i32 = lambda v: np.array(v, np.int32)  # noqa: E731
    bins, fft = 257, 512
    fb = filter_bank_tables(nc, start, end, 11)
    ss = s.StridedSliceOptionsT()
    cat = s.ConcatenationOptionsT()
    cat.axis = 0
    rs = s.ReshapeOptionsT()
    rs.newShape = [480]
    t = [T((1, 480), "int16"), T((480,), "int16", data=hann(480)), T((1, 480), "int16"),  # 0-2
         T((1,), "int32", data=i32([480])), T((480,), "int16"),  # 3-4 reshape
         T((480,), "int16"), T((), "int32"), T((2 * bins,), "int16"), T((bins,), "uint32"),  # 5-8
         T((bins,), "int32"), T((1,), "int32", data=i32([start])), T((1,), "int32", data=i32([end])),  # 9-11
         T((1,), "int32", data=i32([1])), T((end - start,), "int32"),  # 12-13 slice
         T((start,), "int32", data=np.zeros(start, np.int32)), T((bins - end,), "int32",
                                                                 data=np.zeros(bins - end, np.int32)),  # 14-15
         T((bins,), "int32"), T((bins,), "uint32"),  # 16-17
         *[T(a.shape, "int16", data=a) for a in fb],  # 18-22
         T((nc,), "uint64"), T((nc,), "uint32"), T((nc,), "uint32"), T((nc,), "uint32"),  # 23-26
         T((125,), "int16", data=gain_lut(3)), T((nc,), "uint32"), T((nc,), "int16"),  # 27-29
         T((nc,), "int32"), T((), "int32", data=i32(256)), T((nc,), "int32"), T((), "int32", data=i32(333)),  # 30-33
         T((nc,), "int32"), T((), "int32", data=i32(666)), T((nc,), "int32"), T((), "int32", data=i32(-128)),  # 34-37
         T((nc,), "int32"), T((), "int32", data=i32(127)), T((nc,), "int32"), T((nc,), "int32"),  # 38-41
         T((nc,), "int8")]  # 42
    nodes = [
        Node("SignalWindow", [0, 1], [2], {"shift": 12}),
        Node(22, [2, 3], [4], builtin_options=(rs, 17)),
        Node("SignalFftAutoScale", [4], [5, 6], {}),
        Node("SignalRfft", [5], [7], {"T": 7, "fft_length": fft}),
        Node("SignalEnergy", [7], [8], {"end_index": end, "start_index": start}),
        Node(53, [8], [9]),
        Node(45, [9, 10, 11, 12], [13], builtin_options=(ss, 32)),
        Node(2, [14, 13, 15], [16], builtin_options=(cat, 10)),
        Node(53, [16], [17]),
        Node("SignalFilterBank", [17, 18, 19, 20, 21, 22], [23], {"num_channels": nc}),
        Node("SignalFilterBankSquareRoot", [23, 6], [24], {}),
        Node("SignalFilterBankSpectralSubtraction", [24], [25, 26], {**SS_OPTS, "num_channels": nc}),
        Node("SignalPCAN", [25, 26, 27], [28], {"snr_shift": 6}),
        Node("SignalFilterBankLog", [28], [29], {"input_correction_bits": 3, "output_scale": 64}),
        Node(53, [29], [30]), Node(18, [30, 31], [32]), Node(0, [32, 33], [34]), Node(42, [34, 35], [36]),
        Node(0, [36, 37], [38]), Node(55, [38, 37], [40]), Node(57, [40, 39], [41]), Node(53, [41], [42]),
    ]
    if float_output:
        t[30:] = [T((nc,), "float32"), T((), "float32", data=np.array(25.6, np.float32)), T((nc,), "float32")]
        nodes[-8:] = [Node(53, [29], [30]), Node(42, [30, 31], [32])]
        return graph_model(t, nodes, [0], [32])
    return graph_model(t, nodes, [0], [42])
