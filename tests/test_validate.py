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

    def off_by_one(*args):
        r = real(*args)
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


LSTM = ROOT / "tests" / "fixtures" / "ops" / "lstm_seq_int8.tflite"


@pytest.mark.parametrize("state", ["reset", "carry"])
def test_validate_keeps_or_resets_lstm_state(state, tmp_path):
    """A stateful model: host build and TFLite Micro agree byte for byte
    whether each sample starts from the initial state or the samples form
    one stream, and the two modes give different outputs."""
    from pytool.compiler import load_graph

    g = load_graph(LSTM)
    t = g.tensors[g.inputs[0]]
    x = np.random.default_rng(3).integers(-128, 128, (6, *t.shape[1:]), dtype=np.int8)
    np.savez(tmp_path / "seq.npz", x=x)
    assert main(["validate", str(LSTM), "--data", str(tmp_path / "seq.npz"), "--state", state,
                 "--report", str(tmp_path / state)]) == 0
    rep = v.validate(LSTM, tmp_path / "seq.npz", state=state, log=lambda m: None)
    rows = {c.engine: c for c in rep.comparisons}
    assert rep.bit_exact and rows["TFLite Micro"].exact == 1.0
    # the int8 model in float follows the same state rule: it stays close
    assert rows["int8 model in float"].sqnr_db > 15
    host = v._host(g, x, tmp_path / "h", state == "carry").outputs[0]
    again = v._host(g, x[:1], tmp_path / "h1", False).outputs[0]
    assert (host[0] == again[0]).all()
    if state == "carry":
        assert not (host[1:] == v._host(g, x, tmp_path / "h2", False).outputs[0][1:]).all()
