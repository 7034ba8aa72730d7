"""MCU targets without running QEMU: board registry, firmware builds for
every board, size reports and their errors, pyOCD flashing without a probe."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from pytool.targets import (
    FirmwareBuildError,
    FirmwareTooLargeError,
    NoProbeError,
    QemuError,
    QemuSession,
    UnknownTargetError,
    boards,
    build_firmware,
    flash,
    get_board,
    size_report,
)
from pytool.targets.board import TARGETS_DIR
from pytool.targets.build import memory_ld

TINY_MODEL = Path(__file__).parent / "fixtures" / "tiny_model"
EXPECTED = {
    "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "microbit", "netduinoplus2", "riscv32-virt",
    "nucleo-f429zi",
}
BOARDS = sorted(EXPECTED)


def _have(board) -> bool:
    return shutil.which(board.toolchain_prefix + "gcc") is not None and shutil.which("cmake") is not None


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """One firmware (serial-link mode) per board, built once for the module."""
    out = {}
    for b in boards():
        if not _have(b):
            pytest.fail(f"toolchain for {b.name} is missing: {b.toolchain_prefix}gcc")
        out[b.name] = build_firmware(TINY_MODEL, b, tmp_path_factory.mktemp(b.name), mode="link")
    return out


def test_registry_lists_every_board_folder():
    names = {b.name for b in boards()}
    assert names == EXPECTED
    folders = {p.parent.name for p in TARGETS_DIR.glob("*/board.toml")}
    assert names == folders


@pytest.mark.parametrize("name", BOARDS)
def test_board_files_agree(name):
    b = get_board(name)
    for f in ("board.toml", "toolchain.cmake", "linker.ld", "startup.c", "board.c"):
        assert (b.dir / f).is_file(), f"{name}: missing {f}"
    toolchain = (b.dir / "toolchain.cmake").read_text()
    for flag in b.arch_flags:
        assert flag in toolchain, f"{name}: {flag} of board.toml not in toolchain.cmake"
    for flag in (
        "-ffp-contract=off",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
        "-Wextra",
        "-Werror",
    ):
        assert flag in toolchain
    assert "CMAKE_SYSTEM_NAME Generic" in toolchain
    assert "CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY" in toolchain
    assert b.toolchain_prefix + "gcc" in toolchain
    assert b.flash_size > 0 and b.ram_size > b.stack_size > 0
    assert b.is_emulated != (b.pyocd_target is not None)


def test_board_toml_values_are_read():
    raw = tomllib.loads((TARGETS_DIR / "mps2-an386" / "board.toml").read_text())
    b = get_board("mps2-an386")
    assert (b.ram_origin, b.ram_size) == (raw["ram"]["origin"], raw["ram"]["size"])
    assert b.qemu.machine == "mps2-an386" and b.counter_num == raw["counter"]["num"]
    text = memory_ld(b)
    assert f"ORIGIN = {b.ram_origin:#010x}" in text and f"LENGTH = {b.ram_size:#x}" in text
    assert f"__stack_size = {b.stack_size:#x}" in text


def test_real_board_uses_a_builtin_pyocd_target():
    from pyocd.target import TARGET

    b = get_board("nucleo-f429zi")
    assert b.pyocd_target in TARGET


def test_unknown_target_names_the_available_ones():
    with pytest.raises(UnknownTargetError) as e:
        get_board("stm32f999")
    for name in EXPECTED:
        assert name in str(e.value)


@pytest.mark.parametrize("name", BOARDS)
def test_firmware_builds_and_fits(built, name):
    b = get_board(name)
    elf = built[name]
    head = elf.read_bytes()[:20]
    assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == b.elf_machine
    rep = size_report(elf, b)
    assert rep["arena"] == 16  # ODL_MODEL_ARENA_SIZE of the tiny model
    assert rep["stack"] == b.stack_size
    assert 0 < rep["flash_used"] <= b.flash_size and rep["ram_used"] <= b.ram_size
    assert rep["ram_used"] == rep["data"] + rep["bss"] + rep["stack"]
    # Code starts at the board's flash origin (vector table / reset entry).
    sections = subprocess.run(
        [b.toolchain_prefix + "size", "-A", str(elf)], capture_output=True, text=True
    ).stdout
    text_line = next(line.split() for line in sections.splitlines() if line.startswith(".text "))
    assert int(text_line[2]) == b.flash_origin


def test_nucleo_firmware_is_placed_in_its_memories(built):
    b = get_board("nucleo-f429zi")
    r = subprocess.run(["arm-none-eabi-nm", str(built[b.name])], capture_output=True, text=True, check=True)
    syms = {p[2]: int(p[0], 16) for p in (line.split() for line in r.stdout.splitlines()) if len(p) == 3}
    assert syms["vector_table"] == 0x08000000
    assert b.ram_origin <= syms["arena"] < syms["__stack_top"] <= b.ram_origin + b.ram_size
    assert syms["__stack_top"] - syms["__stack_bottom"] == b.stack_size


def test_firmware_links_only_the_models_ops(built):
    # the model names its decoders, so --gc-sections drops every other op
    r = subprocess.run(["arm-none-eabi-nm", str(built["mps2-an386"])], capture_output=True, text=True, check=True)
    syms = {line.split()[-1] for line in r.stdout.splitlines()}
    assert "odl_op_reshape" in syms
    assert not {"odl_op_conv_2d", "odl_op_unidirectional_sequence_lstm", "odl_op_dispatch"} & syms


def test_size_report_names_the_numbers_when_ram_is_too_small(built):
    b = get_board("mps2-an386")
    rep = size_report(built[b.name], b)
    small = dataclasses.replace(b, ram_size=rep["ram_used"] - 1)
    with pytest.raises(FirmwareTooLargeError) as e:
        size_report(built[b.name], small)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert f"RAM needs {rep['ram_used']} bytes" in msg and f"board has {rep['ram_used'] - 1}" in msg


def test_linker_overflow_becomes_a_clear_error(tmp_path):
    b = dataclasses.replace(get_board("riscv32-virt"), ram_size=4096)  # below the 8 KB stack
    with pytest.raises(FirmwareTooLargeError) as e:
        build_firmware(TINY_MODEL, b, tmp_path, mode="selftest")
    assert "RAM" in str(e.value) and "the board has 4096" in str(e.value)


def test_compiler_errors_are_shown(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(TINY_MODEL / "model.h", model / "model.h")
    (model / "model.c").write_text('#include "model.h"\nconst odl_model_t odl_model = { this is not C };\n')
    with pytest.raises(FirmwareBuildError) as e:
        build_firmware(model, "mps3-an547", tmp_path / "out", mode="selftest")
    assert "model.c" in str(e.value) and "error" in str(e.value)


def test_missing_model_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.c"):
        build_firmware(tmp_path, "mps2-an386", tmp_path / "out")


def test_flash_without_probe_reports_it(built):
    with pytest.raises(NoProbeError) as e:
        flash(built["nucleo-f429zi"], "nucleo-f429zi", probe="0668FF000000")
    assert "no debug probe found (looked for 0668FF000000)" in str(e.value)


def test_flash_qemu_target_gives_an_unstarted_session(built):
    s = flash(built["mps2-an386"].parent, "mps2-an386")
    assert isinstance(s, QemuSession) and s.proc is None


def test_qemu_refuses_an_elf_for_another_cpu(built):
    with pytest.raises(QemuError, match="machine 0xf3"):
        QemuSession(built["riscv32-virt"], "mps2-an386")
    with pytest.raises(QemuError, match="not emulated"):
        QemuSession(built["nucleo-f429zi"], "nucleo-f429zi")
