"""Weight store on emulated boards: the firmware keeps committed weights in
a host file through semihosting. QEMU is killed (SIGKILL) at random
instants while the host writes weights and commits; after every restart the
device's weights (READ_WEIGHTS hash) are exactly the previous or the new
committed set. Also: drivers cross-compile, and a duplicated COMMIT frame
on a real UART writes once."""

from __future__ import annotations

import hashlib
import inspect
import os
import random
import shutil
import signal
import struct
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from pytool.link import Cmd, Frame, Link
from pytool.link import persist as lp
from pytool.link import persist_sim as ps
from pytool.link.protocol import F_REPLAY, FrameReader, encode
from pytool.targets import QemuSession, build_firmware, get_board
from pytool.targets import build as fw_build

pytestmark = pytest.mark.qemu

ROOT = Path(__file__).resolve().parents[1]
EXTRA = 128 * 1024  # a large trainable tensor: a commit spans many semihosting calls
PAYLOAD = ps.PAYLOAD_SIZE + EXTRA
STORE_FILE = "odl_store.bin"  # nv_semihost.c's default, relative to QEMU's cwd
SLOT = 0x100000  # nv_semihost.c's default slot size
RUNS = 50
# Semihosting switched on, for boards whose board.toml does not do it already.
SEMIHOST_ARGS = ("-semihosting-config", "enable=on,target=native")


# Boot-time hook-up of the store in targets/common/main.c and the NV driver
# source in targets/firmware.cmake (docs/design/persist.md). Until the
# firmware tree carries it, the tests build from a copy with it applied.
MAIN_INCLUDES = '#include "nv_board.h"\n#include "odl/persist.h"\n'
MAIN_BOOT = """    /* Committed weights replace the factory ones before anything runs; a
     * model without trainable tensors touches no medium at all. */
    static odl_store_t store;
    int persist = 0;
    if (ctx.ready && odl_store_payload_size(&odl_model) > 0) {
        odl_nv_driver_t nv;
        persist = board_nv_init(&nv) == ODL_OK && odl_store_init(&store, &ctx, &nv) == ODL_OK &&
                  odl_store_load(&store) == ODL_OK;
    }
"""
MAIN_REGISTER = "    if (persist) (void)odl_persist_register(&server, &store);\n"
CMAKE_NV = """# Weight-store medium: the board's flash driver, else a semihosting file.
if(EXISTS ${ODL_BOARD_DIR}/nv_flash.c)
  list(APPEND ODL_FW_SOURCES ${ODL_BOARD_DIR}/nv_flash.c)
else()
  list(APPEND ODL_FW_SOURCES ${ODL_TARGETS_DIR}/common/nv_semihost.c)
endif()
"""


def _insert(text: str, anchor: str, addition: str, before: bool, what: str) -> str:
    if text.count(anchor) != 1:
        raise AssertionError(f"{what}: anchor {anchor!r} not found exactly once")
    return text.replace(anchor, addition + anchor if before else anchor + addition)


def targets_with_store(dest: Path) -> Path:
    """targets/ itself when its firmware already boots the store, else a
    copy of it with the hook-up applied."""
    main_c = (ROOT / "targets/common/main.c").read_text()
    if "odl_persist_register" in main_c:
        return ROOT / "targets"
    tree = dest / "targets"
    shutil.copytree(ROOT / "targets", tree)
    main_c = _insert(main_c, '#include "odl/link.h"\n', MAIN_INCLUDES, False, "main.c")
    main_c = _insert(main_c, "    (void)odl_init(&ctx, &odl_model, arena, sizeof arena);\n", MAIN_BOOT, False, "main.c")
    main_c = _insert(main_c, "    odl_link_server_init(&server, &ctx, &io, ODL_TARGET_NAME);\n", MAIN_REGISTER, False,
                     "main.c")
    (tree / "common/main.c").write_text(main_c)
    cmake = (tree / "firmware.cmake").read_text()
    if "nv_semihost.c" not in cmake:
        cmake = _insert(cmake, 'if(CMAKE_SYSTEM_PROCESSOR STREQUAL "arm")', CMAKE_NV, True, "firmware.cmake")
        (tree / "firmware.cmake").write_text(cmake)
    return tree


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    model = ps.write_model_dir(tmp_path_factory.mktemp("persist_model"), EXTRA)
    tree = targets_with_store(tmp_path_factory.mktemp("fw_tree"))
    built = {}

    def get(board: str) -> Path:
        if board not in built:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(fw_build, "TARGETS_DIR", tree)
                built[board] = build_firmware(model, board, tmp_path_factory.mktemp(board), mode="link",
                                              runtime_dir=ROOT / "runtime_c")
        return built[board]

    return get


def session(elf: Path, board: str, store_dir: Path) -> QemuSession:
    """QEMU running in store_dir, where the semihosted store file lives."""
    kw = {}
    if "cwd" in inspect.signature(QemuSession).parameters:
        kw["cwd"] = store_dir
    qemu_args = " ".join(get_board(board).qemu.args)
    extra = SEMIHOST_ARGS if "-semihosting-config" not in qemu_args else ()
    return QemuSession(elf, board, timeout=10, extra_args=extra, **kw)


