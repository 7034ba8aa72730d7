"""tinyodl run BUILD --input x.npy: the generated C on the host through cffi."""

from __future__ import annotations

import argparse

import numpy as np

from pytool.commands._common import add_layout_arg, load_array, out, require_build


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="folder written by `tinyodl compile`")
    p.add_argument("--input", required=True, help=".npy/.npz input (float data is quantized with the model's input scale)")
    p.add_argument("--output", help="save the output(s) to this .npy")
    p.add_argument("--dequantize", action="store_true", help="print dequantized float outputs")
    add_layout_arg(p)


def run(args) -> int:
    from pytool.data import check_samples
    from pytool.host import load_host

    net = load_host(require_build(args.build))
    x = check_samples(load_array(args.input), net.inputs[0], f"{args.input}", args.layout, single_ok=True)
    y = net.invoke(x)
    info = net.outputs[0]
    if args.output:
        np.save(args.output, y)
        out.print(f"saved {args.output} {y.shape} {y.dtype}")
    if args.dequantize and info.dtype == "int8":
        y = (y.astype(np.float32) - info.zero_point) * np.float32(info.scale)
    np.set_printoptions(threshold=200, linewidth=120)
    out.print(y)
    if y.ndim >= 1 and y.shape[-1] > 1:
        out.print(f"argmax: {np.argmax(y.reshape(-1, y.shape[-1]), axis=-1)}")
    return 0
