"""REDUCE_MIN: REDUCE_MAX's module and C op (is_min set by the lowering)."""

from __future__ import annotations

from pytool.ops.reduce_max import OPCODE, TYPES, infer_shapes, lower, macs, ref_float, ref_int8

__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]
