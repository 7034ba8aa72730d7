"""tinyodl profile MODEL --target BOARD: per-layer instructions, MAC/instr and
live arena bytes, measured on a QEMU board (the profile firmware runs the ops
one by one on the selftest input and reads the board counter around each)."""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.table import Table

from pytool.commands._common import out


@dataclass
class LayerProfile:
    index: int
    type: str
    name: str
    macs: int
    instructions: int
    macs_per_instruction: float
    live_arena_bytes: int


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite/.onnx model (int8, or float with --calib)")
    p.add_argument("--target", required=True, help="QEMU board name (see `tinyodl targets`)")
    p.add_argument("--kernels", help="kernel families, comma-separated, or 'portable' (default: the board's)")
    p.add_argument("--calib", help="calibration data when the model is float")
    p.add_argument("--json", dest="json_out", help="also write the profile as JSON here")


def _kernels(value: str | None):
    if value is None:
        return None
    return [] if value == "portable" else [k for k in value.split(",") if k]


def profile(model, target: str, kernels=None, calib=None, work: Path | None = None) -> dict:
    """Compiles, builds the profile firmware, runs it in QEMU; returns
    {"target", "kernels", "layers": [LayerProfile...], "total_*", "bit_exact_vs_host"}."""
    from pytool import compile_model, load_host
    from pytool import ops as opreg
    from pytool.targets import QemuSession, build_firmware, get_board
    from pytool.targets.build import board_kernel_families
    from pytool.targets.selftest import read_selftest, selftest_input

    board = get_board(target)
    if not board.is_emulated:
        raise ValueError(f"profile: {board.name} is not a QEMU board (profile runs in QEMU)")
    with tempfile.TemporaryDirectory(prefix="odl-profile-") as tmp:
        work = Path(work) if work is not None else Path(tmp)
        art = compile_model(model, out_dir=work / "model", target=board.name, ram=board.ram_size, calib=calib)
        elf = build_firmware(art.dir, board, work / "fw", mode="profile", kernels=kernels)
        with QemuSession(elf, board, timeout=120) as q:
            r, text = read_selftest(q.open_serial(), timeout=120)
            q.wait(30)
        host = load_host(art)
        xs = [
            selftest_input(s.dtype, int(np.prod(s.shape)) * np.dtype(s.dtype).itemsize, i).reshape(s.shape)
            for i, s in enumerate(host.inputs)
        ]
        expected = host.invoke(*xs)
        expected = expected if isinstance(expected, list | tuple) else [expected]
    if not r.complete or r.status != "ODL_OK":
        raise RuntimeError(f"profile: the firmware on {board.name} did not finish: {text.strip()[-300:]}")
    g, per_op, top, k = art.graph, art.report["per_op"], [], 0
    while k < len(art.program.ops):  # the main schedule: nested subgraph ops are counted in their op
        top.append(k)
        k += 1 + art.program.ops[k].nested
    per_op = [per_op[k] for k in top]
    if len(r.op_counters) != len(per_op):
        raise RuntimeError(f"profile: {len(r.op_counters)} op counts for {len(per_op)} ops")
    layers = []
    for op, mem, n in zip(g.ops, per_op, r.op_counters, strict=True):
        spec = opreg.get(op.type)
        macs = int(spec.macs(g, op)) if spec is not None else 0
        layers.append(LayerProfile(mem["index"], op.type, op.name, macs, n, round(macs / n, 3) if n else 0.0,
                                   int(mem["live_bytes"])))  # fmt: skip
    families = board_kernel_families(board) if kernels is None else tuple(kernels)
    total_macs, total = sum(x.macs for x in layers), sum(x.instructions for x in layers)
    return {
        "model": str(model),
        "target": board.name,
        "kernels": "+".join(families) or "portable",
        "counter_unit": board.counter_unit,
        "layers": layers,
        "total_instructions": total,
        "total_macs": total_macs,
        "macs_per_instruction": round(total_macs / total, 3) if total else 0.0,
        "arena_bytes": int(art.report["arena_bytes"]),
        "stack_high_water": r.stack,
        "bit_exact_vs_host": [bytes(np.asarray(e).tobytes()) for e in expected] == r.outputs,
    }


def run(args) -> int:
    prof = profile(args.model, args.target, _kernels(args.kernels), args.calib)
    total = prof["total_instructions"]
    t = Table(title=f"{args.model} on {prof['target']} ({prof['kernels']} kernels), {prof['counter_unit']}")
    for c in ("#", "op", "name", "MACs", "instructions", "share", "MAC/instr", "live arena"):
        t.add_column(c, justify="left" if c in ("op", "name") else "right")
    for x in prof["layers"]:
        t.add_row(str(x.index), x.type, x.name[-32:], f"{x.macs:,}", f"{x.instructions:,}",
                  f"{100 * x.instructions / total:.1f}%" if total else "", f"{x.macs_per_instruction:.2f}",
                  f"{x.live_arena_bytes:,}")  # fmt: skip
    t.add_section()
    t.add_row("", "total", "", f"{prof['total_macs']:,}", f"{total:,}", "100%", f"{prof['macs_per_instruction']:.2f}",
              f"{prof['arena_bytes']:,} (arena)")  # fmt: skip
    out.print(t)
    out.print(f"stack high water {prof['stack_high_water']:,} B; outputs equal to the host build: "
              f"{'yes' if prof['bit_exact_vs_host'] else 'NO'}")  # fmt: skip
    if args.json_out:
        doc = dict(prof, layers=[asdict(x) for x in prof["layers"]])
        Path(args.json_out).write_text(json.dumps(doc, indent=1) + "\n")
    return 0 if prof["bit_exact_vs_host"] else 1
