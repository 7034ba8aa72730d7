"""README's op table is the registry's (regenerate: python -m pytool.ops.table --write)."""

from __future__ import annotations

from conftest import ROOT

from pytool import ops as opreg
from pytool.frontends.onnx_coverage import ONNX_TO_IR
from pytool.frontends.onnx_graph_nodes import CONVERTERS
from pytool.ops.table import render, splice


def test_readme_op_table_matches_the_registry():
    text = (ROOT / "README.md").read_text()
    assert splice(text, render()) == text, "README op table is stale: run python -m pytool.ops.table --write"


def test_onnx_coverage_names_every_converter_and_real_ops():
    assert set(ONNX_TO_IR) == set(CONVERTERS)
    for ops in ONNX_TO_IR.values():
        assert set(ops) <= set(opreg.MODULES)


def test_every_op_declares_its_kernel_types():
    for t in opreg.supported():
        types = opreg.get(t).TYPES
        assert types and set(types) <= {"int8", "int16", "bool", "int32", "float32"}, t  # int32: shape ops
