"""The ONNX frontend + float reference executor against ONNX's own node tests
(built in memory by onnx.backend.test.loader) and, for patterns the node tests
lack (dilation, depthwise groups, BN folding, fused activations, zero Pad),
against onnxruntime on small generated models.

Weights the node tests pass as graph inputs become initializers, as they are in
exported models. Every case either matches the expected output (1e-4 relative
to the output range) or is rejected with a ModelError naming the node and the
reason; each family has a fixed list of the cases it must reject and a minimum
number of cases that must actually run.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pytool.frontends import ModelError, load_model, nchw_to_nhwc, nhwc_to_nchw
from pytool.reference import run_float

RTOL = 1e-4


@cache
def node_cases() -> dict:
    from onnx.backend.test.loader import load_model_tests

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {c.name: c for c in load_model_tests(kind="node")}


# family: (name pattern, graph inputs from this index on become initializers,
#          {case: words its ModelError must contain}, minimum cases that must run)
_RANK = "only 2-D spatial ops"
FAMILIES = {
    "conv": (r"test_(basic_)?conv_(with|without)", 1, {}, 6),
    "averagepool": (r"test_averagepool_", None, {
        "test_averagepool_1d_default": _RANK, "test_averagepool_3d_default": _RANK,
        "test_averagepool_3d_dilations_small": _RANK,
        "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True": _RANK,
        "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_False": _RANK,
        "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True": _RANK,
        "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_False": _RANK,
        "test_averagepool_2d_same_lower": "'pads'", "test_averagepool_2d_pads": "'pads'",
        "test_averagepool_2d_ceil": "'ceil_mode'", "test_averagepool_2d_ceil_last_window_starts_on_pad": "'ceil_mode'",
        "test_averagepool_2d_dilations": "'dilations'",
    }, 8),
    "maxpool": (r"test_maxpool_", None, {
        "test_maxpool_2d_uint8": "UINT8", "test_maxpool_1d_default": _RANK, "test_maxpool_3d_default": _RANK,
        "test_maxpool_3d_dilations": _RANK, "test_maxpool_3d_dilations_use_ref_impl": _RANK,
        "test_maxpool_3d_dilations_use_ref_impl_large": _RANK,
        "test_maxpool_with_argmax_2d_precomputed_pads": "Indices",
        "test_maxpool_with_argmax_2d_precomputed_strides": "Indices",
        "test_maxpool_2d_same_lower": "'pads'", "test_maxpool_2d_pads": "'pads'",
        "test_maxpool_2d_ceil": "'ceil_mode'", "test_maxpool_2d_ceil_output_size_reduce_by_one": "'ceil_mode'",
        "test_maxpool_2d_dilations": "'dilations'",
    }, 6),
    "globalpool": (r"test_global(average|max)pool", None, {}, 4),
    "gemm": (r"test_gemm_", 1, {
        "test_gemm_default_matrix_bias": "C (bias)", "test_gemm_transposeA": "'transA'",
        "test_gemm_all_attributes": "'transA'",
    }, 8),
    "matmul": (r"test_matmul_(2d|3d|4d|bcast)$", 1, {
        "test_matmul_3d": "non-2-D second operand", "test_matmul_4d": "non-2-D second operand",
        "test_matmul_bcast": "non-2-D second operand",
    }, 1),
    "relu": (r"test_relu$", None, {}, 1),
    "clip": (r"test_clip_default_(min|max|inbounds)$|test_clip$", 1, {
        "test_clip": "Clip to [-1.0, 1.0]", "test_clip_default_max": "Clip to [-inf, 0.0]",
        "test_clip_default_inbounds": "Clip to [-inf, inf]",
    }, 1),
    "add_mul": (r"test_(add|mul)(_bcast|_example)?$", None, {}, 4),
    "reshape": (r"test_reshape_(?!allowzero)", 1, {}, 9),
    "flatten": (r"test_flatten_", None, {}, 9),
    "squeeze": (r"test_(un)?squeeze", 1, {}, 9),
    "concat": (r"test_concat_", None, {}, 12),
    "softmax": (r"test_softmax_(?!.*expanded)", None, {}, 7),
    "sigmoid": (r"test_sigmoid", None, {}, 2),
    "transpose": (r"test_transpose_", None, {}, 7),
    "batchnorm": (r"test_batchnorm_", 1, {
        "test_batchnorm_example_training_mode": "'training_mode'",
        "test_batchnorm_epsilon_training_mode": "'training_mode'",
    }, 2),
    "reduce_mean": (r"test_reduce_mean_(?!default_axes)", 1, {}, 6),
    "lstm": (r"test_lstm_", 1, {
        "test_lstm_with_peepholes": "peephole", "test_lstm_reverse": "direction 'reverse'",
        "test_lstm_bidirectional": "direction 'bidirectional'",
    }, 3),
}


def _materialise(case, first_weight: int | None) -> tuple[onnx.ModelProto, list, list, list]:
    """The case's model with inputs[first_weight:] as initializers; feeds, expected outputs."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, expected = case.data_sets[0]
    names = [vi.name for vi in model.graph.input]
    weights = set(names[first_weight:]) if first_weight is not None else set()
    for name, value in zip(names, inputs):
        if name in weights:
            model.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    for vi in [vi for vi in model.graph.input if vi.name in weights]:
        model.graph.input.remove(vi)
    feeds = [v for n, v in zip(names, inputs) if n not in weights]
    return model, feeds, list(expected), names


