"""tinyodl infer --port URL --input x.npy: inference on the device."""

from __future__ import annotations

import argparse

import numpy as np

from pytool.commands._common import load_array, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="socket://host:port (QEMU) or a serial device")
    p.add_argument("--input", required=True, help=".npy/.npz input; float data is quantized with the device's input scale")
    p.add_argument("--output", help="save the output to this .npy")


def run(args) -> int:
    from pytool.link import Link

    x = load_array(args.input)
    with Link(args.port) as link:
        y = link.infer(x)
        st = link.stats()
    if args.output:
        np.save(args.output, y)
    np.set_printoptions(threshold=200, linewidth=120)
    out.print(y)
    if y.ndim >= 1 and y.shape[-1] > 1:
        out.print(f"argmax: {np.argmax(y.reshape(-1, y.shape[-1]), axis=-1)}")
    out.print(f"device: {st}")
    return 0
