"""tinyodl build MODEL --target BOARD -o DIR: firmware ELF + size report."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool.commands._common import fmt_bytes, memory_table, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite/.onnx model, or a folder written by `tinyodl compile`")
    p.add_argument("--target", required=True, help="board name (see `tinyodl targets`)")
    p.add_argument("-o", "--out", required=True, help="output folder (model.c/.h and firmware.elf)")
    p.add_argument("--ram", help="RAM budget for the model (default: the board's RAM)")
    p.add_argument("--calib", help="calibration data when the model is float")
    p.add_argument("--selftest", action="store_true",
                   help="firmware that runs one inference, prints it over the UART and exits")
    try:
        from pytool.training.cli import add_train_args
    except ModuleNotFoundError:
        return
    add_train_args(p)


def build(model, target: str, out_dir, ram=None, calib=None, train=None, selftest: bool = False):
    """Compile (unless given a compiled folder) and build; returns (meta, elf, size)."""
    import json
    from pathlib import Path

    from pytool.compiler import compile_model
    from pytool.targets import build_firmware, get_board, size_report

    board = get_board(target)
    out_dir = Path(out_dir)
    src = Path(model)
    if src.is_dir() and (src / "model.c").exists():
        model_dir = src
        meta = json.loads((src / "model.json").read_text())
    else:
        art = compile_model(src, out_dir=out_dir, target=board.name, ram=ram or board.ram_size,
                            calib=calib, progress=True, train=train)
        model_dir, meta = art.dir, art.meta
    elf = build_firmware(model_dir, board, out_dir, mode="selftest" if selftest else "link")
    return meta, elf, size_report(elf, board)


def run(args) -> int:
    train = None
    if getattr(args, "train", None):
        from pytool.training.cli import spec_from_args

        train = spec_from_args(args)
    meta, elf, size = build(args.model, args.target, args.out, args.ram, args.calib, train, args.selftest)
    if "memory" in meta:
        out.print(memory_table(meta["memory"], title="model memory plan"))
    t = Table(title=f"{elf} ({size['target']})")
    t.add_column("section")
    t.add_column("bytes", justify="right")
    for k in ("text", "data", "bss", "stack", "arena"):
        t.add_row(k, f"{size[k]:,}")
    t.add_row("[bold]flash used[/]", f"{size['flash_used']:,} of {fmt_bytes(size['flash_size'])}")
    t.add_row("[bold]RAM used[/]", f"{size['ram_used']:,} of {fmt_bytes(size['ram_size'])}")
    out.print(t)
    return 0
