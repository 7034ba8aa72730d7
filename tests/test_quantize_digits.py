"""Acceptance on the digits task: our int8 models (from the float ONNX and the
float .tflite) against the float model and the TensorFlow converter's int8
model, and bit-exactness of our .tflite across TFLite Micro, numpy and the
generated C."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytool.frontends import load_model
from pytool.frontends.tflite_writer import write_tflite
from pytool.reference import run_float, run_int8
from quantize import quantize_graph, quantize_inputs

DIGITS = Path(__file__).resolve().parents[1] / "examples" / "digits"
SOURCES = ["digits_float.onnx", "digits_float.tflite"]


@pytest.fixture(scope="module")
def data():
    test = np.load(DIGITS / "test.npz")
    return np.load(DIGITS / "calib.npz")["x"], test["x"].astype(np.float32), test["y"]


def _tflm_predict(path: Path, xs: np.ndarray) -> np.ndarray:
    """int8 model in TFLite Micro; float samples quantized with its input params."""
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(path))
    q = ip.get_input_details(0)["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    outs = []
    for x in xs:
        v = x[None] / np.float32(scale)
        qx = np.clip(np.trunc(v + np.copysign(np.float32(0.5), v)) + zp, -128, 127).astype(np.int8)
        ip.set_input(qx, 0)
        ip.invoke()
        outs.append(np.array(ip.get_output(0))[0])
    return np.stack(outs)


@pytest.fixture(scope="module")
def quantized(data, tmp_path_factory):
    calib, _, _ = data
    out = {}
    tmp = tmp_path_factory.mktemp("digits_q")
    for src in SOURCES:
        g = load_model(DIGITS / src)
        gq, report = quantize_graph(g, calib, progress=False)
        path = write_tflite(gq, tmp / (Path(src).stem + "_ours.tflite"))
        out[src] = (g, gq, report, path)
    return out


@pytest.mark.parametrize("src", SOURCES)
def test_accuracy_close_to_float_and_not_worse_than_tf_converter(src, quantized, data) -> None:
    _, xs, ys = data
    g, _, _, path = quantized[src]
    float_acc = np.mean([np.argmax(run_float(g, [x[None]])[0]) == y for x, y in zip(xs, ys)])
    ours = np.mean(np.argmax(_tflm_predict(path, xs), axis=1) == ys)
    tf = np.mean(np.argmax(_tflm_predict(DIGITS / "digits_int8_tf.tflite", xs), axis=1) == ys)
    assert float_acc > 0.9
    assert abs(ours - float_acc) <= 0.005, f"ours {ours:.4f} vs float {float_acc:.4f}"
    assert ours >= tf, f"ours {ours:.4f} vs TF converter {tf:.4f}"


@pytest.mark.parametrize("src", SOURCES)
def test_written_tflite_in_tflite_micro_equals_numpy_int8(src, quantized, data) -> None:
    from tflite_micro import runtime

    _, xs, _ = data
    _, gq, _, path = quantized[src]
    ip = runtime.Interpreter.from_file(str(path))
    for x in xs[:100]:
        qx = quantize_inputs(gq, [x[None]])
        ip.set_input(qx[0], 0)
        ip.invoke()
        np.testing.assert_array_equal(np.array(ip.get_output(0)), run_int8(gq, qx)[0])


def test_scales_match_tf_converter_with_minmax(quantized) -> None:
    """The TF converter also uses min/max ranges: same calibration set, so the
    activation scales of the float .tflite's quantization agree with its model."""
    _, gq, _, _ = quantized["digits_float.tflite"]
    tf = load_model(DIGITS / "digits_int8_tf.tflite")
    ours = [gq.tensors[op.outputs[0]].quant for op in gq.ops]
    theirs = [tf.tensors[op.outputs[0]].quant for op in tf.ops]
    for a, b in zip(ours, theirs):
        assert float(a.scale[0]) == pytest.approx(float(b.scale[0]), rel=0.02)
        assert abs(int(a.zero_point[0]) - int(b.zero_point[0])) <= 1


def test_generated_c_bit_exact_with_tflite_micro(quantized, data, build_root) -> None:
    from pytool import compile_model, load_host

    _, xs, _ = data
    _, gq, _, path = quantized["digits_float.onnx"]
    art = compile_model(path, out_dir=build_root / "digits_ours", target="host")
    net = load_host(art)
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(path))
    for x in xs[:60]:
        qx = quantize_inputs(gq, [x[None]])[0]
        ip.set_input(qx, 0)
        ip.invoke()
        np.testing.assert_array_equal(np.asarray(net.invoke(qx)).reshape(-1), np.array(ip.get_output(0)).reshape(-1))
