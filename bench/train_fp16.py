"""FP16 training cost on the emulated MCUs, before and after the speed work:
the portable kernels with the integer conversion routines (ODL_F16_SOFT, the
old build), the portable kernels with VCVTB conversion, the FPU kernels
(arm_fp: Cortex-M4F; the M55's arm_mve uses them for FC and small convs), the
Helium kernels, and FP32 storage of the portable kernels for reference.

1. Kernels: bench/fp16_kernels/main.c runs forward, input gradient and weight
   gradient of the AIfES MLP / CNN layers and of one layer per type (fully
   connected, 3x3 conv, pointwise, depthwise) under QEMU -icount shift=0:
   instructions and MACs/instruction.
2. Training steps: instructions of one FP16 backprop step over the serial link
   (MLP and CNN with every layer trained, digits last:3; MobileNet-tiny last:4
   on the M55, whose RAM fits it). bench/train_speed.py gives the full table.

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
LAYER_MACS = {"mlp_fc1": 64 * 32, "mlp_fc2": 32 * 10, "cnn_conv": 8 * 8 * 8 * 9, "cnn_fc": 128 * 10,
              "fc": 256 * 32, "conv": 4 * 4 * 16 * 3 * 3 * 8, "pointwise": 64 * 32 * 16, "depthwise": 64 * 32 * 9}
COMMON = [KERNELS / "depthwise_conv_2d.c"]
PORTABLE = [KERNELS / f for f in ("fully_connected.c", "conv_2d.c", "pooling.c")] + COMMON
ARM_FP = [KERNELS / "arm_fp" / f for f in ("fully_connected.c", "conv_2d.c", "pooling.c")] + COMMON
MVE = [KERNELS / "arm_mve" / f for f in ("fully_connected.c", "conv_2d.c", "pooling.c")] + COMMON
SOFT = ["-DODL_F16_SOFT"]
# (label, board, kernel sources, FP32 storage, extra flags)
VARIANTS = [
    ("M4 fp16 soft (before)", "mps2-an386", PORTABLE, False, SOFT),
    ("M4 fp16 portable", "mps2-an386", PORTABLE, False, []),
    ("M4 fp16 arm_fp", "mps2-an386", ARM_FP, False, []),
    ("M4 fp32 portable", "mps2-an386", PORTABLE, True, []),
    ("M55 fp16 soft (before)", "mps3-an547", PORTABLE, False, SOFT),
    ("M55 fp16 arm_mve", "mps3-an547", MVE, False, []),
    ("M55 fp32 portable", "mps3-an547", PORTABLE, True, []),
]
# The old arm_mve kernels (integer lane widening everywhere) are not rebuilt:
# their figures are in docs/design/fp16-mve.md.


def build_harness(board, sources: list[Path], fp32: bool, out: Path, flags: tuple[str, ...] = ()) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.ld").write_text(memory_ld(board))
    targets = ROOT / "targets"
    cmd = [
        board.toolchain_prefix + "gcc", *board.arch_flags, "-std=c99", "-O2", "-ffp-contract=off",
        "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections", *flags,
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
    for label, name, sources, fp32, flags in VARIANTS:
        board = get_board(name)
        folder = label.replace(" ", "_").replace("(", "").replace(")", "")
        elf = build_harness(board, sources, fp32, WORK / "kernels" / folder, tuple(flags))
        for layer, passes in run_harness(board, elf).items():
            total = sum(passes.values())
            macs = LAYER_MACS.get(layer)
            rows.append({"variant": label, "layer": layer, **passes, "step": total,
                         "macs_per_instr": 3 * macs / total if macs else None})
    return rows


NETS = ROOT / "tests" / "fixtures" / "train_nets"
STEP_MODELS = {"mlp": (NETS / "mlp_int8.tflite", "last:2"), "cnn": (NETS / "cnn_int8.tflite", "last:2"),
               "digits": (ROOT / "examples" / "digits" / "digits_int8_tf.tflite", "last:3"),
               "mobilenet_tiny": (ROOT / "tests" / "fixtures" / "models" / "mobilenet_tiny.tflite", "last:4")}
# MAC/instr as bench/train_speed.py: forward MACs + 2 x MACs of the trained layers (all, for these two).
STEP_MACS = {"mlp": 3 * 2368, "cnn": 3 * 5888}


def step_cost(case: str, board_name: str, kernels: list[str], steps: int = 3) -> int:
    model, trainable = STEP_MODELS[case]
    spec = TrainSpec.for_method("fp16", trainable=trainable)  # the defaults: plain SGD, as train_speed.py
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


# Steps measured before the speed work (integer conversions; M4 portable, M55 old arm_mve), commit 1e04a36.
BEFORE = {("mlp", "M4"): 508_560, ("cnn", "M4"): 1_033_200, ("mlp", "M55"): 309_125, ("cnn", "M55"): 821_594}


def step_rows() -> list[dict]:
    rows = []
    plan = [(net, board, kernels, label) for net in ("mlp", "cnn")
            for board, kernels, label in (("mps2-an386", ["arm_dsp"], "M4 portable"),
                                          ("mps2-an386", ["arm_dsp", "arm_fp"], "M4 arm_fp"),
                                          ("mps3-an547", ["arm_dsp", "arm_mve"], "M55 arm_mve"))]
    plan += [("digits", "mps2-an386", ["arm_dsp", "arm_fp"], "M4 arm_fp"),
             ("digits", "mps3-an547", ["arm_dsp", "arm_mve"], "M55 arm_mve"),
             ("mobilenet_tiny", "mps3-an547", ["arm_dsp", "arm_mve"], "M55 arm_mve")]
    for case, board, kernels, label in plan:
        n = step_cost(case, board, kernels)
        rows.append({"model": case, "variant": label, "fp16_kernels": kernels[-1] if len(kernels) > 1 else "portable",
                     "instructions": n, "macs_per_instr": STEP_MACS[case] / n if case in STEP_MACS else None})
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
        mpi = f"{r['macs_per_instr']:.3f}" if r["macs_per_instr"] else "-"
        t.add_row(r["layer"], r["variant"], f"{r['fw']:,}", f"{r['bw_input']:,}", f"{r.get('bw_weight', 0):,}", mpi)
    console.print(t)
    ratios = Table(title="Speed-ups per layer (fw + bw_input + bw_weight)")
    for col in ("layer", "M4 portable / soft", "M4 arm_fp / soft", "M4 arm_fp vs fp32", "M55 arm_mve / soft",
                "M55 arm_mve vs fp32"):
        ratios.add_column(col, justify="left" if col == "layer" else "right")
    by = {(r["layer"], r["variant"]): r["step"] for r in kernels}
    summary = {}
    for layer in LAYER_MACS:
        s = {"m4_portable_vs_soft": by[layer, "M4 fp16 soft (before)"] / by[layer, "M4 fp16 portable"],
             "m4_arm_fp_vs_soft": by[layer, "M4 fp16 soft (before)"] / by[layer, "M4 fp16 arm_fp"],
             "m4_arm_fp_vs_fp32": by[layer, "M4 fp32 portable"] / by[layer, "M4 fp16 arm_fp"],
             "m55_mve_vs_soft": by[layer, "M55 fp16 soft (before)"] / by[layer, "M55 fp16 arm_mve"],
             "m55_mve_vs_fp32": by[layer, "M55 fp32 portable"] / by[layer, "M55 fp16 arm_mve"]}
        summary[layer] = s
        ratios.add_row(layer, *(f"{v:.2f}x" for v in s.values()))
    console.print(ratios)
    st = Table(title="One FP16 training step over the link (every layer of the MLP / CNN trained)")
    for col in ("model", "variant", "instructions", "MAC/instr", "target", "before (soft conversion)"):
        st.add_column(col, justify="left" if col in ("model", "variant") else "right")
    for r in steps:
        m = r["macs_per_instr"]
        target = {"M4": "0.15", "M55": "0.30"}[r["variant"].split()[0]] if m else ""
        before = BEFORE.get((r["model"], r["variant"].split()[0]), "")
        st.add_row(r["model"], r["variant"], f"{r['instructions']:,}", f"{m:.3f}" if m else "-", target,
                   f"{before:,}" if before else "")
    console.print(st)
    if args.out:
        args.out.write_text(json.dumps({"kernels": kernels, "ratios": summary, "steps": steps}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
