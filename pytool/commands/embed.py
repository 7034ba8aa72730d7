"""tinyodl embed MODEL -o DIR: a self-contained folder for a firmware tree
(runtime sources, model.c/.h, CMakeLists.txt, SOURCES.txt)."""

from __future__ import annotations

import argparse

from pytool.commands._common import memory_table, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite/.onnx model, or a folder written by `tinyodl compile`")
    p.add_argument("-o", "--out", required=True, help="folder to write (must be new or empty)")
    p.add_argument("--target", help="board whose kernel families to use (see `tinyodl targets`)")
    p.add_argument("--kernels", help="optimised kernel families, e.g. arm_dsp or arm_dsp,arm_mve "
                   "(default: the --target board's, else portable only)")
    p.add_argument("--ram", help="RAM budget, e.g. 64K")
    p.add_argument("--calib", help="calibration data when the model is float")
    try:
        from pytool.training.cli import add_train_args
    except ModuleNotFoundError:
        return
    add_train_args(p)


def run(args) -> int:
    import json
    import tempfile
    from pathlib import Path

    from pytool.compiler import compile_model
    from pytool.embed import write_embed

    families: tuple[str, ...] = ()
    if args.kernels:
        families = tuple(f.strip() for f in args.kernels.split(",") if f.strip())
    elif args.target:
        from pytool.targets import get_board
        from pytool.targets.build import board_kernel_families

        families = board_kernel_families(get_board(args.target))
    src = Path(args.model)
    with tempfile.TemporaryDirectory(prefix="tinyodl_embed_") as tmp:
        if src.is_dir():
            from pytool.commands._common import require_build

            model_dir = require_build(src)
            meta = json.loads((model_dir / "model.json").read_text())
        else:
            train = None
            if getattr(args, "train", None):
                from pytool.training.cli import spec_from_args

                train = spec_from_args(args)
            art = compile_model(src, out_dir=Path(tmp) / "m", target=args.target or "host", ram=args.ram,
                                calib=args.calib, train=train)
            model_dir, meta = art.dir, art.meta
        dest = write_embed(model_dir, Path(args.out), families, meta)
    if "memory" in meta:
        out.print(memory_table(meta["memory"], title="model memory plan"))
    out.print(f"wrote {dest}/ (CMakeLists.txt, SOURCES.txt, runtime/, model/; kernels: "
              f"{', '.join(families) or 'portable'})")
    return 0
