"""`tinyodl` command line. Each subcommand lives in pytool/commands/<name>.py
as `add_parser(sub)` + `run(args)`; this file only wires them up."""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console

COMMANDS = [
    ("inspect", "list ops, tensors, quantization and MACs of a model; flag unsupported ops"),
    ("compile", "model -> model.c/model.h (+ memory report) for a target"),
    ("run", "run a compiled model on the host (the generated C through cffi)"),
    ("quantize", "float model + calibration data -> int8 .tflite"),
    ("targets", "list the boards tinyodl can build for"),
    ("build", "compile a model and build firmware for a board"),
    ("profile", "per-layer instructions, MAC/instr and live arena bytes of a model on a QEMU board"),
    ("flash", "boot firmware in QEMU or program a board with pyOCD"),
    ("monitor", "show a device's info, stats and log over the serial link"),
    ("infer", "run inference on a device over the serial link"),
    ("plan", "show the training scheme and memory a budget allows"),
    ("train", "train a compiled model on the host (same C as the device)"),
    ("finetune", "compile, build, flash, train on the device, commit, report"),
    ("export", "read a device's weights back into a .tflite"),
    ("fleet", "fleet learning on Flower: simulate emulated devices, or serve / join a deployment"),
    ("embed", "write a self-contained C folder (runtime + model + CMakeLists.txt) for a firmware tree"),
    ("validate", "float model vs TFLite Micro vs host build vs board: agreement, accuracy, per-layer SQNR"),
]

console = Console(stderr=True, soft_wrap=True)  # long paths in errors stay on one line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tinyodl",
        description="On-device learning toolchain for microcontrollers: model -> int8 C runtime "
        "that runs and trains the same way on the host and on the board.",
    )
    from pytool import __version__

    p.add_argument("--version", action="version", version=f"tinyodl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS:
        try:
            mod = importlib.import_module(f"pytool.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"pytool.commands.{name}":
                raise
            continue
        sp = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_parser(sp)
        sp.set_defaults(_run=mod.run)
    return p


def main(argv: list[str] | None = None) -> int:
    from pytool.link.errors import LinkError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        rc = args._run(args)
        return int(rc or 0)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130
    except (ValueError, OSError, RuntimeError, LinkError) as e:
        # Our errors (ModelError, IRError, BudgetError, OdlError, LinkError...)
        # are ValueError/RuntimeError subclasses with complete messages.
        console.print(f"[bold red]error:[/] {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
