"""Frontend error paths (every message names the file and the op/attribute) and
TFLite fixtures read back with the same shapes and quantization as LiteRT."""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
import onnx
import pytest
from ai_edge_litert import schema_py_generated as schema
from conftest import fixture_path as fixture
from conftest import manifest
from onnx import TensorProto, helper, numpy_helper

from pytool import ops as opreg
from pytool.frontends import ModelError, load_model

SIGN_BIT = 5


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """Re-packs a .tflite after `edit(model)` changes its object-API tree."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(src.read_bytes()), 0)
    edit(model)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    dst.write_bytes(bytes(b.Output()))
    return dst


def _error(path: Path) -> str:
    with pytest.raises(ModelError) as info:
        load_model(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    return msg


# ---- unreadable files -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tflite", ".onnx", ".bin"])
def test_empty_file(tmp_path, suffix) -> None:
    p = tmp_path / f"empty{suffix}"
    p.write_bytes(b"")
    assert "empty" in _error(p)


def test_missing_file(tmp_path) -> None:
    assert "cannot read" in _error(tmp_path / "absent.tflite")


@pytest.mark.parametrize("cut", [0.5, 0.1, 0.9])
def test_truncated_tflite(tmp_path, cut) -> None:
    data = fixture("mobilenet_tiny").read_bytes()
    p = tmp_path / "truncated.tflite"
    p.write_bytes(data[: int(len(data) * cut)])
    msg = _error(p)
    assert "truncated" in msg or "out of range" in msg or "past the end" in msg or "buffer" in msg, msg


def test_random_bytes(tmp_path) -> None:
    rng = np.random.default_rng(0)
    p = tmp_path / "noise.tflite"
    p.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "not a TFLite model" in _error(p)
    q = tmp_path / "noise_with_id.tflite"
    q.write_bytes(b"\xff\xff\xff\x7fTFL3" + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "corrupt or truncated" in _error(q)
    o = tmp_path / "noise.onnx"
    o.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "ONNX" in _error(o)
    u = tmp_path / "noise.model"
    u.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "unknown model format" in _error(u)


# ---- TFLite models the runtime cannot run --------------------------------------------------


HASHTABLE_LOOKUP = 10  # a builtin the runtime has no kernel for


def test_tflite_unsupported_op(tmp_path) -> None:
    def to_hashtable(m):
        m.operatorCodes[m.subgraphs[0].operators[0].opcodeIndex].builtinCode = HASHTABLE_LOOKUP
        m.operatorCodes[m.subgraphs[0].operators[0].opcodeIndex].deprecatedBuiltinCode = HASHTABLE_LOOKUP

    p = _rewrite(fixture("logistic"), tmp_path / "hashtable.tflite", to_hashtable)
    msg = _error(p)
    assert "op #0" in msg and "(HASHTABLE_LOOKUP)" in msg and "not supported" in msg
    assert all(t in msg for t in opreg.MODULES), msg  # names the supported set
    # inspection keeps the op and flags it instead of failing
    g = load_model(p, strict=False)
    assert g.ops[0].type == "HASHTABLE_LOOKUP" and "not supported" in g.ops[0].attrs["_unsupported"]
    from pytool.cli import main

    assert main(["inspect", str(p)]) == 1


def test_tflite_unsupported_fused_activation(tmp_path) -> None:
    def tanh_act(m):
        m.subgraphs[0].operators[0].builtinOptions.fusedActivationFunction = 4

    msg = _error(_rewrite(fixture("conv_s1_same_relu"), tmp_path / "conv_tanh.tflite", tanh_act))
    assert "op #0" in msg and "(CONV_2D)" in msg and "fused activation TANH" in msg and "RELU6" in msg


def test_tflite_fc_hybrid_options(tmp_path) -> None:
    def asymmetric(m):
        m.subgraphs[0].operators[0].builtinOptions.asymmetricQuantizeInputs = True

    msg = _error(_rewrite(fixture("fc_relu"), tmp_path / "fc_asym.tflite", asymmetric))
    assert "op #0" in msg and "(FULLY_CONNECTED)" in msg and "asymmetric_quantize_inputs" in msg

    def int16_weights(m):
        op = m.subgraphs[0].operators[0]
        t = m.subgraphs[0].tensors[op.inputs[1]]
        t.type = schema.TensorType.INT16
        buf = m.buffers[t.buffer]
        buf.data = np.asarray(buf.data, np.uint8).view(np.int8).astype("<i2").view(np.uint8)

    msg = _error(_rewrite(fixture("fc_relu"), tmp_path / "fc_i16w.tflite", int16_weights))
    assert "(FULLY_CONNECTED)" in msg and "int16" in msg and "supported weight types: int8, float32" in msg


# ---- ONNX models the runtime cannot run ----------------------------------------------------


def _onnx(tmp_path, name, nodes, inits) -> Path:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    p = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(p))
    return p


def test_onnx_unsupported_attribute(tmp_path) -> None:
    w = np.ones((4, 4, 3, 3), np.float32)
    p = _onnx(tmp_path, "pool_dil", [helper.make_node("Relu", ["x"], ["r"], name="act"),
                                     helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[2, 2],
                                                      dilations=[2, 2], name="pool")], {})
    msg = _error(p)
    assert "node #1 'pool' (MaxPool)" in msg and "'dilations'" in msg
    p = _onnx(tmp_path, "avg_pads", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                                      pads=[2, 2, 2, 2], name="avg")], {})
    msg = _error(p)
    assert "node #0 'avg' (AveragePool)" in msg and "'pads'" in msg and "SAME or VALID" in msg
    p = _onnx(tmp_path, "conv_unknown_attr", [helper.make_node("Conv", ["x", "W"], ["y"], name="c",
                                                               foo=3)], {"W": w})
    msg = _error(p)
    assert "node #0 'c' (Conv)" in msg and "'foo'" in msg and "kernel_shape" in msg
    p = _onnx(tmp_path, "pad_reflect", [helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect", name="pd")],
              {"p": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)})
    msg = _error(p)
    assert "node #0 'pd' (Pad)" in msg and "'mode'=reflect" in msg


def test_onnx_unknown_op(tmp_path) -> None:
    p = _onnx(tmp_path, "lrn", [helper.make_node("LRN", ["x"], ["y"], size=3, name="norm")], {})
    msg = _error(p)
    assert "node #0 'norm' (LRN)" in msg and "not supported" in msg and "Conv" in msg and "Gemm" in msg


# ---- TFLite fixtures read back like LiteRT reads them -----------------------------------------


def _litert_details(p: Path):
    from ai_edge_litert.interpreter import Interpreter

    ip = Interpreter(model_path=str(p))
    return ip.get_input_details(), ip.get_output_details(), ip.get_tensor_details()


def _same_quant(t, q: dict, label: str) -> None:
    scales = np.asarray(q["scales"])
    if scales.size == 0:
        assert t.quant is None, label
        return
    assert t.quant is not None, label
    np.testing.assert_array_equal(t.quant.scale, scales.astype(np.float32), err_msg=label)
    np.testing.assert_array_equal(t.quant.zero_point, np.asarray(q["zero_points"]).astype(np.int64), err_msg=label)
    if scales.size > 1:
        assert t.quant.axis == q["quantized_dimension"], label


@pytest.mark.parametrize("name", [e["name"] for e in manifest()])
def test_tflite_fixture_matches_litert(name) -> None:
    p = fixture(name)
    g = load_model(p)
    ins, outs, tensors = _litert_details(p)
    assert len(g.inputs) == len(ins) and len(g.outputs) == len(outs)
    for ir_names, details in ((g.inputs, ins), (g.outputs, outs)):
        for n, d in zip(ir_names, details):
            t = g.tensors[n]
            assert t.shape == tuple(int(v) for v in d["shape"]), n
            assert t.np_dtype == np.dtype(d["dtype"]), n
            _same_quant(t, d["quantization_parameters"], n)
    by_name: dict[str, list] = {}
    for d in tensors:
        by_name.setdefault(d["name"], []).append(d)
    checked = 0
    for d in (v[0] for v in by_name.values() if len(v) == 1):
        if d["name"] in g.tensors:
            t = g.tensors[d["name"]]
            assert t.shape == tuple(int(v) for v in d["shape"]), d["name"]
            _same_quant(t, d["quantization_parameters"], d["name"])
            checked += 1
    assert checked >= len(g.ops)
    if all(opreg.get(op.type) is not None for op in g.ops):
        g.validate()


def test_tflite_attributes_normalised() -> None:
    g = load_model(fixture("dw_m2_s2_valid"))
    op = g.ops[0]
    assert op.type == "DEPTHWISE_CONV_2D"
    assert op.attrs["depth_multiplier"] == 2 and op.attrs["stride"] == (2, 2) and op.attrs["padding"] == "VALID"
    w = g.tensors[op.inputs[1]]
    assert w.shape[0] == 1 and w.quant.per_channel and w.quant.axis == 3
    g = load_model(fixture("conv_s2_valid_relu6"))
    assert g.ops[0].attrs["activation"] == "RELU6"
    g = load_model(fixture("concat_channels"))
    cat = [op for op in g.ops if op.type == "CONCATENATION"][0]
    assert cat.attrs["axis"] == 3
