"""PADV2: PAD with a constant_values input (a one-element constant), which
TFLite Micro writes raw into the padding. The PAD module handles both."""

from __future__ import annotations

from pytool.ops.pad import OPCODE, TYPES, infer_shapes, lower, macs, ref_float, ref_int8

__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]
