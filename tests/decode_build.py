"""Builds models with TFLite Micro's DECODE op (custom code TFLM_DECODE) for
tests/test_decode.py: LUT and prune encoders written from the format (DCM
header, MSB-first index and mask bit streams) and a one-op model whose output
is the decoded tensor, so TFLite Micro's interpreter shows its decoding."""

from __future__ import annotations

import numpy as np
from tflite_build import _TYPES, T, schema_tensor

DCM = 16


def dcm(kind: int, version: int = 1, user: bytes = b"") -> bytes:
    return bytes([kind, version, 0, 0]) + user.ljust(12, b"\0")


def _bits(values: np.ndarray, width: int) -> bytes:
    bits = (values.reshape(-1, 1).astype(np.int64) >> np.arange(width - 1, -1, -1)) & 1
    return np.packbits(bits.reshape(-1).astype(np.uint8)).tobytes()


def channels_of(w: np.ndarray, axis: int | None) -> list[np.ndarray]:
    return [w.reshape(-1)] if axis is None else [np.take(w, c, axis).reshape(-1) for c in range(w.shape[axis])]


def lut(w: np.ndarray, bits: int, axis: int | None = None) -> tuple[bytes, bytes]:
    """(encoded, ancillary) of w: a value table per channel along axis (0 or
    the last), padded to the longest."""
    tables = [np.unique(c) for c in channels_of(w, axis)]
    stride = max(len(t) for t in tables)
    if axis is None:
        index = np.searchsorted(tables[0], w.reshape(-1))
    else:
        chan = np.indices(w.shape)[axis].reshape(-1)
        index = np.array([np.searchsorted(tables[c], v) for c, v in zip(chan, w.reshape(-1))], np.int64)
    vt = b"".join(np.pad(t, (0, stride - len(t))).astype(w.dtype.newbyteorder("<")).tobytes() for t in tables)
    anc = dcm(0, 1, bytes([1, bits, stride])) + vt
    return _bits(index, bits), anc


def prune(w: np.ndarray, zero) -> tuple[bytes, bytes]:
    """(encoded mask, ancillary) of w; zero: the value (or per-element values) pruned away."""
    keep = w.reshape(-1) != np.broadcast_to(zero, w.shape).reshape(-1)
    vals = w.reshape(-1)[keep]
    return np.packbits(keep.astype(np.uint8)).tobytes(), dcm(2, 1, b"\1") + vals.astype(vals.dtype.newbyteorder("<")).tobytes()


def _per_channel(s, t: T, scales: np.ndarray, zps: np.ndarray, axis: int):
    q = s.QuantizationParametersT()
    q.scale, q.zeroPoint, q.quantizedDimension = [float(v) for v in scales], [int(v) for v in zps], axis
    return q


def decode_model(enc: bytes, anc: bytes, out: T, channel_q: tuple | None = None) -> bytes:
    """One DECODE whose output (the model's output) is out; channel_q =
    (scales, zero points, axis) for per-channel quantization."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT()
    m.version = 3
    code = s.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.customCode, code.version = 32, 32, "TFLM_DECODE", 1
    m.operatorCodes, m.buffers = [code], [s.BufferT()]
    g = s.SubGraphT()
    ts = [T((len(enc),), "uint8", data=np.frombuffer(enc, np.uint8)),
          T((len(anc),), "uint8", data=np.frombuffer(anc, np.uint8)), out]
    g.tensors = [schema_tensor(s, m, k, t, _TYPES[t.dtype]) for k, t in enumerate(ts)]
    if channel_q is not None:
        g.tensors[2].quantization = _per_channel(s, out, *channel_q)
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1], [2]
    g.operators, g.inputs, g.outputs = [op], [], [2]
    m.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _code_lengths(w: np.ndarray) -> dict:
    import heapq

    syms, counts = np.unique(w.reshape(-1), return_counts=True)
    if len(syms) == 1:
        return {syms[0].item(): 1}
    heap = [(int(c), k, [s.item()]) for k, (s, c) in enumerate(zip(syms, counts))]
    heapq.heapify(heap)
    length = {s.item(): 0 for s in syms}
    while len(heap) > 1:
        c1, k1, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for s in s1 + s2:
            length[s] += 1
        heapq.heappush(heap, (c1 + c2, k1, s1 + s2))
    return length


def huffman(w: np.ndarray, first: int, sub: int, wide: bool) -> tuple[bytes, bytes]:
    """(encoded, ancillary) of int8 / int16 w: a canonical Huffman code in
    Xtensa-format tables; the first lookup takes `first` bits, each deeper
    table at most `sub`. 16-bit entries unless wide (32-bit)."""
    lengths = _code_lengths(w)
    codes, code, prev = {}, 0, 0
    for s, n in sorted(lengths.items(), key=lambda sl: (sl[1], sl[0])):
        code <<= n - prev
        codes[s], prev = format(code, f"0{n}b"), n
        code += 1
    shift, found = (27, 1 << 31) if wide else (11, 1 << 15)
    mask = 0xFFFF if wide else 0xFF
    table: list[int] = []

    def build(items: list[tuple[str, int]], k: int) -> int:
        base = len(table)
        table.extend([0] * (1 << k))
        longer: dict[int, list] = {}
        for c, s in items:
            if len(c) <= k:
                for tail in range(1 << (k - len(c))):
                    table[base + (int(c, 2) << (k - len(c))) + tail] = found | (len(c) << shift) | (s & mask)
            else:
                longer.setdefault(int(c[:k], 2), []).append((c[k:], s))
        for p, rest in longer.items():
            m = min(max(len(c) for c, _ in rest), sub)
            at = base + p
            table[at] = ((m - 1) << shift) | (build(rest, m) - at)
        return base

    build(list((c, s) for s, c in codes.items()), first)
    stream = "".join(codes[v.item()] for v in w.reshape(-1))
    stream += "0" * (-len(stream) % 32)
    enc = int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""
    entries = np.asarray(table, "<u4" if wide else "<u2").tobytes()
    return enc, dcm(1, 1, bytes([1, ((first - 1) << 4) | int(wide)])) + entries
