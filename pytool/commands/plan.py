"""tinyodl plan MODEL --train sparse --ram 96K --data field.npz: the training
scheme a RAM budget allows, and why (layer, choice, bytes, score, reason),
with inference vs training peak RAM: the planner's arena plus, for sparse
update, the stack its training call needs beyond inference."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    from pytool.training.cli import add_train_args

    p.add_argument("model", help=".tflite or .onnx (int8)")
    p.add_argument("--ram", help="RAM budget, e.g. 96K (sparse default: inference arena + max(half of it, 8 KiB))")
    p.add_argument("--data", help="sparse: .npz of field samples (x, y) for the contribution estimates")
    p.add_argument("--write-scheme", help="sparse: also write the chosen scheme as a scheme.toml")
    p.add_argument("--plot", help="--lr auto: also write the sweep as a PNG here")
    add_train_args(p)


def run(args) -> int:
    from pathlib import Path

    from pytool.compiler import load_graph
    from pytool.training import prepare
    from pytool.training.cli import auto_lr, spec_from_args

    if not args.train:
        raise ValueError("plan needs --train (forward-grad, sparse or fp16)")
    g = load_graph(args.model)
    spec = spec_from_args(args)
    if args.data:
        spec.extra["data"] = args.data
    choice = auto_lr(args.model, spec, args.lr, args.data, args.plot, log=lambda m: out.print(f"[bold]{m}[/]"))
    if choice is not None:
        from pytool.training.autolr import table

        out.print(table(choice))
        if args.plot:
            out.print(f"wrote {args.plot}")
    if args.train == "sparse":
        from pytool.training import sparse as sp
        from pytool.training.scheme import search

        if args.scheme:
            scheme = sp.load_scheme(args.scheme, g)
            prog, _, lay = sp.build(g, spec, scheme)
            inference, training, budget = lay.inference_arena, lay.plan.arena_size, spec.ram
            stack = lay.plan.stack_bytes
            rows = [(k, g.ops[k].type, scheme[k].label(sp.n_out_of(g, k)), None, None, "from --scheme")
                    for k in sorted(scheme)]
        else:
            res = search(g, spec)
            scheme, inference, training, budget = res.scheme, res.inference, res.training, res.budget
            stack = res.stack
            rows = [(r.op, r.layer, r.choice, r.bytes, r.score, r.why) for r in res.rows]
        t = Table(title=f"sparse-update scheme for {Path(args.model).name}")
        for c in ("op", "layer", "choice", "bytes", "score", "why"):
            t.add_column(c, justify="right" if c in ("op", "bytes", "score") else "left")
        for op, layer, choice, nb, score, why in rows:
            t.add_row(str(op), layer, choice, "" if nb is None else f"{nb:,}",
                      "" if score is None else f"{score:.4g}", why)
        out.print(t)
        if args.write_scheme:
            Path(args.write_scheme).write_text(sp.dump_scheme(g, scheme))
            out.print(f"wrote {args.write_scheme}")
    else:
        prog, _ = prepare(g, spec)
        auto = spec.extra.get("trainable_auto")
        out.print(f"trained set: {spec.trainable}" + (f" (auto; skipped: {auto['skipped']})" if auto and
                                                       auto["skipped"] else " (auto)" if auto else ""))
        inference = None
        training, budget, stack = prog.plan.arena_size, spec.ram, prog.plan.stack_bytes
    m = Table(title="RAM (arena from the planner; stack beyond inference reserved per method)")
    m.add_column("")
    m.add_column("bytes", justify="right")
    if inference is not None:
        m.add_row("inference peak (arena)", f"{inference:,}")
    m.add_row("training arena", f"{training:,}")
    if stack:
        m.add_row("training stack beyond inference", f"{stack:,}")
    m.add_row("training peak", f"{training + stack:,}")
    if budget is not None:
        m.add_row("budget", f"{budget:,}")
    out.print(m)
    if budget is not None and training + stack > budget:
        raise ValueError(f"training needs {training + stack:,d} B of RAM but the budget is {budget:,d} B")
    return 0
