"""The full seeded fuzz campaigns (tests/test_fuzz.py runs slices of them):
mutated .tflite and .onnx models through `inspect` and `compile`, mutated
data files through `train`, `plan --train sparse` and `compile --calib`, and
malformed link frames into the C server under ASan/UBSan. Writes JSON (cases,
outcomes, findings) and prints a table.

    .venv/bin/python bench/fuzz.py [--out bench/results/fuzz.json] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import fuzz_campaign as fc  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "results" / "fuzz.json"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every campaign's size")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--keep", help="save every finding's input file here")
    args = ap.parse_args()
    keep = Path(args.keep) if args.keep else None
    n = lambda k: max(1, int(k * args.scale))  # noqa: E731
    res: dict = {}
    t0 = time.perf_counter()
    for name, run, size in (("tflite", fc.models, 1000), ("onnx", fc.onnx_models, 200), ("data", fc.data_files, 200)):
        t = time.perf_counter()
        camp = run(n(size), args.seed, keep)
        res[name] = {"files": n(size), **camp.summary(), "wall_s": round(time.perf_counter() - t, 1)}
    t = time.perf_counter()
    link = fc.link_frames(n(16000) // 3 + 1, args.seed)
    res["link"] = {**link, "wall_s": round(time.perf_counter() - t, 1)}
    res["total_wall_s"] = round(time.perf_counter() - t0, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    tab = Table(title="fuzz campaigns (issue target: ~1,400 mutated models + data files, 16,000 frames, 0 findings)")
    for c in ("campaign", "inputs", "command runs", "rejected", "accepted", "findings", "wall s"):
        tab.add_column(c, justify="left" if c == "campaign" else "right")
    for name in ("tflite", "onnx", "data"):
        r = res[name]
        tab.add_row(name, str(r["files"]), str(r["cases"]), str(r["outcomes"].get("rejected", 0)),
                    str(r["outcomes"].get("ok", 0)), str(len(r["findings"])), str(r["wall_s"]))
    tab.add_row("link (ASan/UBSan)", str(link["frames"]), str(link["frames"]), "", "", str(link["n_findings"]),
                str(res["link"]["wall_s"]))
    Console().print(tab)
    findings = sum(len(res[k]["findings"]) for k in ("tflite", "onnx", "data")) + link["n_findings"]
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
