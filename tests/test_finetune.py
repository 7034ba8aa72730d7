"""`tinyodl finetune` end to end on every QEMU board with every method: the
field-test accuracy improves, the weights are committed, and after a reboot
the device reports the committed generation and the same accuracy. The
exported .tflite runs in TFLite Micro with the device's outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, tflm_run

from pytool.cli import main
from pytool.finetune import finetune
from pytool.link import Link
from pytool.targets import QemuSession

pytestmark = pytest.mark.qemu

DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"
CASES = [(m, b) for m in ("forward-grad", "sparse", "fp16") for b in ("mps2-an386", "mps3-an547", "riscv32-virt")]


@pytest.mark.parametrize("method,board", CASES, ids=[f"{m}-{b}" for m, b in CASES])
def test_finetune_improves_commits_and_survives_reboot(method, board, tmp_path):
    rep = finetune(MODEL, board, method, DIGITS / "field.npz", DIGITS / "field_test.npz", epochs=2,
                   out_dir=tmp_path / "out", progress=False, log=lambda m: None)
    assert rep["accuracy_after"] > rep["accuracy_before"] + 0.05, rep["accuracy_after"]
    assert rep["committed_generation"] >= 1
    assert rep["reboot"]["generation"] == rep["committed_generation"]
    assert rep["reboot"]["accuracy"] == rep["accuracy_after"]
    assert rep["reboot"]["weights_sha256"] == rep["weights_sha256"]
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    for key in ("accuracy_before", "accuracy_after", "steps", "loss_curve", "interventions", "memory"):
        assert key in saved
    for png in ("loss.png", "accuracy.png", "confusion.png"):
        assert (tmp_path / "out" / png).stat().st_size > 1000


def test_export_runs_in_tflite_micro_like_the_device(tmp_path, capsys):
    """Sparse update trains int8 tensors in place: the export is exact."""
    rep = finetune(MODEL, "mps2-an386", "sparse", DIGITS / "field.npz", DIGITS / "field_test.npz", epochs=1,
                   out_dir=tmp_path / "out", progress=False, log=lambda m: None, reboot_check=False)
    build = tmp_path / "out" / "build"
    x = np.load(DIGITS / "field_test.npz")["x"][:8]
    with QemuSession(build / "firmware.elf", "mps2-an386") as q:
        assert main(["export", "--port", q.url, "--build", str(build), "-o", str(tmp_path / "tuned.tflite")]) == 0
        with Link(q.url) as link:
            dev = [link.infer(xi.reshape(1, 8, 8, 1)) for xi in x]
    assert "generation" in capsys.readouterr().out
    info_scale, zp = 1 / 255, -128
    xq = [np.clip(np.round(xi.reshape(1, 8, 8, 1) / np.float32(info_scale)) + zp, -128, 127).astype(np.int8) for xi in x]
    ref = tflm_run(tmp_path / "tuned.tflite", xq)
    for d, r in zip(dev, ref):
        np.testing.assert_array_equal(d, r)
    # and the tuned model differs from the factory one (it learned something)
    assert any(not np.array_equal(a, b) for a, b in zip(ref, tflm_run(MODEL, xq)))
    assert rep["committed_generation"] >= 1
