"""Constant folding at read time: an op whose result does not depend on the
model's inputs (all inputs constant, or only their static shapes read, as
SHAPE and ZEROS_LIKE do) becomes constant tensors, so shape arithmetic and
constant preprocessing need no kernel. TFLite Micro would compute the same
values at each invoke.

Only exact cases fold: integer/float arithmetic on unquantized tensors,
raw-value data movement (a quantized tensor's bytes copied as they are), and
any other op on constant integer tensors through its integer twin (the
lowering and `ref_int8` that the tests hold byte-equal to the C and to TFLite
Micro).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pytool import ops as opreg
from pytool.frontends import tflite_decode
from pytool.ir import Graph, IRError, Op, Tensor


def _static(g: Graph, op: Op, xs: list) -> list:
    t = g.tensors[op.outputs[0]]
    if op.type == "SHAPE":
        return [np.asarray(g.tensors[op.inputs[0]].shape, t.np_dtype)]
    return [np.zeros(g.tensors[op.inputs[0]].shape, t.np_dtype)]  # ZEROS_LIKE: raw zeros


def _reduce_prod(g: Graph, op: Op, xs: list) -> list:
    axes = tuple(int(a) for a in np.asarray(xs[1]).reshape(-1))
    return [np.prod(np.asarray(xs[0]), axis=axes, keepdims=bool(op.attrs.get("keep_dims")))]


def _floor_op(op: Op, xs: list, integer_fn: Callable) -> list:
    """float32: the kernels' twins (TFLite's double-division floor, fmod keeping -0.0), not numpy's."""
    a, b = np.asarray(xs[0]), np.asarray(xs[1])
    if a.dtype != np.float32:
        return [integer_fn(a, b)]
    from pytool.ops import f32_math

    fn = f32_math.floor_div if op.type == "FLOOR_DIV" else f32_math.floor_mod
    return [fn(*np.broadcast_arrays(a, b))]


# Ops with no kernel here that fold: numpy twins of TFLite's semantics.
NUMPY: dict[str, Callable] = {
    "SHAPE": _static,
    "ZEROS_LIKE": _static,
    "FILL": lambda g, op, xs: [np.full(np.asarray(xs[0]).reshape(-1), np.asarray(xs[1]).reshape(()))],
    "ONES_LIKE": lambda g, op, xs: [np.ones_like(np.asarray(xs[0]))],
    "BROADCAST_ARGS": lambda g, op, xs: [np.asarray(np.broadcast_shapes(*(tuple(np.asarray(x).reshape(-1))
                                                                         for x in xs)))],
    "RANGE": lambda g, op, xs: [np.arange(*(np.asarray(x).reshape(()) for x in xs))],
    "REDUCE_PROD": _reduce_prod,
    "FLOOR_DIV": lambda g, op, xs: _floor_op(op, xs, np.floor_divide),
    "FLOOR_MOD": lambda g, op, xs: _floor_op(op, xs, np.mod),
    "GATHER_ND": lambda g, op, xs: [np.asarray(xs[0])[tuple(np.moveaxis(np.asarray(xs[1]), -1, 0))]],
    "SELECT_V2": lambda g, op, xs: [np.where(np.asarray(xs[0], bool), xs[1], xs[2])],
    tflite_decode.OP: tflite_decode.evaluate,  # compressed constants (checked by the reader)
}
FOLD_ONLY = frozenset(NUMPY)
# Registered ops that copy raw values: their float semantics on the stored
# integers are the exact result, quantized or not.
RAW = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE", "SLICE", "PACK", "UNPACK",
                 "GATHER", "CONCATENATION", "SPLIT", "SPLIT_V", "BROADCAST_TO", "CAST"})
# Registered arithmetic that folds only on unquantized tensors (shape math).
ARITH = frozenset({"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SUM", "REDUCE_MAX", "ABS"})
STATIC_SHAPE_ONLY = frozenset({"SHAPE", "ZEROS_LIKE"})
INTEGER = frozenset({"int8", "int16", "int32", "bool"})
CONTROL = frozenset({"IF", "WHILE", "CALL_ONCE"})  # run subgraphs: never folded


def _foldable(g: Graph, op: Op) -> bool:
    if "_unsupported" in op.attrs or op.type in CONTROL:
        return False
    if any(n in g.meta.get("variables", {}) for n in op.outputs):
        return False
    ins = [g.tensors[n] for n in op.inputs]
    if op.type in STATIC_SHAPE_ONLY:
        return bool(ins) and all(d >= 0 for d in ins[0].shape)
    if not all(t.is_const for t in ins):
        return False
    if op.type in NUMPY or op.type in RAW:
        return True
    if op.type in ARITH and all(g.tensors[n].quant is None for n in [*op.inputs, *op.outputs]):
        return True
    if op.type == "QUANTIZE" and ins[0].dtype == "float32":  # a float constant (e.g. weights an IF branch
        return True                                          # takes): the kernel's exact twin
    spec = opreg.get(op.type)
    return (spec is not None and not getattr(spec, "STATE_INPUTS", ())
            and all(g.tensors[n].dtype in INTEGER for n in [*op.inputs, *op.outputs]))


def _evaluate(g: Graph, op: Op) -> list:
    xs = [g.tensors[n].data for n in op.inputs]
    if op.type in NUMPY:
        return NUMPY[op.type](g, op, xs)
    spec = opreg.get(op.type)
    if op.type in RAW:
        return spec.ref_float(g, op, xs)
    if all(g.tensors[n].dtype in INTEGER for n in [*op.inputs, *op.outputs]) or op.type == "QUANTIZE":
        try:  # the integer twin, as pytool.reference.run_int8 runs it (exact for int32 too)
            low = spec.lower(g, op)
            ins = [None if a is None else (a if isinstance(a, np.ndarray) else g.tensors[a].data) for a in low.inputs]
            return spec.ref_int8(g, op, low, ins)[:len(op.outputs)]
        except IRError:
            if op.type not in ARITH:
                raise
    return spec.ref_float(g, op, xs)  # unquantized shape arithmetic without an integer kernel


def fold_constants(g: Graph) -> int:
    """Folds in graph order (a folded result can make later ops foldable).
    Returns the number of ops folded. An op whose result does not match its
    output tensors' shapes is kept as it is. A folded graph output (e.g. the
    SHAPE of an input) stays an arena tensor, filled from a new constant by
    RESHAPE's byte copy at each invoke."""
    outputs = set(g.outputs)
    kept, folded = [], 0
    alias: dict[str, str] = {}  # folded graph output -> its constant, for the ops that read it
    for op in g.ops:
        op.inputs = [alias.get(n, n) for n in op.inputs]
        if _foldable(g, op):
            try:
                values = _evaluate(g, op)
                ts = [g.tensors[n] for n in op.outputs]
                arrays = [np.asarray(v).astype(t.np_dtype).reshape(t.shape) for v, t in zip(values, ts, strict=True)]
            except (ValueError, TypeError, IndexError, ArithmeticError, KeyError):
                kept.append(op)
                continue
            for t, a in zip(ts, arrays):
                if t.name in outputs:
                    const = g.add_tensor(Tensor(g.unique_name(f"{t.name}/folded"), t.shape, t.dtype, a, t.quant))
                    kept.append(Op("RESHAPE", [const.name], [t.name], name=f"{op.name}/folded_output"))
                    alias[t.name] = const.name
                else:
                    t.data = a
            folded += 1
            continue
        kept.append(op)
    g.ops = kept
    return folded
