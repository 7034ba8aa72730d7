"""Serial link under a faulty line: flipped bits, dropped bytes, truncated
and oversize frames, garbage between frames, duplicates and repeated seqs.
Every bad frame is rejected or replayed from the cache without touching the
device's state, and the next valid request succeeds."""

from __future__ import annotations

import random
import struct
import zlib

from cobs import cobs
from hypothesis import given, settings
from hypothesis import strategies as st

from pytool.link import Link
from pytool.link import protocol as proto
from pytool.link.demo_device import ACCUM_CMD, new_device
from pytool.link.hostsim import SimPort

SETTINGS = settings(max_examples=120, deadline=None)
UNTRUSTED = {proto.LinkStatus.BAD_FRAME, proto.LinkStatus.BAD_CRC, proto.LinkStatus.TOO_LARGE}


def accum_frame(seq: int, value: int, flags: int = 0, status: int = 0) -> proto.Frame:
    return proto.Frame(ACCUM_CMD, seq, struct.pack("<I", value), flags, status)


def accum_ack(seq: int, total: int, flags: int = 0) -> proto.Frame:
    return accum_frame(seq, total, proto.F_RESPONSE | flags)


def exchange(port: SimPort, wire: bytes) -> list[proto.Frame]:
    port.write(wire)
    return proto.FrameReader().feed(port.read(1 << 20))


def is_untrusted_nack(f: proto.Frame) -> bool:
    return f.seq == proto.SEQ_NONE and f.flags == proto.F_RESPONSE and f.status in UNTRUSTED and not f.payload


def assert_rejected_then_recovers(bad_wire: bytes, seq: int) -> None:
    """bad_wire must change nothing; the intact request (same seq, as a
    retry would send it) then executes exactly once."""
    dev = new_device()
    port = SimPort(dev)
    before = dev.snapshot()
    frames = exchange(port, bad_wire)
    assert all(is_untrusted_nack(f) for f in frames), frames
    assert dev.snapshot() == before
    frames = exchange(port, proto.encode(accum_frame(seq, 5)))
    assert frames[-1] == accum_ack(seq, 5)
    assert all(is_untrusted_nack(f) for f in frames[:-1]), frames
    assert dev.accum_total == 5


seqs = st.integers(0, proto.SEQ_NONE - 1)


@SETTINGS
@given(seq=seqs, value=st.integers(0, 2**32 - 1), where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_flipped_bit_is_rejected(seq, value, where, bit):
    wire = bytearray(proto.encode(accum_frame(seq, value)))
    pos = 1 + int(where * (len(wire) - 2))  # inside the frame, delimiters kept
    wire[pos] ^= 1 << bit
    assert_rejected_then_recovers(bytes(wire), seq)


@SETTINGS
@given(seq=seqs, drops=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=3, unique=True))
def test_dropped_bytes_are_rejected(seq, drops):
    wire = bytearray(proto.encode(accum_frame(seq, 7)))
    # Inside the frame: a lost delimiter alone leaves the frame intact.
    for pos in sorted({1 + int(d * (len(wire) - 2)) for d in drops}, reverse=True):
        del wire[pos]
    assert_rejected_then_recovers(bytes(wire), seq)


@SETTINGS
@given(seq=seqs, keep=st.floats(0, 1, exclude_max=True))
def test_truncated_frame_is_rejected(seq, keep):
    wire = proto.encode(accum_frame(seq, 9))
    # No closing delimiter: the next frame's leading delimiter ends it.
    assert_rejected_then_recovers(wire[: 1 + int(keep * (len(wire) - 2))], seq)


@SETTINGS
@given(seq=seqs, length=st.integers(0, 0xFFFF).filter(lambda n: n != 4))
def test_length_field_disagreeing_with_frame_is_nacked(seq, length):
    dev = new_device()
    port = SimPort(dev)
    body = proto.HEADER.pack(proto.VERSION, ACCUM_CMD, 0, 0, seq, length) + struct.pack("<I", 3)
    raw = body + struct.pack("<I", zlib.crc32(body))
    before = dev.snapshot()
    frames = exchange(port, b"\x00" + cobs.encode(raw) + b"\x00")
    # The CRC holds, so the seq is trusted and echoed.
    assert frames == [proto.Frame(ACCUM_CMD, seq, b"", proto.F_RESPONSE, proto.LinkStatus.BAD_LENGTH)]
    assert dev.snapshot() == before
    # The intact request under the same seq differs in content: executed, not replayed.
    assert exchange(port, proto.encode(accum_frame(seq, 5))) == [accum_ack(seq, 5)]


