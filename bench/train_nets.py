"""What training reaches with defaults only, on the AIfES MLP and CNN.

The task of tests/fixtures/train_nets: factory model trained on shifted digits,
adapted on clean digits (field.npz, 3 epochs, batch 1), scored on held-out
clean digits (field_test.npz). Per method: defaults only (what `tinyodl
finetune --method M --data field.npz` does: default trained set, --lr auto on
the field data, the loss-spike guard) and explicit choices; beside float32
backprop of the same trained set (SGD, batch 1, same epochs, best of a few
rates, seed 0's sample order) and the share of its gain recovered (also against
float32 on the run's own sample order). Training runs in the host build of
the C runtime, bit-exact with the boards.

    .venv/bin/python bench/train_nets.py [--nets mlp cnn] [--methods fp16] [--defaults-only] [--seed N] [--out f.json]

bench/train.py runs this too (the "nets" part of its JSON).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool import compile_model, load_host  # noqa: E402
from pytool.compiler import load_graph  # noqa: E402
from pytool.finetune import GuardConfig  # noqa: E402
from pytool.training import TrainSpec, autolr, weighted_layers  # noqa: E402
from pytool.training.float_baseline import train_float  # noqa: E402
from pytool.training.loop import load_dataset, lr_schedule_hook, train  # noqa: E402

NETS_DIR = ROOT / "tests" / "fixtures" / "train_nets"
NETS = ["mlp", "cnn"]
# Other shifted-digits tasks the bench can run (--nets digits): model, folder with field(_test).npz.
TASKS = {"mlp": (NETS_DIR / "mlp_int8.tflite", NETS_DIR), "cnn": (NETS_DIR / "cnn_int8.tflite", NETS_DIR),
         "digits": (ROOT / "examples" / "digits" / "digits_int8_tf.tflite", ROOT / "examples" / "digits")}
METHODS = ["forward-grad", "sparse", "fp16"]
EPOCHS = 3
FLOAT_LRS = [0.003, 0.01, 0.03]
WORK = Path(tempfile.mkdtemp(prefix="tinyodl_bench_train_nets_"))  # private per run
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
# Held-out variants of the digits task, for defaults that were not tuned on them: the same
# factory model, another field "sensor" (examples/digits/shift.py with other parameters and
# another split of the field pool), generated into WORK when asked for.
DIGITS_DIR = ROOT / "examples" / "digits"
VARIANTS = {
    "digits-v2": {"ROTATION_DEG": -15.0, "THICKEN_BLEND": 0.5, "GAIN": 0.6, "OFFSET": 0.25, "NOISE_STD": 0.07,
                  "seed": 5},
    "digits-v3": {"ROTATION_DEG": 8.0, "THICKEN_BLEND": 0.8, "GAIN": 0.8, "OFFSET": 0.1, "NOISE_STD": 0.04,
                  "seed": 9},
}
for _name in VARIANTS:
    TASKS[_name] = (DIGITS_DIR / "digits_int8_tf.tflite", WORK / _name)


def ensure_task(net: str) -> None:
    """Writes a variant's field.npz / field_test.npz (numpy only) the first time it is used."""
    folder = TASKS[net][1]
    if net not in VARIANTS or (folder / "field.npz").exists():
        return
    sys.path.insert(0, str(DIGITS_DIR))
    import shift

    params = dict(VARIANTS[net])
    seed = params.pop("seed")
    saved = {k: getattr(shift, k) for k in params}
    try:
        for k, v in params.items():
            setattr(shift, k, v)
        fx, fy, tx, ty = shift.make_field(seed)
    finally:
        for k, v in saved.items():
            setattr(shift, k, v)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "field.npz", x=fx, y=fy)
    np.savez(folder / "field_test.npz", x=tx, y=ty)


TARGET_ACC = 0.85  # issue: defaults only, every method on both nets
TARGET_RECOVERED = 0.90  # issue: share of float32's gain on the same trained set

# Explicit choices beside the defaults (the settings the table compared).
# "lr": "auto": the defaults with only the trained set fixed (the sweep picks rate, directions, ε).
# "perturb": forward gradient's fg_perturb (weights: the estimator before activity perturbation).
EXPLICIT: dict[str, list[dict]] = {
    "forward-grad": [{"trainable": "last:1", "lr": "auto"}, {"trainable": "last:2", "lr": "auto"},
                     {"trainable": "last:1", "lr": "auto", "perturb": "weights"},
                     {"trainable": "last:2", "lr": "auto", "perturb": "weights"},
                     {"trainable": "last:1", "lr": 2.0, "directions": 8, "epsilon": 4.0},
                     {"trainable": "last:2", "lr": 2.0, "directions": 8, "epsilon": 4.0}],
    "sparse": [{"scheme": "all", "lr": 0.0015}],  # its trained set is its scheme (docs/design/sparse.md)
    "fp16": [{"trainable": "last:1", "lr": "auto"}, {"trainable": "last:2", "lr": "auto"},
             {"trainable": "last:1", "lr": 0.005}, {"trainable": "last:2", "lr": 0.001}],
}


