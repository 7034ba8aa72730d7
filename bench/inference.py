"""Host inference: latency of the generated C (cffi) vs the tflite-micro
interpreter on the same int8 models, and our arena vs TFLite Micro's.

    .venv/bin/python bench/inference.py [--out bench_inference.json] [--reps 300]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool import compile_model, load_host  # noqa: E402

MODELS = {
    "mobilenet_tiny": ROOT / "tests/fixtures/models/mobilenet_tiny.tflite",
    "digits_factory": ROOT / "examples/digits/digits_int8_tf.tflite",
    "conv_5x5_s2_same_c5": ROOT / "tests/fixtures/models/conv_5x5_s2_same_c5.tflite",
    "dw_m2_s2_valid": ROOT / "tests/fixtures/models/dw_m2_s2_valid.tflite",
    "fc_softmax": ROOT / "tests/fixtures/models/fc_softmax.tflite",
}


def tflm_arena(path: Path) -> dict:
    """TFLite Micro prints its allocations from C to stderr: capture fd 2."""
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(path))
    with tempfile.TemporaryFile(mode="w+") as f:
        sys.stdout.flush()
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            ip.print_allocations()
        finally:
            ctypes.CDLL(None).fflush(None)  # C stdio buffers the report
            sys.stdout.flush()
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read()
    grab = lambda key: int(re.search(rf"Arena allocation {key} (\d+) bytes", text).group(1))  # noqa: E731
    return {"total": grab("total"), "head": grab("head"), "tail": grab("tail")}


def median_us(fn, reps: int) -> float:
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        ts.append(time.perf_counter_ns() - t0)
    return float(np.median(ts)) / 1000.0


def bench(name: str, path: Path, reps: int, build: Path) -> dict:
    from tflite_micro import runtime

    art = compile_model(path, out_dir=build / name)
    net = load_host(art)
    info = net.inputs[0]
    x = np.random.default_rng(0).integers(-128, 128, size=info.shape, dtype=np.int8)
    ip = runtime.Interpreter.from_file(str(path))

    def ours():
        net.invoke(x)

    def tflm():
        ip.set_input(x, 0)
        ip.invoke()
        ip.get_output(0)

    a, b = median_us(ours, reps), median_us(tflm, reps)
    ar = tflm_arena(path)
    from pytool import ops as opreg

    macs = sum(opreg.get(op.type).macs(art.graph, op) for op in art.graph.ops)
    return {
        "model": name, "macs": macs, "ours_us": a, "tflm_us": b, "speedup_vs_tflm": b / a,
        "ours_arena_bytes": art.report["arena_bytes"], "tflm_arena_head_bytes": ar["head"],
        "tflm_arena_total_bytes": ar["total"], "weights_bytes": art.report["const_bytes"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write JSON here")
    ap.add_argument("--reps", type=int, default=300, help="invokes per measurement (median reported)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        rows = [bench(n, p, args.reps, Path(d)) for n, p in MODELS.items()]
    text = json.dumps({"bench": "inference_host", "rows": rows}, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    t = Table(title="host inference: generated C vs tflite-micro (median per invoke)")
    for c in ("model", "ours µs", "TFLM µs", "speed-up", "our arena", "TFLM arena (head/total)", "weights"):
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(r["model"], f"{r['ours_us']:.1f}", f"{r['tflm_us']:.1f}", f"{r['speedup_vs_tflm']:.2f}x",
                  f"{r['ours_arena_bytes']:,}", f"{r['tflm_arena_head_bytes']:,} / {r['tflm_arena_total_bytes']:,}",
                  f"{r['weights_bytes']:,}")
    Console(stderr=True, width=170).print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