def test_oversize_frame_is_dropped_until_the_delimiter():
    huge = proto.pack(proto.Frame(ACCUM_CMD, 1, bytes(range(1, 256)) * 24))  # 6120 bytes > 4096
    assert_rejected_then_recovers(b"\x00" + cobs.encode(huge) + b"\x00", 1)
    dev = new_device()
    port = SimPort(dev)
    exchange(port, b"\x00" + cobs.encode(huge) + b"\x00")
    stats = Link(port, timeout=0.2).stats()
    assert stats.frames_rejected == 1 and stats.bytes_skipped >= len(huge) - (4096 + 12)


@SETTINGS
@given(junk=st.lists(st.binary(min_size=1, max_size=300), min_size=3, max_size=3))
def test_garbage_between_frames_is_skipped(junk):
    dev = new_device()
    port = SimPort(dev)
    wire = junk[0] + proto.encode(accum_frame(10, 5)) + junk[1] + proto.encode(accum_frame(11, 7)) + junk[2]
    frames = exchange(port, wire + b"\x00")
    trusted = [f for f in frames if f.seq != proto.SEQ_NONE]
    assert trusted == [accum_ack(10, 5), accum_ack(11, 12)]
    assert all(is_untrusted_nack(f) for f in frames if f.seq == proto.SEQ_NONE)
    assert dev.accum_total == 12 and dev.invokes == 0


def test_duplicated_frame_is_answered_from_the_cache():
    dev = new_device()
    port = SimPort(dev)
    wire = proto.encode(accum_frame(300, 5))
    assert exchange(port, wire + wire) == [accum_ack(300, 5), accum_ack(300, 5, proto.F_REPLAY)]
    assert exchange(port, wire) == [accum_ack(300, 5, proto.F_REPLAY)]
    assert dev.accum_total == 5
    assert exchange(port, proto.encode(accum_frame(301, 5))) == [accum_ack(301, 10)]
    # A bad frame between a request and its retry does not evict the cache.
    exchange(port, b"\x00\x12\x34\x00")
    assert exchange(port, proto.encode(accum_frame(301, 5))) == [accum_ack(301, 10, proto.F_REPLAY)]
    assert dev.accum_total == 10


def test_repeated_infer_runs_once():
    dev = new_device()
    port = SimPort(dev)
    infer = proto.encode(proto.Frame(proto.Cmd.INFER, 42))
    frames = exchange(port, infer + infer + infer)
    assert [f.seq for f in frames] == [42, 42, 42] and all(f.status == 0 for f in frames)
    assert frames[0].payload == frames[2].payload and frames[2].flags & proto.F_REPLAY
    assert dev.invokes == 1


class FaultyLine:
    """Corrupts traffic at random (never twice in a row in one direction, so
    a request with enough retries always gets through)."""

    def __init__(self, seed: int, p: float) -> None:
        self.rng = random.Random(seed)
        self.p = p
        self.last_down = self.last_up = False
        self.faults = 0

    def _mangle(self, data: bytes) -> bytes:
        data = bytearray(data)
        kind = self.rng.randrange(5)
        pos = self.rng.randrange(len(data))
        if kind == 0:
            data[pos] ^= 1 << self.rng.randrange(8)
        elif kind == 1:
            del data[pos]
        elif kind == 2:
            data = data[:pos]
        elif kind == 3:
            data = bytearray(self.rng.randbytes(self.rng.randrange(1, 40))) + data
        else:
            data = bytearray()
        return bytes(data)

    def down(self, data: bytes) -> bytes:  # host -> device
        fault = not self.last_down and self.rng.random() < self.p
        self.last_down = fault
        self.faults += fault
        return self._mangle(data) if fault else data

    def up(self, data: bytes) -> bytes:  # device -> host
        fault = not self.last_up and self.rng.random() < self.p
        self.last_up = fault
        self.faults += fault
        return self._mangle(data) if fault else data


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), values=st.lists(st.integers(0, 1000), min_size=4, max_size=8))
def test_link_applies_each_request_exactly_once_on_a_faulty_line(seed, values):
    dev = new_device()
    line = FaultyLine(seed, p=0.3)
    link = Link(SimPort(dev, to_device=line.down, to_host=line.up), timeout=0.03, retries=5)
    total = 0
    for v in values:
        total += v
        assert link.request(ACCUM_CMD, struct.pack("<I", v)) == struct.pack("<I", total)
    assert dev.accum_total == total and dev.invokes == 0
    # The line is clean again: the device and the link are still in step.
    line.p = 0.0
    assert link.echo(b"still here") == b"still here"


def test_lost_answer_is_recovered_by_replay():
    dev = new_device()
    dropped = []

    def lose_first_answer(data: bytes) -> bytes:
        if not dropped:
            dropped.append(data)
            return b""
        return data

    link = Link(SimPort(dev, to_host=lose_first_answer), timeout=0.03, retries=2)
    assert link.request(ACCUM_CMD, struct.pack("<I", 4)) == struct.pack("<I", 4)
    assert link.tries_used == 1 and dropped and dev.accum_total == 4
    assert link.stats().frames_replayed == 1
