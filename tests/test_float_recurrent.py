"""float32 SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM inside int8 models (TFLite
Micro's float reference kernels, state kept across invokes): the generated C
gives TFLite Micro's bytes on the host over several invokes and the numpy
twins the C's; the same models give the host's bytes on mps2-an386."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from f32_models import recurrent_model
from test_tflm_ops import check_model, samples

from pytool import compile_model, load_host

CASES = {"svdf": lambda: recurrent_model(lstm=False), "lstm_time_major_clip": lambda: recurrent_model(svdf=False),
         # RELU6, TANH, SIGN_BIT: TFLite Micro's float SVDF applies every fused activation of the schema
         "svdf_activations": lambda: recurrent_model(lstm=False, svdf_acts=((1, 3), (1, 4), (2, 5)))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_recurrent_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=6, seed=3)


def test_converter_float_lstm_matches_tflite_micro(tmp_path):
    """tf-keras LSTM left float by selective quantization between int8 FCs
    (tests/fixtures/make_float_fixtures.py)."""
    from tflite_micro import runtime

    from pytool.reference import run_int8

    path = FIXTURES / "float_ops" / "float_lstm.tflite"
    art = compile_model(path, out_dir=tmp_path / "build")
    net, g = load_host(art), art.graph
    assert any(op.type == "UNIDIRECTIONAL_SEQUENCE_LSTM" and g.tensors[op.outputs[0]].dtype == "float32"
               for op in g.ops)
    ip = runtime.Interpreter.from_file(str(path))
    rng, state = np.random.default_rng(8), {}
    for _ in range(4):  # the state carries over
        x = rng.uniform(-1.2, 1.2, g.tensors[g.inputs[0]].shape).astype(np.float32)
        ip.set_input(x, 0)
        ip.invoke()
        want, got = np.array(ip.get_output(0)), net.invoke(x)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        np.testing.assert_array_equal(run_int8(g, [x], state=state)[0], got)


@pytest.mark.qemu
def test_float_recurrent_on_qemu_matches_host(tmp_path):
    """odl_expf and newlib's tanhf on the Cortex-M4 give the host's bytes, states carried over invokes."""
    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = tmp_path / "both.tflite"
    path.write_bytes(recurrent_model())
    art = compile_model(path, out_dir=tmp_path / "model")
    net, g = load_host(art), art.graph
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    xs = samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], 4, seed=13)
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for x in xs:
            want = net.invoke(*x)
            for w, c in zip(want, link.infer_all(*x)):
                assert c.reshape(-1).tobytes() == w.reshape(-1).tobytes()
