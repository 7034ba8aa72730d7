"""float32 ops inside int8 models on the QEMU boards: instructions per
inference, every output's bytes checked equal to the host build, flash / RAM.
Models: the schema-built float island, SSD-style detection heads (24 anchors,
fast and regular NMS) and float SVDF / LSTM of tests/f32_models.py and the converter-made
fixtures of tests/fixtures/float_ops/. No peer figure (anchors.md has none).

    .venv/bin/python bench/float_ops.py [--targets mps2-an386 mps3-an547] [--out bench/results/float_ops.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import f32_models  # noqa: E402

from bench.targets import build  # noqa: E402
from pytool import compile_model, load_host  # noqa: E402
from pytool.link import Link  # noqa: E402
from pytool.targets import QemuSession, boards, size_report  # noqa: E402
from pytool.targets.build import board_kernel_families  # noqa: E402

MODELS = {
    "f32_island": f32_models.island_model,
    "f32_island2": f32_models.island2_model,
    "f32_leftovers": f32_models.leftovers_model,
    "f32_resize_bilinear": f32_models.resize_bilinear_model,
    "f32_math": f32_models.math_model,
    "ssd_head_fast_nms": lambda: f32_models.ssd_head_model(False),
    "ssd_head_regular_nms": lambda: f32_models.ssd_head_model(True),
    "f32_svdf_lstm": f32_models.recurrent_model,
}
FIXTURES = ROOT / "tests" / "fixtures" / "float_ops"


def inputs_for(host, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for spec in host.inputs:
        if np.dtype(spec.dtype).kind in "iu":
            out.append(rng.integers(-128, 128, size=spec.shape).astype(spec.dtype))
        else:
            out.append(rng.uniform(-1, 1, spec.shape).astype(spec.dtype))
    return out


def measure(name: str, path: Path, board, work: Path) -> dict:
    kernels = board_kernel_families(board)
    art = compile_model(path, out_dir=work / "c" / name)
    host = load_host(art)
    xs = inputs_for(host)
    want = host.invoke(*xs)
    want = list(want) if isinstance(want, tuple | list) else [want]
    elf = build(Path(art.dir), board, work, "link", kernels)
    size = size_report(elf, board)
    with QemuSession(elf, board, timeout=60) as q, Link(q.url, timeout=30.0) as link:
        got = link.infer_all(*xs)
        st = link.stats()
    same = all(np.asarray(g).tobytes() == np.asarray(w).tobytes() for g, w in zip(got, want))
    float_ops = sum(1 for op in art.graph.ops
                    if op.type != "DEQUANTIZE" and any(art.graph.tensors[n].dtype == "float32" for n in op.outputs))
    return {"model": name, "target": board.name, "cpu": board.cpu, "float_ops": float_ops,
            "ops": len(art.graph.ops), "instructions": st.counter, "bit_exact_vs_host": same,
            "stack_high_water": st.stack_high_water, "flash_bytes": size["flash_used"],
            "ram_bytes": size["ram_used"], "arena_bytes": size["arena"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", nargs="+", default=["mps2-an386", "mps3-an547"])
    ap.add_argument("--out", help="write the JSON here")
    ap.add_argument("--models", nargs="+", help="only these models (default: all)")
    args = ap.parse_args(argv)
    known = {b.name: b for b in boards()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="odl-bench-float-") as tmp:
        work = Path(tmp)
        paths = {}
        for name, make in MODELS.items():
            paths[name] = work / f"{name}.tflite"
            paths[name].write_bytes(make())
        for p in sorted(FIXTURES.glob("*.tflite")):
            paths[p.stem] = p
        for name, path in paths.items():
            if args.models and name not in args.models:
                continue
            for t in args.targets:
                rows.append(measure(name, path, known[t], work))
    print(json.dumps(rows, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    from rich.console import Console
    from rich.table import Table

    tab = Table(title="float32 ops in int8 models (QEMU, exact instruction counts; no peer figure)")
    for col in ("model", "target", "float ops / ops", "instructions", "bit-exact", "arena B", "flash B"):
        tab.add_column(col)
    for r in rows:
        tab.add_row(r["model"], r["target"], f"{r['float_ops']} / {r['ops']}", f"{r['instructions']:,}",
                    "yes" if r["bit_exact_vs_host"] else "NO", f"{r['arena_bytes']:,}", f"{r['flash_bytes']:,}")
    Console().print(tab)
    return 0 if all(r["bit_exact_vs_host"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
