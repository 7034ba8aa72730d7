"""Board registry: one targets/<name>/board.toml per board."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pytool.paths import ROOT, TARGETS_DIR  # noqa: F401  (ROOT re-exported)


class UnknownTargetError(ValueError):
    """A target name that no board.toml defines."""


class BoardConfigError(ValueError):
    """A board.toml that lacks a field or has a wrong one."""


@dataclass(frozen=True)
class QemuConfig:
    binary: str
    machine: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    arch: str  # "arm" | "riscv"
    cpu: str
    arch_flags: tuple[str, ...]
    toolchain_prefix: str
    stack_size: int
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    counter_kind: str
    counter_unit: str
    counter_num: int
    counter_den: int
    exit: str
    uart: dict = field(default_factory=dict)
    qemu: QemuConfig | None = None
    pyocd_target: str | None = None
    # Serial-link payload bound (ODL_LINK_MAX_PAYLOAD); small-RAM boards lower it.
    link_max_payload: int = 4096
    dir: Path = TARGETS_DIR

    @property
    def is_emulated(self) -> bool:
        return self.qemu is not None

    @property
    def elf_machine(self) -> int:
        """ELF e_machine the firmware must carry."""
        return {"arm": 0x28, "riscv": 0xF3}[self.arch]


def _need(data: dict, key: str, path: Path):
    if key not in data:
        raise BoardConfigError(f"{path}: missing field '{key}'")
    return data[key]


def _link_payload(d: dict, path: Path) -> int:
    value = d.get("link_max_payload", 4096)
    if not isinstance(value, int) or not 256 <= value <= 65535:
        raise BoardConfigError(f"{path}: link_max_payload must be an integer in [256, 65535], not {value!r}")
    return value


def load_board(path: Path) -> Board:
    path = Path(path)
    with path.open("rb") as f:
        d = tomllib.load(f)
    flash, ram = _need(d, "flash", path), _need(d, "ram", path)
    counter = _need(d, "counter", path)
    qemu = None
    if "qemu" in d:
        q = d["qemu"]
        qemu = QemuConfig(_need(q, "binary", path), _need(q, "machine", path), tuple(q.get("args", ())))
    arch = _need(d, "arch", path)
    if arch not in ("arm", "riscv"):
        raise BoardConfigError(f"{path}: arch must be 'arm' or 'riscv', not {arch!r}")
    if qemu is None and "pyocd" not in d:
        raise BoardConfigError(f"{path}: a board needs a [qemu] or a [pyocd] section")
    return Board(
        name=_need(d, "name", path),
        description=d.get("description", ""),
        arch=arch,
        cpu=_need(d, "cpu", path),
        arch_flags=tuple(_need(d, "arch_flags", path)),
        toolchain_prefix=_need(d, "toolchain_prefix", path),
        stack_size=int(_need(d, "stack_size", path)),
        flash_origin=int(_need(flash, "origin", path)),
        flash_size=int(_need(flash, "size", path)),
        ram_origin=int(_need(ram, "origin", path)),
        ram_size=int(_need(ram, "size", path)),
        counter_kind=_need(counter, "kind", path),
        counter_unit=counter.get("unit", "instructions"),
        counter_num=int(counter.get("num", 1)),
        counter_den=int(counter.get("den", 1)),
        exit=_need(d, "exit", path),
        uart=dict(_need(d, "uart", path)),
        qemu=qemu,
        pyocd_target=d.get("pyocd", {}).get("target"),
        link_max_payload=_link_payload(d, path),
        dir=path.parent,
    )


def boards(targets_dir: Path = TARGETS_DIR) -> list[Board]:
    """Every board under targets/, sorted by name."""
    out = [load_board(p) for p in sorted(Path(targets_dir).glob("*/board.toml"))]
    for b in out:
        if b.name != b.dir.name:
            raise BoardConfigError(
                f"{b.dir / 'board.toml'}: name {b.name!r} differs from its folder {b.dir.name!r}"
            )
    return out


def get_board(target: str | Board) -> Board:
    if isinstance(target, Board):
        return target
    known = {b.name: b for b in boards()}
    if target not in known:
        raise UnknownTargetError(f"unknown target {target!r}; available: {', '.join(sorted(known))}")
    return known[target]
