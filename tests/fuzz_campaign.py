"""The seeded campaigns over model readers, data loaders and the link
parser; tests/test_fuzz.py runs small slices, bench/fuzz.py the full size.
Every finding is saved (the input file + what happened) so it can become a
regression fixture in tests/fixtures/fuzz/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzkit  # noqa: E402

ROOT = fuzzkit.ROOT


@dataclass
class Campaign:
    name: str
    cases: int = 0
    outcomes: Counter = field(default_factory=Counter)
    findings: list[dict] = field(default_factory=list)

    def record(self, out: fuzzkit.Outcome, desc: str, path: Path, keep: Path | None) -> None:
        self.cases += 1
        self.outcomes[out.kind] += 1
        if out.kind in ("ok", "rejected"):
            return
        item = {"case": desc, "kind": out.kind, "detail": out.detail, "file": path.name}
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            dst = keep / f"{self.name}_{len(self.findings)}{path.suffix}"
            dst.write_bytes(path.read_bytes())
            item["file"] = dst.name
        self.findings.append(item)

    def summary(self) -> dict:
        return {"cases": self.cases, "outcomes": dict(self.outcomes), "findings": self.findings}


def models(n: int, seed: int, keep: Path | None = None, commands=("inspect", "compile")) -> Campaign:
    camp = Campaign("tflite")
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            src = fuzzkit.MODELS[int(rng.integers(0, len(fuzzkit.MODELS)))]
            data, desc, must = fuzzkit.mutate_tflite(src.read_bytes(), rng)
            p = Path(tmp) / f"m{i}.tflite"
            p.write_bytes(data)
            for cmd in commands:
                out_dir = Path(tmp) / f"o{i}"
                args = [cmd, p] + (["-o", out_dir] if cmd == "compile" else [])
                camp.record(fuzzkit.run_cli(args, p, must, out_dir if cmd == "compile" else None),
                            f"{src.name}: {desc} ({cmd})", p, keep)
    return camp


def onnx_models(n: int, seed: int, keep: Path | None = None) -> Campaign:
    camp = Campaign("onnx")
    rng = np.random.default_rng(seed)
    base = fuzzkit.ONNX_MODEL.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            data, desc, must = fuzzkit.mutate_onnx(base, rng)
            p = Path(tmp) / f"m{i}.onnx"
            p.write_bytes(data)
            camp.record(fuzzkit.run_cli(["inspect", p], p, must), f"{desc} (inspect)", p, keep)
            out_dir = Path(tmp) / f"o{i}"
            camp.record(fuzzkit.run_cli(["compile", p, "--calib", fuzzkit.CALIB, "-o", out_dir], p, must, out_dir),
                        f"{desc} (compile)", p, keep)
    return camp


def data_files(n: int, seed: int, keep: Path | None = None, commands=("train", "plan", "calib")) -> Campaign:
    """Mutated .npz files through `train`, `plan --train sparse --data` and
    `compile --calib` of a float model."""
    from pytool.cli import main

    camp = Campaign("data")
    rng = np.random.default_rng(seed)
    z = np.load(fuzzkit.DIGITS / "field.npz")
    x, y = z["x"][:16], z["y"][:16]
    model = fuzzkit.DIGITS / "digits_int8_tf.tflite"
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "fg"
        assert main(["compile", str(model), "--train", "forward-grad", "-o", str(build)]) == 0
        for i in range(n):
            p = Path(tmp) / f"d{i}.npz"
            desc, must = fuzzkit.mutate_data(x, y, rng, p)
            for cmd in commands:
                if cmd == "train":
                    args = ["train", build, "--data", p]
                    out_dir = None
                elif cmd == "plan":
                    args = ["plan", model, "--train", "sparse", "--data", p]
                    out_dir = None
                else:
                    out_dir = Path(tmp) / f"c{i}"
                    args = ["compile", fuzzkit.DIGITS / "digits_float.tflite", "--calib", p, "-o", out_dir]
                # calibration needs no labels: y-only mutations are fine there
                m = must and not (cmd == "calib" and desc.startswith(("y ", "keys", "an extra")))
                camp.record(fuzzkit.run_cli(args, p, m, out_dir), f"{desc} ({cmd})", p, keep)
    return camp


def link_frames(n_per_device: int, seed: int, sanitize: bool = True) -> dict:
    """Runs tests/fuzz_link_child.py (under ASan/UBSan when sanitize)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if sanitize:
        lib = [subprocess.run(["gcc", f"-print-file-name={n}"], capture_output=True, text=True).stdout.strip()
               for n in ("libasan.so", "libubsan.so")]
        env.update(TINYODL_SANITIZE="1", TINYODL_CACHE=str(ROOT / ".cache" / "asan"),
                   ASAN_OPTIONS="detect_leaks=0:abort_on_error=1", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
                   LD_PRELOAD=":".join(lib))
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz_link_child.py"), str(n_per_device), str(seed),
                            tmp], env=env, capture_output=True, text=True, timeout=1200)
    if r.returncode != 0 or not r.stdout.strip():
        return {"frames": 0, "n_findings": 1, "findings": [f"child failed ({r.returncode}): {r.stderr[-4000:]}"]}
    res = json.loads(r.stdout.strip().splitlines()[-1])
    for word in ("runtime error", "AddressSanitizer"):
        if word in r.stderr:
            res["n_findings"] += 1
            res["findings"].append(r.stderr[-4000:])
    return res
