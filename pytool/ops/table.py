"""The README's "Supported ops" table, generated from the op registry (each
module's TYPES) and the ONNX coverage map, so it cannot drift:

    python -m pytool.ops.table            # print
    python -m pytool.ops.table --write    # rewrite README.md between the markers
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytool import ops as opreg

START, END = "<!-- ops-table:start -->", "<!-- ops-table:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def onnx_sources() -> dict[str, list[str]]:
    from pytool.frontends.onnx_coverage import ONNX_TO_IR

    out: dict[str, list[str]] = {}
    for onnx_op, ir_ops in ONNX_TO_IR.items():
        for t in ir_ops:
            out.setdefault(t, []).append(onnx_op)
    return out


def render() -> str:
    src = onnx_sources()
    from pytool.ops.f32 import float32_ops

    floats = float32_ops()
    from pytool.frontends.tflite_resource import READ_TIME_OPS

    rows = ["| op | int8 | int16 (16x8) | float32 | float in ONNX |", "|---|:-:|:-:|:-:|---|"]
    for op_type in sorted([*opreg.supported(), *READ_TIME_OPS]):
        if op_type in READ_TIME_OPS:  # resolved by the reader, for any type
            rows.append(f"| {op_type} | yes | yes | yes | - |")
            continue
        types = getattr(opreg.get(op_type), "TYPES", ("int8",))
        onnx = ", ".join(sorted(src.get(op_type, []))) or "-"
        # bool-only logic ops, int32-only shape ops
        int8 = "yes" if "int8" in types else "bool" if "bool" in types else "int32" if "int32" in types else "-"
        f32 = "yes" if op_type in floats or "float32" in types else "-"
        rows.append(f"| {op_type} | {int8} | {'yes' if 'int16' in types else '-'} | {f32} | {onnx} |")
    return "\n".join(rows)


def splice(text: str, table: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    table = render()
    if "--write" in argv:
        README.write_text(splice(README.read_text(), table))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
