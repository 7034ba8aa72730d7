"""Weight store (runtime_c/src/persist/) on the host: round trips, generation
order, corrupted slots, another model's slots, factory fallback, the byte
layout of docs/store-format.md, and power cuts at every byte of a commit."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from pytool.link import persist_sim as ps

HEADER = 32
MAGIC = b"ODLW"


@pytest.fixture(scope="module")
def clib():
    return ps.boot_module()


@pytest.fixture
def nv(clib):
    return ps.SimNV(*clib)


def boot(clib, nv, other_model: bool = False) -> ps.BootedDevice:
    dev = ps.BootedDevice(*clib, nv, other_model=other_model)
    assert dev.status == 0
    return dev


def random_weights(seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, ps.PAYLOAD_SIZE, dtype=np.uint8).tobytes()


def commit(dev: ps.BootedDevice, data: bytes) -> None:
    dev.set_weights(data)
    status, wrote = dev.commit()
    assert status == 0 and wrote


def parse_slot(image: bytes, slot: int) -> dict | None:
    """The header of a slot as docs/store-format.md specifies it, or None
    when it does not validate (written independently of the C code)."""
    raw = image[slot * ps.SLOT_SIZE : slot * ps.SLOT_SIZE + HEADER]
    if raw[:4] != MAGIC or zlib.crc32(raw[:28]) != struct.unpack_from("<I", raw, 28)[0]:
        return None
    fmt, hsize, model, gen, length, crc, steps = struct.unpack_from("<HHIIIII", raw, 4)
    payload = image[slot * ps.SLOT_SIZE + HEADER : slot * ps.SLOT_SIZE + HEADER + length]
    return {"format": fmt, "header_size": hsize, "model_hash": model, "generation": gen,
            "length": length, "crc": crc, "steps": steps, "payload": payload}


def test_fresh_medium_boots_factory_weights(clib, nv):
    dev = boot(clib, nv)
    assert dev.store.active == -1 and dev.store.generation == 0
    assert dev.weights() == ps.factory_payload()
    # A trainable tensor without init data starts from zeros; the frozen
    # tensor keeps its init data and is no part of the payload.
    assert dev.arena(ps.TRAINABLE[2].offset, 8) == bytes(8)
    assert dev.arena(ps.FROZEN_OFFSET, 12) == bytes(range(1, 13))
    assert dev.store.payload_len == ps.PAYLOAD_SIZE == 148 + 16 + 8


def test_round_trip_and_layout(clib, nv):
    data = random_weights(1)
    commit(boot(clib, nv), data)
    again = boot(clib, nv)
    assert again.weights() == data
    assert (again.store.active, again.store.generation) == (0, 1)
    slot = parse_slot(nv.image(), 0)
    assert slot == {"format": 1, "header_size": HEADER, "model_hash": ps.MODEL_HASH, "generation": 1,
                    "length": ps.PAYLOAD_SIZE, "crc": zlib.crc32(data), "steps": 0, "payload": data}
    assert parse_slot(nv.image(), 1) is None


def test_generations_alternate_slots_and_newest_wins(clib, nv):
    sets = [random_weights(s) for s in range(5)]
    for k, data in enumerate(sets):
        dev = boot(clib, nv)
        commit(dev, data)
        assert (dev.store.active, dev.store.generation) == (k % 2, k + 1)
        after = boot(clib, nv)
        assert after.weights() == data and after.store.generation == k + 1
    gens = {s: parse_slot(nv.image(), s)["generation"] for s in (0, 1)}
    assert gens == {0: 5, 1: 4}


def test_unchanged_weights_are_not_written_again(clib, nv):
    dev = boot(clib, nv)
    commit(dev, random_weights(2))
    writes, image = nv.writes, nv.image()
    status, wrote = dev.commit()
    assert (status, wrote) == (0, False)
    status, wrote = boot(clib, nv).commit()
    assert (status, wrote) == (0, False)
    assert nv.writes == writes and nv.image() == image


def two_generations(clib, nv) -> tuple[bytes, bytes]:
    old, new = random_weights(10), random_weights(11)
    dev = boot(clib, nv)
    commit(dev, old)
    commit(dev, new)
    assert dev.store.active == 1
    return old, new


# Offsets inside a slot: each header field, and payload bytes at the edges.
CORRUPT_AT = {"magic": 0, "format": 4, "header_size": 6, "model_hash": 8, "generation": 12,
              "length": 16, "payload_crc": 20, "steps": 24, "header_crc": 28,
              "payload_first": HEADER, "payload_last": HEADER + ps.PAYLOAD_SIZE - 1}


@pytest.mark.parametrize("where", sorted(CORRUPT_AT))
def test_corrupt_newest_slot_falls_back_to_older(clib, nv, where):
    old, new = two_generations(clib, nv)
    at = ps.SLOT_SIZE + CORRUPT_AT[where]  # slot 1 holds the newest
    nv.poke(at, nv.image()[at] ^ 0x10)
    dev = boot(clib, nv)
    assert dev.weights() == old
    assert (dev.store.active, dev.store.generation) == (0, 1)
    # The next commit must overwrite the broken slot, never the good one.
    commit(dev, random_weights(12))
    assert dev.store.active == 1 and dev.store.generation >= 2
    assert parse_slot(nv.image(), 0)["payload"] == old


@pytest.mark.parametrize("where", ["magic", "header_crc", "payload_first", "payload_last"])
def test_corrupt_older_slot_keeps_newest(clib, nv, where):
    old, new = two_generations(clib, nv)
    at = CORRUPT_AT[where]
    nv.poke(at, nv.image()[at] ^ 0x01)
    dev = boot(clib, nv)
    assert dev.weights() == new and dev.store.generation == 2


def test_both_slots_bad_gives_factory_weights(clib, nv):
    two_generations(clib, nv)
    nv.poke(HEADER + 3, nv.image()[HEADER + 3] ^ 0xFF)
    nv.poke(ps.SLOT_SIZE + 29, nv.image()[ps.SLOT_SIZE + 29] ^ 0x80)
    dev = boot(clib, nv)
    assert dev.weights() == ps.factory_payload()
    assert dev.store.active == -1 and dev.store.generation == 0
    # Generations continue from the headers that still validate: slot 0's
    # (generation 1, bad payload); slot 1's header is broken.
    commit(dev, random_weights(13))
    assert dev.store.generation == 2


def test_other_model_hash_is_never_loaded(clib, nv):
    two_generations(clib, nv)
    other = boot(clib, nv, other_model=True)
    assert other.weights() == ps.factory_payload() and other.store.active == -1
    mine = random_weights(14)
    commit(other, mine)
    assert other.store.generation == 3
    assert boot(clib, nv, other_model=True).weights() == mine
    # The first model now finds only its generation 2, in the other slot.
    back = boot(clib, nv)
    assert back.store.generation == 2 and back.store.active == 1 - other.store.active


def test_rollback_and_factory_reset(clib, nv):
    dev = boot(clib, nv)
    committed = random_weights(15)
    commit(dev, committed)
    dev.set_weights(random_weights(16))  # training moved the weights, not committed
    assert dev.lib.odl_store_load(dev.store) == 0
    assert dev.weights() == committed
    assert dev.lib.odl_store_erase_all(dev.store) == 0
    assert dev.weights() == ps.factory_payload() and dev.store.active == -1
    assert boot(clib, nv).weights() == ps.factory_payload()
    assert parse_slot(nv.image(), 0) is None and parse_slot(nv.image(), 1) is None


def run_cut(clib, nv, prev: bytes, new: bytes, n_ops: int, cut_value: int) -> tuple[bytes, bool]:
    """Commits `new` over a store whose newest is `prev`, cutting power at
    byte operation n_ops; reboots; returns (loaded weights, commit finished)."""
    dev = boot(clib, nv)
    assert dev.weights() == prev
    dev.set_weights(new)
    nv.cut_after(n_ops, cut_value)
    status, _ = dev.commit()
    nv.power_on()
    return boot(clib, nv).weights(), status == 0


@pytest.mark.parametrize("flash", [True, False], ids=["flash", "file"])
@pytest.mark.parametrize("history", [1, 2], ids=["into-empty-slot", "over-older-slot"])
def test_power_cut_at_every_byte_of_a_commit(clib, flash, history):
    """For every byte operation of a commit (sector erase, payload, header)
    and an arbitrary value left in the byte under way, the next boot loads
    exactly the previous or the new weights."""
    ffi, lib = clib
    sets = [random_weights(20 + k) for k in range(history)]

    def fresh() -> ps.SimNV:
        nv = ps.SimNV(ffi, lib, flash=flash)
        dev = boot(clib, nv)
        for data in sets:
            commit(dev, data)
        return nv

    prev, new = sets[-1], random_weights(99)
    probe = fresh()
    before = probe.ops
    commit(boot(clib, probe), new)
    total = probe.ops - before
    assert total == ps.SLOT_SIZE + ps.PAYLOAD_SIZE + HEADER
    outcomes = {"prev": 0, "new": 0}
    for n in range(total + 1):
        nv = fresh()
        loaded, finished = run_cut(clib, nv, prev, new, n, cut_value=(n * 151 + 7))
        assert loaded in (prev, new), f"cut at byte operation {n} of {total} loaded other weights"
        if loaded == new:
            outcomes["new"] += 1
            # Only a cut on the very last magic byte... or after it may keep the new set.
            assert n >= total - 1
        else:
            outcomes["prev"] += 1
            assert not finished
        assert nv.overwrites == 0
    assert outcomes["prev"] >= total - 1 and outcomes["new"] >= 1


def test_power_cut_during_factory_reset(clib):
    ffi, lib = clib
    old, new = random_weights(30), random_weights(31)
    probe = ps.SimNV(ffi, lib)
    dev = boot(clib, probe)
    commit(dev, old)
    commit(dev, new)
    before = probe.ops
    assert lib.odl_store_erase_all(dev.store) == 0
    total = probe.ops - before
    for n in range(0, total, 7):
        nv = ps.SimNV(ffi, lib)
        dev = boot(clib, nv)
        commit(dev, old)
        commit(dev, new)
        nv.cut_after(n, 0x3C)
        lib.odl_store_erase_all(dev.store)
        nv.power_on()
        assert boot(clib, nv).weights() in (new, ps.factory_payload()), f"cut at {n} of {total}"


def test_host_file_driver_persists_across_opens(tmp_path):
    ffi, lib = ps.file_module()
    path = str(tmp_path / "store.bin").encode()

    def open_dev():
        mem = ffi.new("char[]", lib.file_boot_size())
        b = ffi.cast("file_boot_t *", mem)
        assert lib.file_boot(b, path, 4096) == 0
        return mem, b, lib.file_boot_store(b)

    keep, b, st = open_dev()
    assert st.active == -1
    data = random_weights(40)
    assert lib.odl_store_payload_write(st, 0, data, len(data)) == 0
    assert lib.odl_store_commit(st, ffi.NULL) == 0
    lib.file_close(b)
    keep, b, st = open_dev()
    buf = ffi.new("uint8_t[]", ps.PAYLOAD_SIZE)
    assert lib.odl_store_payload_read(st, 0, buf, ps.PAYLOAD_SIZE) == 0
    assert bytes(buf) == data and st.generation == 1
    lib.file_close(b)
    image = (tmp_path / "store.bin").read_bytes()
    assert image[:4] == MAGIC and image[HEADER : HEADER + len(data)] == data
