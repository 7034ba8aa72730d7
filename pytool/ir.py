"""The one intermediate representation every frontend produces and every later
stage (quantizer, planner, codegen, training) consumes.

Conventions:
- layout is NHWC; conv filters OHWI, depthwise filters 1HW(C*M), fully
  connected filters [out, in] (TFLite's layouts);
- op types are TFLite builtin names ("CONV_2D"); attributes are normalised
  per op (see pytool/ops/<op>.py for each op's attribute keys);
- an absent optional input (e.g. a conv without bias) is simply left off the
  end of the input list;
- constant tensors carry `data`; activations have `data is None`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DTYPES = {
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "float32": np.float32,
    "float16": np.float16,
    "bool": np.bool_,
    # Read so a model can be inspected; no kernel takes them (lowering names the op).
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float64": np.float64,
}


class IRError(ValueError):
    """An inconsistent graph; the message names the op and tensor."""


@dataclass
class QuantParams:
    """Affine quantization real = scale * (q - zero_point).

    Per-tensor when scale has one entry, else per-channel along `axis`.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0

    def __post_init__(self) -> None:
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if self.zero_point.size == 1 and self.scale.size > 1:
            self.zero_point = np.repeat(self.zero_point, self.scale.size)
        if self.scale.size != self.zero_point.size:
            raise IRError(
                f"quantization has {self.scale.size} scales but {self.zero_point.size} zero points"
            )

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @classmethod
    def per_tensor(cls, scale: float, zero_point: int) -> QuantParams:
        return cls(np.array([scale], np.float32), np.array([zero_point], np.int64))


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray | None = None
    quant: QuantParams | None = None

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.dtype not in DTYPES:
            raise IRError(f"tensor '{self.name}': unsupported dtype {self.dtype!r}")
        if self.data is not None:
            self.data = np.asarray(self.data, dtype=DTYPES[self.dtype]).reshape(self.shape)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.numel * np.dtype(DTYPES[self.dtype]).itemsize

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(DTYPES[self.dtype])


@dataclass
class Op:
    type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)
    name: str = ""

    def label(self, index: int | None = None) -> str:
        where = f"op #{index} " if index is not None else "op "
        return f"{where}{self.type}" + (f" ('{self.name}')" if self.name else "")


