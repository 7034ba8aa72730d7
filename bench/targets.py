"""Per target and model: instructions per inference (the board counter read
around odl_invoke, reported by the link's STATS), flash and RAM from the ELF.
Boards with optimised kernels (board.toml `kernels`, e.g. arm_dsp) get one
row with the portable kernels and one with theirs, and the speed-up.

    .venv/bin/python bench/targets.py [--models conv_s1_same_relu mobilenet_tiny] [--targets ...]

Prints one JSON document, then a table."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool import compile_model  # noqa: E402
from pytool.link import Link  # noqa: E402
from pytool.targets import QemuSession, boards, build_firmware, size_report  # noqa: E402
from pytool.targets.build import board_kernels  # noqa: E402

DEFAULT_MODELS = ["conv_s1_same_relu", "fc_softmax", "mobilenet_tiny"]


def measure(model: str, board, work: Path, kernels: str = "") -> dict:
    art = compile_model(
        ROOT / "tests" / "fixtures" / "models" / f"{model}.tflite", out_dir=work / model / "c"
    )
    fw_dir = work / model / f"{board.name}-{kernels or 'portable'}"
    elf = build_firmware(art.dir, board, fw_dir, mode="link", kernels=kernels)
    size = size_report(elf, board)
    with QemuSession(elf, board, timeout=30) as q, Link(q.url, timeout=10.0) as link:
        spec = link.info().inputs[0]
        rng = np.random.default_rng(0)
        x = (
            rng.integers(-128, 128, size=spec.shape).astype(spec.dtype)
            if spec.dtype.kind in "iu"
            else (rng.standard_normal(spec.shape).astype(spec.dtype))
        )
        link.infer(x)
        st = link.stats()
    return {
        "model": model,
        "target": board.name,
        "kernels": kernels or "portable",
        "cpu": board.cpu,
        "counter_unit": board.counter_unit,
        "instructions": st.counter,
        "stack_high_water": st.stack_high_water,
        "flash_bytes": size["flash_used"],
        "ram_bytes": size["ram_used"],
        "arena_bytes": size["arena"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument("--targets", nargs="+", default=[b.name for b in boards() if b.is_emulated])
    ap.add_argument("--out", help="write the JSON here")
    args = ap.parse_args(argv)
    known = {b.name: b for b in boards()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="odl-bench-targets-") as tmp:
        for model in args.models:
            for t in args.targets:
                portable = measure(model, known[t], Path(tmp))
                rows.append(portable)
                family = board_kernels(known[t])
                if family:
                    opt = measure(model, known[t], Path(tmp), family)
                    opt["speedup_vs_portable"] = round(portable["instructions"] / opt["instructions"], 2)
                    rows.append(opt)
    print(json.dumps(rows, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    from rich.console import Console
    from rich.table import Table

    table = Table(title="instructions per inference (QEMU -icount shift=0)")
    for col in ("model", "target", "kernels", "instructions", "speed-up", "stack", "flash", "RAM", "arena"):
        table.add_column(col, justify="left" if col in ("model", "target", "kernels") else "right")
    for r in rows:
        speedup = r.get("speedup_vs_portable")
        table.add_row(
            r["model"], r["target"], r["kernels"], f"{r['instructions']:,}",
            f"{speedup:.2f}x" if speedup else "", f"{r['stack_high_water']:,}",
            f"{r['flash_bytes']:,}", f"{r['ram_bytes']:,}", f"{r['arena_bytes']:,}",
        )  # fmt: skip
    Console(stderr=True, width=110).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
