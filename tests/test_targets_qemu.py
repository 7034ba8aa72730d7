"""Firmware on the QEMU boards: boot, selftest and serial-link inference
give the same bytes as the host build of the same generated C; QEMU is
always stopped (no process left behind)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pytool.targets import QemuSession, boards, build_firmware, get_board, size_report
from pytool.targets.selftest import read_selftest, selftest_input

pytestmark = pytest.mark.qemu

FIXTURES = Path(__file__).parent / "fixtures"
TINY_MODEL = FIXTURES / "tiny_model"
QEMU_BOARDS = [b.name for b in boards() if b.is_emulated]
MODEL = "conv_s1_same_relu"  # int8 conv + fused RELU, per-channel


def qemu_pids_on_port(port: int) -> list[int]:
    """QEMU processes whose command line names this session's TCP port."""
    found = []
    needle = f"tcp:127.0.0.1:{port},".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"qemu-system" in cmd and needle in cmd:
                found.append(int(entry.name))
    return found


def assert_stopped(q: QemuSession) -> None:
    assert q.proc.poll() is not None
    assert qemu_pids_on_port(q.port) == []
    with pytest.raises(ProcessLookupError):
        os.killpg(q.proc.pid, 0)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from pytool import compile_model, load_host

    art = compile_model(FIXTURES / "models" / f"{MODEL}.tflite", out_dir=tmp_path_factory.mktemp("model"))
    return art.dir, load_host(art)


@pytest.mark.parametrize("name", QEMU_BOARDS)
def test_selftest_boots_and_matches_the_tiny_model(tmp_path, name):
    board = get_board(name)
    elf = build_firmware(TINY_MODEL, board, tmp_path, mode="selftest")
    with QemuSession(elf, board, timeout=15) as q:
        r, text = read_selftest(q.open_serial(), timeout=15)
        code = q.wait(15)
    assert_stopped(q)
    assert r.complete, text
    assert (r.target, r.status, code) == (name, "ODL_OK", 0)
    # RESHAPE copies its input: the output is the selftest input pattern.
    assert r.outputs == [selftest_input("int8", 6).tobytes()]
    assert 0 < r.counter < 10_000
    assert 0 < r.stack < board.stack_size
    assert r.arena == 16


@pytest.mark.parametrize("name", QEMU_BOARDS)
def test_link_inference_matches_host(tmp_path, compiled, name):
    from pytool.link import Link

    model_dir, host = compiled
    board = get_board(name)
    elf = build_firmware(model_dir, board, tmp_path, mode="link")
    size_report(elf, board)
    spec = host.inputs[0]
    rng = np.random.default_rng(7)
    xs = [rng.integers(-128, 128, size=spec.shape, dtype=np.int8) for _ in range(2)]
    with QemuSession(elf, board, timeout=15) as q, Link(q.url, timeout=5.0) as link:
        info = link.info()
        assert info.target == name
        assert info.arena_size == host.arena_size
        for x in xs:
            y = link.infer(x)
            assert y.dtype == np.int8
            np.testing.assert_array_equal(y.reshape(-1), np.asarray(host.invoke(x)).reshape(-1))
        st = link.stats()
    assert_stopped(q)
    assert st.invokes == 2
    assert st.counter and st.counter > 1000  # a conv runs thousands of instructions
    assert 0 < st.stack_high_water < board.stack_size


def test_selftest_of_a_compiled_model_matches_host(tmp_path, compiled):
    model_dir, host = compiled
    elf = build_firmware(model_dir, "riscv32-virt", tmp_path, mode="selftest")
    with QemuSession(elf, "riscv32-virt", timeout=15) as q:
        r, text = read_selftest(q.open_serial(), timeout=15)
        assert q.wait(15) == 0, text
    spec = host.inputs[0]
    x = selftest_input(spec.dtype, int(np.prod(spec.shape))).reshape(spec.shape)
    assert r.status == "ODL_OK" and r.outputs == [np.asarray(host.invoke(x)).tobytes()]


def test_interrupt_inside_the_session_kills_qemu(tmp_path):
    elf = build_firmware(TINY_MODEL, "mps2-an386", tmp_path, mode="link")
    with pytest.raises(KeyboardInterrupt):
        with QemuSession(elf, "mps2-an386") as q:
            assert q.proc.poll() is None and qemu_pids_on_port(q.port) == [q.proc.pid]
            raise KeyboardInterrupt
    assert_stopped(q)
