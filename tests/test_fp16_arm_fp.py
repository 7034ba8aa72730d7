"""FP16 training kernels for Cortex-M FPUs (runtime_c/src/kernels/fp16/arm_fp/)
against the portable kernels they replace, on the emulated Cortex-M4F:
random shapes and geometries (FC, CONV_2D with strides, dilation, padding,
every fused activation; MAX_POOL_2D), random binary16 data with signed zeros, subnormals
and some inf / NaN, all three passes compared byte for byte
(bench/fp16_kernels/prop_check.c); the same on the Cortex-M55 for arm_mve,
which uses them for FC and small convolutions. Training through them over the link is
covered by tests/test_fp16_qemu.py (mps2-an386 builds arm_fp)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytool.targets import get_board
from pytool.targets.build import memory_ld

pytestmark = pytest.mark.qemu

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ROOT / "runtime_c" / "src" / "kernels" / "fp16"


def run_prop_check(board_name: str, family: str, files: list[str], out: Path,
                   defines: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    board = get_board(board_name)
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.ld").write_text(memory_ld(board))
    t = ROOT / "targets"
    elf = out / "prop_check.elf"
    subprocess.run([
        board.toolchain_prefix + "gcc", *board.arch_flags, "-std=c99", "-O2", "-ffp-contract=off",
        "-Wall", "-Wextra", "-Werror", *defines, f"-I{ROOT / 'runtime_c' / 'include'}", f"-I{t / 'common'}",
        str(ROOT / "bench" / "fp16_kernels" / "prop_check.c"), *(str(KERNELS / family / f) for f in files),
        str(KERNELS / "f16_math.c"), str(board.dir / "startup.c"), str(board.dir / "board.c"),
        str(t / "common" / "cortexm.c"), str(t / "common" / "stack.c"),
        "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections",
        f"-L{out}", f"-L{t / 'common'}", f"-T{board.dir / 'linker.ld'}", "-o", str(elf),
    ], check=True)  # fmt: skip
    q = board.qemu
    text = subprocess.run([q.binary, "-M", q.machine, *q.args, "-nographic", "-monitor", "none", "-serial", "stdio",
                           "-kernel", str(elf)], capture_output=True, text=True, timeout=300, check=True).stdout
    assert "done" in text, text
    return {p[0]: (int(p[1]), int(p[2])) for p in (ln.split() for ln in text.splitlines()) if len(p) == 3}


@pytest.mark.parametrize("board,family", [("mps2-an386", "arm_fp"), ("mps3-an547", "arm_mve")])
def test_fpu_kernels_match_portable_on_random_shapes(tmp_path, board, family):
    files, kernels = ["fully_connected.c", "conv_2d.c", "pooling.c"], ["fc", "conv", "pool"]
    if family == "arm_mve":  # Helium RESHAPE / activation kernels (half-precision arithmetic)
        files, kernels = [*files, "elementwise.c"], [*kernels, "elem"]
    got = run_prop_check(board, family, files, tmp_path,
                         ("-DODL_PROP_ELEMENTWISE",) if family == "arm_mve" else ())
    for kernel in kernels:
        bad, ran = got[kernel]
        assert ran >= 300 and bad == 0, (kernel, bad, ran)
