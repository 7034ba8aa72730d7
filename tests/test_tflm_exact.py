"""The generated C (host, cffi) is bit-exact with TFLite Micro on every int8
fixture made by the TensorFlow converter, and with our numpy int8 reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import _as_tuple, fixture_path, litert_run, manifest, random_samples, tflm_run

from pytool import compile_model, load_host
from pytool.reference import run_int8

INT8_MODELS = [m for m in manifest() if m["kind"] == "int8"]
# Models LiteRT's reference kernels accept (a conv with its bias input removed
# from the file is valid for TFLite Micro but rejected by LiteRT).
LITERT_MODELS = [m for m in INT8_MODELS if "litert" in m.get("runs_in", [])]


@pytest.mark.parametrize("entry", INT8_MODELS, ids=[m["name"] for m in INT8_MODELS])
def test_generated_c_matches_tflite_micro(entry, build_root):
    path = fixture_path(entry["name"])
    art = compile_model(path, out_dir=build_root / entry["name"])
    net = load_host(art)
    xs = random_samples(entry, n=6, seed=len(entry["name"]))
    want = tflm_run(path, xs)
    for k, x in enumerate(xs):
        got = net.invoke(*_as_tuple(x))
        assert got.dtype == want[k].dtype
        assert got.shape == want[k].shape
        diff = np.flatnonzero(got.reshape(-1).view(np.uint8) != want[k].reshape(-1).view(np.uint8))
        assert diff.size == 0, f"sample {k}: {diff.size} bytes differ from tflite-micro, first at {diff[:5]}"
        ref = run_int8(art.graph, list(_as_tuple(x)))[0]
        np.testing.assert_array_equal(ref, got, err_msg="numpy int8 reference differs from the C")


@pytest.mark.parametrize("entry", LITERT_MODELS, ids=[m["name"] for m in LITERT_MODELS])
def test_litert_difference_is_bounded(entry):
    """LiteRT's reference kernels round some exact .5 cases differently from
    TFLite Micro: we match TFLite Micro and record the LiteRT gap (≤ 1 LSB
    before softmax/logistic amplify it)."""
    path = fixture_path(entry["name"])
    xs = random_samples(entry, n=4, seed=7)
    a, b = tflm_run(path, xs), litert_run(path, xs)
    if a[0].dtype == np.int8:
        gap = max(int(np.max(np.abs(p.astype(np.int32) - q.astype(np.int32)))) for p, q in zip(a, b))
        amplifying = {"SOFTMAX", "LOGISTIC"} & set(entry["op_set"])
        assert gap <= (3 if amplifying else 1), f"LiteRT differs from TFLite Micro by {gap} LSB"
