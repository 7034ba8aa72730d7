"""tinyodl infer --port URL --input x.npy: inference on the device."""

from __future__ import annotations

import argparse

import numpy as np

from pytool.commands._common import add_layout_arg, load_array, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="socket://host:port (QEMU) or a serial device")
    p.add_argument("--input", required=True, help=".npy/.npz input; float data is quantized with the device's input scale")
    p.add_argument("--output", help="save the output(s) to this .npy")
    add_layout_arg(p)


def run(args) -> int:
    from pytool.data import check_samples
    from pytool.finetune import _input_info
    from pytool.link import Link

    x = load_array(args.input)
    with Link(args.port) as link:
        info = link.info()
        if not info.inputs:
            raise ValueError(f"{args.port}: the device reports no model input")
        xs = check_samples(x, _input_info(info), f"{args.input}", args.layout, single_ok=True)
        ys = [link.infer(s[None] if len(info.inputs[0].shape) == xs.ndim else s) for s in xs]
        y = np.stack(ys) if len(ys) > 1 else ys[0]
        st = link.stats()
    if args.output:
        np.save(args.output, y)
    np.set_printoptions(threshold=200, linewidth=120)
    out.print(y)
    if y.ndim >= 1 and y.shape[-1] > 1:
        out.print(f"argmax: {np.argmax(y.reshape(-1, y.shape[-1]), axis=-1)}")
    out.print(f"device: {st}")
    return 0
