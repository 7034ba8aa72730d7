"""tinyodl compile MODEL -o DIR: model.c/model.h and the memory report."""

from __future__ import annotations

import argparse
import os

from pytool.commands._common import memory_table, naming, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite or .onnx (int8, or float with --calib)")
    p.add_argument("-o", "--out", required=True, help="output folder for model.c, model.h, model.json")
    p.add_argument("--target", default="host", help="host or a board from `tinyodl targets` (default: host)")
    p.add_argument("--ram", help="RAM budget, e.g. 256K; compile fails with a breakdown if exceeded")
    p.add_argument("--flash", help="flash budget for weights, e.g. 1M")
    p.add_argument("--calib", help="calibration inputs (.npz or folder of .npy) to quantize a float model")
    p.add_argument("--method", default="minmax", choices=["minmax", "percentile", "mse"],
                   help="range estimation for quantization (default: minmax)")
    p.add_argument("--per-tensor", action="store_true", help="per-tensor instead of per-channel weights")
    p.add_argument("--data", help="training: field samples .npz (x, y) for --lr auto and the sparse scheme search")
    try:
        from pytool.training.cli import add_train_args
    except ModuleNotFoundError:
        return
    add_train_args(p)


def run(args) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from pytool.compiler import compile_model

    if args.target != "host":
        from pytool.targets import get_board

        get_board(args.target)  # unknown target: one line listing the boards
    train = None
    if getattr(args, "train", None):
        from pytool.training.cli import spec_from_args

        train = spec_from_args(args)
    # Written into a private folder and moved into place: a failure leaves nothing half-written.
    dest = Path(args.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if train is not None:
            from pytool.training.cli import auto_lr

            choice = auto_lr(args.model, train, args.lr, args.data or args.scheme_data, tmp / "lr_sweep.png",
                             log=lambda m: out.print(f"[bold]{m}[/]"))
            if choice is not None:
                from pytool.training.autolr import table

                out.print(table(choice))
        with naming(args.model):
            art = compile_model(
                args.model, out_dir=tmp, target=args.target, ram=args.ram, flash=args.flash,
                calib=args.calib, method=args.method, per_channel=not args.per_tensor, progress=True, train=train,
            )
        dest.mkdir(exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, dest / f.name)
        art.dir = dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if art.quant_report:
        from quantize.report import render_table

        out.print(render_table(art.quant_report))
    out.print(memory_table(art.report, title=f"memory plan ({art.meta['n_ops']} ops)"))
    out.print(f"wrote {art.dir}/model.c, model.h, model.json  (hash {art.meta['hash']})")
    return 0
