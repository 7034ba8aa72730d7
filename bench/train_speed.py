"""Cost of one training step on the QEMU boards, per method and trained set.

For the AIfES benchmark nets (tests/fixtures/train_nets: MLP 64-32-10, CNN conv
8x3x3 + max-pool + dense 10), the digits demo model and mobilenet_tiny; each
method (forward-grad, sparse, fp16) x trained set (the method's default, every
weighted layer) x board: instructions per step and per inference (the link's
STATS counter, exact under QEMU -icount), MAC/instr = (forward MACs + 2 x
forward MACs of the layers whose weights train) / instructions per step,
training RAM (arena + stack high-water) vs inference RAM and beyond the weights (arena minus the
trained tensors, plus the stack training adds; AIfES's measure), and where the step's
instructions go (per-function profile from QEMU's log: bench/qemu_profile.py).
AIfES's figures and the targets of the training-speed issue print beside ours.

    .venv/bin/python bench/train_speed.py [--quick] [--models mlp cnn] [--methods fp16]
        [--sets default all] [--boards mps2-an386] [--steps 3] [--profile-boards mps2-an386]
        [--out bench/results/train_speed.json]

A combination a method cannot build or run yet prints as "n/a: <reason>".
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ahead of bench/ (bench/quantize.py would shadow the package)
sys.path.append(str(ROOT / "bench"))

import qemu_profile as qp  # noqa: E402

from pytool import compile_model  # noqa: E402
from pytool import ops as opreg  # noqa: E402
from pytool.compiler import load_graph  # noqa: E402
from pytool.ir import Graph  # noqa: E402
from pytool.training import TrainSpec, weighted_layers  # noqa: E402

NETS = ROOT / "tests" / "fixtures" / "train_nets"
DIGITS = ROOT / "examples" / "digits"
MODELS = {
    "mlp": (NETS / "mlp_int8.tflite", NETS / "field.npz"),
    "cnn": (NETS / "cnn_int8.tflite", NETS / "field.npz"),
    "digits": (DIGITS / "digits_int8_tf.tflite", DIGITS / "field.npz"),
    "mobilenet_tiny": (ROOT / "tests" / "fixtures" / "models" / "mobilenet_tiny.tflite", None),
}
METHODS = ["forward-grad", "sparse", "fp16"]
BOARDS = ["mps2-an386", "mps3-an547", "riscv32-virt"]
# Private per run: firmware build folders are reused between cases, never shared between runs.
WORK = Path(tempfile.mkdtemp(prefix="tinyodl_bench_train_speed_"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
# QEMU's exec log is ~30 bytes per executed block: profile big models only when asked.
PROFILE_MAX_MACS = 200_000

# /work/shared/notes/anchors.md: AIfES 2.2, F32, batch 1, SGD, every layer trained, mps2-an386.
AIFES = {
    "mlp": {"instr_per_step": 282_000, "mac_per_instr": 0.025, "training_ram_beyond_weights": 18_500},
    "cnn": {"instr_per_step": 902_000, "mac_per_instr": 0.020, "training_ram_beyond_weights": 16_100},
}
# Targets of the training-speed issue (bench figures, never timed asserts).
TARGET_M4 = 0.15  # MAC/instr, mps2-an386, every backprop row with all layers trained
TARGET_M55_FP16 = 0.30  # MAC/instr, mps3-an547, FP16 backprop
FG_SLACK = 1.15  # forward gradient step <= 1.15 x (1 + 2·m·f) x inference
RAM_FRACTION = 0.25  # training RAM <= 1/4 of AIfES's


@dataclass
class Case:
    model: str
    method: str
    trained: str  # "default" | "all"
    spec: TrainSpec | None = None
    na: str = ""


def forward_macs(g: Graph) -> list[int]:
    out = []
    for op in g.ops:
        spec = opreg.get(op.type)
        out.append(spec.macs(g, op) if spec is not None else 0)
    return out


def data_file(model: str) -> Path:
    path, data = MODELS[model]
    if data is not None:
        return data
    # No field data ships with mobilenet_tiny: a few seeded samples in its input range.
    g = load_graph(path)
    shape = g.tensors[g.inputs[0]].shape
    out = WORK / f"{model}_data.npz"
    if not out.exists():
        rng = np.random.default_rng(0)
        n_cls = int(np.prod(g.tensors[g.outputs[0]].shape))
        x = rng.uniform(-1.0, 1.0, (16, *shape[1:])).astype(np.float32)
        np.savez(out, x=x, y=rng.integers(0, n_cls, 16))
    return out


def make_case(g: Graph, model: str, method: str, trained: str) -> Case:
    case = Case(model, method, trained)
    data = str(data_file(model))
    n = len(weighted_layers(g))
    extra = {"data": data} if method == "sparse" else {}
    if trained == "activity":
        if method != "forward-grad":
            case.na = "activity perturbation is a forward-gradient mode"
            return case
        k = 2 if all(g.ops[i].type == "FULLY_CONNECTED" for i in weighted_layers(g)[-2:]) else 1
        case.spec = TrainSpec.for_method(method, trainable=f"last:{k}", lr=0.0075, epsilon=1.0,
                                         extra={"fg_perturb": "activity"})
    elif trained == "default":
        case.spec = TrainSpec.for_method(method, extra=extra)
    elif method == "sparse":
        from pytool.training import sparse as sp

        scheme = {i: sp.Choice("weights") for i in weighted_layers(g)}
        path = WORK / f"{model}_sparse_all.toml"
        path.write_text(sp.dump_scheme(g, scheme))
        case.spec = TrainSpec.for_method(method, scheme=str(path), extra=extra)
    else:
        case.spec = TrainSpec.for_method(method, trainable=f"last:{n}")
    return case


def trained_ops(g: Graph, art) -> list[int]:
    """Ops whose weight tensor trains (a bias-only layer needs no weight gradient)."""
    names = {i: n.split(":", 1)[-1] for n, i in art.meta["tensors"].items()}
    trained = {names[i] for i in art.meta["trainable_order"]}
    return [k for k, op in enumerate(g.ops) if len(op.inputs) > 1 and op.inputs[1] in trained]


def sample(model: str, info) -> tuple[np.ndarray, int]:
    from pytool.training.loop import load_dataset

    d = load_dataset(data_file(model), info)
    return d.x[0], int(d.y[0])


def run_board(art_dir: Path, board: str, x: np.ndarray, y: int, steps: int, profile: bool) -> dict:
    from pytool.link import Link
    from pytool.link import train as lt
    from pytool.targets import QemuSession, build_firmware
    from pytool.targets.board import get_board

    b = get_board(board)
    elf = build_firmware(art_dir, board, WORK / f"fw_{board}")
    nm = b.toolchain_prefix + "nm"
    log = WORK / f"qemu_{board}.log"
    extra = qp.qemu_log_args(elf, nm, log) if profile and steps else ()
    res: dict = {}
    with QemuSession(elf, board, extra_args=extra) as q, Link(q.url, timeout=60) as link:
        link.infer(x)
        res["infer_instr"] = link.stats().counter
        counts = []
        for _ in range(steps):
            r = lt.train_step(link, x, y)
            counts.append(link.stats().counter)
        res["stack_high_water"] = link.stats().stack_high_water
    if steps:
        res["step_instr_each"] = counts
        res["step_instr"] = int(np.median(counts))
        res["step_flags"] = r["flags"]
    if extra:
        prof = qp.parse_log(log, qp.entry_address(elf, nm, "odl_train_step"), occurrence=min(2, steps),
                            sources=qp.source_map(elf, nm))
        res["profile"] = {"counted": prof.total, "shares": prof.shares(), "buckets": prof.buckets(),
                          "top": [(n, c, qp.bucket_of(n, prof.sources.get(n, ""))) for n, c in prof.top(12)],
                          "functions": {n: [c, prof.sources.get(n, "")] for n, c in prof.functions.most_common()}}
        log.unlink(missing_ok=True)
    return res


def measure(args) -> list[dict]:
    rows = []
    for model in args.models:
        g = load_graph(MODELS[model][0])
        macs = forward_macs(g)
        inf_art = compile_model(g, WORK / "model")
        x, y = sample(model, _input_info(inf_art))
        base = {}
        for board in args.boards:
            try:
                base[board] = run_board(inf_art.dir, board, x, y, 0, False)
            except Exception as exc:  # a model the board cannot run: every row says why
                base[board] = {"error": _reason(exc)}
        for method in args.methods:
            for trained in args.sets:
                try:
                    case = make_case(g, model, method, trained)
                    art = compile_model(g, WORK / "model", train=case.spec) if not case.na else None
                except Exception as exc:
                    case = Case(model, method, trained, na=_reason(exc))
                    art = None
                for board in args.boards:
                    row = {"model": model, "method": method, "trained": trained, "board": board,
                           "forward_macs": sum(macs),
                           "inference_instr": base[board].get("infer_instr"),
                           "inference_ram": (inf_art.report["arena_bytes"]
                                             + (base[board].get("stack_high_water") or 0))}
                    if case.na or "error" in base[board]:
                        row["na"] = case.na or base[board]["error"]
                        rows.append(row)
                        continue
                    ops = trained_ops(g, art)
                    row["trainable"] = case.spec.trainable if method != "sparse" else "scheme"
                    row["trained_ops"] = [g.ops[k].type for k in ops]
                    row["trained_macs"] = sum(macs[k] for k in ops)
                    try:
                        prof = board in args.profile_boards and (args.profile_large or sum(macs) <= PROFILE_MAX_MACS)
                        m = run_board(art.dir, board, x, y, args.steps, prof)
                    except Exception as exc:
                        row["na"] = _reason(exc)
                        rows.append(row)
                        continue
                    row.update(m)
                    row["mac_per_instr"] = (row["forward_macs"] + 2 * row["trained_macs"]) / m["step_instr"]
                    row["step_over_inference"] = m["step_instr"] / max(row["inference_instr"], 1)
                    row["training_ram"] = art.report["arena_bytes"] + (m.get("stack_high_water") or 0)
                    row["training_arena"] = art.report["arena_bytes"]
                    # AIfES's figure is beyond the weights: drop the RAM copies of the trained
                    # tensors, keep the stack the training call adds to inference's.
                    row["weights_ram"] = trainable_bytes(art)
                    row["training_ram_beyond_weights"] = (
                        row["training_arena"] - row["weights_ram"]
                        + max(0, (m.get("stack_high_water") or 0) - (base[board].get("stack_high_water") or 0)))
                    if method == "forward-grad" and trained != "activity":  # the bound counts directions
                        f = row["trained_macs"] / max(row["forward_macs"], 1)
                        row["fg_bound"] = FG_SLACK * (1 + 2 * case.spec.directions * f)
                        row["directions"] = case.spec.directions
                    rows.append(row)
                    print(f"{model} {method} {trained} {board}: {m['step_instr']:,} instr/step", file=sys.stderr)
    return rows


def trainable_bytes(art) -> int:
    """Bytes of the tensors a step trains (RAM copies of weights and biases)."""
    size = {"int8": 1, "uint8": 1, "int16": 2, "float16": 2, "int32": 4, "float32": 4}
    return sum(int(np.prod(t["shape"])) * size.get(t["dtype"], 4)
               for t in art.meta["tensor_info"] if t["flags"] & 0x08)


def _input_info(art):
    from pytool.host import _infos

    return _infos(art.meta["inputs"])[0]


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def _short(reason: str) -> str:
    """The first clause of a reason, for the table (the JSON keeps it whole)."""
    return reason.split(";")[0][:70]


def target_of(r: dict) -> tuple[str, bool | None]:
    """The issue's target for this row and whether it is met (None: no target)."""
    if r.get("na"):
        return "", None
    if r["method"] == "forward-grad" and "fg_bound" in r:
        return f"≤{r['fg_bound']:.2f}x inf", r["step_over_inference"] <= r["fg_bound"]
    if r["model"] in ("mlp", "cnn") and r["trained"] == "all":
        if r["board"] == "mps2-an386":
            return f"≥{TARGET_M4}", r["mac_per_instr"] >= TARGET_M4
        if r["board"] == "mps3-an547" and r["method"] == "fp16":
            return f"≥{TARGET_M55_FP16}", r["mac_per_instr"] >= TARGET_M55_FP16
    return "", None


