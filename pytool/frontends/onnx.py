"""ONNX (float NCHW, or int8 QDQ) -> IR (NHWC).

Every ONNX value maps to one IR tensor plus a flag saying whether that IR
tensor holds the value's NHWC permutation (4-D activations) or the value in
its own axis order ("plain"). Layout-sensitive ops ask for the form they need
and a TRANSPOSE is inserted only when the value is held in the other form.
The per-node converters live in onnx_nodes.py; QDQ folding in qdq.py.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pytool import ops as opreg
from pytool.frontends.errors import ModelError
from pytool.frontends.layout import perm_nchw_to_nhwc
from pytool.ir import Graph, IRError, Op, QuantParams, Tensor

_ONNX_DTYPES = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.FLOAT16: "float16",
    onnx.TensorProto.INT8: "int8",
    onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.INT16: "int16",
    onnx.TensorProto.INT32: "int32",
    onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.BOOL: "bool",
}


class Const:
    """A constant ONNX value: its data in ONNX axis order, and quantization when
    it came from DequantizeLinear of an integer initializer (axis in ONNX order)."""

    def __init__(self, data: np.ndarray, quant: QuantParams | None = None) -> None:
        self.data = np.asarray(data)
        self.quant = quant

    def float(self) -> np.ndarray:
        if self.quant is None:
            return self.data.astype(np.float32)
        shape = [1] * self.data.ndim
        if self.quant.per_channel:
            shape[self.quant.axis] = -1
        zp = self.quant.zero_point.reshape(shape)
        return ((self.data.astype(np.float64) - zp) * self.quant.scale.reshape(shape)).astype(np.float32)


class Builder:
    """State shared by the node converters while one ONNX graph is translated."""

    def __init__(self, path: str, model: onnx.ModelProto) -> None:
        self.path = path
        self.model = model
        self.graph = model.graph
        self.nodes = list(self.graph.node)
        self.opset = next(
            (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1
        )
        self.g = Graph(name=self.graph.name or "model", source=path)
        self.g.meta.update(format="onnx", layout="NHWC", opset=self.opset, nchw_inputs=[], nchw_outputs=[])
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.dtypes: dict[str, str] = {}
        self.consts: dict[str, Const] = {}
        self.ir: dict[str, tuple[str, bool]] = {}  # onnx value -> (IR tensor, holds NHWC)
        self.variants: dict[tuple[str, bool], str] = {}
        self.consumers: dict[str, list[int]] = {}
        self.graph_outputs = {o.name for o in self.graph.output}
        self.done: set[int] = set()
        self.index = -1
        self.node: onnx.NodeProto | None = None
        for i, n in enumerate(self.nodes):
            for v in n.input:
                if v:
                    self.consumers.setdefault(v, []).append(i)

    # ---- errors --------------------------------------------------------------------

    def err(self, message: str, node_index: int | None = None) -> ModelError:
        k = self.index if node_index is None else node_index
        if k < 0 or k >= len(self.nodes):
            return ModelError(self.path, message)
        n = self.nodes[k]
        return ModelError(self.path, message, index=k, op_type=n.op_type, op_name=n.name, kind="node")

    # ---- attributes ----------------------------------------------------------------

    def attrs(self, node: onnx.NodeProto | None = None) -> dict:
        node = node or self.node
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def check_attrs(self, allowed: set[str]) -> dict:
        a = self.attrs()
        extra = sorted(set(a) - allowed)
        if extra:
            raise self.err(
                f"attribute '{extra[0]}' is not supported; supported attributes: {', '.join(sorted(allowed)) or 'none'}"
            )
        return a

    # ---- values --------------------------------------------------------------------

    def const(self, v: str) -> Const | None:
        return self.consts.get(v) if v else None

    def need_const(self, v: str, what: str) -> Const:
        c = self.const(v)
        if c is None:
            raise self.err(f"the {what} ('{v}') must be a constant (initializer)")
        return c

    def shape(self, v: str) -> tuple[int, ...]:
        if v in self.consts:
            return tuple(self.consts[v].data.shape)
        if v not in self.shapes:
            raise self.err(f"the shape of value '{v}' is unknown; only static shapes are supported")
        return self.shapes[v]

    def rank(self, v: str) -> int:
        return len(self.shape(v))

    def is_nhwc(self, v: str) -> bool:
        return v in self.ir and self.ir[v][1]

    def add_const(self, base: str, data: np.ndarray, quant: QuantParams | None = None) -> str:
        data = np.asarray(data)
        dtype = str(data.dtype)
        if dtype == "float64":
            data, dtype = data.astype(np.float32), "float32"
        name = self.g.unique_name(base)
        self.g.add_tensor(Tensor(name, data.shape, dtype, data, quant))
        return name

    def const_tensor(self, v: str, nhwc: bool, base: str | None = None) -> str:
        """An IR const tensor for a constant value, permuted to NHWC if asked."""
        c = self.consts[v]
        key = (v, nhwc)
        if key not in self.variants:
            data, quant = c.data, c.quant
            if nhwc and data.ndim >= 3:
                perm = perm_nchw_to_nhwc(data.ndim)
                data = np.transpose(data, perm)
                if quant is not None and quant.per_channel:
                    quant = QuantParams(quant.scale, quant.zero_point, perm.index(quant.axis))
            self.variants[key] = self.add_const(base or v, data, quant)
        return self.variants[key]

    def value(self, v: str, nhwc: bool | None) -> str:
        """The IR tensor holding value v: NHWC form (True), ONNX order (False) or as held (None)."""
        if v in self.consts:
            return self.const_tensor(v, bool(nhwc))
        if v not in self.ir:
            raise self.err(f"input '{v}' is not produced by any earlier node or graph input")
        name, held = self.ir[v]
        if nhwc is None or held == nhwc or self.rank(v) < 3:
            return name
        key = (v, nhwc)
        if key not in self.variants:
            rank = self.rank(v)
            to_nhwc = perm_nchw_to_nhwc(rank)
            perm = to_nhwc if nhwc else [to_nhwc.index(k) for k in range(rank)]
            src = self.g.tensors[name]
            out_shape = tuple(src.shape[p] for p in perm)
            out = self.g.unique_name(f"{v}_{'nhwc' if nhwc else 'nchw'}")
            self.g.add_tensor(Tensor(out, out_shape, src.dtype, None, src.quant))
            perm_t = self.add_const(f"{out}_perm", np.array(perm, np.int32))
            self.g.ops.append(Op("TRANSPOSE", [name, perm_t], [out], {}, name=out))
            self.variants[key] = out
        return self.variants[key]

    def memory_order_agrees(self, v: str) -> bool:
        """True when value v's NHWC and ONNX-order forms have the same bytes in
        memory (e.g. N x C x 1 x 1), so a reshape needs no transpose."""
        shape = self.shape(v)
        if len(shape) < 3:
            return True
        moved = [d for d in shape[1:] if d != 1]
        return len(moved) <= 1

    def output(self, v: str, nhwc: bool, dtype: str | None = None, quant: QuantParams | None = None) -> str:
        """Creates the IR tensor for ONNX value v (NHWC form if nhwc and rank >= 3)."""
        shape = self.shape(v)
        nhwc = nhwc and len(shape) >= 3
        if nhwc:
            shape = tuple(shape[p] for p in perm_nchw_to_nhwc(len(shape)))
        name = v if v not in self.g.tensors else self.g.unique_name(v)
        self.g.add_tensor(Tensor(name, shape, dtype or self.dtypes.get(v, "float32"), None, quant))
        self.ir[v] = (name, nhwc)
        return name

    def alias(self, v_out: str, v_in: str) -> None:
        if v_in in self.consts:
            self.consts[v_out] = self.consts[v_in]
        else:
            self.ir[v_out] = self.ir[v_in]

    def emit(self, op_type: str, inputs: list[str], outputs: list[str], attrs: dict | None = None) -> Op:
        op = Op(op_type, inputs, outputs, attrs or {}, name=(self.node.name if self.node else "") or outputs[0])
        self.g.ops.append(op)
        return op

    def sole_consumer(self, v: str) -> int | None:
        """The node index of v's only consumer, if v has exactly one and is no graph output."""
        users = self.consumers.get(v, [])
        if len(users) != 1 or v in self.graph_outputs:
            return None
        return users[0]


