"""Every QEMU board gives TFLite Micro's bytes (and the host build's) on a
MobileNet-style model and on the digits factory model, over the serial link."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, fixture_path, random_inputs, tflm_run

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.targets import QemuSession, build_firmware

pytestmark = pytest.mark.qemu

MODELS = {"mobilenet_tiny": fixture_path("mobilenet_tiny"), "digits": ROOT / "examples/digits/digits_int8_tf.tflite"}
BOARDS = ["mps2-an386", "mps3-an547", "riscv32-virt"]
CASES = [(m, b) for m in MODELS for b in BOARDS]


@pytest.mark.parametrize("model,board", CASES, ids=[f"{m}-{b}" for m, b in CASES])
def test_device_matches_tflite_micro(model, board, tmp_path):
    path = MODELS[model]
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    xs = random_inputs(net.inputs[0].shape, "int8", n=3, seed=5)
    want = tflm_run(path, xs)
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url, timeout=10) as link:
        assert link.info().model_hash == int(art.meta["hash"], 16)
        for x, w in zip(xs, want):
            got = link.infer(x)
            np.testing.assert_array_equal(got.reshape(w.shape), w)
            np.testing.assert_array_equal(net.invoke(x), w)
        st = link.stats()
    assert st.counter and st.counter > 0
    assert st.stack_high_water and st.stack_high_water < 8192
