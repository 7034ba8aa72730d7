"""tinyodl validate MODEL --data x.npz [--float FLOAT] [--target BOARD]:
the same data through the float model, the TFLite Micro interpreter, the
host build and a board; agreement per output, accuracy, per-layer SQNR."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool.commands._common import add_layout_arg, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="the int8 .tflite / .onnx model")
    p.add_argument("--data", required=True, help=".npz with x (samples) and optionally y (labels), or a .npy")
    p.add_argument("--float", dest="float_model", help="the float model it was quantized from")
    p.add_argument("--target", help="also run on this board (QEMU boards boot locally)")
    p.add_argument("--port", help="real boards: the board's serial port")
    p.add_argument("-n", "--limit", type=int, help="use only the first N samples")
    p.add_argument("--report", default="out/validate", help="folder for validate.json and validate.png")
    p.add_argument("--state", choices=("reset", "carry"), default="reset",
                   help="models with state tensors (LSTM, SVDF): 'reset' starts each sample from the initial "
                        "state (default); 'carry' treats the samples as one stream, state kept between them")
    add_layout_arg(p)


def _f(v, fmt: str) -> str:
    return "" if v is None else format(v, fmt)


def run(args) -> int:
    from pathlib import Path

    from pytool.data import read_array
    from pytool.validate import validate, write_report

    data = args.data
    if Path(data).suffix == ".npy":  # samples only: wrap as an .npz with x
        import tempfile

        import numpy as np

        tmp = Path(tempfile.mkdtemp(prefix="tinyodl_v_")) / "data.npz"
        np.savez(tmp, x=read_array(data))
        data = tmp
    rep = validate(args.model, data, args.float_model, args.target, args.port, args.layout, args.limit,
                   log=lambda m: out.print(f"[dim]{m}[/]"), state=args.state)
    t = Table(title=f"{Path(args.model).name}: {rep.samples} samples, outputs vs the host build")
    for c in ("engine", "output", "bit-exact", "max |diff| LSB", "top-1 agree", "SQNR dB", "max abs err", "accuracy"):
        t.add_column(c, justify="left" if c == "engine" else "right")
    for c in rep.comparisons:
        t.add_row(c.engine, str(c.output), _f(c.exact and c.exact * 100 if c.exact is not None else None, ".1f")
                  + ("%" if c.exact is not None else ""), _f(c.max_lsb, "d"),
                  _f(c.top1_agree * 100 if c.top1_agree is not None else None, ".1f"),
                  _f(c.sqnr_db, ".2f"), _f(c.max_abs, ".4g"),
                  _f(c.accuracy * 100 if c.accuracy is not None else None, ".1f"))
    out.print(t)
    for name, note in rep.notes.items():
        out.print(f"[yellow]{name}: {note}[/]")
    lt = Table(title="per layer: int8 activations vs float execution (same weights)")
    for c in ("op", "type", "output", "SQNR dB", "max abs err", "max err (LSB)"):
        lt.add_column(c, justify="right" if c in ("op", "SQNR dB", "max abs err", "max err (LSB)") else "left")
    for r in rep.layers:
        lt.add_row(str(r.op), r.type, r.output[:40], f"{r.sqnr_db:.2f}", f"{r.max_abs:.4g}", f"{r.max_lsb:.2f}")
    out.print(lt)
    files = write_report(rep, args.report)
    out.print(f"wrote {', '.join(str(f) for f in files)}")
    if not rep.bit_exact:
        out.print("[bold red]the int8 engines disagree with the host build[/]")
        return 1
    out.print("[green]every int8 engine matches the host build byte for byte[/]")
    return 0
