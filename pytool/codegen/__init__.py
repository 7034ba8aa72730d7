"""Codegen: lowered graph + plan -> model.c / model.h / model.json.

The generated C is data and schedule only: const aligned tensors, a tensor
table with arena offsets, an op list with int32 parameter blocks. Output is
deterministic: the same graph and options give the same bytes.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph, IRError
from pytool.ops import control_flow
from pytool.planner import Buffer, Plan, plan_arena

# uint32 / uint64 (signal ops) share the int32 / int64 storage codes: the kernels know the signedness.
DTYPE_CODES = {"int8": 0, "uint8": 1, "bool": 1, "int16": 2, "int32": 3, "int64": 4, "float32": 5, "float16": 6,
               "uint32": 3, "uint64": 4}
C_TYPES = {"int8": "int8_t", "int32": "int32_t", "int16": "int16_t", "uint8": "uint8_t"}

T_CONST, T_ARENA, T_INIT, T_TRAINABLE, T_INPUT, T_OUTPUT = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
T_RESET_FILL = 0x40  # odl_reset_state fills the tensor with its `fill` byte (resource variables)
T_KEEP = 0x80  # odl_reset_state leaves it (CALL_ONCE's flag)


@dataclass
class CTensor:
    name: str
    dtype: str
    shape: tuple[int, ...]
    flags: int = 0
    offset: int = -1
    data: np.ndarray | None = None
    scale: float = 0.0
    zero_point: int = 0
    fill: int = 0  # the reset byte of a T_RESET_FILL tensor

    @property
    def nbytes(self) -> int:
        n = int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1
        return n * np.dtype(self.dtype).itemsize


@dataclass
class COp:
    type: str
    opcode: int
    inputs: list[int]
    outputs: list[int]
    params: list[int]
    name: str = ""
    nested: int = 0  # ops right after this one that it runs itself (subgraphs); the schedule skips them


@dataclass
class Program:
    tensors: list[CTensor]
    ops: list[COp]
    inputs: list[int]
    outputs: list[int]
    plan: Plan
    index: dict[str, int] = field(default_factory=dict)
    persistent: list[str] = field(default_factory=list)
    # training: tensor indices of the config's trainable list, in the weight
    # store's order (set by the method that emits the config)
    trainable: list[int] = field(default_factory=list)

    @property
    def const_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors if t.flags & (T_CONST | T_INIT))


def lower_graph(
    g: Graph,
    persistent: dict[str, np.ndarray] | None = None,
    state: list[tuple[str, int]] = (),
) -> Program:
    """Lowers every op and plans the arena.

    persistent: tensors that live in RAM from init (e.g. trainable weights held
    as int16), name -> initial value; they replace same-named const tensors.
    state: extra named byte regions in the persistent part of the arena
    (training state: momentum, scratch); offsets in plan.persistent[name].
    """
    persistent = persistent or {}
    tensors: list[CTensor] = []
    index: dict[str, int] = {}

    def use(name: str) -> int:
        if name in index:
            return index[name]
        t = g.tensors[name]
        q = t.quant
        ct = CTensor(
            name=name,
            dtype=t.dtype,
            shape=t.shape,
            scale=float(q.scale[0]) if q is not None else 0.0,
            zero_point=int(q.zero_point[0]) if q is not None else 0,
        )
        if name in persistent:
            ct.data = np.ascontiguousarray(persistent[name])
            ct.dtype = str(ct.data.dtype)
            ct.flags = T_ARENA | T_INIT | T_TRAINABLE
        elif name in g.meta.get("variables", {}):
            # op state kept across invokes (SVDF): persistent, set once at init
            ct.data = np.ascontiguousarray(g.meta["variables"][name])
            ct.flags = T_ARENA | T_INIT
            if name in g.meta.get("resource_fill", {}):
                ct.flags |= T_RESET_FILL
                ct.fill = int(g.meta["resource_fill"][name])
            if name in g.meta.get("keep_on_reset", {}):
                ct.flags |= T_KEEP
        elif t.is_const:
            ct.data = np.ascontiguousarray(t.data)
            ct.flags = T_CONST
        else:
            ct.flags = T_ARENA
        index[name] = len(tensors)
        tensors.append(ct)
        return index[name]

    for n in g.inputs:
        use(n)
    cops: list[COp] = []
    calls: dict[int, int] = {}  # subgraph -> how many ops run it
    for _, op in g.all_ops():
        for a in control_flow.SUBGRAPH_ATTRS.get(op.type, ()):
            calls[op.attrs[a]] = calls.get(op.attrs[a], 0) + 1
    alias_of: dict[str, str] = {}  # subgraph input -> the tensor whose bytes it shares

    def emit(sub: Graph) -> None:
        for i, op in enumerate(sub.ops):
            spec = opreg.get(op.type)
            if spec is None:
                raise IRError(f"{op.label(i)} is not supported; supported ops: {', '.join(opreg.supported())}")
            low = spec.lower(sub, op)
            k = len(cops)
            cops.append(COp(op.type, 0, [], [], []))  # filled below, after any nested subgraph
            ins, params, nested = [], [int(p) for p in low.params], 0
            if op.type in control_flow.SUBGRAPH_ATTRS:
                # The subgraphs' ops follow this op (n_nested of them); its I/O list
                # gains each subgraph's inputs and outputs, its params their op counts.
                subs = control_flow.check(sub, op)
                alias_of.update(control_flow.aliases(sub, op, {s for s, n in calls.items() if n > 1}))
                names = list(low.inputs)
                counts = []
                for s_ in subs:
                    start = len(cops)
                    emit(s_)
                    counts.append(len(cops) - start)
                    names += s_.inputs + s_.outputs
                nested = len(cops) - k - 1
                n_args = len(op.inputs) - (1 if op.type == "IF" else 0)
                params = {"IF": [n_args, len(op.outputs), *counts], "WHILE": [n_args, *counts]}.get(op.type, counts)
                low = type(low)(inputs=names, params=params, opcode=low.opcode)
            for j, a in enumerate(low.inputs):
                if a is None:
                    ins.append(-1)
                elif isinstance(a, np.ndarray):
                    arr = np.ascontiguousarray(a)
                    ct = CTensor(
                        name=f"{op.outputs[0] if op.outputs else op.inputs[-1]}__p{j}",
                        dtype=str(arr.dtype),
                        shape=arr.shape,
                        flags=T_CONST,
                        data=arr,
                    )
                    ins.append(len(tensors))
                    tensors.append(ct)
                else:
                    ins.append(use(a))
            outs = [use(n) for n in op.outputs]
            for p_ in params:
                if not -(2**31) <= p_ < 2**31:
                    raise IRError(f"{op.label(i)}: lowered parameter {p_} does not fit int32")
            cops[k] = COp(op.type, spec.OPCODE if low.opcode is None else low.opcode, ins, outs, params, op.name,
                          nested)

    emit(g)
    for n in g.outputs:
        use(n)
    for n in g.inputs:
        tensors[index[n]].flags |= T_INPUT
    for n in g.outputs:
        tensors[index[n]].flags |= T_OUTPUT

    n_ops = len(cops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in (index[n] for n in g.inputs):
        first[i] = -1
    for k, op in enumerate(cops):
        for i in op.outputs:
            first.setdefault(i, k)
            last[i] = max(last.get(i, k), k)
        for i in op.inputs:
            if i >= 0:
                last[i] = max(last.get(i, k), k)
    for i in (index[n] for n in g.outputs):
        last[i] = n_ops
    for k, op in enumerate(cops):
        # A control-flow op's tensors (its own and its subgraphs' inputs and
        # outputs) are copied at any time while its nested ops run.
        for i in op.inputs + op.outputs if op.nested else ():
            if i >= 0:
                first[i] = min(first.get(i, k), k)
                last[i] = max(last.get(i, k), k + op.nested)
    root = _alias_roots(tensors, index, alias_of)
    for i, r in root.items():  # the shared buffer lives as long as any of its names
        first[r] = min(first.get(r, 0), first.get(i, 0))
        last[r] = max(last.get(r, first[r]), last.get(i, first.get(i, 0)))
    bufs = [
        Buffer(t.name, t.nbytes, first.get(i, 0), last.get(i, first.get(i, 0)))
        for i, t in enumerate(tensors)
        if t.flags & T_ARENA and not t.flags & T_INIT and i not in root
    ]
    pers = [(t.name, t.nbytes) for t in tensors if t.flags & T_INIT] + list(state)
    plan = plan_arena(bufs, n_ops, pers)
    for i, t in enumerate(tensors):
        if t.flags & T_ARENA:
            t.offset = plan.offset(tensors[root.get(i, i)].name)
    plan.const_bytes = sum(t.nbytes for t in tensors if t.flags & T_CONST)
    return Program(
        tensors=tensors,
        ops=cops,
        inputs=[index[n] for n in g.inputs],
        outputs=[index[n] for n in g.outputs],
        plan=plan,
        index=index,
        persistent=[t.name for t in tensors if t.flags & T_INIT],
    )


def _alias_roots(tensors: list[CTensor], index: dict[str, int], alias_of: dict[str, str]) -> dict[int, int]:
    """Tensor index -> the planned tensor whose bytes it shares (chains followed:
    a nested subgraph's input may alias an outer one's). Only plain arena
    tensors of equal size share."""
    def plain(i: int) -> bool:
        t = tensors[i]
        return bool(t.flags & T_ARENA) and not t.flags & (T_INIT | T_INPUT | T_OUTPUT)

    out: dict[int, int] = {}
    for a, b in alias_of.items():
        if a not in index or b not in index:
            continue
        i, r = index[a], index[b]
        while tensors[r].name in alias_of and alias_of[tensors[r].name] in index:
            r = index[alias_of[tensors[r].name]]
        arena = tensors[r].flags & T_ARENA and not tensors[r].flags & T_INIT  # graph inputs / outputs too
        if plain(i) and arena and tensors[i].nbytes == tensors[r].nbytes and i != r:
            out[i] = r
    return out


def _c_ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _decoders_c(ops) -> str:
    """One decoder per op, by code (odl_op_code_N in odl/ops.h): the model names
    only its own ops, so the linker keeps only their decoders and kernels."""
    names = ", ".join(f"odl_op_code_{op.opcode}" for op in ops) or "0"
    return f"static const odl_decoder_fn decoders[] = {{{names}}};\n"


def _c_array(arr: np.ndarray, cname: str) -> str:
    flat = arr.reshape(-1)
    if arr.dtype.name in C_TYPES:
        ctype = C_TYPES[arr.dtype.name]
        vals = [str(int(v)) for v in flat]
    else:  # floats and others: exact bytes
        ctype = "uint8_t"
        vals = [str(b) for b in flat.tobytes()]
    if not vals:
        vals = ["0"]
    lines = []
    for k in range(0, len(vals), 24):
        lines.append("    " + ", ".join(vals[k : k + 24]) + ",")
    return f"static const {ctype} {cname}[{len(vals)}] ODL_ALIGN(16) = {{\n" + "\n".join(lines) + "\n};\n"


def _float_lit(x: float) -> str:
    v = np.float32(x)
    if v == 0:
        return "0.0f"
    return f"{float(v)!r}f"


def emit_c(prog: Program, out_dir: Path, model_name: str = "model", train_c: str = "") -> dict:
    """Writes model.c, model.h, model.json into out_dir; returns the metadata."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    body: list[str] = []
    for i, t in enumerate(prog.tensors):
        if t.data is not None:
            body.append(f"/* {i}: {t.name} */\n" + _c_array(t.data, f"t{i}_data"))
    body.append("static const odl_tensor_t tensors[] = {")
    for i, t in enumerate(prog.tensors):
        dims = list(t.shape) + [0] * (5 - len(t.shape))
        if len(t.shape) > 5:
            raise IRError(f"tensor '{t.name}' has rank {len(t.shape)}; the runtime supports up to 5")
        data = f"t{i}_data" if t.data is not None else "0"
        body.append(
            f"    {{{DTYPE_CODES[t.dtype]}, {len(t.shape)}, 0x{t.flags:02x}, {t.fill}, "
            f"{{{', '.join(str(d) for d in dims)}}}, {t.nbytes}, {t.offset}, {data}, "
            f"{_float_lit(t.scale)}, {t.zero_point}}}, /* {i}: {t.name} */"
        )
    body.append("};\n")
    for k, op in enumerate(prog.ops):
        io = op.inputs + op.outputs
        body.append(f"static const int16_t op{k}_io[] = {{{', '.join(str(v) for v in io)}}};")
        if op.params:
            body.append(f"static const int32_t op{k}_params[] = {{{', '.join(str(v) for v in op.params)}}};")
    body.append("\nstatic const odl_op_t ops[] = {")
    for k, op in enumerate(prog.ops):
        params = f"op{k}_params" if op.params else "0"
        body.append(
            f"    {{{op.opcode}, {len(op.inputs)}, {len(op.outputs)}, op{k}_io, op{k}_io + {len(op.inputs)}, "
            f"{params}, {len(op.params)}, {op.nested}}}, /* {k}: {op.type} {op.name} */"
        )
    if not prog.ops:
        body.append("    {0, 0, 0, 0, 0, 0, 0, 0},")
    body.append("};\n")
    body.append(f"static const int16_t graph_inputs[] = {{{', '.join(str(v) for v in prog.inputs)}}};")
    body.append(f"static const int16_t graph_outputs[] = {{{', '.join(str(v) for v in prog.outputs)}}};")
    if train_c:
        body.append(train_c)
    body.append(_decoders_c(prog.ops))
    text = "\n".join(body) + "\n"
    model_hash = zlib.crc32(text.encode()) & 0xFFFFFFFF
    plan = prog.plan
    train_ref = "&odl_train_config" if train_c else "0"
    tail = (
        "const odl_model_t odl_model = {\n"
        f"    ODL_MODEL_FORMAT, 0x{model_hash:08x}u, {len(prog.tensors)}, {len(prog.ops)}, "
        f"{len(prog.inputs)}, {len(prog.outputs)},\n"
        f"    tensors, ops, graph_inputs, graph_outputs, {plan.arena_size}u, {plan.persistent_size}u, {train_ref},\n"
        "    decoders,\n"
        "};\n"
    )
    head = (
        f"/* Generated by tinyodl from '{model_name}': data and schedule only. Do not edit. */\n"
        '#include "odl/odl.h"\n'
        '#include "odl/ops.h"\n'
        + ('#include "odl/train.h"\n' if train_c else "")
        + '#include "model.h"\n\n'
    )
    (out_dir / "model.c").write_text(head + text + tail)
    guard = "ODL_GENERATED_MODEL_H"
    (out_dir / "model.h").write_text(
        f"/* Generated by tinyodl from '{model_name}'. Do not edit. */\n"
        f"#ifndef {guard}\n#define {guard}\n\n#include \"odl/odl.h\"\n\n"
        f"#define ODL_MODEL_ARENA_SIZE {plan.arena_size}u\n"
        f"#define ODL_MODEL_HASH 0x{model_hash:08x}u\n"
        f"#define ODL_MODEL_CONST_BYTES {prog.const_bytes}u\n\n"
        "extern const odl_model_t odl_model;\n\n#endif\n"
    )
    meta = {
        "model": model_name,
        "hash": f"0x{model_hash:08x}",
        "arena_size": plan.arena_size,
        "persistent_size": plan.persistent_size,
        "const_bytes": prog.const_bytes,
        "n_ops": len(prog.ops),
        "inputs": [_io_meta(prog, i) for i in prog.inputs],
        "outputs": [_io_meta(prog, i) for i in prog.outputs],
        "ops": [{"type": op.type, "name": op.name} for op in prog.ops],
        "tensors": {t.name: i for i, t in enumerate(prog.tensors)},
        "tensor_info": [
            {"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "offset": t.offset, "flags": t.flags}
            for t in prog.tensors
        ],
    }
    (out_dir / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def _io_meta(prog: Program, i: int) -> dict:
    t = prog.tensors[i]
    return {
        "index": i,
        "name": t.name,
        "dtype": t.dtype,
        "shape": list(t.shape),
        "scale": float(np.float32(t.scale)),
        "zero_point": t.zero_point,
    }