def _decode_model(path: str, data: bytes) -> onnx.ModelProto:
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf raises DecodeError and friends
        raise ModelError(path, f"not a valid ONNX protobuf: {type(e).__name__}: {e}") from None
    if not model.graph.node and not model.graph.output:
        raise ModelError(path, "not an ONNX model: the protobuf holds no graph")
    return model


def load_onnx(path: str, data: bytes) -> Graph:
    from pytool.frontends import onnx_graph_nodes as onnx_nodes
    from pytool.frontends import qdq

    model = _decode_model(path, data)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as e:
        raise ModelError(path, f"ONNX shape inference failed: {type(e).__name__}: {e}") from None
    b = Builder(path, model)
    _read_values(b)
    _check_op_types(b)
    for i, node in enumerate(b.nodes):
        if i in b.done:
            continue
        b.index, b.node = i, node
        if node.domain not in ("", "ai.onnx"):
            raise b.err(f"op {node.domain}.{node.op_type} is not supported (custom domain); "
                        f"supported ONNX ops: {', '.join(onnx_nodes.SUPPORTED)}")
        convert = onnx_nodes.CONVERTERS.get(node.op_type)
        if convert is None:
            raise b.err(f"op type {node.op_type} is not supported; supported ONNX ops: "
                        f"{', '.join(onnx_nodes.SUPPORTED)}")
        try:
            convert(b)
        except (ModelError, IRError):
            raise
        except (ValueError, IndexError, KeyError, TypeError) as e:
            raise b.err(f"cannot convert: {type(e).__name__}: {e}") from None
    b.index, b.node = -1, None
    _finish_outputs(b)
    qdq.fold(b.g)
    _validate(b.g)
    return b.g


