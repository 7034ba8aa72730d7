"""The optimised kernels (inline assembly) build at every optimisation level a
user may pick: unoptimised builds keep r7 as the frame pointer, which once left
some assembly statements without enough core registers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RT = ROOT / "runtime_c"
CPUS = {
    "cortex-m4": (["-mfpu=fpv4-sp-d16"], ["kernels/int8/arm_dsp", "kernels/fp16/arm_fp"]),
    "cortex-m7": (["-mfpu=fpv5-d16"], ["kernels/int8/arm_dsp", "kernels/fp16/arm_fp"]),
    "cortex-m55": ([], ["kernels/int8/arm_dsp", "kernels/int8/arm_mve", "kernels/fp16/arm_mve"]),
}


@pytest.mark.parametrize("level", ["-O0", "-Os"])
@pytest.mark.parametrize("cpu", sorted(CPUS))
def test_optimised_kernels_compile(tmp_path, cpu, level):
    assert shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc is missing (make setup installs it)"
    fpu, dirs = CPUS[cpu]
    files = [str(f) for d in dirs for f in sorted((RT / "src" / d).glob("*.c"))]
    assert files
    cmd = ["arm-none-eabi-gcc", level, f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=hard", *fpu, "-std=c99",
           "-Wall", "-Wextra", "-Werror", f"-I{RT / 'include'}", f"-I{RT / 'src'}", "-c", *files]  # fmt: skip
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
