"""Hardware FP16 conversion (VCVTB on the Cortex-M FPU, odl/f16.h) against the
portable integer routines that specify it, on the emulated boards: all 65536
halves widened and ~444k FP32 values narrowed (each half, +-1 ulp, the midpoints
to its neighbours +-1 ulp, subnormals, overflow, infinities, NaN payloads),
starting from a hostile FPSCR that odl_f16_fp_enter() must correct and
odl_f16_fp_leave() restore (bench/fp16_kernels/conv_check.c)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytool.targets import get_board
from pytool.targets.build import memory_ld, toolchain_available

pytestmark = pytest.mark.qemu

ROOT = Path(__file__).resolve().parents[1]


def run_check(board_name: str, out: Path) -> dict[str, tuple[int, int]]:
    board = get_board(board_name)
    if not toolchain_available(board):
        pytest.fail(f"toolchain for {board_name} missing")
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.ld").write_text(memory_ld(board))
    t = ROOT / "targets"
    elf = out / "conv_check.elf"
    subprocess.run([
        board.toolchain_prefix + "gcc", *board.arch_flags, "-std=c99", "-O2", "-ffp-contract=off",
        "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'runtime_c' / 'include'}", f"-I{t / 'common'}",
        str(ROOT / "bench" / "fp16_kernels" / "conv_check.c"), str(board.dir / "startup.c"),
        str(board.dir / "board.c"), str(t / "common" / "cortexm.c"), str(t / "common" / "stack.c"),
        "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections",
        f"-L{out}", f"-L{t / 'common'}", f"-T{board.dir / 'linker.ld'}", "-o", str(elf),
    ], check=True)  # fmt: skip
    q = board.qemu
    text = subprocess.run([q.binary, "-M", q.machine, *q.args, "-nographic", "-monitor", "none", "-serial", "stdio",
                           "-kernel", str(elf)], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "done" in text, text
    return {p[0]: (int(p[1]), int(p[2])) for p in (ln.split() for ln in text.splitlines()) if len(p) == 3}


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_vcvtb_matches_portable_conversion(tmp_path, board):
    got = run_check(board, tmp_path)
    assert got["widen"] == (0, 65536)
    bad, n = got["narrow"]
    assert bad == 0 and n > 400_000
    assert got["fpscr_restored"] == (0, 1)
    if board == "mps3-an547":  # half-precision Helium arithmetic of the arm_mve kernels
        for check in ("mve_fma16", "mve_add16"):
            bad, n = got[check]
            assert bad == 0 and n > 10_000_000, (check, bad, n)
