"""Small flatbuffer edits of converter fixtures for reader tests (object API of
LiteRT's generated schema)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def edit_tflite(src: Path, dst: Path, fn: Callable) -> Path:
    """Writes dst = src with fn(model, schema) applied to the unpacked ModelT."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(Path(src).read_bytes(), 0))
    fn(model, schema)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    dst.write_bytes(bytes(b.Output()))
    return dst


def op_code(model, op) -> int:
    c = model.operatorCodes[op.opcodeIndex]
    return max(c.builtinCode, c.deprecatedBuiltinCode)
