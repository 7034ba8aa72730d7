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
