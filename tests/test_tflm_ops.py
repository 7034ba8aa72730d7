"""Per-op converter fixtures (int8 and 16x8, tests/fixtures/ops/) and the public
MLPerf Tiny models: the generated C on the host is byte-exact with TFLite
Micro's interpreter, and the numpy twins give the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tflm_three
from conftest import FIXTURES, ROOT

from pytool.compiler import load_graph

OPS_DIR = FIXTURES / "ops"
INDEX = json.loads((OPS_DIR / "index.json").read_text())
SHARED = ROOT.parent.parent / "shared" / "models"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/models")
PUBLIC = sorted(p.name for p in SHARED.glob("*.tflite") if "fp32" not in p.name and p.name != "pretrainedResnet.tflite")


def samples(dtypes_shapes: list[tuple[str, tuple]], n: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        xs = []
        for dt, shape in dtypes_shapes:
            if dt == "bool":
                xs.append(rng.integers(0, 2, size=shape).astype(bool))
                continue
            if dt == "float32":  # halves too: casts truncate, and 0.5 is true
                xs.append((rng.integers(-6, 7, size=shape) / 2).astype(np.float32))
                continue
            info = np.iinfo(dt)
            xs.append(rng.integers(info.min, info.max + 1, size=shape, dtype=dt))
        out.append(tuple(xs))
    return out


def check_model(path: Path, out_dir: Path, n: int, seed: int) -> None:
    """TFLite Micro == host C == numpy twin over n invokes (variables carry in all three)."""
    g = load_graph(path)
    xs = samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], n, seed)
    tflm_three.run_three(path, out_dir, n, lambda k: list(xs[k]))


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"].removesuffix(".tflite") for e in INDEX])
def test_op_fixture_matches_tflite_micro(entry, build_root):
    check_model(OPS_DIR / entry["file"], build_root / entry["file"], n=4, seed=len(entry["file"]))


@pytest.mark.skipif(not PUBLIC, reason="the shared MLPerf Tiny models are not on this machine")
@pytest.mark.parametrize("name", PUBLIC)
def test_public_model_matches_tflite_micro(name, build_root):
    check_model(SHARED / name, build_root / name, n=2, seed=3)


def test_sigmoid_table_c_copy_and_values():
    from pytool.ops.sigmoid_lut import C_PATH, SIGMOID_TABLE_U16, c_source

    assert (ROOT / C_PATH).read_text() == c_source()
    ideal = 65536.0 / (1.0 + np.exp(-np.arange(256) / 24.0))
    assert len(SIGMOID_TABLE_U16) == 256 and np.max(np.abs(ideal - np.asarray(SIGMOID_TABLE_U16))) < 1.2


def test_softmax_tables_c_copy():
    from pytool.ops.softmax_s16 import C_PATH, c_source

    assert (ROOT / C_PATH).read_text() == c_source()
