"""Quantization benchmark on the digits task: test accuracy of the float model,
our int8 models (3 range methods x per-channel/per-tensor weights, from the
float ONNX and the float .tflite), the TensorFlow converter's int8 model and
ai-edge-quantizer's (when present), plus quantization time.

    .venv/bin/python bench/quantize.py [--out results.json]

int8 models run in TFLite Micro (the MCU reference), the float model in the
numpy reference executor. Prints JSON to stdout and a table to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool.frontends import load_model  # noqa: E402
from pytool.frontends.tflite_writer import write_tflite  # noqa: E402
from pytool.reference import run_float  # noqa: E402
from quantize import quantize_graph  # noqa: E402

DIGITS = ROOT / "examples" / "digits"


def tflm_accuracy(path: Path, xs: np.ndarray, ys: np.ndarray) -> float:
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(path))
    q = ip.get_input_details(0)["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    correct = 0
    for x, y in zip(xs, ys):
        v = x[None] / np.float32(scale)
        qx = np.clip(np.trunc(v + np.copysign(np.float32(0.5), v)) + zp, -128, 127).astype(np.int8)
        ip.set_input(qx, 0)
        ip.invoke()
        correct += int(np.argmax(ip.get_output(0)) == y)
    return correct / len(ys)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args()

    calib = np.load(DIGITS / "calib.npz")["x"]
    test = np.load(DIGITS / "test.npz")
    xs, ys = test["x"].astype(np.float32), test["y"]
    rows = []
    g_float = load_model(DIGITS / "digits_float.onnx")
    acc = float(np.mean([np.argmax(run_float(g_float, [x[None]])[0]) == y for x, y in zip(xs, ys)]))
    rows.append({"model": "float (numpy reference)", "accuracy": acc, "quantize_seconds": None})

    with tempfile.TemporaryDirectory() as tmp:
        for src in ("digits_float.onnx", "digits_float.tflite"):
            g = load_model(DIGITS / src)
            for method in ("minmax", "percentile", "mse"):
                for per_channel in (True, False):
                    t0 = time.perf_counter()
                    gq, report = quantize_graph(g, calib, method=method, per_channel=per_channel,
                                                progress=False, report_samples=1)
                    seconds = time.perf_counter() - t0
                    path = write_tflite(gq, Path(tmp) / "q.tflite")
                    rows.append({
                        "model": f"ours {method} {'per-channel' if per_channel else 'per-tensor'} ({src})",
                        "accuracy": tflm_accuracy(path, xs, ys),
                        "quantize_seconds": round(report.quantize_seconds, 4),
                        "total_seconds": round(seconds, 4),
                    })
    for name, label in (("digits_int8_tf.tflite", "TF converter"), ("digits_int8_aieq.tflite", "ai-edge-quantizer")):
        if (DIGITS / name).exists():
            rows.append({"model": label, "accuracy": tflm_accuracy(DIGITS / name, xs, ys), "quantize_seconds": None})

    result = {"task": "digits", "test_samples": int(len(ys)), "calibration_samples": int(len(calib)), "rows": rows}
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")

    from rich.console import Console
    from rich.table import Table

    table = Table(title="digits: int8 quantization accuracy (TFLite Micro)")
    table.add_column("model")
    table.add_column("accuracy", justify="right")
    table.add_column("quantize s", justify="right")
    for r in rows:
        qs = "" if r["quantize_seconds"] is None else f"{r['quantize_seconds']:.3f}"
        table.add_row(r["model"], f"{100 * r['accuracy']:.2f}%", qs)
    Console(stderr=True).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
