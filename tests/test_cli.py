"""The `tinyodl` commands a user types, end to end on the host."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, fixture_path, tflm_run

from pytool.cli import main

DIGITS = ROOT / "examples" / "digits"


def test_help_lists_commands(capsys):
    assert main([]) == 2
    text = capsys.readouterr().out
    for cmd in ("inspect", "compile", "run", "quantize", "train"):
        assert cmd in text


def test_inspect_reports_ops_and_macs(capsys):
    assert main(["inspect", str(fixture_path("mobilenet_tiny"))]) == 0
    text = capsys.readouterr().out
    assert "DEPTHWISE_CONV_2D" in text and "MACs:" in text


def test_compile_then_run_matches_tflite_micro(tmp_path, capsys):
    model = fixture_path("fc_softmax")
    assert main(["compile", str(model), "-o", str(tmp_path / "b"), "--ram", "64K"]) == 0
    assert (tmp_path / "b" / "model.c").exists() and "arena" in capsys.readouterr().out
    x = np.random.default_rng(0).integers(-128, 128, size=(1, 16), dtype=np.int8)
    from pytool.host import load_host

    shape = load_host(tmp_path / "b").inputs[0].shape
    x = np.random.default_rng(0).integers(-128, 128, size=shape, dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(tmp_path / "b"), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), tflm_run(model, [x])[0])


def test_compile_budget_too_small_is_a_clear_error(tmp_path, capsys):
    rc = main(["compile", str(fixture_path("mobilenet_tiny")), "-o", str(tmp_path), "--ram", "2K"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "RAM" in err and "budget" in err and "Traceback" not in err


def test_bad_model_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(fixture_path("conv_1x1").read_bytes()[:100])
    assert main(["inspect", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "broken.tflite" in err and "Traceback" not in err


def test_quantize_then_compile_float_onnx(tmp_path, capsys):
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(DIGITS / "digits_float.onnx"), "--calib", str(DIGITS / "calib.npz"), "-o", str(out)]) == 0
    assert "SQNR" in capsys.readouterr().out
    assert main(["compile", str(DIGITS / "digits_float.onnx"), "--calib", str(DIGITS / "calib.npz"), "-o", str(tmp_path / "b")]) == 0
    # the float model without calibration data is refused with a hint
    assert main(["compile", str(DIGITS / "digits_float.onnx"), "-o", str(tmp_path / "c")]) == 1
    assert "--calib" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    from pytool.cli import COMMANDS

    for name, _ in COMMANDS:
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0, name
        assert "usage: tinyodl " + name in capsys.readouterr().out
