"""FP16 training cost on the emulated MCUs: Cortex-M4F (portable) vs
Cortex-M55 (portable) vs Cortex-M55 (Helium kernels, arm_mve), and FP32
storage of the same portable kernels for the FP16/FP32 speed-up ratio.

1. Kernels: bench/fp16_kernels/main.c runs forward, input gradient and weight
   gradient of one layer per type (fully connected, 3x3 conv, pointwise,
   depthwise) under QEMU -icount shift=0: instructions and MACs/instruction.
2. Training steps: instructions of one FP16 backprop step over the serial link
   (digits last:3; MobileNet-tiny last:4 on the M55, whose RAM fits it).

    .venv/bin/python bench/train_fp16.py [--out bench_train_fp16.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool import compile_model, load_host  # noqa: E402
from pytool.link import Link  # noqa: E402
from pytool.link.train import train_step  # noqa: E402
from pytool.targets import QemuSession, build_firmware, get_board  # noqa: E402
from pytool.targets.build import memory_ld  # noqa: E402
from pytool.training import TrainSpec  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "tinyodl_bench_train_fp16"
HARNESS = ROOT / "bench" / "fp16_kernels"
KERNELS = ROOT / "runtime_c" / "src" / "kernels" / "fp16"
REPS = 4  # main.c repeats each pass
# MACs of one pass (forward, input gradient or weight gradient), padded taps included.
LAYER_MACS = {"fc": 256 * 32, "conv": 4 * 4 * 16 * 3 * 3 * 8, "pointwise": 64 * 32 * 16, "depthwise": 64 * 32 * 9}
PORTABLE = [KERNELS / f for f in ("fully_connected.c", "conv_2d.c", "depthwise_conv_2d.c")]
MVE = [KERNELS / "arm_mve" / "fully_connected.c", KERNELS / "arm_mve" / "conv_2d.c", KERNELS / "depthwise_conv_2d.c"]
# (label, board, kernel sources, FP32 storage)
VARIANTS = [
    ("M4 fp16 portable", "mps2-an386", PORTABLE, False),
    ("M4 fp32 portable", "mps2-an386", PORTABLE, True),
    ("M55 fp16 portable", "mps3-an547", PORTABLE, False),
    ("M55 fp16 arm_mve", "mps3-an547", MVE, False),
    ("M55 fp32 portable", "mps3-an547", PORTABLE, True),
]


def build_harness(board, sources: list[Path], fp32: bool, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.ld").write_text(memory_ld(board))
    targets = ROOT / "targets"
    cmd = [
        board.toolchain_prefix + "gcc", *board.arch_flags, "-std=c99", "-O2", "-ffp-contract=off",
        "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
        f"-I{ROOT / 'runtime_c' / 'include'}", f"-I{targets / 'common'}",
        *(["-include", str(HARNESS / "fp32_shim.h")] if fp32 else []),
        str(HARNESS / "main.c"), *map(str, sources),
        *([] if fp32 else [str(KERNELS / "f16_math.c")]),
        str(board.dir / "startup.c"), str(board.dir / "board.c"),
        str(targets / "common" / "cortexm.c"), str(targets / "common" / "stack.c"),
        "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections",
        f"-L{out}", f"-L{targets / 'common'}", f"-T{board.dir / 'linker.ld'}", "-o", str(out / "bench.elf"),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out / "bench.elf"


def run_harness(board, elf: Path) -> dict[str, dict[str, int]]:
    q = board.qemu
    cmd = [q.binary, "-M", q.machine, *q.args, "-icount", "shift=0", "-nographic", "-monitor", "none",
           "-serial", "stdio", "-kernel", str(elf)]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300).stdout
    counts: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            ticks = int(parts[2])
            counts.setdefault(parts[0], {})[parts[1]] = ticks * board.counter_num // (board.counter_den * REPS)
    if "done" not in text:
        raise RuntimeError(f"kernel benchmark on {board.name} did not finish:\n{text}")
    return counts


def kernel_rows() -> list[dict]:
    rows = []
    for label, name, sources, fp32 in VARIANTS:
        board = get_board(name)
        elf = build_harness(board, sources, fp32, WORK / "kernels" / label.replace(" ", "_"))
        for layer, passes in run_harness(board, elf).items():
            total = sum(passes.values())
            rows.append({"variant": label, "layer": layer, **passes, "step": total,
                         "macs_per_instr": 3 * LAYER_MACS[layer] / total})
    return rows


def step_cost(case: str, board_name: str, kernels: list[str], steps: int = 3) -> int:
    model, trainable = {"digits": (ROOT / "examples" / "digits" / "digits_int8_tf.tflite", "last:3"),
                        "mobilenet_tiny": (ROOT / "tests" / "fixtures" / "models" / "mobilenet_tiny.tflite",
                                           "last:4")}[case]
    spec = TrainSpec(method="fp16", trainable=trainable, lr=0.002, momentum=0.9)
    art = compile_model(model, WORK / "models" / case, train=spec)
    shape = load_host(art).inputs[0].shape
    board = get_board(board_name)
    elf = build_firmware(art.dir, board, WORK / "fw" / f"{case}-{board_name}-{'_'.join(kernels)}", mode="link",
                         kernels=kernels)
    x = np.random.default_rng(0).integers(-128, 128, size=shape, dtype=np.int8)
    counts = []
    with QemuSession(elf, board, timeout=120) as q, Link(q.url, timeout=30.0) as link:
        for _ in range(steps):
            train_step(link, x, 1)
            counts.append(link.stats().counter)
    return int(np.median(counts))


def step_rows() -> list[dict]:
    rows = []
    plan = [("digits", "mps2-an386", ["arm_dsp"], "M4 portable"),
            ("digits", "mps3-an547", ["arm_dsp"], "M55 portable"),
            ("digits", "mps3-an547", ["arm_dsp", "arm_mve"], "M55 arm_mve"),
            ("mobilenet_tiny", "mps3-an547", ["arm_dsp"], "M55 portable"),
            ("mobilenet_tiny", "mps3-an547", ["arm_dsp", "arm_mve"], "M55 arm_mve")]
    for case, board, kernels, label in plan:
        rows.append({"model": case, "variant": label, "fp16_kernels": "arm_mve" if "arm_mve" in kernels else "portable",
                     "instructions": step_cost(case, board, kernels)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)
    kernels, steps = kernel_rows(), step_rows()
    console = Console()
    t = Table(title="FP16 training kernels: instructions per pass (one layer), QEMU -icount")
    for col in ("layer", "variant", "fw", "bw_input", "bw_weight", "MAC/instr"):
        t.add_column(col, justify="left" if col in ("layer", "variant") else "right")
    for r in sorted(kernels, key=lambda r: r["layer"]):
        t.add_row(r["layer"], r["variant"], f"{r['fw']:,}", f"{r['bw_input']:,}", f"{r['bw_weight']:,}",
                  f"{r['macs_per_instr']:.3f}")
    console.print(t)
    ratios = Table(title="Speed-ups per layer (fw + bw_input + bw_weight)")
    for col in ("layer", "M55 mve / M55 portable", "M4 fp32 / M4 fp16", "M55 fp32 / M55 fp16", "M55 fp32 / M55 mve"):
        ratios.add_column(col, justify="left" if col == "layer" else "right")
    by = {(r["layer"], r["variant"]): r["step"] for r in kernels}
    summary = {}
    for layer in LAYER_MACS:
        s = {"mve_vs_portable_m55": by[layer, "M55 fp16 portable"] / by[layer, "M55 fp16 arm_mve"],
             "fp16_vs_fp32_m4": by[layer, "M4 fp32 portable"] / by[layer, "M4 fp16 portable"],
             "fp16_vs_fp32_m55": by[layer, "M55 fp32 portable"] / by[layer, "M55 fp16 portable"],
             "mve_fp16_vs_fp32_m55": by[layer, "M55 fp32 portable"] / by[layer, "M55 fp16 arm_mve"]}
        summary[layer] = s
        ratios.add_row(layer, *(f"{v:.2f}x" for v in s.values()))
    console.print(ratios)
    st = Table(title="One FP16 training step over the link (instructions)")
    for col in ("model", "variant", "instructions"):
        st.add_column(col, justify="right" if col == "instructions" else "left")
    for r in steps:
        st.add_row(r["model"], r["variant"], f"{r['instructions']:,}")
    console.print(st)
    if args.out:
        args.out.write_text(json.dumps({"kernels": kernels, "ratios": summary, "steps": steps}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
