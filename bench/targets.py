"""Per QEMU board and model: instructions per inference (the board counter
read around odl_invoke, reported by the link's STATS), output bytes checked
equal to the host build, flash and RAM from the ELF (the link firmware and the
selftest firmware, i.e. runtime + model without the serial link), and the ratio
to TFLite Micro + CMSIS-NN's figures in ../shared/notes/anchors.md.

    .venv/bin/python bench/targets.py [--models kws_ref_model dw_1ch_m8] [--targets mps2-an386]
                                      [--portable] [--out bench/results/targets.json]

A model is a name in ../shared/models/, tests/fixtures/models/ or tests/fixtures/ops/, a synthetic
model of bench/synth_models.py (dw_1ch_m8), or a path.
Prints one JSON document, then a table."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synth_models import SYNTH_MODELS, synth_model  # noqa: E402
from pytool import compile_model, load_host  # noqa: E402
from pytool.link import Link  # noqa: E402
from pytool.targets import QemuSession, boards, build_firmware, size_report  # noqa: E402
from pytool.targets.build import board_kernel_families  # noqa: E402

# ../shared/models beside the checkout (or beside its worktree folder)
SHARED_MODELS = next(
    (d for d in (ROOT.parent / "shared" / "models", ROOT.parent.parent / "shared" / "models") if d.is_dir()),
    ROOT.parent / "shared" / "models",
)
FIXTURES = ROOT / "tests" / "fixtures" / "models"
DEFAULT_MODELS = ["kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "dw_1ch_m8", "mobilenet_v1_025_96",
                  "lstm_seq_int8"]
OP_FIXTURES = ROOT / "tests" / "fixtures" / "ops"  # per-op converter fixtures (lstm_seq_int8: no peer figure)

# TFLite Micro + CMSIS-NN (current sources, -O2), exact QEMU instruction
# counts and arena bytes from ../shared/notes/anchors.md (measured 2026-12-02).
# mobilenet_v1_025_96 (bench/synth_models.py) has the held-out MobileNet v1
# 0.25 96x96's shapes with random weights: instruction counts depend on
# shapes only, so its figures are that model's. dw_1ch_m8 has no peer figure
# (the held-out keyword model with a 1-channel x 8 depthwise is another net).
ANCHORS = {
    "mps2-an386": {
        "kws_ref_model": (7_700_000, 22_820),
        "pretrainedResnet_quant": (29_860_000, 54_996),
        "ad01_int8": (583_000, 2_580),
        "mobilenet_v1_025_96": (22_900_000, 82_308),
    },
    "mps3-an547": {
        "kws_ref_model": (1_810_000, 27_348),
        "pretrainedResnet_quant": (4_910_000, 55_028),
        "ad01_int8": (150_000, 9_268),
        "mobilenet_v1_025_96": (6_560_000, 100_772),
    },
}


def model_path(model: str):
    """A .tflite path, or the IR graph of a synthetic model (bench/synth_models.py)."""
    if model in SYNTH_MODELS:
        return synth_model(model)
    for p in (Path(model), SHARED_MODELS / f"{model}.tflite", FIXTURES / f"{model}.tflite",
              OP_FIXTURES / f"{model}.tflite"):
        if p.is_file():
            return p
    raise SystemExit(
        f"bench/targets.py: no model {model!r} (not a file, not in {SHARED_MODELS} or {FIXTURES})"
    )


def random_input(spec, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(spec.dtype).kind in "iu":
        return rng.integers(-128, 128, size=spec.shape).astype(spec.dtype)
    return rng.standard_normal(spec.shape).astype(spec.dtype)


def build(art_dir: Path, board, work: Path, mode: str, kernels) -> Path:
    """One build tree per (board, kernels, mode): the model files are copied
    into a fixed directory, so only model.c recompiles between models."""
    tag = "-".join(kernels) if kernels else "portable"
    model_dir = work / f"{board.name}-{tag}-{mode}" / "model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    for f in art_dir.iterdir():
        if f.is_file():
            shutil.copyfile(f, model_dir / f.name)
    return build_firmware(model_dir, board, model_dir.parent / "fw", mode=mode, kernels=kernels)


def measure(model: str, board, work: Path, kernels, runtime_flash: bool = True) -> dict:
    art = compile_model(model_path(model), out_dir=work / "c" / Path(model).name)
    host = load_host(art)
    x = random_input(host.inputs[0])
    out = host.invoke(x)
    expected = np.asarray(out[0] if isinstance(out, tuple | list) else out).tobytes()  # link.infer: output 0
    elf = build(Path(art.dir), board, work, "link", kernels)
    size = size_report(elf, board)
    with QemuSession(elf, board, timeout=60) as q, Link(q.url, timeout=30.0) as link:
        got = np.asarray(link.infer(x)).tobytes()
        st = link.stats()
    row = {
        "model": model,
        "target": board.name,
        "kernels": "+".join(kernels) if kernels else "portable",
        "cpu": board.cpu,
        "counter_unit": board.counter_unit,
        "instructions": st.counter,
        "bit_exact_vs_host": got == expected,
        "stack_high_water": st.stack_high_water,
        "flash_bytes": size["flash_used"],
        "ram_bytes": size["ram_used"],
        "arena_bytes": size["arena"],
    }
    if runtime_flash:
        # Runtime + model alone: the selftest firmware has no serial link server.
        row["flash_runtime_bytes"] = size_report(
            build(Path(art.dir), board, work, "selftest", kernels), board
        )["flash_used"]
        # TFLite Micro keeps the .tflite itself in flash, plus its interpreter and
        # kernels: ours (runtime alone) is within 10 % of it whenever that code is at
        # least this many bytes.
        src = model_path(model)
        if isinstance(src, Path):
            row["model_file_bytes"] = src.stat().st_size
            need = math.ceil(row["flash_runtime_bytes"] / 1.1) - row["model_file_bytes"]
            row["tflm_code_for_1_1x"] = max(0, need)
    anchor = ANCHORS.get(board.name, {}).get(model)
    if anchor:
        row["tflm_cmsis_nn_instructions"], row["tflm_cmsis_nn_arena"] = anchor
        row["ratio_vs_tflm_cmsis_nn"] = round(st.counter / anchor[0], 3)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument(
        "--targets",
        nargs="+",
        default=["mps2-an386", "mps3-an547"],
    )
    ap.add_argument("--portable", action="store_true", help="also run the portable kernels (speed-up column)")
    ap.add_argument(
        "--no-runtime-flash", action="store_true", help="skip the selftest build (flash without the link)"
    )
    ap.add_argument("--out", help="write the JSON here")
    args = ap.parse_args(argv)
    known = {b.name: b for b in boards()}
    for t in args.targets:
        if t not in known:
            raise SystemExit(f"bench/targets.py: unknown target {t!r} (known: {', '.join(sorted(known))})")
    rows = []
    with tempfile.TemporaryDirectory(prefix="odl-bench-targets-") as tmp:
        for model in args.models:
            for t in args.targets:
                board = known[t]
                families = board_kernel_families(board)
                opt = measure(model, board, Path(tmp), families, not args.no_runtime_flash)
                if args.portable and families:
                    portable = measure(model, board, Path(tmp), (), False)
                    opt["portable_instructions"] = portable["instructions"]
                    opt["speedup_vs_portable"] = round(portable["instructions"] / opt["instructions"], 2)
                rows.append(opt)
    print(json.dumps(rows, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    print_table(rows)
    return 0 if all(r["bit_exact_vs_host"] for r in rows) else 1


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="instructions per inference (QEMU -icount shift=0) vs TFLite Micro + CMSIS-NN")
    cols = ("model", "target", "kernels", "instructions", "TFLM+CMSIS-NN", "ratio", "exact", "arena", "TFLM arena",
            "flash", "flash w/o link", ".tflite", "TFLM code for <=1.1x", "stack")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in cols[:3] else "right")
    for r in rows:
        anchor = r.get("tflm_cmsis_nn_instructions")
        table.add_row(
            r["model"], r["target"], r["kernels"], f"{r['instructions']:,}",
            f"{anchor:,}" if anchor else "", f"{r['ratio_vs_tflm_cmsis_nn']:.3f}x" if anchor else "",
            "yes" if r["bit_exact_vs_host"] else "NO", f"{r['arena_bytes']:,}",
            f"{r['tflm_cmsis_nn_arena']:,}" if anchor else "", f"{r['flash_bytes']:,}",
            f"{r['flash_runtime_bytes']:,}" if "flash_runtime_bytes" in r else "",
            f"{r['model_file_bytes']:,}" if "model_file_bytes" in r else "",
            f"{r['tflm_code_for_1_1x']:,}" if "tflm_code_for_1_1x" in r else "", f"{r['stack_high_water']:,}",
        )  # fmt: skip
    Console(stderr=True, width=190).print(table)


if __name__ == "__main__":
    raise SystemExit(main())
