"""Flash / RAM use of a firmware ELF against a board's memory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pytool.targets.board import Board, get_board


class FirmwareTooLargeError(ValueError):
    """The firmware needs more flash or RAM than the board has."""


def _tool(board: Board, name: str) -> str:
    exe = board.toolchain_prefix + name
    if shutil.which(exe) is None:
        raise FileNotFoundError(f"{exe} not found on PATH (needed to read {board.name} firmware)")
    return exe


def _sections(elf: Path, board: Board) -> dict[str, int]:
    r = subprocess.run([_tool(board, "size"), "-A", "-d", str(elf)], capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError(f"{elf}: not a readable ELF ({r.stderr.strip()})")
    out: dict[str, int] = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def symbols(elf: str | Path, board: str | Board) -> dict[str, int]:
    """Every defined symbol of a firmware ELF with its size (nm -S): which
    functions the link kept (static ones keep their names, e.g. work_pow2_s16)."""
    board = get_board(board) if isinstance(board, str) else board
    r = subprocess.run([_tool(board, "nm"), "-S", "--defined-only", str(elf)], capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError(f"{elf}: not a readable ELF ({r.stderr.strip()})")
    out: dict[str, int] = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[parts[3]] = int(parts[1], 16)
    return out


def _symbol_size(elf: Path, board: Board, name: str) -> int | None:
    return symbols(elf, board).get(name)


def linked_sources(elf: str | Path, board: str | Board) -> list[str]:
    """The source files compiled into a firmware (its DWARF compile units):
    which runtime files the link pulled in, with their folders, which the
    map file cannot tell for archive members of the same name."""
    board = get_board(board) if isinstance(board, str) else board
    r = subprocess.run([_tool(board, "readelf"), "--debug-dump=info", "--dwarf-depth=1", str(elf)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError(f"{elf}: not a readable ELF ({r.stderr.strip()})")
    return [line.rsplit(": ", 1)[-1].strip() for line in r.stdout.splitlines() if "DW_AT_name" in line]


def size_report(elf: str | Path, board: str | Board) -> dict:
    """text/data/bss/stack/arena bytes and flash/RAM use; raises
    FirmwareTooLargeError when they exceed the board's memory."""
    board = get_board(board)
    elf = Path(elf)
    if not elf.is_file():
        raise FileNotFoundError(f"no firmware ELF at {elf}")
    s = _sections(elf, board)
    text = s.get(".text", 0) + s.get(".ARM.exidx", 0) + s.get(".rodata", 0)
    data, bss, stack = s.get(".data", 0), s.get(".bss", 0), s.get(".stack", 0)
    report = {
        "target": board.name,
        "text": text,
        "data": data,
        "bss": bss,
        "stack": stack,
        "arena": _symbol_size(elf, board, "arena") or 0,
        "flash_used": text + data,
        "ram_used": data + bss + stack,
        "flash_size": board.flash_size,
        "ram_size": board.ram_size,
    }
    problems = []
    if report["flash_used"] > board.flash_size:
        problems.append(
            f"flash needs {report['flash_used']} bytes (text {text} + data {data}), board has {board.flash_size}"
        )
    if report["ram_used"] > board.ram_size:
        problems.append(
            f"RAM needs {report['ram_used']} bytes (data {data} + bss {bss} incl. arena {report['arena']}"
            f" + stack {stack}), board has {board.ram_size}"
        )
    if problems:
        raise FirmwareTooLargeError(f"{elf.name} does not fit {board.name}: " + "; ".join(problems))
    return report
