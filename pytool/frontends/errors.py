"""The one error type frontends raise for a model they cannot read or map."""

from __future__ import annotations


class ModelError(ValueError):
    """A model file that cannot be read or mapped onto the IR.

    The message always starts with the file, then (where relevant) the op or
    node index, its name and type, the offending field, and what is supported.
    """

    def __init__(self, path: str, message: str, *, index: int | None = None,
                 op_type: str | None = None, op_name: str | None = None,
                 kind: str = "op") -> None:
        where = str(path)
        if index is not None or op_type is not None:
            parts = [f"{kind} #{index}" if index is not None else kind]
            if op_name:
                parts.append(f"'{op_name}'")
            if op_type:
                parts.append(f"({op_type})")
            where += ": " + " ".join(parts)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.index = index
        self.op_type = op_type
        self.op_name = op_name