def spec_for(net: str, method: str, choice: dict | None, g, seed: int = 0) -> TrainSpec:
    field = str(TASKS[net][1] / "field.npz")
    extra = {"data": field} if method == "sparse" else {}
    if choice is None:  # defaults only: as `tinyodl finetune` builds it
        spec = TrainSpec.for_method(method, extra=extra, seed=seed)
        spec.guard_sigma = GuardConfig().spike_sigma
        n = len(np.load(TASKS[net][1] / "field.npz")["y"])
        autolr.apply(g, spec, TASKS[net][1] / "field.npz", work=WORK / "lr", job_steps=EPOCHS * n)
        return spec
    choice = dict(choice)
    if "perturb" in choice:
        extra["fg_perturb"] = choice.pop("perturb")
    if choice.get("lr") == "auto":  # defaults except the trained set
        choice.pop("lr")
        spec = TrainSpec.for_method(method, extra=extra, seed=seed, **choice)
        spec.guard_sigma = GuardConfig().spike_sigma
        n = len(np.load(TASKS[net][1] / "field.npz")["y"])
        autolr.apply(g, spec, TASKS[net][1] / "field.npz", work=WORK / "lr", job_steps=EPOCHS * n)
        return spec
    if choice.get("scheme") == "all":
        from pytool.training import sparse as sp

        path = WORK / f"{net}_all.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sp.dump_scheme(g, {i: sp.Choice("weights") for i in weighted_layers(g)}))
        choice["scheme"] = str(path)
    return TrainSpec.for_method(method, extra=extra, seed=seed, **choice)


def trained_names(art) -> list[str]:
    names = {i: n.split(":", 1)[-1] for n, i in art.meta["tensors"].items()}
    return [names[i] for i in art.meta["trainable_order"]]


def run_case(net: str, method: str, choice: dict | None, seed: int = 0) -> dict:
    """One row; seed as `tinyodl finetune --seed`: perturbations, the sweep's split, the shuffle."""
    g = load_graph(TASKS[net][0])
    spec = spec_for(net, method, choice, g, seed)
    art = compile_model(g, WORK / f"{net}_{method}_{spec.key()}", train=spec)
    host = load_host(art)
    data = load_dataset(TASKS[net][1] / "field.npz", host.inputs[0])
    evd = load_dataset(TASKS[net][1] / "field_test.npz", host.inputs[0])
    rep, _ = train(host.train_step, host.eval_sample, data, evd, epochs=EPOCHS, seed=seed, progress=False,
                   on_epoch_start=lr_schedule_hook(spec, host.set_lr_shift))
    lr_auto = spec.extra.get("lr_auto")
    return {"net": net, "method": method, "seed": seed, "settings": "defaults" if choice is None else choice,
            "trainable": "scheme" if method == "sparse" else spec.trainable, "trained_tensors": trained_names(art),
            "lr": spec.lr, "lr_schedule": spec.lr_schedule, "directions": spec.directions if method == "forward-grad" else None,
            "epsilon": spec.epsilon if method == "forward-grad" else None,
            "perturb": spec.extra.get("fg_perturb") if method == "forward-grad" else None,
            "lr_auto_seconds": lr_auto["seconds"] if lr_auto else None,
            "accuracy_before": rep["accuracy_before"], "accuracy_after": rep["accuracy_after"],
            "arena": art.report["arena_bytes"]}


_float_cache: dict = {}


def float_bound(net: str, tensors: list[str], seed: int = 0) -> dict:
    """float32 backprop of the same tensors, SGD batch 1, the same epochs, best of FLOAT_LRS:
    with seed 0's sample order (the issue's bound, every pass so far) and with the run's own
    order (seed): on digits last:1 seed 0's order is the luckiest, 0.867 against 0.803-0.855
    for seeds 1-4."""
    def one(order_seed: int) -> dict:
        key = (net, tuple(sorted(tensors)), order_seed)
        if key not in _float_cache:
            g = load_graph(TASKS[net][0])
            f, t = np.load(TASKS[net][1] / "field.npz"), np.load(TASKS[net][1] / "field_test.npz")
            runs = {lr: train_float(g, ",".join(tensors), f["x"], f["y"], t["x"], t["y"], epochs=EPOCHS, lr=lr,
                                    momentum=0.0, batch=1, seed=order_seed) for lr in FLOAT_LRS}
            lr, best = max(runs.items(), key=lambda kv: kv[1].accuracy_after)
            _float_cache[key] = {"before": best.accuracy_before, "after": best.accuracy_after, "lr": lr}
        return _float_cache[key]

    same, first = one(seed), one(0)
    return {"float32_before": same["before"], "float32_after": same["after"], "float32_lr": same["lr"],
            "float32_after_seed0": first["after"], "float32_before_seed0": first["before"]}


