"""ONNX LeakyRelu, HardSwish, ConvTranspose and Resize: the float IR matches
onnxruntime, and the quantized model (float -> int8 with calibration) stays
within a few steps of it on the host."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pytool import compile_model, load_host
from pytool.frontends import load_model, nchw_to_nhwc, nhwc_to_nchw
from pytool.reference import run_float

X_SHAPE = (1, 3, 5, 6)


def _model(node, y_shape, inits=(), x_shape=X_SHAPE) -> onnx.ModelProto:
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def _w(rng, *shape):
    return rng.normal(0, 0.4, shape).astype(np.float32)


def _cases():
    rng = np.random.default_rng(0)
    sizes = numpy_helper.from_array(np.array([1, 3, 9, 11], np.int64), "sizes")
    return {
        "leaky_relu": _model(helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.15), X_SHAPE),
        "hard_swish": _model(helper.make_node("HardSwish", ["x"], ["y"]), X_SHAPE),
        "conv_transpose_s2": _model(
            helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1]),
            (1, 4, 10, 12), [numpy_helper.from_array(_w(rng, 3, 4, 4, 4), "w"),
                             numpy_helper.from_array(_w(rng, 4), "b")]),
        "conv_transpose_valid": _model(
            helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 1]),
            (1, 2, 11, 7), [numpy_helper.from_array(_w(rng, 3, 2, 3, 2), "w")]),
        "resize_nearest": _model(
            helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="nearest",
                             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
            (1, 3, 9, 11), [sizes]),
        "resize_linear_half_pixel": _model(
            helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear",
                             coordinate_transformation_mode="half_pixel"),
            (1, 3, 9, 11), [sizes]),
    }


CASES = _cases()


def _ort(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {"x": x})[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_op_float_and_int8_match_onnxruntime(name, tmp_path):
    model = CASES[name]
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    rng = np.random.default_rng(1)
    xs = [rng.uniform(-3, 3, X_SHAPE).astype(np.float32) for _ in range(8)]
    g = load_model(path)
    tol = 2e-2 if "linear" in name else 1e-5  # the IR's bilinear positions are TFLite's 10-bit ones
    for x in xs[:2]:
        got = nhwc_to_nchw(run_float(g, [nchw_to_nhwc(x)])[0])
        np.testing.assert_allclose(got, _ort(model, x), rtol=0, atol=tol)
    art = compile_model(path, out_dir=tmp_path / "build", calib=[nchw_to_nhwc(x) for x in xs])
    net = load_host(art)
    qi, qo = art.meta["inputs"][0], art.meta["outputs"][0]
    x = xs[0]
    xq = np.clip(np.round(nchw_to_nhwc(x) / qi["scale"]) + qi["zero_point"], -128, 127).astype(np.int8)
    y = (net.invoke(xq).astype(np.float32) - qo["zero_point"]) * qo["scale"]
    want = _ort(model, x)
    assert np.max(np.abs(nhwc_to_nchw(y) - want)) <= 4 * qo["scale"] + 4 * qi["scale"]


def test_unsupported_onnx_ops_are_all_named_real_op_first(tmp_path):
    nodes = [helper.make_node("Equal", ["x", "x"], ["s"]),
             helper.make_node("GRU", ["x2", "w", "r"], ["y"], hidden_size=4)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 3, 5, 6)),
                                       helper.make_tensor_value_info("x2", TensorProto.FLOAT, (5, 1, 3))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.zeros((1, 12, 3), np.float32), "w"),
                           numpy_helper.from_array(np.zeros((1, 12, 4), np.float32), "r")])
    path = tmp_path / "gru.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), path)
    with pytest.raises(ValueError) as e:
        load_model(path)
    msg = str(e.value)
    assert "(GRU)" in msg and "op type GRU is not supported" in msg and "also unsupported: Equal" in msg


def test_qdq_model_with_new_ops_runs_int8(tmp_path):
    """onnxruntime's static QDQ quantization of LeakyRelu -> ConvTranspose ->
    Resize folds to int8 ops (onnxruntime leaves HardSwish in float, so it is
    covered by the float path above); the compiled C stays within a few output
    quanta of onnxruntime's QDQ run."""
    import warnings

    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    rng = np.random.default_rng(3)
    sizes = numpy_helper.from_array(np.array([1, 4, 20, 24], np.int64), "sizes")
    nodes = [helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.2),
             helper.make_node("ConvTranspose", ["a", "w", "b"], ["t"], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Resize", ["t", "", "", "sizes"], ["y"], mode="nearest",
                              coordinate_transformation_mode="asymmetric", nearest_mode="floor")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, X_SHAPE)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 4, 20, 24))],
                          [numpy_helper.from_array(_w(rng, 3, 4, 4, 4), "w"),
                           numpy_helper.from_array(_w(rng, 4), "b"), sizes])
    float_path, q_path = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), float_path)
    samples = [rng.uniform(-3, 3, X_SHAPE).astype(np.float32) for _ in range(12)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter({"x": s} for s in samples)

        def get_next(self):
            return next(self.it, None)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_static(str(float_path), str(q_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    art = compile_model(q_path, out_dir=tmp_path / "build")
    types = [op.type for op in art.graph.ops]
    assert {"LEAKY_RELU", "TRANSPOSE_CONV", "RESIZE_NEAREST_NEIGHBOR"} <= set(types), types
    net = load_host(art)
    sess = ort.InferenceSession(str(q_path), providers=["CPUExecutionProvider"])
    out_scale = float(art.graph.tensors[art.graph.ops[-1].inputs[0]].quant.scale[0])
    for s in samples[:3]:
        got = nhwc_to_nchw(net.invoke(nchw_to_nhwc(s)))
        assert float(np.max(np.abs(got - sess.run(None, {"x": s})[0]))) <= 3 * out_scale
