"""In-field fine-tuning benchmark on the digits shift task, per method and
QEMU board: accuracy before/after, wall time of the whole job, link
throughput, flash bytes per commit, and device instructions per training
step vs per inference (exact under QEMU's -icount; for forward gradient the
ideal ratio is 2·m partial forward passes).

    .venv/bin/python bench/finetune.py [--methods sparse fp16] [--targets mps2-an386] [--epochs 3] [--out f.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool.finetune import finetune  # noqa: E402
from pytool.link import Link  # noqa: E402
from pytool.link import train as lt  # noqa: E402
from pytool.targets import QemuSession  # noqa: E402

DIGITS = ROOT / "examples" / "digits"


def device_costs(elf: Path, board: str, x: np.ndarray, y: int) -> dict:
    """Instructions of one INFER, one EVAL and one TRAIN step on the device."""
    with QemuSession(elf, board) as q, Link(q.url, timeout=10) as link:
        link.infer(x)
        infer = link.stats().counter
        lt.eval_sample(link, x, y)
        ev = link.stats().counter
        lt.train_step(link, x, y)
        st = link.stats()
    return {"infer_instr": infer, "eval_instr": ev, "train_step_instr": st.counter,
            "train_over_infer": st.counter / max(infer, 1), "stack_high_water": st.stack_high_water}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", nargs="+", default=["forward-grad", "sparse", "fp16"])
    ap.add_argument("--targets", nargs="+", default=["mps2-an386", "mps3-an547", "riscv32-virt"])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", help="write JSON here")
    args = ap.parse_args()
    z = np.load(DIGITS / "field.npz")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for method in args.methods:
            for board in args.targets:
                out = Path(d) / f"{method}_{board}"
                rep = finetune(DIGITS / "digits_int8_tf.tflite", board, method, DIGITS / "field.npz",
                               DIGITS / "field_test.npz", epochs=args.epochs, out_dir=out, progress=False,
                               log=lambda m: None, reboot_check=False)
                x = np.clip(np.round(z["x"][0] * 255) - 128, -128, 127).astype(np.int8).reshape(1, 8, 8, 1)
                costs = device_costs(out / "build" / "firmware.elf", board, x, int(z["y"][0]))
                rows.append({
                    "method": method, "target": board, "accuracy_before": rep["accuracy_before"],
                    "accuracy_after": rep["accuracy_after"], "wall_s": rep["wall_s"],
                    "samples_per_s": rep["samples_per_s"], "commits": rep["store"]["commits_written"],
                    "flash_bytes_per_commit": rep["flash_bytes_per_commit"],
                    "arena_bytes": rep["memory"].get("arena_bytes"), "ram_used": rep["firmware"]["ram_used"],
                    **costs,
                })
    text = json.dumps({"bench": "finetune", "epochs": args.epochs, "rows": rows}, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    t = Table(title=f"in-field fine-tuning on QEMU ({args.epochs} epochs, digits shift)")
    for c in ("method", "target", "acc before", "acc after", "wall s", "samples/s", "B/commit",
              "instr/infer", "instr/step", "step/infer", "arena B"):
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(r["method"], r["target"], f"{r['accuracy_before']:.3f}", f"{r['accuracy_after']:.3f}",
                  f"{r['wall_s']:.1f}", f"{r['samples_per_s']:.0f}", f"{r['flash_bytes_per_commit']:.0f}",
                  f"{r['infer_instr']:,}", f"{r['train_step_instr']:,}", f"{r['train_over_infer']:.1f}x",
                  f"{r['arena_bytes']:,}")
    Console(stderr=True, width=170).print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
