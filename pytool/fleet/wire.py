"""The bytes a fleet round moves, per method, and their checks.

Every message is a 24-byte header + a method body:

    magic "TOFL" | version u8 | kind u8 | method u8 | flags u8 | model hash u32 |
    generation u32 | samples u32 | body CRC-32 u32        then the body

kind UP (device -> server: one device's round, generation = the global it
started from), DOWN (server -> device: the merged rounds from `generation`,
a chain of per-round bodies), WEIGHTS (the global payload itself, for a
device too far behind). A message that fails any check raises WireError
naming what is wrong; nothing of it is used.

Bodies (integers are zigzag LEB128 varints unless noted):
- forward-grad round: step_base u32, directions u8, count varint, then per
  step: step offset varint and `directions` projected-gradient scalars (Q16.16).
- sparse round: per payload tensor: n_channels varint, then per channel its
  index varint and the integer deltas of that channel's values.
- fp16 round: the FP16 deltas of every trained value (little endian, dense).
A DOWN body is: n_rounds varint, then per round: length varint + round body.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

MAGIC = b"TOFL"
VERSION = 1
HEADER = struct.Struct("<4sBBBBIIII")
UP, DOWN, WEIGHTS = 1, 2, 3
METHOD_IDS = {"forward-grad": 1, "sparse": 2, "fp16": 3}
METHOD_NAMES = {v: k for k, v in METHOD_IDS.items()}


class WireError(ValueError):
    """A fleet message that must not be used; the text says why."""


@dataclass(frozen=True)
class Header:
    kind: int
    method: str
    model_hash: int
    generation: int
    samples: int


def pack(kind: int, method: str, model_hash: int, generation: int, samples: int, body: bytes) -> bytes:
    head = HEADER.pack(MAGIC, VERSION, kind, METHOD_IDS[method], 0, model_hash & 0xFFFFFFFF,
                       generation & 0xFFFFFFFF, samples, zlib.crc32(body))
    return head + body


def unpack(blob: bytes, kind: int, method: str, model_hash: int) -> tuple[Header, bytes]:
    """Checks framing, CRC, kind, method and model; returns (header, body)."""
    if len(blob) < HEADER.size:
        raise WireError(f"truncated message: {len(blob)} bytes, the header alone is {HEADER.size}")
    magic, ver, k, mid, _flags, mhash, gen, samples, crc = HEADER.unpack_from(blob)
    if magic != MAGIC or ver != VERSION:
        raise WireError(f"not a fleet message (magic {magic!r}, version {ver})")
    body = blob[HEADER.size:]
    if zlib.crc32(body) != crc:
        raise WireError(f"body CRC mismatch ({len(body)} bytes): corrupted or truncated")
    if k != kind:
        raise WireError(f"message kind {k}, expected {kind}")
    if METHOD_NAMES.get(mid) != method:
        raise WireError(f"method {METHOD_NAMES.get(mid, mid)!r}, the fleet trains with {method!r}")
    if mhash != model_hash & 0xFFFFFFFF:
        raise WireError(f"model {mhash:#010x}, the fleet's model is {model_hash & 0xFFFFFFFF:#010x}")
    return Header(k, method, mhash, gen, samples), body


# ---- varints ---------------------------------------------------------------
def put_varints(values) -> bytes:
    out = bytearray()
    for v in values:
        z = (int(v) << 1) ^ (int(v) >> 63)  # zigzag (values fit int64)
        z &= (1 << 64) - 1
        while True:
            b = z & 0x7F
            z >>= 7
            if z:
                out.append(b | 0x80)
            else:
                out.append(b)
                break
    return bytes(out)


def decode_varints(data: bytes) -> np.ndarray:
    """Every zigzag varint of `data` at once (int64), for long bodies."""
    b = np.frombuffer(data, np.uint8)
    if b.size == 0:
        return np.zeros(0, np.int64)
    if b[-1] & 0x80:
        raise WireError(f"body ends inside a number at byte {b.size}")
    last = (b & 0x80) == 0
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > 9:
        raise WireError("a number is longer than 63 bits")
    group = np.repeat(np.arange(ends.size), lengths)
    shift = (np.arange(b.size) - starts[group]) * 7
    z = np.zeros(ends.size, np.uint64)
    np.bitwise_or.at(z, group, (b & 0x7F).astype(np.uint64) << shift.astype(np.uint64))
    return (z >> np.uint64(1)).astype(np.int64) ^ -(z & np.uint64(1)).astype(np.int64)


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def varint(self) -> int:
        z, shift = 0, 0
        while True:
            if self.pos >= len(self.data):
                raise WireError(f"body ends inside a number at byte {self.pos}")
            b = self.data[self.pos]
            self.pos += 1
            z |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift > 63:
                raise WireError(f"number too long at byte {self.pos}")
        return (z >> 1) ^ -(z & 1)

    def varints(self, n: int) -> np.ndarray:
        return np.array([self.varint() for _ in range(n)], np.int64)

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WireError(f"body ends at {len(self.data)} bytes, {self.pos + n} needed")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return struct.unpack("<I", self.raw(4))[0]

    def done(self) -> None:
        if self.pos != len(self.data):
            raise WireError(f"{len(self.data) - self.pos} unexpected bytes after the body")


def chain(bodies: list[bytes]) -> bytes:
    return put_varints([len(bodies)]) + b"".join(put_varints([len(b)]) + b for b in bodies)


def unchain(body: bytes) -> list[bytes]:
    r = Reader(body)
    n = r.varint()
    if not 0 <= n <= 1 << 20:
        raise WireError(f"chain of {n} rounds")
    out = []
    for _ in range(n):
        ln = r.varint()
        if ln < 0:
            raise WireError("negative round length")
        out.append(r.raw(ln))
    r.done()
    return out