@dataclass
class Graph:
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    name: str = "model"
    source: str = ""  # the file it came from, for error messages
    meta: dict = field(default_factory=dict)  # frontend notes (e.g. original layouts)
    # Subgraphs run by control-flow ops (IF branches, WHILE cond/body), by their
    # index in the model file. Each shares `tensors`, `meta` and this dict with
    # the main graph; its own ops, inputs and outputs are its body.
    subgraphs: dict[int, Graph] = field(default_factory=dict)

    def subgraph(self, k: int, name: str = "") -> Graph:
        """A new empty subgraph k sharing this graph's tensors, meta and subgraphs."""
        sub = Graph(tensors=self.tensors, name=name or f"subgraph{k}", source=self.source, meta=self.meta,
                    subgraphs=self.subgraphs)
        self.subgraphs[k] = sub
        return sub

    def all_ops(self):
        """(graph, op) for every op of the main graph and of every subgraph."""
        for op in self.ops:
            yield self, op
        for sub in self.subgraphs.values():
            for op in sub.ops:
                yield sub, op

    def add_tensor(self, t: Tensor) -> Tensor:
        if t.name in self.tensors:
            raise IRError(f"duplicate tensor name '{t.name}'")
        self.tensors[t.name] = t
        return t

    def unique_name(self, base: str) -> str:
        name, k = base, 1
        while name in self.tensors:
            name, k = f"{base}_{k}", k + 1
        return name

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def producers(self) -> dict[str, int]:
        return {o: i for i, op in enumerate(self.ops) for o in op.outputs}

    def consumers(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, op in enumerate(self.ops):
            for n in op.inputs:
                out.setdefault(n, []).append(i)
        return out

    @property
    def is_quantized(self) -> bool:
        """False only for a float model (one the quantizer must calibrate): some op
        other than a type conversion (DEQUANTIZE, CAST) computes a float tensor
        and no activation is quantized.
        An int16-in / int32-out model is not float, even without an int8 tensor."""
        floats = ("float32", "float16", "float64")
        computes_float = any(
            op.type not in ("DEQUANTIZE", "CAST") and self.tensors[n].dtype in floats and not self._dequantizes(op)
            for op in self.ops
            for n in op.outputs
        )
        # A quantized model may keep float islands (DEQUANTIZE -> float ops ->
        # QUANTIZE) or a float head: its quantized activations say so.
        # Signal-library audio front ends are integer pipelines without quantization
        # parameters; a float tail after one (micro_speech's float features) is an island too.
        return not computes_float or any(
            t.dtype in ("int8", "uint8", "int16") and t.quant is not None and not t.is_const
            for t in self.tensors.values()
        ) or any(op.type.startswith("CUSTOM:Signal") for op in self.ops)

    def _dequantizes(self, op: Op) -> bool:
        """An int8 -> float32 EMBEDDING_LOOKUP dequantizes rows, as DEQUANTIZE does."""
        return op.type == "EMBEDDING_LOOKUP" and len(op.inputs) > 1 and self.tensors[op.inputs[1]].dtype == "int8"

    def validate(self, _subgraphs: bool = True) -> None:
        """Checks references, topological order and each op's output shapes
        (of every subgraph too)."""
        from pytool import ops as opreg  # late import: ops depend on ir

        if _subgraphs:
            for sub in self.subgraphs.values():
                sub.validate(_subgraphs=False)

        where = f"{self.source}: " if self.source else ""
        defined = set(self.inputs) | {n for n, t in self.tensors.items() if t.is_const} | set(self.meta.get("variables", {}))
        for n in self.inputs + self.outputs:
            if n not in self.tensors:
                raise IRError(f"{where}graph input/output '{n}' is not a tensor")
        for i, op in enumerate(self.ops):
            spec = opreg.get(op.type)
            if spec is None:
                raise IRError(
                    f"{where}{op.label(i)} is not supported; supported ops: "
                    + ", ".join(opreg.supported())
                )
            for n in op.inputs:
                if n not in self.tensors:
                    raise IRError(f"{where}{op.label(i)}: input '{n}' does not exist")
                if n not in defined:
                    raise IRError(f"{where}{op.label(i)}: input '{n}' is used before it is produced")
            for n in op.outputs:
                if n not in self.tensors:
                    raise IRError(f"{where}{op.label(i)}: output '{n}' does not exist")
                defined.add(n)
            shapes = spec.infer_shapes(self, op)
            for n, s in zip(op.outputs, shapes):
                if tuple(s) != self.tensors[n].shape:
                    raise IRError(
                        f"{where}{op.label(i)}: output '{n}' has shape {self.tensors[n].shape}, "
                        f"the op computes {tuple(s)}"
                    )
        for n in self.outputs:
            if n not in defined:
                raise IRError(f"{where}graph output '{n}' is never produced")

    def summary(self) -> str:
        lines = [f"graph {self.name}: {len(self.ops)} ops, {len(self.tensors)} tensors"]
        for i, op in enumerate(self.ops):
            lines.append(f"  {i:3d} {op.type:20s} {op.inputs} -> {op.outputs}")
        if all(sub is not self for sub in self.subgraphs.values()):  # the main graph lists its subgraphs
            for k, sub in sorted(self.subgraphs.items()):
                lines.append(f"subgraph #{k} {sub.name}: {sub.inputs} -> {sub.outputs}")
                lines += [f"  {i:3d} {op.type:20s} {op.inputs} -> {op.outputs}" for i, op in enumerate(sub.ops)]
        return "\n".join(lines)
