"""The end-to-end demo (`make demo`): a digits classifier trained on clean
scans (the "factory" int8 model) meets field data with a domain shift
(rotation, thicker strokes, sensor gain/offset, noise). An emulated Cortex-M4F
board learns from the field samples over its serial link, commits the weights
to its non-volatile store, and comes back with them after a reboot.

    .venv/bin/python examples/demo.py [--method forward-grad|sparse|fp16] [--target mps2-an386]
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"


def step(title: str, argv: list[str]) -> None:
    from pytool.cli import main

    print(f"\n=== {title}\n$ tinyodl {shlex.join(argv)}", flush=True)
    rc = main(argv)
    if rc != 0:
        sys.exit(rc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="sparse", choices=["forward-grad", "sparse", "fp16"])
    ap.add_argument("--target", default="mps2-an386")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "out" / "demo"))
    args = ap.parse_args()
    model = str(DIGITS / "digits_int8_tf.tflite")
    rel = lambda p: str(Path(p).relative_to(ROOT)) if str(p).startswith(str(ROOT)) else str(p)  # noqa: E731
    step("the factory model", ["inspect", rel(model)])
    step(f"fine-tune on an emulated {args.target} with {args.method}", [
        "finetune", rel(model), "--target", args.target, "--method", args.method,
        "--data", rel(DIGITS / "field.npz"), "--eval", rel(DIGITS / "field_test.npz"),
        "--epochs", str(args.epochs), "--report", rel(args.out),
    ])
    import json

    rep = json.loads((Path(args.out) / "report.json").read_text())
    print(f"\nfield-test accuracy: {rep['accuracy_before']:.1%} before -> {rep['accuracy_after']:.1%} after "
          f"fine-tuning on the device ({rep['method']}, {rep['target']}); after a reboot: "
          f"{rep['reboot'].get('accuracy', float('nan')):.1%} (generation {rep['committed_generation']})")
    print(f"report and plots in {rel(args.out)}/")
    return 0


if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    sys.exit(main())
