"""`tinyodl profile`: per-layer instruction counts from the profile firmware
on a QEMU board add up, name every op, carry the ops' MACs and live arena
bytes, and the firmware's outputs equal the host build's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytool import compile_model

pytestmark = pytest.mark.qemu

MODEL = Path(__file__).parent / "fixtures" / "models" / "mobilenet_tiny.tflite"


@pytest.mark.slow
def test_profile_per_layer_counts(tmp_path):
    from pytool.cli import main

    out = tmp_path / "prof.json"
    assert main(["profile", str(MODEL), "--target", "mps2-an386", "--json", str(out)]) == 0
    prof = json.loads(out.read_text())
    art = compile_model(MODEL, out_dir=tmp_path / "ref")
    layers = prof["layers"]
    assert [x["type"] for x in layers] == [op.type for op in art.graph.ops]
    assert prof["bit_exact_vs_host"] and prof["kernels"] == "arm_dsp+arm_fp"
    assert prof["total_instructions"] == sum(x["instructions"] for x in layers)
    assert all(x["instructions"] > 0 for x in layers)
    assert prof["arena_bytes"] == art.report["arena_bytes"]
    assert [x["live_arena_bytes"] for x in layers] == [r["live_bytes"] for r in art.report["per_op"]]
    convs = [x for x in layers if x["type"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    assert convs and all(x["macs"] > 0 and 0 < x["macs_per_instruction"] < 4 for x in convs)
    assert prof["total_macs"] == sum(x["macs"] for x in layers) > 0


def test_profile_refuses_a_real_board():
    from pytool.commands.profile import profile

    with pytest.raises(ValueError, match="not a QEMU board"):
        profile(MODEL, "nucleo-f429zi")
