"""Device commands a user types: targets, build, flash (QEMU), infer, monitor."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, tflm_run

from pytool.cli import main

MODEL = ROOT / "examples" / "digits" / "digits_int8_tf.tflite"


def test_targets_lists_boards(capsys):
    assert main(["targets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["target"] for r in rows}
    assert {"mps2-an386", "mps3-an547", "riscv32-virt"} <= names
    assert any(r["flash_method"].startswith("pyOCD") for r in rows)


def test_build_unknown_target_is_clear(tmp_path, capsys):
    assert main(["build", str(MODEL), "--target", "no-such-board", "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no-such-board" in err and "mps2-an386" in err


@pytest.mark.qemu
def test_build_flash_infer_monitor(tmp_path, capsys):
    fw = tmp_path / "fw"
    assert main(["build", str(MODEL), "--target", "mps2-an386", "-o", str(fw)]) == 0
    assert "RAM used" in capsys.readouterr().out
    x = np.load(ROOT / "examples" / "digits" / "test.npz")["x"][:1].astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytool.cli", "flash", str(fw), "--target", "mps2-an386", "--for", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "socket://" in line:
                url = line[line.index("socket://"):].split()[0]
        assert url, "flash did not print a link URL"
        assert main(["infer", "--port", url, "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")]) == 0
        scale, zp = 1 / 255, -128  # the factory model's input quantization
        xq = np.clip(np.round(x / np.float32(scale)) + zp, -128, 127).astype(np.int8).reshape(1, 8, 8, 1)
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), tflm_run(MODEL, [xq])[0])
        # a batch: one INFER per sample, outputs stacked
        xb = np.load(ROOT / "examples" / "digits" / "test.npz")["x"][:3].astype(np.float32)
        np.save(tmp_path / "xb.npy", xb)
        assert main(["infer", "--port", url, "--input", str(tmp_path / "xb.npy"), "--output",
                     str(tmp_path / "yb.npy")]) == 0
        xbq = np.clip(np.round(xb / np.float32(scale)) + zp, -128, 127).astype(np.int8)
        want = np.stack(tflm_run(MODEL, [s[None] for s in xbq]))
        np.testing.assert_array_equal(np.load(tmp_path / "yb.npy").reshape(want.shape), want)
        assert main(["monitor", "--port", url]) == 0
        assert "mps2-an386" in capsys.readouterr().out
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # flash stops its QEMU when it is terminated
    time.sleep(0.5)
    ps = subprocess.run(["pgrep", "-f", str(fw / "firmware.elf")], capture_output=True, text=True)
    assert ps.stdout.strip() == "", "QEMU left running after flash was stopped"
