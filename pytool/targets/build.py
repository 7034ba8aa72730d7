"""Cross-builds firmware (runtime + generated model + board support) with
CMake, through the stand-alone project in targets/CMakeLists.txt."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

from pytool.paths import cache_dir
from pytool.targets.board import ROOT, TARGETS_DIR, Board, boards, get_board
from pytool.targets.size import FirmwareTooLargeError

LINK_HEADER = ROOT / "runtime_c" / "include" / "odl" / "link.h"
FIRMWARE_MODES = ("link", "selftest", "profile")


class ToolchainMissingError(RuntimeError):
    """A compiler, CMake or the build tool is not installed."""


class FirmwareBuildError(RuntimeError):
    """CMake or the compiler failed; the message carries their output."""


def toolchain_available(board: Board) -> bool:
    return shutil.which(board.toolchain_prefix + "gcc") is not None


def _require_tools(board: Board) -> list[str]:
    if shutil.which("cmake") is None:
        raise ToolchainMissingError("cmake not found on PATH (needed to build firmware)")
    if not toolchain_available(board):
        usable = [b.name for b in boards() if toolchain_available(b)]
        raise ToolchainMissingError(
            f"{board.toolchain_prefix}gcc not found on PATH (needed for target {board.name}); "
            f"targets whose toolchain is installed: {', '.join(usable) or 'none'}"
        )
    if shutil.which("ninja"):
        return ["-G", "Ninja"]
    if shutil.which("make"):
        return ["-G", "Unix Makefiles"]
    raise ToolchainMissingError("neither ninja nor make found on PATH")


def memory_ld(board: Board) -> str:
    """MEMORY regions and the stack size, from board.toml (one source of sizes)."""
    return (
        f"/* Generated from targets/{board.name}/board.toml. */\n"
        "MEMORY\n{\n"
        f"    FLASH (rx) : ORIGIN = {board.flash_origin:#010x}, LENGTH = {board.flash_size:#x}\n"
        f"    RAM (rwx) : ORIGIN = {board.ram_origin:#010x}, LENGTH = {board.ram_size:#x}\n"
        "}\n"
        f"__stack_size = {board.stack_size:#x};\n"
    )


# Optimised kernel folders: runtime_c/src/kernels/<dtype>/<family>/.
KERNEL_FAMILIES = ("arm_dsp", "arm_mve", "arm_fp")
KERNELS_DIR = ROOT / "runtime_c" / "src" / "kernels"


def kernel_families(value: object, where: str) -> tuple[str, ...]:
    """A `kernels` value (a family, a list of families, "" or [] for the
    portable kernels) as a tuple of known families; `where` names the source
    in errors."""
    items = ([value] if value else []) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(f, str) for f in items):
        raise ValueError(f"{where}: kernels must be a family name or a list of them, not {value!r}")
    for family in items:
        if family not in KERNEL_FAMILIES:
            raise ValueError(f"{where}: kernels must be among {KERNEL_FAMILIES}, not {family!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"{where}: kernels lists a family twice: {value!r}")
    return tuple(items)


def board_kernel_families(board: Board) -> tuple[str, ...]:
    """Every optimised kernel family a board's board.toml names (`kernels`)."""
    path = board.dir / "board.toml"
    with path.open("rb") as f:
        return kernel_families(tomllib.load(f).get("kernels", ""), str(path))


def board_kernels(board: Board, dtype: str = "int8") -> str:
    """The family a board uses for its <dtype> kernels (int8, fp16), or "" for
    the portable ones: the last listed family that has <dtype> kernels (a
    later family's files replace an earlier one's, cmake/odl_sources.cmake)."""
    for family in reversed(board_kernel_families(board)):
        if (KERNELS_DIR / dtype / family).is_dir():
            return family
    return ""


def default_mode() -> str:
    return "link" if LINK_HEADER.exists() else "selftest"


_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")


def _run(cmd: list[str], what: str, board: Board) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 0:
        return
    out = (r.stdout + r.stderr).strip()
    m = _OVERFLOW.search(out)
    if m:
        region, over = m.group(1), int(m.group(2))
        size = board.ram_size if region == "RAM" else board.flash_size
        raise FirmwareTooLargeError(
            f"firmware does not fit {board.name}: {region} needs {size + over} bytes, "
            f"the board has {size} (over by {over})"
        )
    # Ninja's progress lines bury the compiler's message: keep the rest.
    lines = [ln for ln in out.splitlines() if not re.match(r"\[\d+/\d+\] ", ln)]
    shown = "\n".join(lines[-80:])
    raise FirmwareBuildError(f"{what} failed for target {board.name} (exit {r.returncode}):\n{shown}")


