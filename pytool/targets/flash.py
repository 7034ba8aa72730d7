"""Puts firmware on a target: QEMU boards get a QemuSession, real boards are
programmed through pyOCD."""

from __future__ import annotations

from pathlib import Path

from pytool.targets.board import Board, get_board
from pytool.targets.qemu import QemuSession, check_elf


class NoProbeError(RuntimeError):
    """No debug probe is attached (or not the one asked for)."""


def firmware_elf(build_dir: str | Path) -> Path:
    """firmware.elf inside build_dir, or build_dir itself when it is the ELF."""
    p = Path(build_dir)
    elf = p if p.suffix == ".elf" else p / "firmware.elf"
    if not elf.is_file():
        raise FileNotFoundError(f"no firmware ELF at {elf} (build it with `tinyodl build MODEL --target BOARD -o DIR`)")
    return elf


def flash(build_dir: str | Path, target: str | Board, probe: str | None = None) -> QemuSession | None:
    """QEMU targets: returns an unstarted QemuSession (use it with `with`).
    Real boards: programs the ELF with pyOCD, resets the board, returns None."""
    board = get_board(target)
    elf = firmware_elf(build_dir)
    check_elf(elf, board)
    if board.is_emulated:
        return QemuSession(elf, board)
    if not board.pyocd_target:
        raise ValueError(f"target {board.name} has neither [qemu] nor [pyocd] in its board.toml")
    from pyocd.core.helpers import ConnectHelper
    from pyocd.flash.file_programmer import FileProgrammer

    session = ConnectHelper.session_with_chosen_probe(
        unique_id=probe, target_override=board.pyocd_target, blocking=False
    )
    if session is None:
        raise NoProbeError(f"no debug probe found (looked for {probe or 'any probe'}) to flash {board.name}")
    with session:
        FileProgrammer(session).program(str(elf))
        session.board.target.reset()
    return None
