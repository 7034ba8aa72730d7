"""Model file -> IR. `load_model(path)` picks the reader by extension or, failing
that, by the file's magic bytes; every failure is a `ModelError` naming the file."""

from __future__ import annotations

from pathlib import Path

from pytool.frontends.errors import ModelError
from pytool.frontends.layout import nchw_to_nhwc, nhwc_to_nchw
from pytool.ir import Graph

SUPPORTED_FORMATS = (".tflite", ".onnx")


def _looks_like_tflite(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] == b"TFL3"


def load_model(path: str | Path, strict: bool = True) -> Graph:
    """Reads a .tflite (float or int8) or .onnx (float or QDQ int8) file into the IR.

    strict=False (TFLite only) keeps unsupported ops, marked, for inspection.
    Every graph passes frontends/sanity.py (shapes, scales, inputs/outputs)."""
    from pytool.frontends.sanity import check_graph

    return check_graph(_read_model(Path(path), strict), str(path))


def _read_model(path: Path, strict: bool) -> Graph:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelError(str(path), f"cannot read the file: {e.strerror or e}") from None
    if not data:
        raise ModelError(str(path), "the file is empty")
    ext = path.suffix.lower()
    if ext == ".tflite" or (ext != ".onnx" and _looks_like_tflite(data)):
        from pytool.frontends.tflite import load_tflite

        return load_tflite(str(path), data, strict=strict)
    if ext == ".onnx":
        from pytool.frontends.onnx import load_onnx

        return load_onnx(str(path), data)
    # Unknown extension and no TFLite identifier: ONNX has no magic, so try it.
    from pytool.frontends.onnx import load_onnx

    try:
        return load_onnx(str(path), data)
    except ModelError:
        raise ModelError(
            str(path),
            f"unknown model format (extension {ext or 'none'!r}, no TFLite 'TFL3' identifier, "
            f"not an ONNX protobuf); supported formats: {', '.join(SUPPORTED_FORMATS)}",
        ) from None


__all__ = ["ModelError", "load_model", "nchw_to_nhwc", "nhwc_to_nchw"]
