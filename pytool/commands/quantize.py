"""tinyodl quantize MODEL --calib calib.npz -o model_int8.tflite."""

from __future__ import annotations

import argparse
import time

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="float .onnx or .tflite")
    p.add_argument("--calib", required=True, help="representative inputs: .npz (array 'x') or a folder of .npy")
    p.add_argument("-o", "--out", required=True, help="int8 .tflite to write")
    p.add_argument("--method", default="minmax", choices=["minmax", "percentile", "mse"],
                   help="activation range estimation (default: minmax)")
    p.add_argument("--percentile", type=float, default=99.99, help="for --method percentile (default 99.99)")
    p.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor instead of per channel")


def run(args) -> int:
    from quantize.api import quantize_file
    from quantize.report import render_report

    t0 = time.perf_counter()
    report = quantize_file(args.model, args.calib, args.out, method=args.method,
                           per_channel=not args.per_tensor, progress=True, percentile=args.percentile)
    out.print(render_report(report))
    out.print(f"wrote {args.out} in {time.perf_counter() - t0:.2f} s")
    return 0
