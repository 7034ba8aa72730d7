"""SQUEEZE. IR: inputs [x], attrs {}; the output tensor's shape
is the result. C: RESHAPE's byte copy (any dtype)."""

from __future__ import annotations

from pytool.ops.reshape import OPCODE, TYPES, infer_shapes, lower, macs, ref_float, ref_int8

__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]
