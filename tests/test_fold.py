"""Read-time constant folding (pytool/frontends/fold.py): shape arithmetic and
constant-only ops become constants; an op that still depends on the model's
input is kept, and a fold-only op that stays is refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_build import T, single_op

from pytool.frontends.fold import fold_constants
from pytool.ir import Graph, Op, QuantParams, Tensor


def _graph() -> Graph:
    g = Graph()
    q = QuantParams.per_tensor(0.1, 3)
    g.add_tensor(Tensor("x", (1, 2, 3), "int8", quant=q))
    consts = {"dims": np.array([2, 3], np.int32), "v": np.array(7, np.int32), "a": np.array([2, 1], np.int32),
              "b": np.array([1, 3], np.int32), "r0": np.array(1, np.int32), "r1": np.array(7, np.int32),
              "r2": np.array(2, np.int32), "ax": np.array([0], np.int32), "w": np.arange(6, dtype=np.int8)}
    for n, v in consts.items():
        g.add_tensor(Tensor(n, v.shape, str(v.dtype), v, q if n == "w" else None))
    for n, shape, dt in [("shp", (3,), "int32"), ("fill", (2, 3), "int32"), ("bargs", (2,), "int32"),
                         ("rng", (3,), "int32"), ("prod", (3,), "int32"), ("zl", (1, 2, 3), "int8"),
                         ("wr", (2, 3), "int8"), ("y", (1, 2, 3), "int8")]:
        g.add_tensor(Tensor(n, shape, dt, quant=q if dt == "int8" else None))
    g.ops = [Op("SHAPE", ["x"], ["shp"]), Op("FILL", ["dims", "v"], ["fill"]),
             Op("BROADCAST_ARGS", ["a", "b"], ["bargs"]), Op("RANGE", ["r0", "r1", "r2"], ["rng"]),
             Op("REDUCE_PROD", ["fill", "ax"], ["prod"], {"keep_dims": False}), Op("ZEROS_LIKE", ["x"], ["zl"]),
             Op("RESHAPE", ["w"], ["wr"]), Op("ADD", ["x", "zl"], ["y"], {"activation": "NONE"})]
    g.inputs, g.outputs = ["x"], ["y"]
    return g


def test_fold_constants_values():
    g = _graph()
    assert fold_constants(g) == 7
    assert [op.type for op in g.ops] == ["ADD"]  # the only op that reads the input's values
    t = g.tensors
    np.testing.assert_array_equal(t["shp"].data, [1, 2, 3])
    np.testing.assert_array_equal(t["fill"].data, np.full((2, 3), 7))
    np.testing.assert_array_equal(t["bargs"].data, [2, 3])
    np.testing.assert_array_equal(t["rng"].data, [1, 3, 5])
    np.testing.assert_array_equal(t["prod"].data, [49, 49, 49])
    assert t["zl"].data.dtype == np.int8 and not t["zl"].data.any()
    np.testing.assert_array_equal(t["wr"].data, np.arange(6).reshape(2, 3))


def test_fold_only_op_on_an_activation_is_refused(tmp_path):
    from pytool.frontends import load_model
    from pytool.frontends.errors import ModelError

    p = tmp_path / "reduce_prod.tflite"  # REDUCE_PROD = 81
    p.write_bytes(single_op(81, [T((2, 3), "int8", 0.1, 0), T((1,), "int32", data=np.array([1], np.int32)),
                                 T((2,), "int8", 0.1, 0)], [0, 1], [2], model_inputs=[0]))
    with pytest.raises(ModelError, match=r"REDUCE_PROD.*only when its inputs are constant"):
        load_model(p)


def test_quantized_constant_folds_through_the_integer_twin():
    from pytool.reference import run_int8

    def graph(const: bool) -> Graph:
        g = Graph()
        qx, qc, qr = (QuantParams.per_tensor(s, z) for s, z in ((0.05, 2), (0.03, -7), (0.02, -128)))
        c = np.arange(-60, 60, 10, dtype=np.int8).reshape(1, 12)
        g.add_tensor(Tensor("x", (1, 12), "int8", quant=qx))
        g.add_tensor(Tensor("c", (1, 12), "int8", c if const else None, qc))
        g.add_tensor(Tensor("r", (1, 12), "int8", quant=qr))
        g.add_tensor(Tensor("y", (1, 12), "int8", quant=qx))
        g.ops = [Op("RELU", ["c"], ["r"]), Op("ADD", ["x", "r"], ["y"], {"activation": "NONE"})]
        g.inputs, g.outputs = (["x"] if const else ["x", "c"]), ["y"]
        return g

    folded = graph(True)
    assert fold_constants(folded) == 1 and [op.type for op in folded.ops] == ["ADD"]
    x = np.arange(12, dtype=np.int8).reshape(1, 12)
    want = run_int8(graph(False), [x, np.arange(-60, 60, 10, dtype=np.int8).reshape(1, 12)], keep_all=True)["r"]
    np.testing.assert_array_equal(folded.tensors["r"].data, want)
    assert len(np.unique(want)) > 3  # a real requantization, not a constant


def test_int32_shape_arithmetic_folds_exactly():
    g = Graph()
    big = np.array([2**30 + 1, -(2**30) - 3], np.int32)
    g.add_tensor(Tensor("a", (2,), "int32", big))
    g.add_tensor(Tensor("b", (2,), "int32", np.array([2**30, 7], np.int32)))
    g.add_tensor(Tensor("s", (2,), "int32"))
    g.ops = [Op("ADD", ["a", "b"], ["s"], {"activation": "NONE"})]
    g.inputs, g.outputs = [], []
    assert fold_constants(g) == 1
    np.testing.assert_array_equal(g.tensors["s"].data, np.array([-(2**31) + 1, -(2**30) + 4], np.int32))  # wraps