def _check_op_types(b: Builder) -> None:
    """Names every unsupported operator at once (a PyTorch LSTM export starts
    with Shape/Gather nodes; the LSTM itself is the news)."""
    from pytool.frontends import onnx_graph_nodes as onnx_nodes

    missing: dict[str, int] = {}
    for i, node in enumerate(b.nodes):
        key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        if key not in onnx_nodes.CONVERTERS:
            missing.setdefault(key, i)
    if missing:
        # Shape plumbing (as exporters emit around an LSTM) is named after the real op.
        plumbing = {"Shape", "Gather", "ConstantOfShape", "Cast", "Slice", "Expand", "Range", "Equal", "Where"}
        (first, i0), *rest = sorted(missing.items(), key=lambda kv: (kv[0] in plumbing, kv[1]))
        also = f"; also unsupported: {', '.join(f'{t} (node #{i})' for t, i in rest)}" if rest else ""
        raise b.err(f"op type {first} is not supported{also}; supported ONNX ops: "
                    f"{', '.join(onnx_nodes.SUPPORTED)}", node_index=i0)


def _read_values(b: Builder) -> None:
    for init in b.graph.initializer:
        try:
            b.consts[init.name] = Const(numpy_helper.to_array(init))
        except Exception as e:
            raise ModelError(b.path, f"initializer '{init.name}' cannot be read: {e}") from None
        v = b.consts[init.name].data
        if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            # checked before BatchNorm folding, which can turn an infinite variance into zeros
            raise ModelError(b.path, f"initializer '{init.name}' holds NaN or infinite values")
    for vi in list(b.graph.input) + list(b.graph.value_info) + list(b.graph.output):
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            continue
        if tt.elem_type in _ONNX_DTYPES:
            b.dtypes[vi.name] = _ONNX_DTYPES[tt.elem_type]
        if tt.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
            if all(d >= 0 for d in dims):
                b.shapes[vi.name] = tuple(dims)
    for vi in b.graph.input:
        if vi.name in b.consts:
            continue  # old-style models list initializers as inputs too
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        if any(d <= 0 for d in dims[1:]):
            raise ModelError(b.path, f"graph input '{vi.name}' has dynamic shape {dims}; only the batch may be dynamic")
        if dims and dims[0] <= 0:
            dims[0] = 1  # a dynamic batch is fixed to 1 on a microcontroller
        b.shapes[vi.name] = tuple(dims)
        dtype = _ONNX_DTYPES.get(tt.elem_type)
        if dtype not in ("float32", "int8"):
            raise ModelError(b.path, f"graph input '{vi.name}' has element type "
                             f"{onnx.TensorProto.DataType.Name(tt.elem_type)}; supported: FLOAT, INT8")
        nhwc = len(dims) == 4
        name = b.output(vi.name, nhwc, dtype)
        b.g.inputs.append(name)
        if nhwc:
            b.g.meta["nchw_inputs"].append(name)


def _finish_outputs(b: Builder) -> None:
    for o in b.graph.output:
        if o.name in b.consts:
            raise ModelError(b.path, f"graph output '{o.name}' is a constant; constant outputs are not supported")
        if o.name not in b.ir:
            raise ModelError(b.path, f"graph output '{o.name}' is never produced")
        name, nhwc = b.ir[o.name]
        if name in b.g.outputs:
            continue
        b.g.outputs.append(name)
        if nhwc:
            b.g.meta["nchw_outputs"].append(name)
    b.g.meta["onnx_outputs"] = {o.name: b.ir[o.name][0] for o in b.graph.output}
    b.g.meta["onnx_inputs"] = {vi.name: vi.name for vi in b.graph.input if vi.name not in b.consts}


def _validate(g: Graph) -> None:
    # Dead const tensors (e.g. folded BatchNormalization parameters) are harmless;
    # the structure check runs once every op in the graph has its module.
    if all(opreg.get(op.type) is not None for op in g.ops):
        try:
            g.validate()
        except IRError as e:
            raise ModelError(g.source, f"the converted graph is inconsistent: {e}") from None
