"""Host side of the weight-store commands (docs/store-format.md): COMMIT,
READ_WEIGHTS, WRITE_WEIGHTS, RESET. Functions take an open Link.

read_weights() returns the device's weights in RAM (the ones it runs with)
and their SHA-256, checked against the CRC-32 the device reports."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

from .client import Link
from .errors import MessageError
from .protocol import Cmd

NO_SLOT = 0xFF
SUMMARY_REQUEST = b"\x00"
WRITE_OVERHEAD = 4  # offset u32
# Erasing a flash sector takes up to a few seconds on a board.
COMMIT_TIMEOUT = 10.0


class SlotState(IntEnum):
    EMPTY = 0
    BAD_HEADER = 1
    OTHER_MODEL = 2
    BAD_PAYLOAD = 3
    VALID = 4


@dataclass(frozen=True)
class StoreSummary:
    """READ_WEIGHTS with an empty request (and RESET's answer)."""

    payload_len: int
    ram_crc: int  # CRC-32 of the weights in RAM
    generation: int  # of the committed weights in use; 0 = factory weights
    committed_crc: int
    committed_steps: int  # training steps recorded with that generation
    model_hash: int
    commits_written: int  # since boot
    bytes_written: int  # medium bytes written since boot
    erases: int
    active_slot: int | None
    slot_states: tuple[SlotState, SlotState]

    @property
    def dirty(self) -> bool:
        """RAM weights differ from the committed (or factory) ones."""
        return self.ram_crc != self.committed_crc


@dataclass(frozen=True)
class CommitResult:
    generation: int
    slot: int | None
    wrote: bool  # False: the weights equalled the active slot, nothing written
    crc: int
    bytes_written: int  # medium bytes written since boot


def parse_summary(payload: bytes) -> StoreSummary:
    if len(payload) != 39:
        raise MessageError(f"READ_WEIGHTS summary: {len(payload)} bytes, expected 39")
    words = struct.unpack_from("<9I", payload)
    slot = payload[36]
    try:
        states = (SlotState(payload[37]), SlotState(payload[38]))
    except ValueError as e:
        raise MessageError(f"READ_WEIGHTS summary: unknown slot state ({e})") from None
    return StoreSummary(*words, active_slot=None if slot == NO_SLOT else slot, slot_states=states)


def parse_commit(payload: bytes) -> CommitResult:
    if len(payload) != 14:
        raise MessageError(f"COMMIT answer: {len(payload)} bytes, expected 14")
    gen, slot, wrote, crc, written = struct.unpack("<IBBII", payload)
    return CommitResult(gen, None if slot == NO_SLOT else slot, bool(wrote), crc, written)


def summary(link: Link) -> StoreSummary:
    return parse_summary(link.request(Cmd.READ_WEIGHTS, SUMMARY_REQUEST))


def digest(link: Link) -> tuple[int, int, int]:
    """(CRC-32 of the weights in RAM, payload bytes, tensor count)."""
    payload = link.request(Cmd.READ_WEIGHTS)
    if len(payload) != 10:
        raise MessageError(f"READ_WEIGHTS digest: {len(payload)} bytes, expected 10")
    return struct.unpack("<IIH", payload)


def commit(link: Link, timeout: float = COMMIT_TIMEOUT) -> CommitResult:
    """Saves the device's weights as a new generation (no-op when unchanged)."""
    saved = link.timeout
    link.timeout = max(saved, timeout)
    try:
        return parse_commit(link.request(Cmd.COMMIT))
    finally:
        link.timeout = saved


def read_weights(link: Link) -> tuple[bytes, str]:
    """(weights payload, SHA-256 hex) of the device's weights in RAM, read
    tensor by tensor and checked against the device's CRC-32."""
    crc, total, count = digest(link)
    data = bytearray()
    for tensor in range(count):
        offset = 0
        while chunk := link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", tensor, offset)):
            data += chunk
            offset += len(chunk)
            if len(data) > total:
                raise MessageError(f"READ_WEIGHTS: tensor {tensor} runs past the {total}-byte payload")
    if len(data) != total or zlib.crc32(data) != crc:
        raise MessageError(f"READ_WEIGHTS: read {len(data)} bytes not matching the device's {total} bytes / "
                           "CRC-32 (weights changed while reading?)")
    return bytes(data), hashlib.sha256(data).hexdigest()


def write_weights(link: Link, data: bytes) -> None:
    """Replaces the device's weights in RAM (commit() makes them persistent)."""
    info = summary(link)
    if len(data) != info.payload_len:
        raise ValueError(f"write_weights: {len(data)} bytes given, the device's weights are "
                         f"{info.payload_len} bytes")
    step = link.max_payload - WRITE_OVERHEAD
    for off in range(0, len(data), step):
        link.request(Cmd.WRITE_WEIGHTS, struct.pack("<I", off) + data[off : off + step])


def reset(link: Link, factory: bool = False, timeout: float = COMMIT_TIMEOUT) -> StoreSummary:
    """factory=False: drop uncommitted changes (reload the committed weights);
    factory=True: erase both slots and return to the factory weights."""
    saved = link.timeout
    link.timeout = max(saved, timeout if factory else saved)
    try:
        return parse_summary(link.request(Cmd.RESET, bytes([1 if factory else 0])))
    finally:
        link.timeout = saved
