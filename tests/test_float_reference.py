"""Float .tflite fixtures through the IR's float reference executor match
LiteRT (reference kernels) to 1e-4 of the output range."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fixture_path, litert_run, manifest, random_inputs

from pytool.frontends import load_model
from pytool.reference import run_float

FLOAT_FIXTURES = [e["name"] for e in manifest() if e["kind"] == "float"]


def test_there_are_float_fixtures() -> None:
    assert len(FLOAT_FIXTURES) >= 3, FLOAT_FIXTURES


@pytest.mark.parametrize("name", FLOAT_FIXTURES)
def test_float_fixture_matches_litert(name) -> None:
    p = fixture_path(name)
    g = load_model(p)
    assert len(g.inputs) == 1 and len(g.outputs) == 1
    x = g.tensors[g.inputs[0]]
    assert x.dtype == "float32"
    for sample in random_inputs(x.shape, np.float32, 3, seed=11):
        want = litert_run(p, [sample])[0]
        got = run_float(g, [sample])[0]
        assert got.shape == want.shape
        span = max(float(want.max() - want.min()), float(np.abs(want).max()), 1e-6)
        err = float(np.max(np.abs(got.astype(np.float64) - want)))
        assert err <= 1e-4 * span, f"{name}: max abs diff {err} vs output range {span}"