def run_model(g, feeds: list) -> list[np.ndarray]:
    """Runs the IR on NCHW feeds and returns NCHW outputs, using the layout notes."""
    xs = [nchw_to_nhwc(v) if n in g.meta["nchw_inputs"] else np.asarray(v) for n, v in zip(g.inputs, feeds)]
    ys = run_float(g, xs)
    return [nhwc_to_nchw(y) if n in g.meta["nchw_outputs"] else y for n, y in zip(g.outputs, ys)]


def assert_close(got: list, want: list, label: str) -> None:
    assert len(got) == len(want), label
    for y, e in zip(got, want):
        e = np.asarray(e)
        assert y.shape == e.shape, f"{label}: shape {y.shape} != {e.shape}"
        scale = max(float(np.max(np.abs(e))) if e.size else 0.0, 1e-6)
        err = float(np.max(np.abs(y.astype(np.float64) - e))) if e.size else 0.0
        assert err <= RTOL * scale, f"{label}: max abs diff {err} > {RTOL} x {scale}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_node_family(family: str, tmp_path) -> None:
    pattern, first_weight, rejected, min_ran = FAMILIES[family]
    cases = [c for name, c in node_cases().items() if re.match(pattern, name)]
    assert cases, f"no node test matches {pattern}"
    ran, refused = [], {}
    for case in cases:
        model, feeds, expected, _ = _materialise(case, first_weight)
        path = tmp_path / f"{case.name}.onnx"
        onnx.save(model, str(path))
        if case.name in rejected:
            with pytest.raises(ModelError) as info:
                load_model(path)
            msg = str(info.value)
            assert str(path) in msg and rejected[case.name] in msg, msg
            refused[case.name] = msg
            continue
        g = load_model(path)
        assert_close(run_model(g, feeds), expected, case.name)
        ran.append(case.name)
    assert len(ran) >= min_ran, f"{family}: only {len(ran)} cases ran: {ran}"
    assert set(refused) == set(rejected) & {c.name for c in cases}


# ---- generated models, checked against onnxruntime ----------------------------------------


def _model(nodes, x_shape, y_name: str, inits: dict, opset: int = 13) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v, np.float32 if np.asarray(v).dtype.kind == "f" else np.int64), k)
         for k, v in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _rand(rng, *shape) -> np.ndarray:
    return rng.normal(size=shape).astype(np.float32)


