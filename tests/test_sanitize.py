"""The runtime under AddressSanitizer + UndefinedBehaviorSanitizer: a child
Python process loads an ASan/UBSan build of the generated C (LD_PRELOAD of
the sanitizer runtimes) and runs every kernel family; any report fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, manifest

MODELS = [m["name"] for m in manifest() if m["kind"] == "int8"]

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from conftest import fixture_path, random_samples, tflm_run, manifest, _as_tuple
    from pytool import compile_model, load_host
    entries = {m["name"]: m for m in manifest()}
    for name in sys.argv[3:]:
        art = compile_model(fixture_path(name), out_dir=sys.argv[2] + "/" + name)
        net = load_host(art, name="asan")
        xs = random_samples(entries[name], n=3, seed=11)
        want = tflm_run(fixture_path(name), xs)
        for x, w in zip(xs, want):
            got = net.invoke(*_as_tuple(x))
            assert np.array_equal(got, w), name
    print("sanitized ok", len(sys.argv) - 3)
    """
)


def _runtime_lib(name: str) -> str:
    out = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return out


@pytest.mark.parametrize("half", [0, 1])
def test_runtime_clean_under_asan_ubsan(tmp_path, half):
    asan, ubsan = _runtime_lib("libasan.so"), _runtime_lib("libubsan.so")
    assert Path(asan).exists() and Path(ubsan).exists(), "gcc's sanitizer runtimes are missing"
    env = dict(os.environ)
    env.update(
        TINYODL_SANITIZE="1",
        TINYODL_CACHE=str(ROOT / ".cache" / "asan"),
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
        LD_PRELOAD=f"{asan}:{ubsan}",
        PYTHONPATH=str(ROOT),
    )
    models = MODELS[half::2]
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    r = subprocess.run(
        [sys.executable, str(script), str(ROOT / "tests"), str(tmp_path), *models],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0 and "sanitized ok" in r.stdout, r.stdout[-3000:] + r.stderr[-6000:]
    assert "runtime error" not in r.stderr and "AddressSanitizer" not in r.stderr, r.stderr[-6000:]


TRAIN_CHILD = textwrap.dedent(
    """
    import sys
    from pytool import compile_model, load_host
    from pytool.training import TrainSpec
    from pytool.training.loop import load_dataset
    root = sys.argv[1]
    digits, nets = root + "/examples/digits/", root + "/tests/fixtures/train_nets/"
    act = {"fg_perturb": "activity"}
    cases = [  # forward gradient by activity perturbation; lr 30 drives the MLP into its band
        (digits + "digits_int8_tf.tflite", digits + "field.npz", dict(trainable="last:2", lr=0.01)),
        (nets + "mlp_int8.tflite", nets + "field.npz", dict(trainable="last:2", lr=30.0)),
        (nets + "cnn_int8.tflite", nets + "field.npz", dict(trainable="last:1", lr=0.01)),
    ]
    for i, (model, field, kw) in enumerate(cases):
        spec = TrainSpec(method="forward-grad", epsilon=1.0, extra=act, **kw)
        net = load_host(compile_model(model, out_dir=sys.argv[2] + f"/t{i}", train=spec), name="asan")
        d = load_dataset(field, net.inputs[0])
        for k in range(60):
            net.train_step(d.x[k], int(d.y[k]))
    print("sanitized ok")
    """
)


def test_activity_training_clean_under_asan_ubsan(tmp_path):
    asan, ubsan = _runtime_lib("libasan.so"), _runtime_lib("libubsan.so")
    env = dict(os.environ)
    env.update(TINYODL_SANITIZE="1", TINYODL_CACHE=str(ROOT / ".cache" / "asan"),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
               LD_PRELOAD=f"{asan}:{ubsan}", PYTHONPATH=str(ROOT))
    script = tmp_path / "child.py"
    script.write_text(TRAIN_CHILD)
    r = subprocess.run([sys.executable, str(script), str(ROOT), str(tmp_path)], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0 and "sanitized ok" in r.stdout, r.stdout[-3000:] + r.stderr[-6000:]
    assert "runtime error" not in r.stderr and "AddressSanitizer" not in r.stderr, r.stderr[-6000:]
