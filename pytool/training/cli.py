"""Training options shared by `compile`, `plan` and `finetune`."""

from __future__ import annotations

import argparse

from pytool.planner import parse_size
from pytool.training import TrainSpec, TrainSpecError


def add_train_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training (compile a model that can learn on the device)")
    g.add_argument("--train", choices=["forward-grad", "sparse", "fp16"], help="training method")
    g.add_argument("--trainable", help="last:N layers, 'bias', or tensor names (default 'auto': "
                   "forward-grad last:1 or last:2 by the --lr auto sweep, fp16 every layer that fits --ram, else "
                   "up to 3); sparse takes a scheme instead (--scheme, or the search under --ram)")
    g.add_argument("--loss", default="ce", choices=["ce", "mse"], help="loss (default: softmax cross-entropy)")
    g.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"], help="optimizer (adam: fp16 only)")
    g.add_argument("--lr", default="auto", help="learning rate, or 'auto' (default): a short sweep on the "
                   "field data (--data) with the host runtime picks it (forward-grad: also directions and "
                   "epsilon); without data: forward-grad 2 [quantization units], sparse 0.006, fp16 0.005")
    g.add_argument("--lr-schedule", choices=["constant", "halve"], help="rate per epoch: constant, or halve "
                   "each epoch (set on the device by the host; default: halve)")
    g.add_argument("--momentum", type=float, help="SGD momentum (default 0)")
    g.add_argument("--seed", type=int, default=0, help="PRNG seed (perturbations, stochastic rounding)")
    g.add_argument("--directions", type=int, help="forward-grad: perturbation directions per step (default 8)")
    g.add_argument("--epsilon", type=float, help="forward-grad: perturbation size in weight LSBs (default 4)")
    g.add_argument("--sign", action="store_true", help="forward-grad: sign-only projected gradient")
    g.add_argument("--perturb", choices=["auto", "weights", "activity"], default="auto",
                   help="forward-grad: perturb the trained weights (random directions; --lr in quantization "
                   "units) or the outputs of the last one or two fully connected layers (one direction per "
                   "output; --lr a float SGD rate, e.g. 0.005). auto (default): --lr auto tries activity "
                   "wherever the trained set allows it; without the sweep, weights")
    g.add_argument("--scheme", help="sparse: scheme.toml (default: search one that fits --ram)")
    g.add_argument("--scheme-data", help="sparse: field samples (.npz) that score the scheme search")
    g.add_argument("--loss-scale", default="dynamic", help="fp16: 'dynamic' or a static factor")
    g.add_argument("--master-fp32", action="store_true", help="fp16: keep FP32 master weights")
    g.add_argument("--guard-sigma", type=float, default=0.0,
                   help="skip steps whose loss spikes above mean + k·std of recent losses (0 = off; finetune uses 6)")


def parse_lr(value) -> float | None:
    """--lr value: a number, or None for 'auto'."""
    if value is None or str(value).strip().lower() == "auto":
        return None
    try:
        return float(value)
    except ValueError:
        raise TrainSpecError(f"--lr {value!r}: a number or 'auto'") from None


SPARSE_NO_TRAINABLE = ("--trainable: sparse update picks its layers, channels and biases with a scheme "
                       "(--scheme scheme.toml, or the search under --ram); it takes no --trainable")


def spec_from_args(args) -> TrainSpec:
    if args.train == "sparse" and args.trainable:
        raise TrainSpecError(SPARSE_NO_TRAINABLE)
    spec = TrainSpec.for_method(
        args.train, trainable=args.trainable, loss=args.loss, optimizer=args.optimizer,
        lr=parse_lr(args.lr), lr_schedule=getattr(args, "lr_schedule", None), momentum=args.momentum, seed=args.seed, directions=args.directions,
        epsilon=args.epsilon, sign=args.sign, scheme=args.scheme,
        ram=parse_size(getattr(args, "ram", None)), loss_scale=args.loss_scale, master_fp32=args.master_fp32,
        guard_sigma=getattr(args, "guard_sigma", 0.0),
    )
    if args.train == "forward-grad" and getattr(args, "perturb", "auto") != "auto":
        spec.extra["fg_perturb"] = args.perturb
    data = getattr(args, "scheme_data", None) or getattr(args, "data", None)
    if data:
        spec.extra["data"] = data
    return spec


def auto_lr(model, spec: TrainSpec, lr_arg, data, plot_path=None, log=print, job_steps: int | None = None):
    """Runs `--lr auto` when asked: sweeps on `data` and writes the choice into
    spec; without data keeps the method's default rate and says so. Returns the
    LrChoice or None. job_steps: the training steps the job will take, when known."""
    if parse_lr(lr_arg) is not None:
        return None
    if not data:
        log(f"--lr auto: no field data (--data), so the {spec.method} default rate {spec.lr:g} is used")
        return None
    from pytool.compiler import load_graph
    from pytool.training import autolr

    g = load_graph(model)
    if not g.is_quantized:
        log(f"--lr auto: {model} is a float model; the sweep runs on int8 models, so the default rate "
            f"{spec.lr:g} is used (quantize first, or pass --lr)")
        return None
    import numpy as np

    from pytool.data import graph_input_spec, load_xy

    # Checked like every data file (pytool/data.py): one clear error before any sweep.
    n = len(load_xy(data, graph_input_spec(g), int(np.prod(g.tensors[g.outputs[0]].shape)))[1])
    if n is not None and n < autolr.MIN_SAMPLES:
        log(f"--lr auto: {data} has {n} samples (a sweep needs {autolr.MIN_SAMPLES}), so the {spec.method} "
            f"default rate {spec.lr:g} is used")
        return None
    choice = autolr.apply(g, spec, data, job_steps=job_steps)
    extra = "" if choice.directions is None else f", directions {choice.directions}, epsilon {choice.epsilon:g}"
    if choice.perturb == "activity":
        extra = f", activity perturbation, epsilon {choice.epsilon:g}"
    won = [p for p in choice.points if autolr._is_choice(p, choice)]
    acc = won[0].accuracy if won else max(p.accuracy for p in choice.points)
    log(f"--lr auto: {choice.trainable}, lr {choice.lr:g}{extra} (held-out accuracy "
        f"{acc:.3f}, before {choice.baseline_accuracy:.3f}; "
        f"{len(choice.points)} candidates in {choice.seconds:.1f} s)")
    if plot_path:
        autolr.plot(choice, plot_path)
    return choice
