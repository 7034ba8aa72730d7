"""`tinyodl validate`: the int8 engines (host build, TFLite Micro, a QEMU
board) agree byte for byte on the digits model, float comparisons and
per-layer SQNR are reported, and a disagreeing engine fails the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT

from pytool import validate as v
from pytool.cli import main

DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"


def test_validate_against_float_and_tflm(tmp_path):
    rc = main(["validate", str(MODEL), "--data", str(DIGITS / "test.npz"), "--float",
               str(DIGITS / "digits_float.tflite"), "-n", "24", "--report", str(tmp_path)])
    assert rc == 0
    rep = json.loads((tmp_path / "validate.json").read_text())
    rows = {c["engine"]: c for c in rep["comparisons"]}
    assert rows["TFLite Micro"]["exact"] == 1.0 and rows["TFLite Micro"]["max_lsb"] == 0
    flt = rows["float (digits_float.tflite)"]
    assert flt["sqnr_db"] > 30 and flt["top1_agree"] >= 0.9 and flt["accuracy"] >= 0.8
    assert rows["host build"]["accuracy"] >= 0.8
    assert [r["type"] for r in rep["layers"]] == ["CONV_2D", "CONV_2D", "RESHAPE", "FULLY_CONNECTED",
                                                  "FULLY_CONNECTED", "SOFTMAX"]
    assert all(25 < r["sqnr_db"] < 80 and r["max_lsb"] < 8 for r in rep["layers"])
    assert (tmp_path / "validate.png").stat().st_size > 5000


def test_a_disagreeing_engine_fails(tmp_path, monkeypatch, capsys):
    real = v._tflm

    def off_by_one(model, g, xq):
        r = real(model, g, xq)
        r.outputs[0][3, 0] += 1
        return r

    monkeypatch.setattr(v, "_tflm", off_by_one)
    rc = main(["validate", str(MODEL), "--data", str(DIGITS / "test.npz"), "-n", "8", "--report", str(tmp_path)])
    assert rc == 1
    rows = {c["engine"]: c for c in json.loads((tmp_path / "validate.json").read_text())["comparisons"]}
    assert rows["TFLite Micro"]["exact"] == pytest.approx(7 / 8) and rows["TFLite Micro"]["max_lsb"] == 1
    assert "disagree" in capsys.readouterr().out


def test_nchw_data_needs_the_flag(tmp_path, capsys):
    x = np.load(DIGITS / "test.npz")["x"][:4]
    np.savez(tmp_path / "nchw.npz", x=x.transpose(0, 3, 1, 2))
    assert main(["validate", str(MODEL), "--data", str(tmp_path / "nchw.npz"), "--report", str(tmp_path)]) == 1
    assert "--layout nchw" in capsys.readouterr().err
    assert main(["validate", str(MODEL), "--data", str(tmp_path / "nchw.npz"), "--layout", "nchw",
                 "--report", str(tmp_path)]) == 0


@pytest.mark.qemu
def test_validate_on_a_board(tmp_path):
    rc = main(["validate", str(MODEL), "--data", str(DIGITS / "test.npz"), "-n", "6", "--target", "mps2-an386",
               "--report", str(tmp_path)])
    assert rc == 0
    rows = {c["engine"]: c for c in json.loads((tmp_path / "validate.json").read_text())["comparisons"]}
    assert rows["board mps2-an386"]["exact"] == 1.0