SHARE_COLS = [("MAC kernels", "MAC kern"), ("other ops", "ops"), ("update", "update"),
              ("fp16 conversion", "f16 cvt"), ("bookkeeping", "bookkeep")]


def table(rows: list[dict]) -> Table:
    t = Table(title="training step cost on QEMU (exact instruction counts; shares from the per-function profile)")
    cols = ["model", "method", "set", "board", "instr/infer", "instr/step", "step/infer", "MAC/instr", "target",
            "RAM train/inf", *[c for _, c in SHARE_COLS], "AIfES (M4, all layers)", "note"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("model", "method", "set", "board", "note") else "right")
    for r in rows:
        head = [r["model"], r["method"], r["trained"], r["board"], f"{r['inference_instr'] or 0:,}"]
        if r.get("na"):
            t.add_row(*head, "n/a", *[""] * (len(cols) - 7), f"[yellow]{_short(r['na'])}[/]")
            continue
        tgt, ok = target_of(r)
        if ok is not None:
            tgt = f"[{'green' if ok else 'red'}]{tgt} {'ok' if ok else 'MISS'}[/]"
        sh = r.get("profile", {}).get("shares", {})
        pct = [f"{100 * sh[k]:.0f}%" if k in sh else ("" if not sh else "0%") for k, _ in SHARE_COLS]
        aifes = ""
        if r["model"] in AIFES and r["board"] == "mps2-an386" and r["trained"] == "all":
            a = AIFES[r["model"]]
            cap = int(RAM_FRACTION * a["training_ram_beyond_weights"])
            ours = r.get("training_ram_beyond_weights", r["training_ram"])
            ram_ok = "ok" if ours <= cap else "MISS"
            aifes = (f"{a['instr_per_step'] / 1000:.0f}k, {a['mac_per_instr']}, {a['training_ram_beyond_weights']:,} B"
                     f" (¼: {cap:,}; ours {ours:,} {ram_ok})")
        t.add_row(*head, f"{r['step_instr']:,}", f"{r['step_over_inference']:.1f}x", f"{r['mac_per_instr']:.3f}",
                  tgt, f"{r['training_ram']:,}/{r['inference_ram']:,}", *pct, aifes, r.get("trainable", ""))
    return t