def hash_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slot_generations(image: bytes) -> dict[int, int]:
    """Generation of each slot whose header and payload validate
    (docs/store-format.md, read independently of the C code)."""
    out = {}
    for k in (0, 1):
        raw = image[k * SLOT : k * SLOT + 32]
        if len(raw) < 32 or raw[:4] != b"ODLW" or zlib.crc32(raw[:28]) != struct.unpack_from("<I", raw, 28)[0]:
            continue
        _fmt, _hs, _model, gen, length, crc, _steps = struct.unpack_from("<HHIIIII", raw, 4)
        if zlib.crc32(image[k * SLOT + 32 : k * SLOT + 32 + length]) == crc:
            out[k] = gen
    return out


def patch(rng: random.Random) -> tuple[int, bytes]:
    """A random change of 64 bytes somewhere in the weights."""
    off = rng.randrange(0, PAYLOAD - 64)
    return off, rng.randbytes(64)


@pytest.mark.parametrize("board", ["mps2-an386", "riscv32-virt"])
def test_weights_survive_reboot(firmware, tmp_path, monkeypatch, board):
    monkeypatch.chdir(tmp_path)
    elf = firmware(board)
    with session(elf, board, tmp_path) as q, Link(q.open_serial(), timeout=2.0) as link:
        info = lp.summary(link)
        assert info.payload_len == PAYLOAD and info.generation == 0
        assert lp.read_weights(link)[0] == ps.factory_payload(EXTRA)
        new = bytearray(ps.factory_payload(EXTRA))
        new[100:164] = bytes(range(64))
        new[-64:] = bytes(range(64, 128))
        lp.write_weights(link, bytes(new))
        result = lp.commit(link)
        assert result.wrote and result.generation == 1
    assert slot_generations((tmp_path / STORE_FILE).read_bytes()) == {0: 1}
    with session(elf, board, tmp_path) as q, Link(q.open_serial(), timeout=2.0) as link:
        assert lp.summary(link).generation == 1
        assert lp.read_weights(link)[0] == bytes(new)


