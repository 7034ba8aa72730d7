"""The TFLite reader accepts what TFLite Micro accepts where no kernel depends
on it, and `inspect` tells the truth per op."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fixture_path, random_inputs, tflm_run
from model_edit import edit_tflite, op_code

from pytool import compile_model, load_host
from pytool.cli import main
from pytool.frontends import load_model


def _dw_bias_axis3(model, schema) -> None:
    g = model.subgraphs[0]
    for op in g.operators:
        if op_code(model, op) == schema.BuiltinOperator.DEPTHWISE_CONV_2D:
            bias = g.tensors[int(op.inputs[2])]
            assert len(bias.quantization.scale) > 1
            bias.quantization.quantizedDimension = 3


def test_depthwise_bias_with_filter_axis_is_byte_exact(tmp_path):
    path = edit_tflite(fixture_path("dw_m2_valid"), tmp_path / "dw.tflite", _dw_bias_axis3)
    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    xs = random_inputs(tuple(art.graph.tensors[art.graph.inputs[0]].shape), "int8", 3, seed=5)
    for x, want in zip(xs, tflm_run(path, xs)):
        np.testing.assert_array_equal(net.invoke(x), want)


def _extra_uint32(model, schema) -> None:
    t = schema.TensorT()
    t.name, t.type, t.shape, t.buffer = b"unused_u32", schema.TensorType.UINT32, [4], 0
    model.subgraphs[0].tensors.append(t)


def test_unused_uint32_tensor_is_accepted(tmp_path):
    path = edit_tflite(fixture_path("fc_relu"), tmp_path / "u32.tflite", _extra_uint32)
    g = load_model(path)
    assert g.tensors["unused_u32"].dtype == "uint32"
    compile_model(path, out_dir=tmp_path / "build")


def _u32_output(model, schema) -> None:
    g = model.subgraphs[0]
    g.tensors[int(g.outputs[0])].type = schema.TensorType.UINT32


def test_uint32_read_by_an_op_is_refused_with_the_reason(tmp_path, capsys):
    path = edit_tflite(fixture_path("fc_relu"), tmp_path / "u32out.tflite", _u32_output)
    with pytest.raises(ValueError, match="uint32"):
        compile_model(path, out_dir=tmp_path / "build")
    assert main(["inspect", str(path)]) == 1
    assert "uint32" in capsys.readouterr().out.lower()


def _two_custom_ops(model, schema) -> None:
    code = schema.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.customCode = 32, 32, b"MyOp"
    model.operatorCodes.append(code)
    ops = model.subgraphs[0].operators
    for k in (1, len(ops) - 2):
        ops[k].opcodeIndex = len(model.operatorCodes) - 1


def test_inspect_lists_every_unsupported_op(tmp_path, capsys):
    path = edit_tflite(fixture_path("mobilenet_tiny"), tmp_path / "custom.tflite", _two_custom_ops)
    assert main(["inspect", str(path)]) == 1
    text = capsys.readouterr().out
    assert text.count("CUSTOM:MyOp is not supported") == 2
    assert "2 unsupported op(s)" in text


def test_inspect_reports_a_16x8_model_fully_supported(capsys):
    from conftest import FIXTURES

    assert main(["inspect", str(FIXTURES / "ops" / "model_kws_int16.tflite")]) == 0
    assert "unsupported" not in capsys.readouterr().out


def test_inspect_names_a_type_tflite_micro_lacks(tmp_path, capsys):
    from conftest import FIXTURES

    def to_int16(model, schema):
        for t in model.subgraphs[0].tensors:
            if t.type == schema.TensorType.INT8:
                t.type = schema.TensorType.INT16

    path = edit_tflite(FIXTURES / "ops" / "resize_bilinear_int8.tflite", tmp_path / "rb16.tflite", to_int16)
    assert main(["inspect", str(path)]) == 1
    assert "TFLite Micro has no int16 kernel" in capsys.readouterr().out
