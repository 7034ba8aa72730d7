"""Quantizers and calibration: int8 PTQ, fixed-point multipliers, FP16.

Names are imported lazily: pytool's op modules import quantize.fixedpoint,
and an eager import of the PTQ (which imports the reference executor, which
imports the ops) here would be circular.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "quantize_file": "quantize.api",
    "CalibrationError": "quantize.calib",
    "load_calibration": "quantize.calib",
    "convert_graph_tensors": "quantize.fp16",
    "convert_tensors": "quantize.fp16",
    "dequantize": "quantize.ptq",
    "quantize_graph": "quantize.ptq",
    "quantize_inputs": "quantize.ptq",
    "LayerReport": "quantize.report",
    "QuantReport": "quantize.report",
    "render_report": "quantize.report",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'quantize' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
