"""A representative subset of the per-op fixtures (16x8 conv and transpose conv,
SVDF and LSTM state across invokes, one model of the later int8 ops:
DEPTH_TO_SPACE ... LOG_SOFTMAX) gives TFLite
Micro's bytes on a QEMU board (Cortex-M4) over the serial link, as on the host."""

from __future__ import annotations

import numpy as np
import pytest
from test_tflm_ops import OPS_DIR, samples
from test_tflm_single_ops import CASES as SINGLE

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.targets import QemuSession, build_firmware

pytestmark = pytest.mark.qemu

FIXTURES = ["conv_int16", "transpose_conv_int16", "svdf_rank1", "lstm_stacked_int8", "model_more_ops_int8"]


def _path(name: str, tmp_path):
    if name in SINGLE:
        p = tmp_path / f"{name}.tflite"
        p.write_bytes(SINGLE[name]())
        return p
    return OPS_DIR / f"{name}.tflite"


@pytest.mark.parametrize("name", FIXTURES)
def test_op_fixture_on_qemu_matches_tflite_micro(name, tmp_path):
    from tflite_micro import runtime

    path = _path(name, tmp_path)
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    g = art.graph
    xs = samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], 4, seed=9)
    ip = runtime.Interpreter.from_file(str(path))
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for (x,) in xs:
            ip.set_input(x, 0)
            ip.invoke()
            want = np.array(ip.get_output(0))
            got = link.infer(x)
            np.testing.assert_array_equal(got.reshape(want.shape), want)
            np.testing.assert_array_equal(net.invoke(x), want)
