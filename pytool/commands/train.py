"""tinyodl train BUILD --data field.npz: training on the host through cffi,
the same C the device runs."""

from __future__ import annotations

import argparse

import numpy as np
from rich.table import Table

from pytool.commands._common import add_layout_arg, out, require_build


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="folder written by `tinyodl compile --train ...`")
    p.add_argument("--data", required=True, help=".npz with x (float or int8 inputs) and y (labels)")
    p.add_argument("--eval", help=".npz held-out set for accuracy (default: --data)")
    p.add_argument("--epochs", type=int, default=1, help="passes over --data (default 1)")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed")
    p.add_argument("--report", help="folder for report.json and PNG plots")
    add_layout_arg(p)


def run(args) -> int:
    from pytool.host import load_host
    from pytool.training import TrainSpec
    from pytool.training.loop import load_dataset, lr_schedule_hook, train, write_report

    net = load_host(require_build(args.build))
    if not net.trainable:
        raise ValueError(f"{args.build} was compiled without --train; recompile with e.g. --train forward-grad")
    n_cls = int(np.prod(net.outputs[0].shape))
    data = load_dataset(args.data, net.inputs[0], n_cls, args.layout)
    evd = load_dataset(args.eval, net.inputs[0], n_cls, args.layout) if args.eval else None
    spec = TrainSpec(**net.meta["train"]) if "lr_schedule" in net.meta["train"] else None
    start = lr_schedule_hook(spec, net.set_lr_shift) if spec else None  # the compiled spec's schedule
    report, _ = train(net.train_step, net.eval_sample, data, evd, epochs=args.epochs, seed=args.seed,
                      on_epoch_start=start)
    report["method"] = net.meta["train"]["method"]
    report["target"] = "host"
    report["memory"] = net.meta.get("memory", {})
    t = Table(title=f"training on the host ({report['method']})")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("accuracy before", f"{report['accuracy_before']:.4f}")
    t.add_row("accuracy after", f"{report['accuracy_after']:.4f}")
    ts = net.meta.get("train", {})
    if "lr" in ts:  # chosen at compile time (--lr auto sweeps there)
        auto = " (--lr auto at compile)" if ts.get("extra", {}).get("lr_auto") else ""
        t.add_row("trained set, learning rate", f"{ts.get('trainable')}, {ts['lr']:g}{auto}")
    t.add_row("steps", str(report["steps"]))
    t.add_row("arena bytes", f"{report['memory'].get('arena_bytes', 0):,}")
    out.print(t)
    if args.report:
        path = write_report(report, args.report)
        out.print(f"wrote {path} and plots")
    return 0
