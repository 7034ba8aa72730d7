"""Runs every benchmark and leaves its JSON in bench/results/ (`make bench`).

    .venv/bin/python bench/run_all.py [--only inference targets ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["inference", "quantize", "targets", "train", "train_fp16", "train_speed", "finetune", "fuzz", "fleet",
           "control_flow", "float_ops", "signal_frontend"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=BENCHES, default=BENCHES)
    args = ap.parse_args()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    failed = []
    for name in args.only:
        print(f"== bench/{name}.py", flush=True)
        r = subprocess.run([sys.executable, str(HERE / f"{name}.py"), "--out", str(out / f"{name}.json")],
                           stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            failed.append(name)
    print(f"results in {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
