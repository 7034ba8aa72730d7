"""tinyodl inspect MODEL: ops, tensors, quantization, MACs; unsupported ops flagged."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool import ops as opreg
from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite or .onnx file")
    p.add_argument("--tensors", action="store_true", help="also list every tensor")


def _q(t) -> str:
    if t.quant is None:
        return "-"
    q = t.quant
    if q.per_channel:
        return f"per-channel x{q.scale.size} (axis {q.axis})"
    return f"s={float(q.scale[0]):.4g} zp={int(q.zero_point[0])}"


def why_unsupported(g, i: int, op) -> str | None:
    """The reason the runtime cannot compute op #i, or None. Lowering is
    TFLite's Prepare step, so it refuses exactly what no kernel computes (dtype
    combinations, quantization); a float model is quantized first, so only its
    float semantics are needed here."""
    from pytool.ir import IRError

    if op.attrs.get("_unsupported"):
        return op.attrs["_unsupported"]
    spec = opreg.get(op.type)
    if spec is None:
        return f"{op.label(i)}: op type {op.type} is not supported"
    if not g.is_quantized:
        return None
    try:
        spec.lower(g, op)
    except (IRError, ValueError, KeyError, IndexError, TypeError) as e:
        return f"{op.label(i)}: {e}"
    return None


def _macs(g, i: int, op, spec) -> int:
    try:
        return int(spec.macs(g, op))
    except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError) as e:
        raise ValueError(f"{g.source}: {op.label(i)}: malformed operands, cannot count MACs "
                         f"({type(e).__name__}: {e})") from None


def _op_table(g, title: str) -> tuple[Table, int, list[str]]:
    """One graph's ops: the table, its MACs and why each unsupported op is."""
    t = Table(title=title)
    for c in ("#", "op", "name", "output", "dtype", "quant", "MACs", "ok"):
        t.add_column(c, justify="right" if c in ("#", "MACs") else "left")
    total, problems = 0, []
    for i, op in enumerate(g.ops):
        spec = opreg.get(op.type)
        y = g.tensors[op.outputs[0]] if op.outputs else None
        bad = why_unsupported(g, i, op)
        macs = _macs(g, i, op, spec) if spec is not None and not op.attrs.get("_unsupported") and not bad else 0
        total += macs
        ok = "[green]yes[/]" if spec is not None and not bad else "[red]NO[/]"
        if bad:
            problems.append(bad)
        t.add_row(
            str(i), op.type, op.name[:32], str(y.shape) if y else "-", y.dtype if y else "-",
            _q(y) if y else "-", f"{macs:,}", ok,
        )
    return t, total, problems


def _subgraph_roles(g):
    """(index, subgraph, which op runs it) for every subgraph, in index order."""
    from pytool.ops.control_flow import SUBGRAPH_ATTRS

    roles: dict[int, str] = {}
    for owner, op in g.all_ops():
        for a in SUBGRAPH_ATTRS.get(op.type, ()):
            k = op.attrs.get(a)
            where = "main graph" if owner is g else f"'{owner.name}'"
            roles.setdefault(k, f"{a} of {op.type} op #{owner.ops.index(op)} in {where}")
    return [(k, g.subgraphs[k], roles.get(k, "unused")) for k in sorted(g.subgraphs)]


def run(args) -> int:
    from pytool.frontends import load_model

    g = load_model(args.model, strict=False)
    t, total, problems = _op_table(g, f"{args.model}: {len(g.ops)} ops")
    out.print(t)
    for k, sub, role in _subgraph_roles(g):
        st, _, sub_problems = _op_table(sub, f"subgraph #{k} '{sub.name}' ({role}): {len(sub.ops)} ops")
        out.print(st)
        problems += [f"subgraph #{k}: {m}" for m in sub_problems]
    unsupported = len(problems)
    # Constants no op reads (e.g. what read-time folding consumed) are not in the generated C.
    read = set(g.outputs).union(*(op.inputs for sub in (g, *g.subgraphs.values()) for op in sub.ops))
    consts = [x for n, x in g.tensors.items() if x.is_const and n in read]
    weights = sum(x.nbytes for x in consts)
    params = sum(x.numel for x in consts if x.dtype != "int32" or x.quant is not None)
    out.print(f"inputs: {[(n, g.tensors[n].shape, g.tensors[n].dtype) for n in g.inputs]}")
    out.print(f"outputs: {[(n, g.tensors[n].shape, g.tensors[n].dtype) for n in g.outputs]}")
    out.print(f"MACs: {total:,}   parameters: {params:,}   weight bytes: {weights:,}")
    if args.tensors:
        tt = Table(title="tensors")
        for c in ("name", "shape", "dtype", "const", "quant"):
            tt.add_column(c)
        for n, x in g.tensors.items():
            tt.add_row(n[:40], str(x.shape), x.dtype, "yes" if x.is_const else "", _q(x))
        out.print(tt)
    if unsupported:
        for msg in problems:
            out.print(f"[red]unsupported:[/] {msg}")
        out.print(f"[red]{unsupported} unsupported op(s); supported: {', '.join(opreg.supported())}[/]")
        return 1
    return 0