def run(nets: list[str], methods: list[str], defaults_only: bool = False, log=print, seed: int = 0) -> list[dict]:
    rows = []
    for net in nets:
        ensure_task(net)
        for method in methods:
            for choice in [None] + ([] if defaults_only else EXPLICIT[method]):
                try:
                    r = run_case(net, method, choice, seed)
                except Exception as exc:  # a combination a method cannot do yet: say why
                    rows.append({"net": net, "method": method, "settings": choice or "defaults",
                                 "error": str(exc).splitlines()[0][:200]})
                    log(f"{net} {method} {choice or 'defaults'}: n/a: {rows[-1]['error']}")
                    continue
                fb = float_bound(net, r["trained_tensors"], seed)
                gain = fb["float32_after"] - fb["float32_before"]
                gain0 = fb["float32_after_seed0"] - fb["float32_before_seed0"]
                r.update(fb)
                # the issue's share: against float32 on seed 0's sample order (as in every pass so far);
                # beside it the share against float32 on the run's own order
                r["recovered"] = (r["accuracy_after"] - r["accuracy_before"]) / gain0 if gain0 > 0 else None
                r["recovered_same_order"] = (r["accuracy_after"] - r["accuracy_before"]) / gain if gain > 0 else None
                rows.append(r)
                log(f"{net} {method} {choice or 'defaults'}: {r['accuracy_before']:.3f} -> {r['accuracy_after']:.3f}")
    return rows


def table(rows: list[dict]) -> Table:
    t = Table(title=f"training on the AIfES nets: shifted-digits factory, clean field data, {EPOCHS} epochs "
                    "(field_test accuracy; host build = device bytes)")
    for c in ("net", "method", "settings", "trained", "lr", "before → after", "float32 same set", "recovered",
              "vs same order"):
        t.add_column(c, justify="left" if c in ("net", "method", "settings", "trained") else "right")
    for r in rows:
        settings = "defaults" if r["settings"] in ("defaults", None) else ", ".join(
            f"{k} {v}" for k, v in r["settings"].items() if k not in ("trainable", "scheme"))
        if "error" in r:
            t.add_row(r["net"], r["method"], settings, "", "", f"[yellow]n/a: {r['error'][:60]}[/]", "", "", "")
            continue
        after = f"{r['accuracy_after']:.3f}"
        if r["settings"] == "defaults":
            after = f"[{'green' if r['accuracy_after'] >= TARGET_ACC else 'red'}]{after}[/]"
        lr = f"{r['lr']:g}" + (f" activity ε={r['epsilon']:g}" if r.get("perturb") == "activity" else
                               f" m={r['directions']} ε={r['epsilon']:g}" if r["directions"] else "")
        rec = r["recovered"]
        rec_s = "" if rec is None else f"[{'green' if rec >= TARGET_RECOVERED else 'red'}]{rec:.0%}[/]"
        t.add_row(r["net"], r["method"], settings, r["trainable"] if r["trainable"] != "scheme" else
                  f"{len(r['trained_tensors'])} tensors", lr, f"{r['accuracy_before']:.3f} → {after}",
                  f"{r['float32_before_seed0']:.3f} → {r['float32_after_seed0']:.3f}", rec_s,
                  "" if r.get("recovered_same_order") is None else f"{r['recovered_same_order']:.0%}")
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", nargs="+", choices=list(TASKS), default=NETS)
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    ap.add_argument("--defaults-only", action="store_true")
    ap.add_argument("--seed", type=int, default=0, help="as tinyodl finetune --seed (perturbations, split, shuffle)")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    rows = run(args.nets, args.methods, args.defaults_only, log=lambda m: print(m, file=sys.stderr),
               seed=args.seed)
    doc = {"task": "tests/fixtures/train_nets (shifted-digits factory, clean field)", "epochs": EPOCHS, "seed": args.seed,
           "targets": {"defaults_accuracy": TARGET_ACC, "recovered": TARGET_RECOVERED}, "rows": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    Console(stderr=True, width=200).print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
