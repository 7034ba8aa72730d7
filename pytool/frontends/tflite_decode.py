"""TFLite Micro's DECODE op (custom code TFLM_DECODE, written by its model
compressor): each (encoded, ancillary) input pair is decompressed into one
output tensor. Both inputs are constants, so the reader checks them and
read-time folding turns every output into an ordinary constant; no later op
sees compression. The ancillary tensor starts with the 16-byte DECODE Common
Metadata (DCM): byte 0 decode type, byte 1 DCM version (1), bytes 4-15 type
specific (byte 4: the decoder's format version, 1); its data follows at byte 16.

- LUT (type 0): DCM byte 5 bits 2-0 = index bit width (1-7), byte 6 = value
  table stride per channel; indices are a big-endian (MSB-first) bit stream,
  value tables have the output's element type.
- Prune (type 2): the encoded tensor is a one-bit-per-element mask (MSB
  first); set bits take the next value of the table, clear bits the zero
  point (per channel for int8). float32 values are copied as raw 32-bit words.
- Huffman (type 1): see _huffman; int8 and int16 only.

Channels follow the output's quantization as TFLite Micro resolves them: one
value table per scale; along axis 0, or the last axis when it has more than
one scale; any other axis is refused."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op, Tensor

OP = "CUSTOM:TFLM_DECODE"
DCM_SIZE = 16
LUT, HUFFMAN, PRUNE = 0, 1, 2
_TYPE_NAMES = {LUT: "LUT", HUFFMAN: "Huffman", PRUNE: "prune"}
_LUT_TYPES = ("bool", "float32", "int8", "int16", "int32", "int64")
# Prune copies values by width: float32 as int32 words, bool as bytes.
_PRUNE_TYPES = {"bool": np.int8, "float32": np.int32, "int8": np.int8, "int16": np.int16,
                "int32": np.int32, "int64": np.int64}


class DecodeError(ValueError):
    """Malformed or unsupported DECODE data; the message names the field."""


def _channels(out: Tensor) -> tuple[int, bool]:
    """(number of value tables, whether channels run along the last axis)."""
    q = out.quant
    if q is None:
        return 1, False
    n, axis, rank = int(q.scale.size), int(q.axis), len(out.shape)
    if axis == rank - 1 and n > 1:
        return n, True
    if axis != 0:
        raise DecodeError(f"output '{out.name}': quantized_dimension {axis} is not supported "
                          "(DECODE supports axis 0 and the last axis)")
    return n, False


def _channel_of(count: int, channels: int, last_axis: bool) -> np.ndarray:
    e = np.arange(count)
    return e % channels if last_axis else e // (count // channels)


def _lut(enc: bytes, anc: bytes, out: Tensor) -> np.ndarray:
    if out.dtype not in _LUT_TYPES:
        raise DecodeError(f"LUT output '{out.name}' is {out.dtype}; supported: {', '.join(_LUT_TYPES)}")
    bits, stride = anc[5] & 0x07, anc[6]
    if bits == 0:
        raise DecodeError("LUT index bit width (DCM byte 5, bits 2-0) is 0; valid: 1-7")
    count = int(np.prod(out.shape, dtype=np.int64))
    channels, last_axis = _channels(out)
    if count % channels:
        raise DecodeError(f"output '{out.name}': {count} elements do not split into {channels} channels")
    if len(enc) * 8 < count * bits:
        raise DecodeError(f"encoded tensor has {len(enc)} bytes; {count} indices of {bits} bits need "
                          f"{(count * bits + 7) // 8}")
    item = np.dtype(out.dtype).itemsize
    need = DCM_SIZE + channels * stride * item
    if stride == 0 or len(anc) < need:
        raise DecodeError(f"LUT value table stride (DCM byte 6) {stride} x {channels} channel(s) of "
                          f"{out.dtype} needs {need} bytes of ancillary data; it has {len(anc)}")
    raw = np.unpackbits(np.frombuffer(enc, np.uint8))[:count * bits].reshape(count, bits).astype(np.int64)
    index = raw @ (1 << np.arange(bits - 1, -1, -1))
    if count and int(index.max()) >= stride:
        raise DecodeError(f"LUT index {int(index.max())} is past the value table stride (DCM byte 6) {stride}")
    tables = np.frombuffer(anc[DCM_SIZE:need], np.dtype(out.dtype).newbyteorder("<")).reshape(channels, stride)
    return tables[_channel_of(count, channels, last_axis), index].astype(out.dtype)


def _prune(enc: bytes, anc: bytes, out: Tensor) -> np.ndarray:
    if out.dtype not in _PRUNE_TYPES:
        raise DecodeError(f"prune output '{out.name}' is {out.dtype}; supported: {', '.join(_PRUNE_TYPES)}")
    width = np.dtype(_PRUNE_TYPES[out.dtype])
    count = int(np.prod(out.shape, dtype=np.int64))
    channels, last_axis = _channels(out)
    if count % channels:
        raise DecodeError(f"output '{out.name}': {count} elements do not split into {channels} channels")
    if len(enc) * 8 < count:
        raise DecodeError(f"encoded mask has {len(enc)} bytes; {count} elements need {(count + 7) // 8}")
    mask = np.unpackbits(np.frombuffer(enc, np.uint8))[:count].astype(bool)
    kept = int(mask.sum())
    if len(anc) < DCM_SIZE + kept * width.itemsize:
        raise DecodeError(f"prune mask keeps {kept} values of {width.itemsize} bytes; the ancillary data has "
                          f"{max(len(anc) - DCM_SIZE, 0)} bytes after the DCM")
    zps = np.zeros(1, np.int64) if out.quant is None else np.asarray(out.quant.zero_point, np.int64)
    if out.dtype == "int8" and channels > 1:
        fill = zps[_channel_of(count, channels, last_axis)]
    else:
        if out.dtype != "int8" and int(zps[0]) != 0:
            raise DecodeError(f"prune output '{out.name}' ({out.dtype}) has zero point {int(zps[0])}; "
                              "only int8 may have a non-zero one")
        fill = np.full(count, zps[0], np.int64)
    res = fill.astype(width)
    res[mask] = np.frombuffer(anc[DCM_SIZE:DCM_SIZE + kept * width.itemsize], width.newbyteorder("<"))
    return res.view(out.np_dtype) if out.dtype == "float32" else res.astype(out.np_dtype)


def _huffman(enc: bytes, anc: bytes, out: Tensor) -> np.ndarray:
    """Xtensa-format tables: codewords are an MSB-first stream (32-bit words
    read big-endian); each symbol starts with a lookup of (DCM byte 5 bits
    7-4) + 1 bits; an entry without the found bit names the next lookup's
    width (count field + 1) and its table's offset from the entry; a found
    entry's count field is how many bits of the last lookup the code used
    (the rest are put back) and its low bits are the symbol."""
    wide = bool(anc[5] & 0x01)
    if out.dtype not in ("int8", "int16") or (not wide and out.dtype != "int8"):
        raise DecodeError(f"Huffman output '{out.name}' is {out.dtype}; supported: int8 (16-bit tables), "
                          "int8 / int16 (32-bit tables, DCM byte 5 bit 0)")
    entry = np.dtype("<u4" if wide else "<u2")
    found, cshift = (1 << 31, 27) if wide else (1 << 15, 11)
    vmask = (1 << cshift) - 1
    table = np.frombuffer(anc[DCM_SIZE:DCM_SIZE + (len(anc) - DCM_SIZE) // entry.itemsize * entry.itemsize],
                          entry).tolist()
    stream = np.unpackbits(np.frombuffer(enc + bytes(-len(enc) % 4), np.uint8)).tolist()  # whole words
    first = (anc[5] >> 4) + 1
    count = int(np.prod(out.shape, dtype=np.int64))
    res, pos = [], 0
    for _ in range(count):
        width, offset = first, 0
        while True:
            if pos + width > len(stream):
                raise DecodeError(f"Huffman codewords end after {len(stream) // 8} bytes, "
                                  f"{len(res)} of {count} values decoded")
            index = int("".join("01"[b] for b in stream[pos:pos + width]), 2)
            pos += width
            offset += index
            if offset >= len(table):
                raise DecodeError(f"Huffman table entry {offset} is past the table's {len(table)} entries")
            v = table[offset]
            if v & found:
                break
            offset += v & vmask
            width = ((v >> cshift) & 0xF) + 1
        used = (v >> cshift) & 0xF
        pos -= max(width - used, 0)  # the bits of the last lookup the code did not use
        res.append(v)
    bits = np.asarray(res, np.uint32).astype(np.uint16 if out.dtype == "int16" else np.uint8)
    return bits.view(out.np_dtype)


def decode_one(enc: bytes, anc: bytes, out: Tensor) -> np.ndarray:
    """The decoded values of out (flat), or DecodeError naming the bad field."""
    if len(anc) < DCM_SIZE:
        raise DecodeError(f"ancillary data has {len(anc)} bytes; the DCM header needs {DCM_SIZE}")
    kind, version = anc[0], anc[1]
    if kind not in _TYPE_NAMES:
        what = "custom" if kind >= 128 else "reserved"
        raise DecodeError(f"DCM decode type {kind} ({what}) is not supported; supported: 0 (LUT), "
                          "1 (Huffman), 2 (prune)")
    if version != 1:
        raise DecodeError(f"DCM version {version} is not supported; supported: 1")
    if anc[4] != 1:  # each decoder's own format version
        raise DecodeError(f"{_TYPE_NAMES[kind]} version (DCM byte 4) {anc[4]} is not supported; supported: 1")
    return {LUT: _lut, HUFFMAN: _huffman, PRUNE: _prune}[kind](enc, anc, out)


def _pairs(g: Graph, op: Op):
    if not op.outputs or len(op.inputs) != 2 * len(op.outputs):
        raise DecodeError(f"has {len(op.inputs)} inputs for {len(op.outputs)} outputs; "
                          "it needs an (encoded, ancillary) pair per output")
    for k, name in enumerate(op.outputs):
        enc, anc = g.tensors[op.inputs[2 * k]], g.tensors[op.inputs[2 * k + 1]]
        for t, what in ((enc, "encoded"), (anc, "ancillary")):
            if not t.is_const:
                raise DecodeError(f"the {what} tensor '{t.name}' of output {k} must be constant")
        yield k, enc, anc, g.tensors[name]


def evaluate(g: Graph, op: Op, xs: list) -> list:
    """Read-time folding: every output's values."""
    return [decode_one(e.data.tobytes(), a.data.tobytes(), o) for _, e, a, o in _pairs(g, op)]


def read_attrs(g: Graph, op: Op, fb_op, ctx) -> None:
    """Checks every pair now (one line naming the op and field); folding decodes."""
    op.attrs = {}
    try:
        for k, enc, anc, out in _pairs(g, op):
            try:
                decode_one(enc.data.tobytes(), anc.data.tobytes(), out)
            except DecodeError as e:
                raise DecodeError(f"output {k} '{out.name}': {e}") from None
    except DecodeError as e:
        raise ctx.error(str(e)) from None
