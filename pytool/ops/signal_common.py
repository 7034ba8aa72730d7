"""Shared helpers of TFLite Micro's signal-library ops (audio front ends).

These ops are integer by definition (int16 / uint32 / uint64 tensors without
quantization parameters), so the float reference runs the same integer twin.
The numpy twins wrap exactly where the C (and TFLite Micro's C++) wraps."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op


def msb32(x: np.ndarray) -> np.ndarray:
    """TFLite Micro's MostSignificantBit32 as built by GCC: bit length, 32 for 0."""
    x = np.asarray(x, np.uint64) & np.uint64(0xFFFFFFFF)
    out = np.zeros(x.shape, np.int64)
    v = x.copy()
    for b in (16, 8, 4, 2, 1):
        big = v >= (np.uint64(1) << np.uint64(b))
        out += np.where(big, b, 0)
        v = np.where(big, v >> np.uint64(b), v)
    out += (v > 0).astype(np.int64)
    return np.where(x == 0, 32, out)


def wrap16(x) -> np.ndarray:
    return ((np.asarray(x, np.int64) + 32768) & 0xFFFF) - 32768


def u32(x) -> np.ndarray:
    return np.asarray(x, np.int64).astype(np.uint64) & np.uint64(0xFFFFFFFF)


def check_dtypes(g: Graph, op: Op, names: list[str], want: list[str]) -> None:
    for n, d in zip(names, want):
        if g.tensors[n].dtype != d:
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, {d} expected")


def check_rank(g: Graph, op: Op, name: str, rank: int) -> None:
    if len(g.tensors[name].shape) != rank:
        raise IRError(f"{op.type} '{op.name}': tensor '{name}' has rank {len(g.tensors[name].shape)}, "
                      f"{rank} expected")


def check_vector_io(g: Graph, op: Op, x_dtype: str, y_dtype: str) -> tuple[str, str]:
    """A one-input, one-output op on rank-1 tensors of these dtypes; returns their names."""
    x, y = op.inputs[0], op.outputs[0]
    check_dtypes(g, op, [x, y], [x_dtype, y_dtype])
    check_rank(g, op, x, 1)
    check_rank(g, op, y, 1)
    return x, y


def check_stateful_io(g: Graph, op: Op, state: str, out: str) -> None:
    """A stateful op's inputs [x, state] and outputs [out, valid]: int16 but the bool valid."""
    if len(op.inputs) != 2 or len(op.outputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected inputs [x, {state}] and outputs [{out}, valid]")
    check_dtypes(g, op, [*op.inputs, *op.outputs], ["int16", "int16", "int16", "bool"])


def ref_float_via_int(g: Graph, op: Op, module, xs: list) -> list:
    """The float reference of a signal op is its integer twin (the op is defined
    on integers): run_float's values, cast back to the tensors' dtypes, go
    through the lowering's full input list."""
    low = module.lower(g, op)
    vals = {n: np.asarray(v).astype(g.tensors[n].np_dtype) for n, v in zip(op.inputs, xs)}
    ins = [None if a is None else a if isinstance(a, np.ndarray) else vals[a] for a in low.inputs]
    return module.ref_int8(g, op, low, ins)


def attr(op: Op, key: str) -> int:
    if key not in op.attrs:
        raise IRError(f"{op.type} '{op.name}': option '{key}' is missing")
    return int(op.attrs[key])
