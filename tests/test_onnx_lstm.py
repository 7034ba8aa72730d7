"""ONNX LSTM: the float IR matches onnxruntime; quantized to int8 (int16 cell
state) and compiled, the C stays within a few output quanta of it. One model
builds its zero initial states the way exporters do (Shape -> Gather ->
Unsqueeze -> Concat -> ConstantOfShape), folded at conversion."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pytool import compile_model, load_host
from pytool.frontends import load_model
from pytool.frontends.errors import ModelError
from pytool.reference import run_float

NT, NB, NI, NS = 6, 1, 4, 5


def _weights(rng):
    return [numpy_helper.from_array(rng.normal(0, 0.5, (1, 4 * NS, NI)).astype(np.float32), "W"),
            numpy_helper.from_array(rng.normal(0, 0.5, (1, 4 * NS, NS)).astype(np.float32), "R"),
            numpy_helper.from_array(rng.normal(0, 0.3, (1, 8 * NS)).astype(np.float32), "B")]


def _plumbing_model() -> onnx.ModelProto:
    """layout 0 (time-major), outputs Y and Y_h, zero states built from the input's shape."""
    rng = np.random.default_rng(0)
    inits = _weights(rng) + [numpy_helper.from_array(np.array(1, np.int64), "one_idx"),
                             numpy_helper.from_array(np.array([0], np.int64), "axes0"),
                             numpy_helper.from_array(np.array([1], np.int64), "dirs"),
                             numpy_helper.from_array(np.array([NS], np.int64), "hid")]
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "one_idx"], ["bsz"], axis=0),
             helper.make_node("Unsqueeze", ["bsz", "axes0"], ["bsz1"]),
             helper.make_node("Concat", ["dirs", "bsz1", "hid"], ["shp"], axis=0),
             helper.make_node("ConstantOfShape", ["shp"], ["h0"],
                              value=numpy_helper.from_array(np.zeros(1, np.float32))),
             helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "h0"], ["y", "y_h"], hidden_size=NS)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (NT, NB, NI))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, (NT, 1, NB, NS)),
                           helper.make_tensor_value_info("y_h", TensorProto.FLOAT, (1, NB, NS))], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def _batch_first_model(layout: int = 0) -> onnx.ModelProto:
    """Batch-first input (transposed for layout 0, as PyTorch exports it), explicit
    zero initial states, the last hidden state into a Gemm."""
    rng = np.random.default_rng(1)
    inits = _weights(rng) + [numpy_helper.from_array(np.zeros((1, NB, NS), np.float32), "h0"),
                             numpy_helper.from_array(rng.normal(0, 0.6, (NS, 3)).astype(np.float32), "fc_w"),
                             numpy_helper.from_array(np.array([NB, NS], np.int64), "flat")]
    seq = "x" if layout else "xt"
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2])] if not layout else []
    nodes += [helper.make_node("LSTM", [seq, "W", "R", "B", "", "h0", "h0"], ["", "y_h"], hidden_size=NS,
                               layout=layout),
              helper.make_node("Reshape", ["y_h", "flat"], ["h"]),
              helper.make_node("Gemm", ["h", "fc_w"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (NB, NT, NI))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, (NB, 3))], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


CASES = {"plumbing_time_major": _plumbing_model, "batch_first_gemm": _batch_first_model}


@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_lstm_float_and_int8_match_onnxruntime(name, tmp_path):
    import onnxruntime as ort

    model = CASES[name]()
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    shape = tuple(model.graph.input[0].type.tensor_type.shape.dim[k].dim_value for k in range(3))
    rng = np.random.default_rng(2)
    xs = [rng.uniform(-2, 2, shape).astype(np.float32) for _ in range(12)]
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    g = load_model(path)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in [op.type for op in g.ops]
    for x in xs[:2]:
        for got, want in zip(run_float(g, [x]), sess.run(None, {"x": x})):
            np.testing.assert_allclose(got.reshape(want.shape), want, rtol=0, atol=1e-5)
    art = compile_model(path, out_dir=tmp_path / "build", calib=xs)
    net = load_host(art)
    qi = art.meta["inputs"][0]
    for x in xs[:3]:  # consecutive invokes: ONNX's LSTM starts from zero every run
        xq = np.clip(np.round(x / qi["scale"]) + qi["zero_point"], -128, 127).astype(np.int8)
        got = net.invoke(xq)
        got = got if isinstance(got, list | tuple) else [got]
        for q, qo, want in zip(got, art.meta["outputs"], sess.run(None, {"x": x})):
            y = (q.astype(np.float32) - qo["zero_point"]) * qo["scale"]
            # tighter than the other ONNX op tests' 4 output + 4 input quanta: under one output quantum seen
            assert np.max(np.abs(y.reshape(want.shape) - want)) <= 2 * qo["scale"]


def test_onnx_lstm_layout_1_float_matches_layout_0(tmp_path):
    """onnxruntime runs only layout 0: the batch-major (layout 1) import is
    checked against the same weights behind a Transpose."""
    import onnxruntime as ort

    path = tmp_path / "l1.onnx"
    onnx.save(_batch_first_model(layout=1), path)
    g = load_model(path)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in [op.type for op in g.ops]
    sess = ort.InferenceSession(_batch_first_model().SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(4).uniform(-2, 2, (NB, NT, NI)).astype(np.float32)
    np.testing.assert_allclose(run_float(g, [x])[0], sess.run(None, {"x": x})[0], rtol=0, atol=1e-5)


@pytest.mark.parametrize(("attrs", "words"), [({"direction": "bidirectional"}, "direction"),
                                              ({"clip": 3.0}, "clip"),
                                              ({"input_forget": 1}, "input_forget")])
def test_onnx_lstm_variants_are_refused(attrs, words, tmp_path):
    rng = np.random.default_rng(3)
    nd = 2 if attrs.get("direction") == "bidirectional" else 1
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, (nd, 4 * NS, NI)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(0, 0.5, (nd, 4 * NS, NS)).astype(np.float32), "R")]
    node = helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=NS, **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (NT, NB, NI))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, (NT, nd, NB, NS))], inits)
    path = tmp_path / "v.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), path)
    with pytest.raises(ModelError, match=words):
        load_model(path)


def test_onnx_lstm_in_a_qdq_model_is_refused_with_the_way_out(tmp_path):
    """onnxruntime's QDQ quantization leaves the LSTM float between Q/DQ pairs."""
    model = _batch_first_model()
    scale = numpy_helper.from_array(np.array(0.01, np.float32), "qs")
    zp = numpy_helper.from_array(np.array(0, np.int8), "qz")
    model.graph.initializer.extend([scale, zp])
    model.graph.node.insert(0, helper.make_node("QuantizeLinear", ["x", "qs", "qz"], ["xq"]))
    model.graph.node.insert(1, helper.make_node("DequantizeLinear", ["xq", "qs", "qz"], ["xd"]))
    model.graph.node[2].input[0] = "xd"
    path = tmp_path / "qdq.onnx"
    onnx.save(model, path)
    with pytest.raises(ModelError, match="QDQ.*compile the float model"):
        load_model(path)


def test_shape_plumbing_on_a_run_time_value_is_refused(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Gather", ["r", "idx"], ["y"], axis=0)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (NT, NB, NI))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, (NB, NI))],
                          [numpy_helper.from_array(np.array(0, np.int64), "idx")])
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), path)
    with pytest.raises(ModelError, match="computed at run time; Gather is only supported on constants"):
        load_model(path)
