"""(op, tensor type) combinations the type audit (bench/type_audit.py,
docs/design/ops-coverage.md) found TFLite Micro running and tinyodl refusing,
now fixed: each single-op model (tests/op_type_build.py) byte-compared with
TFLite Micro and the numpy twin."""

from __future__ import annotations

import pytest
from op_type_build import model_bytes
from test_tflm_ops import check_model

FIXED = [
    # the strided-view copy moves uint8 / bool (one byte) and int64 values
    ("STRIDED_SLICE", "bool"), ("SLICE", "bool"), ("BROADCAST_TO", "bool"), ("BROADCAST_TO", "int64"),
    ("BROADCAST_TO", "uint8"), ("REVERSE_V2", "int64"), ("REVERSE_V2", "uint8"), ("REVERSE_V2", "bool"),
    ("PACK", "int64"), ("CONCATENATION", "int64"), ("CONCATENATION", "bool"),
    # CAST to and from bool
    ("CAST", "int8->bool"), ("CAST", "int32->bool"), ("CAST", "float32->bool"), ("CAST", "bool->int8"),
    ("CAST", "bool->int16"), ("CAST", "bool->float32"),
    # raw comparisons (TFLite Micro's *NoScaling): int64, and bool for EQUAL / NOT_EQUAL
    ("EQUAL", "bool"), ("NOT_EQUAL", "bool"), ("EQUAL", "int64"), ("GREATER", "int64"), ("LESS_EQUAL", "int64"),
    # float32 layout ops inside an int8 model (the int8 kernels move 4-byte elements)
    ("DEPTH_TO_SPACE", "float32"), ("SPACE_TO_DEPTH", "float32"), ("MIRROR_PAD", "float32"),
    ("SPACE_TO_BATCH_ND", "float32"), ("BATCH_TO_SPACE_ND", "float32"),
    # raw int64 MAXIMUM / MINIMUM
    ("MAXIMUM", "int64"), ("MINIMUM", "int64"),
]


@pytest.mark.parametrize(("op", "dtype"), FIXED, ids=[f"{o}-{t}" for o, t in FIXED])
def test_op_type_matches_tflite_micro(op, dtype, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(model_bytes(op, dtype))
    check_model(path, tmp_path / "build", n=3, seed=len(op) + len(dtype))


def test_uint32_bool_cast_is_refused_in_one_line(tmp_path):
    from tflite_build import T, single_op

    from pytool import compile_model
    from pytool.frontends.errors import ModelError
    from pytool.ir import IRError

    path = tmp_path / "c.tflite"
    path.write_bytes(single_op(53, [T((4,), "bool"), T((4,), "uint32")], [0], [1]))
    with pytest.raises((ModelError, IRError), match="CAST .*uint32 <-> bool"):
        compile_model(path, out_dir=tmp_path / "build")