def target_table(rows: list[dict]) -> Table:
    """The training-speed issue's targets, one line each, from the rows measured."""
    t = Table(title="targets (training-speed issue)")
    for c in ("target", "row", "ours", "needed", ""):
        t.add_column(c, justify="left" if c in ("target", "row") else "right")

    def line(what: str, r: dict, ours: str, need: str, ok: bool) -> None:
        t.add_row(what, f"{r['model']} {r['method']} {r['trained']} {r['board']}", ours, need,
                  f"[{'green' if ok else 'red'}]{'met' if ok else 'MISSED'}[/]")

    done = [r for r in rows if not r.get("na")]
    for r in done:
        tgt, ok = target_of(r)
        if ok is None:
            continue
        if r["method"] == "forward-grad":
            line("FG step ≤ 1.15·(1+2mf)·inference", r, f"{r['step_over_inference']:.2f}x", tgt.split()[0], ok)
        else:
            line("MAC/instr", r, f"{r['mac_per_instr']:.3f}", tgt, ok)
    for model, a in AIFES.items():
        cap = RAM_FRACTION * a["training_ram_beyond_weights"]
        cands = [r for r in done if r["model"] == model and r["trained"] == "all" and r["board"] == "mps2-an386"
                 and r["method"] in ("sparse", "fp16")]
        if cands:
            def beyond(r: dict) -> int:
                return r.get("training_ram_beyond_weights", r["training_ram"])

            best = min(cands, key=beyond)
            line("training RAM beyond weights ≤ ¼ AIfES (a backprop method, all layers)", best,
                 f"{beyond(best):,} B", f"{int(cap):,} B", beyond(best) <= cap)
    for r in rows:
        if r.get("na") and r["model"] in AIFES and r["trained"] == "all" and r["method"] != "forward-grad":
            t.add_row("n/a", f"{r['model']} {r['method']} {r['trained']} {r['board']}", "", "", _short(r["na"]))
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="MLP and CNN, 2 steps, M4 and M55, profile on M4")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    ap.add_argument("--sets", nargs="+", choices=["default", "all", "activity"], default=["default", "all"],
                    help="activity: forward gradient by activity perturbation over the last two (MLP) or "
                    "one (else) fully connected layers, as the --lr auto sweep picks it")
    ap.add_argument("--boards", nargs="+", choices=BOARDS, default=BOARDS)
    ap.add_argument("--steps", type=int, default=3, help="training steps measured per case (median)")
    ap.add_argument("--profile-boards", nargs="*", choices=BOARDS, default=None,
                    help="boards to profile per function (default: every measured board)")
    ap.add_argument("--profile-large", action="store_true",
                    help=f"also profile models over {PROFILE_MAX_MACS:,} MACs (large QEMU logs)")
    ap.add_argument("--out", help="write the JSON here")
    ap.add_argument("--from-json", help="print the tables of an earlier run's JSON (no QEMU)")
    args = ap.parse_args(argv)
    if args.from_json:
        rows = json.loads(Path(args.from_json).read_text())["rows"]
        for r in rows:  # re-bucket with today's rules when the run kept every function
            fn = r.get("profile", {}).get("functions")
            if fn:
                prof = qp.Profile(Counter({n: c for n, (c, _) in fn.items()}), {n: src for n, (_, src) in fn.items()})
                r["profile"]["shares"] = prof.shares()
        con = Console(stderr=True, width=240)
        con.print(table(rows))
        con.print(target_table(rows))
        return 0
    if args.quick:
        args.models = [m for m in args.models if m in ("mlp", "cnn")] or ["mlp", "cnn"]
        args.boards = [b for b in args.boards if b != "riscv32-virt"] or ["mps2-an386"]
        args.steps = min(args.steps, 2)
        if args.profile_boards is None:
            args.profile_boards = ["mps2-an386"]
    if args.profile_boards is None:
        args.profile_boards = list(args.boards)
    WORK.mkdir(parents=True, exist_ok=True)
    rows = measure(args)
    doc = {"bench": "training step cost on QEMU", "steps_per_case": args.steps, "aifes": AIFES,
           "targets": {"m4_mac_per_instr": TARGET_M4, "m55_fp16_mac_per_instr": TARGET_M55_FP16,
                       "fg_step_over_inference": f"{FG_SLACK} x (1 + 2·m·f)",
                       "training_ram_fraction_of_aifes": RAM_FRACTION},
           "rows": rows}
    text = json.dumps(doc, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    con = Console(stderr=True, width=240)
    con.print(table(rows))
    con.print(target_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
