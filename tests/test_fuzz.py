"""Seeded, bounded fuzzing (a slice of bench/fuzz.py's campaigns): mutated
.tflite / .onnx models through `inspect` and `compile`, mutated data files
through `train`, `plan` and `compile --calib`, malformed link frames into
the C server under ASan/UBSan, and atheris over the loaders. No traceback,
hang, silent acceptance of a must-reject mutation, error without the file
name, or half-written output. Every past finding is replayed from
tests/fixtures/fuzz/ (cases.json says what each one once did)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fuzz_campaign as fc
import fuzzkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fuzz"
SEEDS = settings(max_examples=4, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))


def _clean(camp: fc.Campaign) -> None:
    assert not camp.findings, json.dumps(camp.findings[:5], indent=1)
    assert camp.outcomes["rejected"] > 0  # the mutations do reach the checks


@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_tflite_mutations(seed):
    _clean(fc.models(12, seed))


@settings(max_examples=2, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_onnx_mutations(seed):
    _clean(fc.onnx_models(8, seed))


@settings(max_examples=2, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_data_mutations(seed):
    _clean(fc.data_files(10, seed, commands=("train", "calib")))


@pytest.mark.slow
def test_link_frames_under_sanitizers():
    res = fc.link_frames(1000, 20261203)
    assert res["frames"] == 3000 and res["n_findings"] == 0, res["findings"][:5]


def _case_id(c: dict) -> str:
    return f"{c['file']}-{c['args'][0]}"


@pytest.mark.parametrize("case", json.loads((FIXTURES / "cases.json").read_text()), ids=_case_id)
def test_past_findings_are_rejected_clearly(case, tmp_path):
    path = FIXTURES / case["file"]
    subst = {"{file}": str(path), "{out}": str(tmp_path / "out"), "{calib}": str(fuzzkit.CALIB),
             "{float_model}": str(fuzzkit.DIGITS / "digits_float.tflite"), "{build}": str(tmp_path / "b")}
    if "{build}" in case["args"]:
        assert main(["compile", str(fuzzkit.DIGITS / "digits_int8_tf.tflite"), "--train", "forward-grad",
                     "-o", str(tmp_path / "b")]) == 0
    args = [subst.get(a, a) for a in case["args"]]
    out = fuzzkit.run_cli(args, path, True, tmp_path / "out" if "{out}" in case["args"] else None)
    assert out.kind == "rejected", (case, out)


ATHERIS_CHILD = r'''
import sys, atheris
import numpy, zipfile, zlib, flatbuffers, tflite, onnx  # noqa: F401  third-party code stays uninstrumented
with atheris.instrument_imports(include=["pytool"]):
    from pytool.data import DataError, read_arrays
    from pytool.frontends import ModelError, load_model
import tempfile, pathlib
tmp = pathlib.Path(tempfile.mkdtemp())
def one(data: bytes):
    p = tmp / ("f.npz" if data[:1] != b"T" else "f.tflite")
    p.write_bytes(data[1:])
    try:
        if p.suffix == ".npz":
            read_arrays(p, ("x", "y?"))
        else:
            load_model(p)
    except (DataError, ModelError):
        pass
atheris.Setup(sys.argv, one)
atheris.Fuzz()
'''


def test_atheris_over_the_loaders(tmp_path):
    import atheris  # noqa: F401  (a test dependency: pyproject's [test] extra)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "npz").write_bytes(b"N" + (fuzzkit.DIGITS / "test.npz").read_bytes()[:3000])
    (corpus / "tfl").write_bytes(b"T" + fuzzkit.MODELS[1].read_bytes())
    script = tmp_path / "child.py"
    script.write_text(ATHERIS_CHILD)
    env = dict(os.environ, PYTHONPATH=str(fuzzkit.ROOT))
    r = subprocess.run([sys.executable, str(script), "-runs=800", "-seed=7", "-max_len=8192", str(corpus)],
                       env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0 and "Done 800 runs" in r.stderr, r.stderr[-3000:]
