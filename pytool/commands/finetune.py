"""tinyodl finetune MODEL --target BOARD --method M --data field.npz: the whole
in-field job — compile, build, flash, train on the device, commit, report."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="int8 .tflite or .onnx (quantize a float model first with `tinyodl quantize`)")
    p.add_argument("--target", required=True, help="board (see `tinyodl targets`); QEMU boards run locally")
    p.add_argument("--method", required=True, choices=["forward-grad", "sparse", "fp16"], help="training method")
    p.add_argument("--data", required=True, help="field samples .npz (x, y) streamed to the device")
    p.add_argument("--eval", help="held-out field samples .npz for accuracy (default: --data)")
    p.add_argument("--epochs", type=int, default=5, help="passes over --data (default 5)")
    p.add_argument("--ram", help="RAM budget for model + training, e.g. 128K")
    p.add_argument("--trainable", help="last:N, 'bias' or tensor names (default per method; forward-grad and "
                   "fp16 only: sparse update searches a scheme under --ram)")
    p.add_argument("--lr", default="auto", help="learning rate, or 'auto' (default): a short sweep on --data "
                   "with the host runtime picks it (forward-grad: also directions and epsilon)")
    p.add_argument("--lr-schedule", choices=["constant", "halve"],
                   help="rate per epoch: constant, or halve each epoch (the method's default: halve)")
    p.add_argument("--seed", type=int, default=0, help="seed for shuffling and perturbations")
    p.add_argument("--perturb", choices=["auto", "weights", "activity"], default="auto",
                   help="forward-grad: perturb the weights or the outputs of the last one or two fully "
                   "connected layers (auto, the default: the --lr auto sweep tries activity where it can)")
    p.add_argument("--report", default="out", help="folder for report.json and plots (default out/)")
    p.add_argument("--work", help="build folder (default <report>/build)")
    p.add_argument("--port", help="real boards: serial port of the board (e.g. /dev/ttyACM0)")
    p.add_argument("--probe", help="real boards: pyOCD probe id")
    p.add_argument("--margin", type=float, default=0.02,
                   help="roll back when field-test accuracy falls this far below the committed weights")
    p.add_argument("--master-fp32", action="store_true", help="fp16: keep FP32 master weights")
    p.add_argument("--no-reboot-check", action="store_true", help="skip the reboot check on QEMU")


def run(args) -> int:
    from pytool.finetune import GuardConfig, finetune
    from pytool.planner import parse_size

    extra = {"master_fp32": True} if args.master_fp32 else {}
    if args.lr_schedule:
        extra["lr_schedule"] = args.lr_schedule
    rep = finetune(
        args.model, args.target, args.method, args.data, args.eval, epochs=args.epochs,
        ram=parse_size(args.ram), out_dir=args.report, work_dir=args.work, trainable=args.trainable,
        lr=args.lr, seed=args.seed, port=args.port, probe=args.probe, guard=GuardConfig(margin=args.margin),
        reboot_check=not args.no_reboot_check, spec_extra=extra, log=lambda m: out.print(f"[bold]{m}[/]"),
        perturb=args.perturb,
    )
    t = Table(title=f"fine-tuning on {rep['target']} ({rep['method']})")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("field-test accuracy before", f"{rep['accuracy_before']:.4f}")
    t.add_row("field-test accuracy after (committed)", f"{rep['accuracy_after']:.4f}")
    if rep.get("reboot"):
        t.add_row("after reboot", f"{rep['reboot']['accuracy']:.4f} (generation {rep['reboot']['generation']})")
    ts = rep.get("train_spec", {})
    if ts:
        auto = ts.get("extra", {}).get("lr_auto")
        t.add_row("trained set, learning rate", f"{ts['trainable']}, {ts['lr']:g}" + (" (--lr auto)" if auto else ""))
        if rep.get("method") == "forward-grad":
            t.add_row("perturbed", ts.get("extra", {}).get("fg_perturb", "auto").replace("auto", "weights"))
    t.add_row("steps", str(rep["steps"]))
    t.add_row("committed generation", str(rep["committed_generation"]))
    t.add_row("guard interventions", str(len(rep["interventions"])))
    t.add_row("samples/s over the link", f"{rep['samples_per_s']:.1f}")
    t.add_row("device RAM used", f"{rep['firmware']['ram_used']:,} B")
    out.print(t)
    for ev in rep["interventions"]:
        out.print(f"[yellow]guard:[/] {ev}")
    if rep.get("train_spec", {}).get("extra", {}).get("lr_auto"):
        from pytool.training.autolr import LrChoice, table

        out.print(table(LrChoice.from_meta(rep["train_spec"]["extra"]["lr_auto"])))
    out.print(f"wrote {args.report}/report.json, loss.png, accuracy.png, confusion.png"
              + (", lr_sweep.png" if rep.get("train_spec", {}).get("extra", {}).get("lr_auto") else ""))
    return 0
