"""File-level entry point the CLI calls: load a float model, quantize it with
calibration data from disk, write the int8 .tflite, return the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pytool.ir import Graph
from quantize.calib import load_calibration as _load_arrays
from quantize.calib import normalize_calibration
from quantize.ptq import quantize_graph
from quantize.report import QuantReport


def load_calibration(path: str | Path, g: Graph | None = None) -> list:
    """Calibration arrays from an .npz or a folder of .npy; with a graph, they
    are also checked against its inputs and split into per-run feeds."""
    from quantize.calib import CalibrationError

    arrays: list[np.ndarray] = _load_arrays(path)
    if g is None:
        return arrays
    try:
        return normalize_calibration(g, arrays)
    except CalibrationError as e:
        if str(path) in str(e):
            raise
        raise CalibrationError(f"{path}: {e}") from None


def quantize_file(
    model_path: str | Path,
    calib_path: str | Path,
    out_path: str | Path,
    method: str = "minmax",
    per_channel: bool = True,
    progress: bool = True,
    percentile: float = 99.99,
    report_samples: int | None = None,
) -> QuantReport:
    """model (.onnx or float .tflite) + calibration (.npz or folder of .npy)
    -> int8 .tflite at out_path. Shapes are checked against the model's
    inputs; a mismatch names the input, the expected and the received shape."""
    from pytool.frontends import load_model
    from pytool.frontends.tflite_writer import write_tflite

    g = load_model(model_path)
    calib = load_calibration(calib_path, g)
    gq, report = quantize_graph(
        g, calib, method=method, per_channel=per_channel, progress=progress,
        percentile=percentile, report_samples=report_samples,
    )
    write_tflite(gq, out_path)
    return report