def _generated():
    rng = np.random.default_rng(7)
    w = {"W": _rand(rng, 6, 3, 3, 3), "B": _rand(rng, 6)}
    bn = {"s": rng.uniform(0.5, 2, 6).astype(np.float32), "t": _rand(rng, 6), "m": _rand(rng, 6),
          "v": rng.uniform(0.5, 2, 6).astype(np.float32)}
    yield "conv_dilation2", _model([helper.make_node("Conv", ["x", "W", "B"], ["y"], dilations=[2, 2],
                                                     pads=[2, 2, 2, 2])], (1, 3, 9, 8), "y", w), ["CONV_2D"]
    yield "conv_same_lower_stride2", _model([helper.make_node("Conv", ["x", "W", "B"], ["y"], strides=[2, 2],
                                                              auto_pad="SAME_LOWER")], (1, 3, 8, 8), "y", w), \
        ["PAD", "CONV_2D"]
    dw = {"D": _rand(rng, 6, 1, 3, 3), "B": _rand(rng, 6)}
    yield "depthwise_m2", _model([helper.make_node("Conv", ["x", "D", "B"], ["y"], group=3, strides=[2, 1],
                                                   pads=[1, 1, 1, 1])], (1, 3, 7, 6), "y", dw), \
        ["DEPTHWISE_CONV_2D"]
    yield "conv_bn_relu", _model([
        helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "t", "m", "v"], ["n"], epsilon=1e-3),
        helper.make_node("Relu", ["n"], ["y"])], (1, 3, 5, 6), "y", {**w, **bn}), ["CONV_2D"]
    yield "conv_clip6", _model([
        helper.make_node("Conv", ["x", "W"], ["c"]),
        helper.make_node("Clip", ["c", "lo", "hi"], ["y"])], (1, 3, 5, 6), "y",
        {"W": w["W"] * 3, "lo": np.float32(0), "hi": np.float32(6)}), ["CONV_2D"]
    yield "conv_flatten_gemm", _model([
        helper.make_node("Conv", ["x", "W", "B"], ["c"]),
        helper.make_node("Flatten", ["c"], ["f"]),
        helper.make_node("Gemm", ["f", "G", "g"], ["y"], transB=1, alpha=0.5, beta=2.0)], (1, 3, 5, 4), "y",
        {**w, "G": _rand(rng, 4, 36), "g": _rand(rng, 4)}), ["CONV_2D", "TRANSPOSE", "RESHAPE", "FULLY_CONNECTED"]
    yield "matmul_add_relu", _model([
        helper.make_node("MatMul", ["x", "M"], ["a"]),
        helper.make_node("Add", ["a", "b"], ["r"]),
        helper.make_node("Relu", ["r"], ["y"])], (2, 5), "y", {"M": _rand(rng, 5, 3), "b": _rand(rng, 3)}), \
        ["FULLY_CONNECTED"]
    yield "pad_zero_hw", _model([helper.make_node("Pad", ["x", "p"], ["y"])], (1, 2, 3, 4), "y",
                                {"p": np.array([0, 0, 1, 2, 0, 1, 0, 3], np.int64)}), ["PAD"]
    yield "pad_zero_channels", _model([helper.make_node("Pad", ["x", "p"], ["y"], mode="constant")],
                                      (1, 2, 3, 4), "y", {"p": np.array([0, 1, 0, 0, 0, 2, 1, 0], np.int64)}), \
        ["PAD"]
    yield "add_const_channels_sigmoid_concat", _model([
        helper.make_node("Add", ["x", "k"], ["a"]),
        helper.make_node("Sigmoid", ["a"], ["s"]),
        helper.make_node("Mul", ["s", "x"], ["m"]),
        helper.make_node("Concat", ["m", "x"], ["c"], axis=1),
        helper.make_node("GlobalAveragePool", ["c"], ["gp"]),
        helper.make_node("Softmax", ["gp"], ["y"], axis=1)], (1, 3, 4, 5), "y",
        {"k": _rand(rng, 3, 1, 1)}), ["ADD", "LOGISTIC", "MUL", "CONCATENATION", "MEAN", "SOFTMAX"]


