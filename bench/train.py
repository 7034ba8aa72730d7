"""Training benchmark on the digits shift task, shared by every method.

Per method x trainable subset: field-test accuracy before/after (mean over
seeds), the float32-backprop upper bound on the same subset, the fraction of
its gain recovered, host steps/s (the C runtime through cffi), and RAM:
inference arena vs training arena.

    .venv/bin/python bench/train.py [--methods forward-grad] [--trainable last:1 last:2 last:3]
                                    [--seeds 3] [--epochs 10] [--out bench_train.json]

Sparse update: `--sparse-curve out.png` (accuracy vs RAM budget against
last-k full updates) and `--sparse-targets [--out f.json]` (instructions per
TRAIN step vs per INFER on each QEMU target, measured peak RAM).

A method adds itself to RUNNERS: name -> function(graph, trainable, seed,
epochs) returning {"before", "after", "steps_per_s", "arena", "extra"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool import compile_model, load_host  # noqa: E402
from pytool.compiler import load_graph  # noqa: E402
from pytool.training import TrainSpec, TrainSpecError  # noqa: E402
from pytool.training.float_baseline import train_float  # noqa: E402
from pytool.training.loop import load_dataset, train  # noqa: E402

DIGITS = ROOT / "examples" / "digits"
WORK = Path(tempfile.gettempdir()) / "tinyodl_bench_train"

# Settings each method is benchmarked with (documented in docs/training.md).
SPECS: dict[str, dict] = {
    "forward-grad": {"lr": 2.0, "directions": 8, "epsilon": 4.0},
    # activity perturbation: a float SGD rate (docs/design/forward-grad.md); last one or two FC layers only
    "forward-grad-activity": {"lr": 0.005, "epsilon": 1.0, "extra": {"fg_perturb": "activity"}},
    "fp16": {"lr": 0.001, "master_fp32": True},
}


def host_runner(method: str) -> Callable[[object, str, int, int], dict]:
    """Runner for any method that trains through the host C runtime."""

    def run(g, trainable: str, seed: int, epochs: int) -> dict:
        spec = TrainSpec(method=method.removesuffix("-activity"), trainable=trainable, seed=seed,
                         **SPECS.get(method, {}))
        art = compile_model(g, WORK / f"{method}_{spec.key()}", train=spec)
        net = load_host(art)
        data = load_dataset(DIGITS / "field.npz", net.inputs[0])
        evd = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
        rep, _ = train(net.train_step, net.eval_sample, data, evd, epochs=epochs, seed=seed, progress=False)
        x = data.x[0]
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < 0.5:
            net.train_step(x, int(data.y[0]))
            n += 1
        return {"before": rep["accuracy_before"], "after": rep["accuracy_after"],
                "steps_per_s": n / (time.perf_counter() - t0),
                "arena": art.report["arena_bytes"], "extra": art.report["extra"],
                "persistent": art.report["persistent_bytes"]}

    return run


RUNNERS: dict[str, Callable] = {"forward-grad": host_runner("forward-grad"),
                                "forward-grad-activity": host_runner("forward-grad-activity")}
RUNNERS["fp16"] = host_runner("fp16")


def float_bound(g, trainable: str, seeds: int) -> tuple[float, float]:
    f, ft = np.load(DIGITS / "field.npz"), np.load(DIGITS / "field_test.npz")
    res = [train_float(g, trainable, f["x"], f["y"], ft["x"], ft["y"], epochs=30, lr=0.01, seed=s)
           for s in range(seeds)]
    return float(np.mean([r.accuracy_before for r in res])), float(np.mean([r.accuracy_after for r in res]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", nargs="+", default=list(RUNNERS))
    ap.add_argument("--trainable", nargs="+", default=["last:1", "last:2", "last:3"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--out", help="write the JSON here")
    ap.add_argument("--nets", choices=["with", "only", "skip"], default="with",
                    help="the AIfES MLP/CNN table of bench/train_nets.py (defaults only and explicit choices)")
    args = ap.parse_args(argv)
    nets_rows = []
    if args.nets != "skip":
        import train_nets

        nets_rows = train_nets.run(train_nets.NETS, train_nets.METHODS, log=lambda m: print(m, file=sys.stderr))
        Console(stderr=True, width=200).print(train_nets.table(nets_rows))
    if args.nets == "only":
        if args.out:
            Path(args.out).write_text(json.dumps({"nets": nets_rows}, indent=1) + "\n")
        return 0
    g = load_graph(DIGITS / "digits_int8_tf.tflite")
    inference_arena = compile_model(g, WORK / "inference").report["arena_bytes"]
    rows = []
    for trainable in args.trainable:
        fb, fa = float_bound(g, trainable, args.seeds)
        for method in args.methods:
            try:
                runs = [RUNNERS[method](g, trainable, s, args.epochs) for s in range(args.seeds)]
            except TrainSpecError as exc:  # a subset the method cannot train: the row says why
                rows.append({"method": method, "trainable": trainable, "error": str(exc)})
                continue
            before = float(np.mean([r["before"] for r in runs]))
            after = float(np.mean([r["after"] for r in runs]))
            rows.append({
                "method": method, "trainable": trainable, "seeds": args.seeds, "epochs": args.epochs,
                "settings": SPECS.get(method, {}),
                "accuracy_before": before, "accuracy_after": after,
                "accuracy_after_per_seed": [r["after"] for r in runs],
                "float32_before": fb, "float32_after": fa,
                "recovered": (after - before) / (fa - fb) if fa > fb else None,
                "host_steps_per_s": float(np.mean([r["steps_per_s"] for r in runs])),
                "ram_inference_arena": inference_arena, "ram_training_arena": runs[0]["arena"],
                "ram_breakdown": runs[0]["extra"],
            })
    doc = {"task": "digits shift (examples/digits)", "rows": rows, "nets": nets_rows}
    text = json.dumps(doc, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    t = Table(title="on-device training, digits shift task (field_test accuracy)")
    for c in ("method", "trainable", "before", "after", "float32", "recovered", "steps/s", "arena inf/train"):
        t.add_column(c, justify="right")
    for r in rows:
        if "error" in r:
            t.add_row(r["method"], r["trainable"], "n/a", r["error"].split(": ", 1)[-1][:40], "", "", "", "")
            continue
        t.add_row(r["method"], r["trainable"], f"{r['accuracy_before']:.3f}", f"{r['accuracy_after']:.3f}",
                  f"{r['float32_after']:.3f}", f"{r['recovered']:.0%}" if r["recovered"] is not None else "-",
                  f"{r['host_steps_per_s']:,.0f}", f"{r['ram_inference_arena']:,}/{r['ram_training_arena']:,}")
    Console(stderr=True).print(t)
    return 0


def sparse_curve(argv: list[str]) -> int:
    """Sparse update: accuracy vs RAM budget with the automatic scheme, against
    a last-k full update (all weights, int16 master) that fits the same
    budget. bench/train.py --sparse-curve out.png [--seeds 3] [--epochs 30]"""
    from pytool.training import sparse as sp
    from pytool.training.scheme import float_train

    ap = argparse.ArgumentParser()
    ap.add_argument("--sparse-curve", required=True, help="PNG to write")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.0015)
    args, _ = ap.parse_known_args(argv)
    g = load_graph(DIGITS / "digits_int8_tf.tflite")
    inf = sp.inference_arena(g)
    f, ft = np.load(DIGITS / "field.npz"), np.load(DIGITS / "field_test.npz")
    base = sp.lower_graph(g)
    layers = [i for i, op in enumerate(g.ops) if op.type in sp.WEIGHTED][::-1]

    def run(spec) -> tuple[float, float, int, sp.Scheme]:
        art = compile_model(g, WORK / f"sparse_{spec.key()}", train=spec)
        net, gains = load_host(art), []
        for seed in range(args.seeds):
            net.reset()
            rep, _ = train(net.train_step, net.eval_sample, load_dataset(DIGITS / "field.npz", net.inputs[0]),
                           load_dataset(DIGITS / "field_test.npz", net.inputs[0]), epochs=args.epochs, seed=seed,
                           progress=False)
            gains.append(rep["accuracy_after"])
        st, _ = art.program.sparse
        return float(np.mean(gains)), rep["accuracy_before"], art.report["arena_bytes"], st.scheme

    rows = []
    for factor in (1.2, 1.5, 2.0, 3.0, 6.0, 30.0):
        budget = int(factor * inf)
        spec = TrainSpec(method="sparse", lr=args.lr, ram=budget, extra={"data": str(DIGITS / "field.npz")})
        after, before, arena, scheme = run(spec)
        fl = [float_train(g, scheme, f["x"], f["y"], ft["x"], ft["y"], args.epochs, args.lr, s)
              for s in range(args.seeds)]
        fgain = float(np.mean([a - b for b, a in fl]))
        lastk = None
        for k in range(len(layers), 0, -1):
            sch = {i: sp.Choice("weights") for i in layers[:k]}
            if sp.scheme_bytes(g, base, sch) <= budget:
                path = WORK / f"lastk{k}.toml"
                path.write_text(sp.dump_scheme(g, sch))
                lastk = (k, run(TrainSpec(method="sparse", lr=args.lr, scheme=str(path)))[0])
                break
        rows.append({"budget": budget, "factor": factor, "arena": arena, "before": before, "after": after,
                     "float_gain": fgain, "recovered": (after - before) / fgain if fgain > 0 else None,
                     "scheme": {k: c.label(sp.n_out_of(g, k)) for k, c in scheme.items()},
                     "last_k": lastk})
    print(json.dumps({"inference_arena": inf, "rows": rows}, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["budget"] for r in rows], [r["after"] for r in rows], "o-", label="sparse update (auto scheme)")
    pts = [(r["budget"], r["last_k"][1]) for r in rows if r["last_k"]]
    if pts:
        ax.plot(*zip(*pts), "s--", label="last-k full update")
    ax.axhline(rows[0]["before"], color="gray", lw=0.8, label="no adaptation")
    ax.set_xscale("log")
    ax.set_xlabel("RAM budget (bytes)")
    ax.set_ylabel("field-test accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.sparse_curve, dpi=120)
    return 0


def sparse_targets(argv: list[str]) -> int:
    """Sparse update on each QEMU target: device instructions per TRAIN step
    vs per INFER and EVAL (the link's STATS counter, exact under -icount),
    stack beyond an inference-only firmware, for the automatic scheme at
    each budget. bench/train.py --sparse-targets [--boards ...] [--factors 1.5 3] [--out f.json]"""
    from pytool.link import Link
    from pytool.link import train as lt
    from pytool.targets import QemuSession, build_firmware
    from pytool.training import sparse as sp

    ap = argparse.ArgumentParser()
    ap.add_argument("--sparse-targets", action="store_true")
    ap.add_argument("--boards", nargs="+", default=["mps2-an386", "mps3-an547", "riscv32-virt"])
    ap.add_argument("--factors", nargs="+", type=float, default=[1.5, 3.0, 30.0])
    ap.add_argument("--out")
    args, _ = ap.parse_known_args(argv)
    g = load_graph(DIGITS / "digits_int8_tf.tflite")
    inf_art = compile_model(g, WORK / "inference")
    data = load_dataset(DIGITS / "field.npz", load_host(inf_art).inputs[0])
    x, y = data.x[0], int(data.y[0])

    def measure(art, board: str, train_too: bool) -> dict:
        elf = build_firmware(art.dir, board, WORK / f"fw_{board}_{art.dir.name}")
        with QemuSession(elf, board) as q, Link(q.url, timeout=10) as link:
            link.infer(x)
            res = {"infer_instr": link.stats().counter}
            if train_too:
                lt.eval_sample(link, x, y)
                res["eval_instr"] = link.stats().counter
                lt.train_step(link, x, y)
                res["train_step_instr"] = link.stats().counter
            res["stack_high_water"] = link.stats().stack_high_water
        return res

    rows = []
    for board in args.boards:
        base = measure(inf_art, board, False)
        for factor in args.factors:
            budget = int(factor * inf_art.report["arena_bytes"])
            spec = TrainSpec(method="sparse", ram=budget, extra={"data": str(DIGITS / "field.npz")})
            art = compile_model(g, WORK / f"sparse_t{factor}_{spec.key()}", train=spec, ram=budget)
            m = measure(art, board, True)
            st, _ = art.program.sparse
            extra_stack = max(0, m["stack_high_water"] - base["stack_high_water"])
            rows.append({
                "target": board, "budget": budget, "factor": factor,
                "scheme": {k: c.label(sp.n_out_of(g, k)) for k, c in st.scheme.items()},
                **m, "train_over_infer": m["train_step_instr"] / max(m["infer_instr"], 1),
                "arena": art.report["arena_bytes"], "stack_reserve": art.program.plan.stack_bytes,
                "stack_beyond_inference": extra_stack, "measured_peak": art.report["arena_bytes"] + extra_stack,
            })
    text = json.dumps({"bench": "sparse update on QEMU targets", "rows": rows}, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    t = Table(title="sparse update on QEMU targets (digits, automatic scheme)")
    for c in ("target", "budget", "scheme", "instr/infer", "instr/step", "step/infer", "arena", "stack+",
              "peak"):
        t.add_column(c, justify="left" if c == "scheme" else "right")
    for r in rows:
        t.add_row(r["target"], f"{r['budget']:,}", "; ".join(f"#{k} {v}" for k, v in r["scheme"].items()),
                  f"{r['infer_instr']:,}", f"{r['train_step_instr']:,}", f"{r['train_over_infer']:.2f}x",
                  f"{r['arena']:,}", f"{r['stack_beyond_inference']:,}", f"{r['measured_peak']:,}")
    Console(stderr=True, width=170).print(t)
    return 0


if __name__ == "__main__":
    if "--sparse-targets" in sys.argv[1:]:
        raise SystemExit(sparse_targets(sys.argv[1:]))
    if any(a.startswith("--sparse-curve") for a in sys.argv[1:]):
        raise SystemExit(sparse_curve(sys.argv[1:]))
    raise SystemExit(main())
