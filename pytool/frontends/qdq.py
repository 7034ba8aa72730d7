"""QDQ folding: an ONNX QDQ model arrives as float ops between DEQUANTIZE and
QUANTIZE ops; this rewrites each `DEQUANTIZE -> op -> QUANTIZE` island into one
int8 op, the form TFLite int8 models have. Layout-only ops (TRANSPOSE,
RESHAPE) that sit between a DEQUANTIZE and its op are first moved onto the
int8 side, since they do not change values (PAD fills with 0.0, which is the
zero point on the int8 side)."""

from __future__ import annotations

from pytool.ir import Graph, Op, Tensor

_LAYOUT_ONLY = ("TRANSPOSE", "RESHAPE", "PAD")  # PAD pads 0.0 = the zero point


def _producers(g: Graph) -> dict[str, Op]:
    return {o: op for op in g.ops for o in op.outputs}


def _users(g: Graph, name: str) -> list[Op]:
    return [op for op in g.ops if name in op.inputs]


def _hoist_layout_ops(g: Graph) -> bool:
    """DEQUANTIZE(q) -> TRANSPOSE/RESHAPE  becomes  TRANSPOSE/RESHAPE(q) -> DEQUANTIZE."""
    prod = _producers(g)
    for op in g.ops:
        if op.type not in _LAYOUT_ONLY or not op.inputs:
            continue
        dq = prod.get(op.inputs[0])
        if dq is None or dq.type != "DEQUANTIZE":
            continue
        q_in = g.tensors[dq.inputs[0]]
        out = g.tensors[op.outputs[0]]
        moved = g.unique_name(f"{out.name}_q")
        g.add_tensor(Tensor(moved, out.shape, q_in.dtype, None, q_in.quant))
        new_layout = Op(op.type, [q_in.name, *op.inputs[1:]], [moved], dict(op.attrs), name=op.name)
        new_dq = Op("DEQUANTIZE", [moved], [out.name], {}, name=f"{op.name}_dequantize")
        k = g.ops.index(op)
        g.ops[k:k + 1] = [new_layout, new_dq]
        return True
    return False


def _fold_island(g: Graph) -> bool:
    prod = _producers(g)
    for op in g.ops:
        if op.type in ("QUANTIZE", "DEQUANTIZE"):
            continue
        new_inputs = []
        for n in op.inputs:
            t = g.tensors[n]
            p = prod.get(n)
            if p is not None and p.type == "DEQUANTIZE":
                new_inputs.append(p.inputs[0])
            elif t.is_const and (t.quant is not None or t.dtype in ("int32", "int64")):
                new_inputs.append(n)
            else:
                break
        else:
            new_outputs = []
            for n in op.outputs:
                users = _users(g, n)
                if n in g.outputs or len(users) != 1 or users[0].type != "QUANTIZE":
                    break
                new_outputs.append(users[0])
            else:
                if not any(g.tensors[n].quant is not None and not g.tensors[n].is_const for n in new_inputs):
                    continue
                op.inputs = new_inputs
                op.outputs = [q.outputs[0] for q in new_outputs]
                for q in new_outputs:
                    g.ops.remove(q)
                return True
    return False


def _same_quant(a, b) -> bool:
    return (a is not None and b is not None and a.scale.size == b.scale.size
            and bool((a.scale == b.scale).all()) and bool((a.zero_point == b.zero_point).all()))


def _drop_requantize_identity(g: Graph) -> bool:
    """QUANTIZE(DEQUANTIZE(q)) with the same parameters and type is q itself."""
    prod = _producers(g)
    for op in g.ops:
        if op.type != "QUANTIZE":
            continue
        dq = prod.get(op.inputs[0])
        if dq is None or dq.type != "DEQUANTIZE":
            continue
        src, dst = g.tensors[dq.inputs[0]], g.tensors[op.outputs[0]]
        if src.dtype != dst.dtype or not _same_quant(src.quant, dst.quant):
            continue
        for user in g.ops:
            user.inputs = [src.name if n == dst.name else n for n in user.inputs]
        g.outputs = [src.name if n == dst.name else n for n in g.outputs]
        g.ops.remove(op)
        return True
    return False


def _drop_dead(g: Graph) -> None:
    live = set(g.outputs)
    kept: list[Op] = []
    for op in reversed(g.ops):
        if any(o in live for o in op.outputs):
            kept.append(op)
            live.update(op.inputs)
    g.ops = list(reversed(kept))
    used = live | set(g.inputs)
    for n in [n for n in g.tensors if n not in used]:
        del g.tensors[n]


def fold(g: Graph) -> None:
    if not any(op.type in ("QUANTIZE", "DEQUANTIZE") for op in g.ops):
        _drop_dead(g)
        return
    _drop_dead(g)
    while _hoist_layout_ops(g):
        _drop_dead(g)
    while _fold_island(g) or _drop_requantize_identity(g):
        pass
    _drop_dead(g)