@pytest.mark.parametrize("name,model,expected_ops", list(_generated()), ids=lambda v: v if isinstance(v, str) else "")
def test_generated_against_onnxruntime(name, model, expected_ops, tmp_path) -> None:
    import onnxruntime as ort

    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    g = load_model(path)
    assert [op.type for op in g.ops] == expected_ops
    assert_close(run_model(g, [x]), want, name)


def test_fusion_and_folding_attributes(tmp_path) -> None:
    gen = {name: model for name, model, _ in _generated()}
    for name, act in (("conv_bn_relu", "RELU"), ("conv_clip6", "RELU6"), ("matmul_add_relu", "RELU")):
        onnx.save(gen[name], str(tmp_path / f"{name}.onnx"))
        g = load_model(tmp_path / f"{name}.onnx")
        assert g.ops[0].attrs["activation"] == act, name
    g = load_model(tmp_path / "conv_bn_relu.onnx")
    assert len(g.ops[0].inputs) == 3  # folded BN gives the conv its bias
    assert g.meta["nchw_inputs"] == ["x"] and g.meta["nchw_outputs"] == [g.outputs[0]]
    w = g.tensors[g.ops[0].inputs[1]]
    assert w.shape == (6, 3, 3, 3)  # OHWI


def test_unsupported_group_is_rejected(tmp_path) -> None:
    rng = np.random.default_rng(0)
    model = _model([helper.make_node("Conv", ["x", "W"], ["y"], group=2, name="grouped")], (1, 4, 5, 5), "y",
                   {"W": _rand(rng, 6, 2, 3, 3)})
    path = tmp_path / "grouped.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError) as info:
        load_model(path)
    msg = str(info.value)
    assert str(path) in msg and "node #0" in msg and "'grouped'" in msg and "(Conv)" in msg and "'group'=2" in msg


def test_qdq_int8_model_folds_to_int8_ops(tmp_path) -> None:
    """onnxruntime's static QDQ quantization (per-channel) becomes int8 IR ops whose
    integer execution agrees with onnxruntime to one output quantum."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from pytool.reference import run_int8

    rng = np.random.default_rng(5)
    model = _model([
        helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Conv", ["r", "D", "E"], ["d"], group=4, pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("MaxPool", ["d"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "G", "g"], ["y"], transB=1)], (1, 3, 8, 8), "y",
        {"W": _rand(rng, 4, 3, 3, 3), "B": _rand(rng, 4), "D": _rand(rng, 4, 1, 3, 3), "E": _rand(rng, 4),
         "G": _rand(rng, 5, 16), "g": _rand(rng, 5)})
    float_path, q_path = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(model, str(float_path))
    samples = [rng.normal(size=(1, 3, 8, 8)).astype(np.float32) for _ in range(16)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter({"x": s} for s in samples)

        def get_next(self):
            return next(self.it, None)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_static(str(float_path), str(q_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    g = load_model(q_path)
    types = [op.type for op in g.ops]
    assert types[0] == "QUANTIZE" and types[-1] == "DEQUANTIZE"
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED"} <= set(types)
    for op in g.ops[1:-1]:
        assert all(g.tensors[n].dtype == "int8" for n in op.outputs), op.type
    conv = g.ops[types.index("CONV_2D")]
    w = g.tensors[conv.inputs[1]]
    assert w.dtype == "int8" and w.quant.per_channel and w.quant.axis == 0 and w.shape == (4, 3, 3, 3)
    dw = g.tensors[g.ops[types.index("DEPTHWISE_CONV_2D")].inputs[1]]
    assert dw.shape == (1, 3, 3, 4) and dw.quant.axis == 3
    assert g.tensors[conv.inputs[2]].dtype == "int32"
    out_scale = float(g.tensors[g.ops[-1].inputs[0]].quant.scale[0])
    sess = ort.InferenceSession(str(q_path), providers=["CPUExecutionProvider"])
    for s in samples[:4]:
        want = sess.run(None, {"x": s})[0]
        got = run_int8(g, [nchw_to_nhwc(s)])[0]
        assert float(np.max(np.abs(got - want))) <= out_scale * 1.01
