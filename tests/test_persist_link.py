"""Weight-store commands over the serial link (in-process C server):
COMMIT / READ_WEIGHTS / WRITE_WEIGHTS / RESET, reboots, and retries:
a duplicated or re-sent COMMIT never writes twice."""

from __future__ import annotations

import hashlib
import struct
import zlib

import numpy as np
import pytest

from pytool.link import Cmd, Frame, Link, Nack
from pytool.link import persist as lp
from pytool.link import persist_sim as ps
from pytool.link.hostsim import SimPort
from pytool.link.protocol import F_REPLAY, FrameReader, encode


@pytest.fixture(scope="module")
def clib():
    return ps.link_module()


@pytest.fixture
def nv(clib):
    return ps.SimNV(*clib)


def power_on(clib, nv, **port_kw) -> tuple[ps.StoreLinkDevice, Link]:
    dev = ps.StoreLinkDevice(*clib, nv)
    return dev, Link(SimPort(dev, **port_kw), timeout=0.2, retries=3)


def weights(seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, ps.PAYLOAD_SIZE, dtype=np.uint8).tobytes()


def test_factory_summary_and_read_weights(clib, nv):
    _, link = power_on(clib, nv)
    info = lp.summary(link)
    assert info.payload_len == ps.PAYLOAD_SIZE and info.model_hash == ps.MODEL_HASH
    assert info.generation == 0 and info.active_slot is None and not info.dirty
    assert info.slot_states == (lp.SlotState.EMPTY, lp.SlotState.EMPTY)
    data, digest = lp.read_weights(link)
    assert data == ps.factory_payload() and digest == hashlib.sha256(data).hexdigest()
    assert lp.digest(link) == (zlib.crc32(data), ps.PAYLOAD_SIZE, len(ps.TRAINABLE))
    # Per-tensor reads, as the training commands lay them out.
    w = link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", 0, 0))
    assert w == ps.factory_payload()[:148]
    assert link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", 1, 4)) == ps.factory_payload()[152:164]
    assert link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", 2, 8)) == b""


def test_write_commit_reboot_read(clib, nv):
    _, link = power_on(clib, nv)
    new = weights(1)
    lp.write_weights(link, new)
    assert lp.summary(link).dirty
    result = lp.commit(link)
    assert (result.generation, result.slot, result.wrote, result.crc) == (1, 0, True, zlib.crc32(new))
    _, link = power_on(clib, nv)  # reboot on the same medium
    info = lp.summary(link)
    assert (info.generation, info.active_slot, info.dirty) == (1, 0, False)
    assert lp.read_weights(link)[0] == new


def test_small_frames_chunk_transfers(clib, nv):
    """A payload larger than one frame is read and written in chunks."""
    _, link = power_on(clib, nv)
    link.info()
    link._info = link._info.__class__(**{**link._info.__dict__, "max_payload": 50})
    new = weights(2)
    lp.write_weights(link, new)
    assert lp.read_weights(link)[0] == new


def test_reset_rollback_and_factory(clib, nv):
    _, link = power_on(clib, nv)
    committed = weights(3)
    lp.write_weights(link, committed)
    lp.commit(link)
    lp.write_weights(link, weights(4))
    info = lp.reset(link)
    assert info.generation == 1 and not info.dirty
    assert lp.read_weights(link)[0] == committed
    info = lp.reset(link, factory=True)
    assert info.generation == 0 and info.active_slot is None
    assert lp.read_weights(link)[0] == ps.factory_payload()
    _, link = power_on(clib, nv)
    assert lp.read_weights(link)[0] == ps.factory_payload()


def test_bad_requests_are_rejected(clib, nv):
    _, link = power_on(clib, nv)
    with pytest.raises(Nack, match="BAD_PAYLOAD"):
        link.request(Cmd.COMMIT, b"\x01")
    with pytest.raises(Nack, match="ODL_ERR_ARG"):  # tensor 3 does not exist
        link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", len(ps.TRAINABLE), 0))
    with pytest.raises(Nack, match="ODL_ERR_ARG"):  # past the end of tensor 0
        link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", 0, 149))
    with pytest.raises(Nack, match="BAD_PAYLOAD"):
        link.request(Cmd.READ_WEIGHTS, b"\x01")
    with pytest.raises(Nack, match="ODL_ERR_ARG"):
        link.request(Cmd.WRITE_WEIGHTS, (ps.PAYLOAD_SIZE).to_bytes(4, "little") + b"\x00")
    with pytest.raises(Nack, match="BAD_PAYLOAD"):
        link.request(Cmd.RESET, b"\x02")
    with pytest.raises(ValueError, match="172 bytes"):
        lp.write_weights(link, b"\x00" * 3)
    assert lp.read_weights(link)[0] == ps.factory_payload()


def test_duplicated_commit_frame_writes_once(clib, nv):
    """The same COMMIT frame twice on the wire (same seq): the second is
    answered from the replay cache; the medium sees one commit."""
    dev, link = power_on(clib, nv)
    lp.write_weights(link, weights(5))
    writes = nv.writes
    wire = encode(Frame(Cmd.COMMIT, 4242, b""))
    dev.push(wire + wire)
    frames = FrameReader().feed(dev.drain())
    assert len(frames) == 2 and all(f.status == 0 and f.seq == 4242 for f in frames)
    assert not frames[0].flags & F_REPLAY and frames[1].flags & F_REPLAY
    assert frames[0].payload == frames[1].payload
    first = lp.parse_commit(frames[0].payload)
    assert first.wrote and first.generation == 1
    info = lp.summary(link)
    assert info.commits_written == 1 and info.generation == 1
    # One commit's worth: one write per trainable tensor, the header body, the magic.
    assert nv.writes - writes == len(ps.TRAINABLE) + 2
    assert dev.store.commits_written == 1


def test_lost_commit_ack_is_retried_without_second_write(clib, nv):
    """The device's first COMMIT answer is lost; the host re-sends the same
    seq and gets the cached answer; generation and writes show one commit."""
    dropped = []

    def drop_first_commit_answer(data: bytes) -> bytes:
        if not dropped and any(f.command == Cmd.COMMIT for f in FrameReader().feed(data)):
            dropped.append(data)
            return b""
        return data

    dev, link = power_on(clib, nv, to_host=drop_first_commit_answer)
    lp.write_weights(link, weights(6))
    result = lp.commit(link, timeout=0.2)
    assert dropped and link.tries_used == 1
    assert result.generation == 1 and result.wrote
    assert dev.store.commits_written == 1 and lp.summary(link).generation == 1


def test_repeated_commit_with_new_seq_is_a_no_op(clib, nv):
    """A host that lost track (e.g. restarted) and commits again: nothing is
    written because the weights equal the active slot."""
    dev, link = power_on(clib, nv)
    lp.write_weights(link, weights(7))
    first = lp.commit(link)
    writes, image = nv.writes, nv.image()
    _, link2 = power_on(clib, nv)
    again = lp.commit(link2)
    assert (again.generation, again.wrote, again.crc) == (first.generation, False, first.crc)
    assert nv.writes == writes and nv.image() == image
