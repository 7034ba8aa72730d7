"""IF and WHILE: ops that run subgraphs (g.subgraphs, sharing the tensor table).

IR: CALL_ONCE inputs [flag], attrs {init} (pytool/frontends/tflite_resource.py);
IF inputs [cond, *args], outputs [*outs], attrs {then, else} (subgraph
indices; each branch takes the args and gives the outs); WHILE inputs
[*args], outputs [*outs] (same types), attrs {cond, body}: outs = args, then
while cond(outs): outs = body(outs). As in TFLite Micro, IF reads its
condition's first byte as a bool; values cross a subgraph boundary as byte
copies.

C (runtime_c/src/ops/control_flow.c): the codegen places a subgraph's ops
right after the op that runs them (`odl_op_t.n_nested` tells the schedule to
skip them) and writes the op's I/O as
- IF: inputs [cond, args, then_in, then_out, else_in, else_out], params
  [n_args, n_outs, then_len, else_len];
- WHILE: inputs [args, cond_in, cond_out, body_in, body_out], params
  [n_args, cond_len, body_len];
- CALL_ONCE (an init subgraph that did not fold): inputs [flag], params
  [init_len]: runs the init ops when the flag (a state tensor) is 0, then sets it;
so the kernel copies, then runs its op ranges with odl_invoke_range. The
planner keeps all those tensors alive over the whole nested range.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 81  # IF; WHILE is 82, CALL_ONCE 83
OPCODES = {"IF": 81, "WHILE": 82, "CALL_ONCE": 83}
TYPES = ("int8", "int16", "float32")
SUBGRAPH_ATTRS = {"IF": ("then", "else"), "WHILE": ("cond", "body"), "CALL_ONCE": ("init",)}
STATE_INPUTS = (0,)  # CALL_ONCE's flag (IF / WHILE give no extra results)


def subgraphs(g: Graph, op: Op) -> list[Graph]:
    out = []
    for a in SUBGRAPH_ATTRS[op.type]:
        k = op.attrs.get(a)
        if k not in g.subgraphs:
            raise IRError(f"{op.type} '{op.name}': its {a} subgraph {k} does not exist")
        out.append(g.subgraphs[k])
    return out


def _same(g: Graph, op: Op, what: str, mine: list[str], theirs: list[str]) -> None:
    if len(mine) != len(theirs):
        raise IRError(f"{op.type} '{op.name}': {what}: {len(mine)} tensors vs {len(theirs)}")
    for a, b in zip(mine, theirs):
        ta, tb = g.tensors[a], g.tensors[b]
        if ta.dtype != tb.dtype or ta.nbytes != tb.nbytes:
            raise IRError(f"{op.type} '{op.name}': {what}: '{a}' is {ta.dtype}{list(ta.shape)}, "
                          f"'{b}' is {tb.dtype}{list(tb.shape)}")


def check(g: Graph, op: Op) -> list[Graph]:
    subs = subgraphs(g, op)
    if op.type == "IF":
        if not op.inputs:
            raise IRError(f"IF '{op.name}': the condition input is missing")
        c = g.tensors[op.inputs[0]]
        if c.dtype != "bool" or c.numel != 1:  # what TFLite Micro's IF Prepare accepts
            raise IRError(f"IF '{op.name}': the condition '{c.name}' is {c.dtype}{list(c.shape)}; "
                          "TFLite Micro's IF takes a one-element bool")
        for s, a in zip(subs, SUBGRAPH_ATTRS["IF"]):
            _same(g, op, f"{a} branch inputs", op.inputs[1:], s.inputs)
            _same(g, op, f"{a} branch outputs", op.outputs, s.outputs)
    elif op.type == "CALL_ONCE":
        if len(op.inputs) != 1 or op.outputs or subs[0].inputs or subs[0].outputs:
            raise IRError(f"CALL_ONCE '{op.name}': takes its flag only; the init subgraph has no inputs or outputs")
    else:
        cond, body = subs
        _same(g, op, "loop outputs", op.outputs, op.inputs)
        _same(g, op, "cond inputs", op.inputs, cond.inputs)
        _same(g, op, "body inputs", op.inputs, body.inputs)
        _same(g, op, "body outputs", op.inputs, body.outputs)
        if len(cond.outputs) != 1:
            raise IRError(f"WHILE '{op.name}': the cond subgraph must give one output, not {len(cond.outputs)}")
    return subs


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    check(g, op)
    return [g.tensors[n].shape for n in op.outputs]


def macs(g: Graph, op: Op) -> int:
    """One pass through each subgraph (a loop's trip count is known only at run time)."""
    from pytool import ops as opreg

    return sum(int(opreg.get(o.type).macs(s, o)) for s in subgraphs(g, op) for o in s.ops
               if opreg.get(o.type) is not None and not o.attrs.get("_unsupported"))  # inspect lists those


def aliases(g: Graph, op: Op, shared: set[int]) -> list[tuple[str, str]]:
    """(subgraph input, tensor) pairs that may share bytes, so the kernel's copy
    between them becomes a no-op: a subgraph input is only read, IF's args are
    not written while a branch runs, and WHILE's outputs only after its body
    (when the body's outputs are copied back). A body input that is also the
    body's output at another position (values swapped between iterations) keeps
    its own bytes: the copy back would overwrite it first. A subgraph that
    several ops run (`shared`) keeps its own tensors."""
    subs = check(g, op)
    if any(op.attrs[a] in shared for a in SUBGRAPH_ATTRS[op.type]):
        return []
    pairs = []
    if op.type == "IF":
        for s in subs:
            pairs += list(zip(s.inputs, op.inputs[1:]))
    elif op.type == "WHILE":
        cond, body = subs
        pairs += list(zip(cond.inputs, op.outputs))
        for j, (b, o) in enumerate(zip(body.inputs, op.outputs)):
            if all(n != b or k == j for k, n in enumerate(body.outputs)):
                pairs.append((b, o))
    return [(a, b) for a, b in pairs if a != b and not g.tensors[a].is_const and not g.tensors[b].is_const]


def inline_const_args(g: Graph) -> int:
    """The converter passes a tf.cond's captured constants (weights) to IF as
    args: a branch run by no other op takes them as constants instead (the arg
    leaves the IF's inputs and the branch's), so they are never copied into the
    arena. Returns how many args moved; the caller folds the branches again."""
    calls: dict[int, int] = {}
    for _, o in g.all_ops():
        for a in SUBGRAPH_ATTRS.get(o.type, ()):
            calls[o.attrs.get(a)] = calls.get(o.attrs.get(a), 0) + 1
    moved = 0
    for _, op in list(g.all_ops()):
        if op.type != "IF" or "_unsupported" in op.attrs:
            continue
        subs = [g.subgraphs.get(op.attrs.get(a)) for a in SUBGRAPH_ATTRS["IF"]]
        if any(s is None or calls.get(op.attrs[a]) != 1 for s, a in zip(subs, SUBGRAPH_ATTRS["IF"])) or \
                subs[0] is subs[1]:
            continue
        for j in reversed(range(len(op.inputs) - 1)):
            arg = g.tensors[op.inputs[1 + j]]
            ins = [g.tensors[s.inputs[j]] for s in subs if j < len(s.inputs)]
            if not arg.is_const or len(ins) != 2 or any(t.dtype != arg.dtype or t.shape != arg.shape for t in ins):
                continue
            if any(s.inputs[j] in s.outputs for s in subs):  # a branch returning the constant: keep the copy
                continue
            for t in ins:
                t.data = np.array(arg.data)
            del op.inputs[1 + j]
            for s in subs:
                del s.inputs[j]
            moved += 1
    return moved


def truth(x) -> bool:
    """TFLite Micro reads a condition's first byte as a bool."""
    return bool(np.ascontiguousarray(x).reshape(-1).view(np.uint8)[0])


def run(g: Graph, op: Op, xs: list, run_sub) -> list:
    """The op's semantics over run_sub(subgraph, inputs) -> outputs (the float or
    integer reference executor)."""
    subs = check(g, op)
    if op.type == "IF":
        return list(run_sub(subs[0] if truth(xs[0]) else subs[1], list(xs[1:])))
    if op.type == "CALL_ONCE":
        if truth(xs[0]):
            return [np.array(xs[0])]
        run_sub(subs[0], [])
        return [np.ones_like(xs[0])]
    cond, body = subs
    vals = list(xs)
    while truth(run_sub(cond, vals)[0]):
        vals = list(run_sub(body, vals))
    return vals


def ref_float(g: Graph, op: Op, xs: list) -> list:
    from pytool.reference import run_float

    return run(g, op, xs, lambda s, v: run_float(s, v))


def lower(g: Graph, op: Op) -> Lowered:
    """The op's own inputs; the codegen adds the subgraphs' tensors and op counts."""
    check(g, op)
    return Lowered(inputs=list(op.inputs), params=[], opcode=OPCODES[op.type])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    from pytool.reference import run_int8

    return run(g, op, xs, lambda s, v: run_int8(s, v))
