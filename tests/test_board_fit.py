"""compile --target BOARD checks the model plus the firmware against the
board's RAM before building, and says what to cut when it does not fit; the
firmware part of that estimate bounds what the linked ELF really uses."""

from __future__ import annotations

import pytest
from conftest import ROOT

from pytool import compile_model
from pytool.cli import main
from pytool.planner import BudgetError
from pytool.targets import build_firmware, get_board, size_report
from pytool.targets.fit import firmware_ram, model_ram
from pytool.training import TrainSpec

MODEL = ROOT / "examples" / "digits" / "digits_int8_tf.tflite"


@pytest.mark.qemu
@pytest.mark.parametrize("spec", [None, TrainSpec(method="forward-grad", trainable="last:1")],
                         ids=["inference", "forward-grad"])
def test_estimate_bounds_the_linked_firmware(spec, tmp_path):
    board = get_board("microbit")
    art = compile_model(MODEL, out_dir=tmp_path / "m", target=board.name, train=spec)
    used = size_report(build_firmware(art.dir, board, tmp_path / "fw"), board)["ram_used"]
    estimate = model_ram(art.program.plan) + sum(firmware_ram(board).values())
    assert used <= estimate <= used + 400, (used, estimate)


def test_a_model_too_big_for_the_board_names_the_cuts(tmp_path):
    spec = TrainSpec(method="fp16", trainable="last:2")
    with pytest.raises(BudgetError) as e:
        compile_model(MODEL, out_dir=tmp_path / "m", target="microbit", train=spec)
    text = str(e.value)
    assert "on microbit but the board has 16,384 B" in text
    assert "--trainable last:1" in text and "link_max_payload" in text
    assert not (tmp_path / "m" / "model.c").exists(), "nothing is written when the model does not fit"


def test_cli_reports_it_on_one_line_and_fails(tmp_path, capsys):
    code = main(["compile", str(MODEL), "--target", "microbit", "--train", "fp16", "--trainable", "last:2",
                 "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code != 0
    assert err.splitlines()[0].startswith("error: digits_int8_tf.tflite needs")
    assert "--trainable last:1" in err


def test_a_model_that_fits_compiles_for_the_small_board(tmp_path):
    spec = TrainSpec(method="forward-grad", trainable="last:1")
    art = compile_model(MODEL, out_dir=tmp_path / "m", target="microbit", train=spec)
    assert (art.dir / "model.c").is_file()