def _runtime_key(board: Board, generator: list[str], args: list[str], runtime_dir: Path) -> str:
    """A hash of everything that shapes the runtime archive: every runtime
    source and header byte, the CMake scripts, the board's toolchain file,
    the configure arguments and the compiler's version."""
    h = hashlib.sha256(json.dumps(generator + args).encode())
    files = sorted(p for p in runtime_dir.rglob("*") if p.is_file() and p.suffix in (".c", ".h"))
    files += [ROOT / "cmake" / "odl_sources.cmake", TARGETS_DIR / "firmware.cmake",
              TARGETS_DIR / "CMakeLists.txt", board.dir / "toolchain.cmake"]
    for f in files:
        h.update(str(f.relative_to(runtime_dir) if f.is_relative_to(runtime_dir) else f.name).encode())
        h.update(f.read_bytes())
    cc = subprocess.run([board.toolchain_prefix + "gcc", "--version"], capture_output=True, text=True)
    h.update(cc.stdout.encode())
    return h.hexdigest()[:20]


def runtime_library(board: Board, generator: list[str], args: list[str], runtime_dir: Path) -> Path:
    """The runtime compiled once per board, kernel families and source
    content into libodl_runtime.a under the user's cache, so each model's
    firmware compiles only model.c and the board files. Parallel builders
    of the same archive wait on a lock instead of compiling it twice."""
    root = cache_dir() / "firmware-runtime"
    lib = root / _runtime_key(board, generator, args, runtime_dir) / "libodl_runtime.a"
    if lib.exists():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{board.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if lib.exists():
            return lib
        work = Path(tempfile.mkdtemp(prefix="odl_fwrt_", dir=root))
        try:
            _run(["cmake", "-S", str(TARGETS_DIR), "-B", str(work), *generator, *args,
                  "-DODL_RUNTIME_ONLY=ON"], "CMake configure (runtime library)", board)
            _run(["cmake", "--build", str(work), "--target", "odl_runtime"], "runtime library build", board)
            lib.parent.mkdir(parents=True, exist_ok=True)
            part = lib.with_name(f"libodl_runtime.{os.getpid()}.a")
            shutil.copyfile(work / "libodl_runtime.a", part)
            os.replace(part, lib)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return lib


def build_firmware(
    model_dir: str | Path,
    target: str | Board,
    out_dir: str | Path,
    mode: str | None = None,
    runtime_dir: str | Path | None = None,
    kernels: str | list[str] | tuple[str, ...] | None = None,
) -> Path:
    """Builds <out_dir>/firmware.elf for the model in model_dir (model.c +
    model.h). mode: 'link' (serve the serial link), 'profile' (a selftest
    timing each op) or 'selftest' (one
    inference, report over the UART, exit); default: link once
    runtime_c/include/odl/link.h exists. runtime_dir: another runtime_c tree.
    kernels: optimised kernel family ("arm_dsp"), a list of them
    (["arm_dsp", "arm_mve"]) or "" for the portable kernels; default: the
    board's `kernels` key."""
    board = get_board(target)
    mode = mode or default_mode()
    if mode not in FIRMWARE_MODES:
        raise ValueError(f"firmware mode must be one of {FIRMWARE_MODES}, not {mode!r}")
    families = board_kernel_families(board) if kernels is None else kernel_families(kernels, "build_firmware")
    model_dir = Path(model_dir).resolve()
    for f in ("model.c", "model.h"):
        if not (model_dir / f).is_file():
            raise FileNotFoundError(f"{model_dir} has no {f} (expected a generated model directory)")
    generator = _require_tools(board)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    mem = out_dir / "memory.ld"
    if not mem.exists() or mem.read_text() != memory_ld(board):
        mem.write_text(memory_ld(board))

    defines = [
        f"ODL_COUNTER_NUM={board.counter_num}u",
        f"ODL_COUNTER_DEN={board.counter_den}u",
        f'ODL_TARGET_NAME="{board.name}"',
        f"ODL_LINK_MAX_PAYLOAD={board.link_max_payload}",
    ]
    runtime_args = [
        f"-DCMAKE_TOOLCHAIN_FILE={board.dir / 'toolchain.cmake'}",
        f"-DODL_BOARD={board.name}",
        f"-DODL_BOARD_DEFINES={';'.join(defines)}",
        f"-DODL_KERNEL_FAMILY={';'.join(families)}",
    ]
    runtime_root = ROOT / "runtime_c" if runtime_dir is None else Path(runtime_dir).resolve()
    if runtime_dir is not None:
        runtime_args.append(f"-DODL_RUNTIME_DIR={runtime_root}")
    lib = runtime_library(board, generator, runtime_args, runtime_root)
    args = [
        *runtime_args,
        f"-DODL_RUNTIME_LIB={lib}",
        f"-DODL_MODEL_DIR={model_dir}",
        f"-DODL_MEMORY_LD_DIR={out_dir}",
        f"-DODL_FW_MODE={mode}",
    ]
    build_dir = out_dir / "cmake"
    stamp = build_dir / "odl-configure.json"
    key = json.dumps(generator + args)
    if not stamp.exists() or stamp.read_text() != key:
        if build_dir.exists():
            shutil.rmtree(build_dir)
        _run(
            ["cmake", "-S", str(TARGETS_DIR), "-B", str(build_dir), *generator, *args],
            "CMake configure",
            board,
        )
        stamp.write_text(key)
    _run(["cmake", "--build", str(build_dir)], "firmware build", board)
    built = build_dir / "firmware.elf"
    elf = out_dir / "firmware.elf"
    shutil.copyfile(built, elf)
    return elf
