"""Wire format of the serial link (docs/design/link.md), shared by the host
client and the tests: constants mirror runtime_c/include/odl/link.h."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

from cobs import cobs

VERSION = 1
HEADER = struct.Struct("<BBBBHH")  # version, command, flags, status, seq, len
HEADER_SIZE = HEADER.size
CRC_SIZE = 4
DEFAULT_MAX_PAYLOAD = 4096
SEQ_NONE = 0xFFFF

F_RESPONSE = 0x01
F_EVENT = 0x02
F_REPLAY = 0x04


class Cmd(IntEnum):
    INFO = 0x01
    SET_INPUT = 0x02
    INFER = 0x03
    GET_OUTPUT = 0x04
    STATS = 0x05
    LOG = 0x06
    ECHO = 0x07
    RESET_STATE = 0x08
    TRAIN = 0x10
    EVAL = 0x11
    COMMIT = 0x12
    READ_WEIGHTS = 0x13
    RESET = 0x14
    WRITE_WEIGHTS = 0x15
    SET_LABEL = 0x16
    TRAIN_STATUS = 0x17
    SET_LR = 0x18


# Status byte: 0..63 are odl_status_t (odl.h), 0x40.. link rejections (link.h).
_ODL_STATUS = [
    "ODL_OK", "ODL_ERR_ARG", "ODL_ERR_SHAPE", "ODL_ERR_UNSUPPORTED", "ODL_ERR_ARENA", "ODL_ERR_MODEL",
    "ODL_ERR_STATE", "ODL_ERR_NUMERIC", "ODL_ERR_CRC", "ODL_ERR_LINK", "ODL_ERR_STORE", "ODL_ERR_TRAIN",
]


class LinkStatus(IntEnum):
    BAD_FRAME = 0x40
    BAD_CRC = 0x41
    BAD_LENGTH = 0x42
    TOO_LARGE = 0x43
    BAD_VERSION = 0x44
    UNKNOWN_CMD = 0x45
    BAD_STATE = 0x46
    BAD_PAYLOAD = 0x47


def status_name(status: int) -> str:
    if 0 <= status < len(_ODL_STATUS):
        return _ODL_STATUS[status]
    try:
        return f"LINK_{LinkStatus(status).name}"
    except ValueError:
        return f"STATUS_0x{status:02X}"


def command_name(cmd: int) -> str:
    try:
        return Cmd(cmd).name
    except ValueError:
        return f"CMD_0x{cmd:02X}"


class FrameError(ValueError):
    """A received frame that is not a valid link frame."""


@dataclass(frozen=True)
class Frame:
    command: int
    seq: int
    payload: bytes = b""
    flags: int = 0
    status: int = 0
    version: int = VERSION


def pack(frame: Frame) -> bytes:
    """Decoded frame bytes: header + payload + CRC-32 (LE)."""
    if len(frame.payload) > 0xFFFF:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds the 16-bit length field")
    body = HEADER.pack(frame.version, frame.command, frame.flags, frame.status, frame.seq, len(frame.payload))
    body += bytes(frame.payload)
    return body + struct.pack("<I", zlib.crc32(body))


def unpack(data: bytes) -> Frame:
    """Parses decoded frame bytes; raises FrameError on any inconsistency."""
    if len(data) < HEADER_SIZE + CRC_SIZE:
        raise FrameError(f"frame of {len(data)} bytes is shorter than header + CRC")
    body, crc = data[:-CRC_SIZE], struct.unpack("<I", data[-CRC_SIZE:])[0]
    if zlib.crc32(body) != crc:
        raise FrameError("CRC-32 mismatch")
    version, command, flags, status, seq, length = HEADER.unpack_from(body)
    if length != len(body) - HEADER_SIZE:
        raise FrameError(f"length field {length} but {len(body) - HEADER_SIZE} payload bytes")
    return Frame(command, seq, bytes(body[HEADER_SIZE:]), flags, status, version)


def encode(frame: Frame) -> bytes:
    """Wire bytes: a leading delimiter (flushes any partial frame on the other
    side), COBS of the packed frame, the closing delimiter."""
    return b"\x00" + cobs.encode(pack(frame)) + b"\x00"


def decode(chunk: bytes) -> Frame:
    """Parses the bytes between two delimiters."""
    try:
        raw = cobs.decode(chunk)
    except cobs.DecodeError as e:
        raise FrameError(f"invalid COBS: {e}") from e
    return unpack(raw)


class FrameReader:
    """Splits a byte stream on 0x00 and yields frames; garbage and corrupt
    frames are counted and skipped (resync on the next delimiter)."""

    def __init__(self, max_frame: int = 1 << 17) -> None:
        self._buf = bytearray()
        self.max_frame = max_frame
        self.rejected = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames = []
        while True:
            end = self._buf.find(0)
            if end < 0:
                if len(self._buf) > self.max_frame:  # no delimiter for too long: drop it
                    self._buf.clear()
                    self.rejected += 1
                return frames
            chunk = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if not chunk:
                continue
            try:
                frames.append(decode(chunk))
            except FrameError:
                self.rejected += 1