def kill(q: QemuSession) -> None:
    """Power cut: SIGKILL, no chance to flush or finish anything."""
    try:
        os.killpg(q.proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    q.proc.wait(5)


def device_crc(link: Link) -> int:
    """CRC-32 of the device's weights in RAM (READ_WEIGHTS digest)."""
    crc, total, _ = lp.digest(link)
    assert total == PAYLOAD
    return crc


def test_random_power_cuts_during_commit(firmware, tmp_path, monkeypatch):
    """RUNS boots; each checks the weights by the device's READ_WEIGHTS
    digest (the host wrote every byte, so it knows both candidate sets),
    patches them, sends COMMIT and kills QEMU after a delay. The first delays
    climb a ladder until a commit finishes; later ones are uniform between
    the longest delay that left the medium untouched and the shortest that
    let the commit finish, so most kills land inside the commit."""
    monkeypatch.chdir(tmp_path)
    board = "mps2-an386"
    elf = firmware(board)
    rng = random.Random(20261124)
    ladder = [0.001 * 2**k for k in range(10)]
    lo, hi = 0.0, None  # delays known to fall before / after the commit
    previous = new = ps.factory_payload(EXTRA)
    outcomes = {"previous": 0, "new": 0, "cut inside the commit": 0}
    store = tmp_path / STORE_FILE
    for run in range(RUNS):
        with session(elf, board, tmp_path) as q:
            link = Link(q.open_serial(), timeout=2.0)
            crc = device_crc(link)
            assert crc in (zlib.crc32(previous), zlib.crc32(new)), (
                f"run {run}: weights after restart are neither the previous nor the new set")
            if run:
                outcomes["new" if crc == zlib.crc32(new) else "previous"] += 1
            data = new if crc == zlib.crc32(new) else previous
            before = slot_generations(store.read_bytes()) if store.exists() else {}
            off, chunk = patch(rng)
            previous, new = data, data[:off] + chunk + data[off + 64 :]
            link.request(Cmd.WRITE_WEIGHTS, struct.pack("<I", off) + chunk)
            delay = ladder[min(run, len(ladder) - 1)] if hi is None else rng.uniform(lo, hi)
            link.port.write(encode(Frame(Cmd.COMMIT, 0x1000 + run, b"")))
            time.sleep(delay)
            kill(q)
            link.close()
        after = slot_generations(store.read_bytes())
        if max(after.values(), default=0) > max(before.values(), default=0):
            hi = delay if hi is None else min(hi, delay)
        elif after == before:
            lo = max(lo, delay)
        # The older slot is erased first: a kill inside the commit leaves
        # one valid slot where there were two.
        if len(after) < len(before):
            outcomes["cut inside the commit"] += 1
        if hi is not None and hi - lo < 0.002:  # keep the window wider than the kill's jitter
            lo, hi = max(0.0, lo - 0.001), hi + 0.001
    with session(elf, board, tmp_path) as q, Link(q.open_serial(), timeout=2.0) as link:
        data, digest = lp.read_weights(link)
        assert digest in (hash_of(previous), hash_of(new))
    print(f"power cuts: {outcomes}, commit between {lo * 1e3:.1f} and {(hi or 0) * 1e3:.1f} ms after sending")
    assert outcomes["cut inside the commit"] >= 5, outcomes
    assert outcomes["new"] >= 1 and outcomes["previous"] >= 10, outcomes


def test_duplicated_commit_frame_on_qemu_writes_once(firmware, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    board = "mps2-an386"
    with session(firmware(board), board, tmp_path) as q:
        ser = q.open_serial()
        link = Link(ser, timeout=2.0)
        link.request(Cmd.WRITE_WEIGHTS, struct.pack("<I", 5) + b"\x11" * 32)
        wire = encode(Frame(Cmd.COMMIT, 777, b""))
        ser.write(wire + wire)
        reader, frames = FrameReader(), []
        deadline = time.monotonic() + 5
        while len(frames) < 2 and time.monotonic() < deadline:
            frames += [f for f in reader.feed(ser.read(max(1, ser.in_waiting))) if f.command == Cmd.COMMIT]
        assert len(frames) == 2 and frames[1].flags & F_REPLAY and frames[0].payload == frames[1].payload
        info = lp.summary(link)
        assert info.commits_written == 1 and info.generation == 1
        assert info.bytes_written == lp.parse_commit(frames[0].payload).bytes_written == PAYLOAD + 32


@pytest.mark.parametrize(("compiler", "flags", "source"), [
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
     "targets/nucleo-f429zi/nv_flash.c"),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"], "targets/common/nv_semihost.c"),
    ("riscv64-unknown-elf-gcc", ["-march=rv32imafc", "-mabi=ilp32f", "--specs=picolibc.specs"],
     "targets/common/nv_semihost.c"),
])  # fmt: skip
def test_nv_drivers_cross_compile_warning_free(tmp_path, compiler, flags, source):
    for src in (source, "runtime_c/src/persist/store.c", "runtime_c/src/persist/link_persist.c"):
        r = subprocess.run(
            [compiler, *flags, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "runtime_c/include"),
             "-I", str(ROOT / "targets/common"), "-c", str(ROOT / src), "-o", str(tmp_path / "x.o")],
            capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, f"{compiler} {src}:\n{r.stderr}"



DIGITS = ROOT / "examples" / "digits"
TRAIN_RUNS = 12


@pytest.fixture(scope="module")
def trained_firmware(tmp_path_factory):
    """The digits model with forward-gradient training on mps2-an386."""
    from pytool import compile_model
    from pytool.training import TrainSpec

    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=2.0, epsilon=4.0, directions=4, seed=3)
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=tmp_path_factory.mktemp("fg"), train=spec)
    tree = targets_with_store(tmp_path_factory.mktemp("fg_tree"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fw_build, "TARGETS_DIR", tree)
        elf = build_firmware(art.dir, "mps2-an386", tmp_path_factory.mktemp("fg_fw"), mode="link",
                             runtime_dir=ROOT / "runtime_c")
    return elf, art


def test_random_power_cuts_while_training_and_committing(trained_firmware, tmp_path, monkeypatch):
    """Each run trains a few steps, commits, keeps training and is killed at
    a random instant in that stretch; the restarted device holds exactly the
    last or the new committed weights, never a half-trained or torn set."""
    from pytool.link import train as link_train
    from pytool.training.loop import load_dataset

    monkeypatch.chdir(tmp_path)
    elf, art = trained_firmware
    rng = random.Random(77)
    previous = new = None
    samples = None
    outcomes = {"previous": 0, "new": 0}
    for run in range(TRAIN_RUNS):
        with session(elf, "mps2-an386", tmp_path) as q:
            link = Link(q.open_serial(), timeout=2.0)
            if samples is None:
                samples = load_dataset(DIGITS / "field.npz", link.info().inputs[0])
            data, digest = lp.read_weights(link)
            if previous is None:
                previous = new = data  # factory weights at the first boot
            assert digest in (hash_of(previous), hash_of(new)), (
                f"run {run}: weights after restart are neither the previous nor the new committed set")
            if run:
                outcomes["new" if data == new and new != previous else "previous"] += 1
            for _ in range(rng.randint(1, 3)):
                k = rng.randrange(len(samples))
                link_train.train_step(link, samples.x[k], int(samples.y[k]))
            previous, (new, _) = data, lp.read_weights(link)
            assert new != previous, "training did not move the weights"
            # COMMIT, then more TRAIN frames queued behind it: the kill lands
            # in the commit or in training that follows it.
            wire = encode(Frame(Cmd.COMMIT, 0x2000 + run, b""))
            for i in range(3):
                k = rng.randrange(len(samples))
                payload = struct.pack("<i", int(samples.y[k])) + np.ascontiguousarray(samples.x[k]).tobytes()
                wire += encode(Frame(Cmd.TRAIN, 0x2100 + 4 * run + i, payload))
            link.port.write(wire)
            time.sleep(rng.uniform(0.0, 0.03))
            kill(q)
            link.close()
    print(f"power cuts while training: {outcomes}")
    assert outcomes["new"] >= 1, outcomes
