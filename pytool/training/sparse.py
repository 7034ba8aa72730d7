"""Sparse update: compile-time side.

A scheme picks, per weighted layer, nothing / the bias / the weights of some
output channels (+ bias). prepare(g, spec) turns it into:
- RAM copies of the updated tensors (int8 weights, int32 biases) and, for the
  int16 master copy, a uint8 residual per updated weight (state);
- a training plan: the inference lifetimes, with every activation the
  backward reads (masks, inputs of weight-updated layers) kept alive into the
  backward, one int32 error buffer per tensor on the path (alive for two
  steps) and an int64 gradient row per weight-updated layer, all planned
  together so the arena is the exact training peak;
- the const odl_sp_config_t (runtime_c/include/odl/sparse_update.h).
docs/design/sparse.md explains the arithmetic and the choices.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytool import ops as opreg
from pytool.codegen import T_ARENA, T_INIT, Program, lower_graph
from pytool.ir import Graph
from pytool.planner import Buffer, Plan, align_up, check_budget, plan_arena
from pytool.training import TrainSpec, TrainSpecError
from pytool.training.forward_grad import logits_of
from pytool.training.sparse_ops import MOVE_OPS, TABLE_OPS, deriv_table, move_map, mul_other, pooled_conv
from quantize.fixedpoint import quantize_multiplier

KINDS = {"FULLY_CONNECTED": 0, "CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "AVERAGE_POOL_2D": 3, "MEAN": 4,
         "RESHAPE": 5, "RELU": 6, "RELU6": 6, "ADD": 7, "MAX_POOL_2D": 8,
         **{t: 9 for t in MOVE_OPS}, **{t: 10 for t in TABLE_OPS}, "MUL": 11}
# Ops whose backward reads their forward input (kept alive into the backward).
READS_INPUT = ("MAX_POOL_2D", *TABLE_OPS)
WEIGHTED = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")
ROUNDING = {"master": 0, "round": 1, "stochastic": 2}
NONE = -1
CONV_POOL = 12  # ODL_SP_CONV_POOL: a CONV_2D step that reads the disjoint max-pool's error (pooled_conv)
# Stack the TRAIN call needs beyond the INFER call, reserved inside the --ram
# budget (the arena gets the rest). The runtime has no recursion and no
# variable-length arrays, so the depth depends on the code, not the model:
# measured 112 B (mps2-an386), 128 B (mps3-an547), 140 B (riscv32-virt) with
# conv, FC and bias updates; tests/test_sparse_qemu.py checks it on the board.
TRAIN_STACK_BYTES = 192
STACK_LABEL = "training stack beyond inference (reserve)"


@dataclass
class Choice:
    update: str  # "bias" | "weights"
    channels: list[int] | None = None  # updated output channels (weights); None = all
    rounding: str = "master"  # how weight updates reach int8 (ROUNDING)

    def label(self, n_out: int) -> str:
        if self.update == "bias":
            return "bias"
        k = n_out if self.channels is None else len(self.channels)
        return f"weights {k}/{n_out} ch ({self.rounding}) + bias"


Scheme = dict[int, Choice]  # op index -> choice


@dataclass
class BwStep:
    op: int
    kind: int
    mask: tuple[int, int] | None
    out_t: str
    in_t: str | None  # tensor whose error this step produces (None: last step)
    side_t: str | None = None  # ADD: the fork tensor whose error waits in a pending buffer
    acc: bool = False  # in_t is a fork: sum the pending error of its other consumer in
    arg: int = 0  # operand index of in_t (CONCATENATION)
    act: bool = False  # mask is a ReLU-family clamp (fused or standalone), not only int8 saturation


@dataclass
class SparseLayout:
    plan: Plan
    inference_arena: int
    steps: list[BwStep]
    err: dict[str, int] = field(default_factory=dict)  # tensor -> error buffer offset
    rows: dict[int, int] = field(default_factory=dict)  # op -> gradient row offset
    residuals: dict[int, int] = field(default_factory=dict)  # op -> residual offset
    pend: dict[str, int] = field(default_factory=dict)  # fork tensor -> pending error offset
    pooled: int | None = None  # max-pool step whose conv below reads its error directly (pooled_conv)


def n_out_of(g: Graph, op_index: int) -> int:
    op = g.ops[op_index]
    w = g.tensors[op.inputs[1]]
    return w.shape[3] if op.type == "DEPTHWISE_CONV_2D" else w.shape[0]


def row_of(g: Graph, op_index: int) -> int:
    op = g.ops[op_index]
    w = g.tensors[op.inputs[1]]
    return int(np.prod(w.shape[1:3])) if op.type == "DEPTHWISE_CONV_2D" else int(np.prod(w.shape[1:]))


def outer_fc(g: Graph, op_index: int) -> bool:
    """A batch-1 FULLY_CONNECTED: its weight update needs no gradient row
    (sparse_update.c takes the input as the row for every channel)."""
    op = g.ops[op_index]
    return op.type == "FULLY_CONNECTED" and numel(g, op.inputs[0]) == g.tensors[op.inputs[1]].shape[1]


def row_scratch(g: Graph, op_index: int) -> int:
    """Bytes of a weight-updated layer's row scratch: int16 [row], plus an
    int64 [row] gradient in front unless the layer is a batch-1 FC."""
    r = row_of(g, op_index)
    return 2 * r if outer_fc(g, op_index) else 10 * r


def channels_of(g: Graph, op_index: int, ch: Choice) -> list[int]:
    return list(range(n_out_of(g, op_index))) if ch.channels is None else sorted(ch.channels)


_ACT_CACHE: dict[tuple[int, int, str], tuple[int, int] | None] = {}


def act_range(g: Graph, op_index: int) -> tuple[int, int] | None:
    """The int8 clamp of an op's output, read from its lowering (cached: the
    scheme search plans thousands of candidate schemes)."""
    key = (id(g), op_index, g.ops[op_index].outputs[0])
    if key not in _ACT_CACHE:
        _ACT_CACHE[key] = _act_range(g, op_index)
    return _ACT_CACHE[key]


def _act_range(g: Graph, op_index: int) -> tuple[int, int] | None:
    op = g.ops[op_index]
    low = opreg.get(op.type).lower(g, op)
    p = low.params
    at = {"FULLY_CONNECTED": 3, "CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "AVERAGE_POOL_2D": 6, "MAX_POOL_2D": 6,
          "RELU": 4, "RELU6": 0, "ADD": 10, "MUL": 5}
    if op.type not in at:
        return None
    return int(p[at[op.type]]), int(p[at[op.type] + 1])


def _step_ops(g: Graph, scheme: Scheme, logits: str) -> list[int]:
    """Ops the backward visits: descendants of an updated layer (inclusive)
    that the logits depend on, deepest last."""
    producer = {n: i for i, op in enumerate(g.ops) for n in op.outputs}
    above: set[int] = set()
    todo = [producer[logits]] if logits in producer else []
    while todo:
        k = todo.pop()
        if k not in above:
            above.add(k)
            todo += [producer[n] for n in g.ops[k].inputs if n in producer]
    below: set[int] = set()
    todo = list(scheme)
    while todo:
        k = todo.pop()
        if k not in below:
            below.add(k)
            outs = set(g.ops[k].outputs)
            todo += [j for j, op in enumerate(g.ops) if outs & set(op.inputs)]
    return sorted(above & below, reverse=True)


def backward_chain(g: Graph, scheme: Scheme) -> tuple[list[BwStep], str, int]:
    """Steps from the logits down to the deepest layer of the scheme. A
    residual fork (a tensor feeding two ops of the backward) gets the sum of
    both errors: the ADD parks its copy for the fork in a pending buffer
    (side_t), the step that brings the other branch's error sums it in (acc)."""
    if not scheme:
        raise TrainSpecError("--train sparse: the scheme updates no layer")
    logits, forward_ops = logits_of(g)
    producer = {n: i for i, op in enumerate(g.ops) for n in op.outputs}
    deepest = min(scheme)
    for k, ch in scheme.items():
        if not 0 <= k < len(g.ops) or g.ops[k].type not in WEIGHTED:
            raise TrainSpecError(f"scheme: op #{k} is not a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer")
        if ch.update not in ("bias", "weights"):
            raise TrainSpecError(f"scheme: op #{k}: update must be 'bias' or 'weights', not {ch.update!r}")
        if ch.update == "bias" and len(g.ops[k].inputs) < 3:
            raise TrainSpecError(f"scheme: op #{k} ({g.ops[k].name}) has no bias to update")
    ops = _step_ops(g, scheme, logits)
    for k in scheme:
        if k not in ops:
            raise TrainSpecError(f"scheme: op #{k} is not on a path from op #{deepest} to the logits '{logits}'")
    in_set = set(ops)
    steps: list[BwStep] = []
    pending: set[str] = set()
    done: set[str] = set()
    for k in ops:
        op = g.ops[k]
        if op.type not in KINDS:
            raise TrainSpecError(
                f"sparse update: no backward for {op.type} (op #{k}) between the logits and op #{deepest}; "
                f"supported: {', '.join(sorted(KINDS))}"
            )
        n_args = 2 if op.type in ("ADD", "MUL") else len(op.inputs) if op.type == "CONCATENATION" else 1
        ins = [n for n in op.inputs[:n_args] if producer.get(n) in in_set]
        if op.type in ("CONCATENATION", "MUL") and len(ins) > 1:
            raise TrainSpecError(f"sparse update: {op.type} (op #{k}) joins two inputs on the backward path")
        if op.type == "MUL" and ins and tuple(g.tensors[ins[0]].shape) != tuple(g.tensors[op.outputs[0]].shape):
            raise TrainSpecError(f"sparse update: MUL (op #{k}) broadcasts the operand on the backward path")
        if op.type == "MEAN" and len(opreg.get("MEAN").lower(g, op).params) > 8:
            raise TrainSpecError(f"sparse update: MEAN (op #{k}) reduces axes that are not contiguous; "
                                 "its backward takes one run of axes")
        if op.type == "ADD":
            shapes = {tuple(g.tensors[n].shape) for n in (*op.inputs[:2], op.outputs[0])}
            if len(shapes) != 1 or op.inputs[0] == op.inputs[1]:
                raise TrainSpecError(f"sparse update: ADD (op #{k}) must add two distinct tensors of one shape")
            ins.sort(key=lambda n: -producer[n])  # the branch that comes next in the backward first
        in_t = ins[0] if ins else None
        side_t = ins[1] if len(ins) > 1 else None
        if side_t is not None:
            if side_t in pending or side_t in done:
                raise TrainSpecError(f"sparse update: tensor '{side_t}' feeds more than two ops of the backward")
            pending.add(side_t)
        acc = in_t in pending
        if in_t is not None:
            if in_t in done:
                raise TrainSpecError(f"sparse update: tensor '{in_t}' feeds more than two ops of the backward")
            pending.discard(in_t)
            done.add(in_t)
        out_t = op.outputs[0]
        if steps and steps[-1].in_t != out_t or not steps and out_t != logits:
            raise TrainSpecError(
                f"sparse update: the backward reaches op #{k} out of order (branches below op #{k} must end in "
                "a residual ADD whose other input is the fork)"
            )
        arg = op.inputs.index(in_t) if in_t is not None and op.type in ("CONCATENATION", "MUL") else 0
        act = op.type in ("RELU", "RELU6") or op.attrs.get("activation", "NONE") not in ("NONE", None)
        steps.append(BwStep(k, KINDS[op.type], act_range(g, k), out_t, in_t, side_t, acc, arg, act))
    if pending:
        raise TrainSpecError(f"sparse update: the error of '{sorted(pending)[0]}' never meets its other branch")
    return steps, logits, forward_ops


def numel(g: Graph, name: str) -> int:
    return int(np.prod(g.tensors[name].shape))


def persistent_of(g: Graph, scheme: Scheme) -> tuple[dict[str, np.ndarray], list[tuple[str, int]]]:
    pers: dict[str, np.ndarray] = {}
    state: list[tuple[str, int]] = []
    for k in sorted(scheme):
        op, ch = g.ops[k], scheme[k]
        if ch.update == "weights":
            pers[op.inputs[1]] = g.tensors[op.inputs[1]].data.astype(np.int8).copy()
            if ch.rounding == "master":
                state.append((f"residual:{k}", len(channels_of(g, k, ch)) * row_of(g, k)))
        if len(op.inputs) > 2:
            pers[op.inputs[2]] = g.tensors[op.inputs[2]].data.astype(np.int32).copy()
    return pers, state


def training_layout(prog: Program, g: Graph, scheme: Scheme, inference_arena: int) -> SparseLayout:
    """Re-plans prog's arena with the backward's buffers (see module doc)."""
    steps, logits, _ = backward_chain(g, scheme)
    base = prog.plan
    n_fwd = base.n_ops
    t_of = {s.op: n_fwd + j for j, s in enumerate(steps)}
    keep: dict[str, int] = {}
    for s in steps:
        t = t_of[s.op]
        if s.mask is not None:
            keep[s.out_t] = max(keep.get(s.out_t, 0), t)
        if s.op in scheme and scheme[s.op].update == "weights" or g.ops[s.op].type in READS_INPUT:
            x = g.ops[s.op].inputs[0]
            keep[x] = max(keep.get(x, 0), t)
        if g.ops[s.op].type == "MUL":  # the other operand scales the error
            x = g.ops[s.op].inputs[1 - s.arg]
            keep[x] = max(keep.get(x, 0), t)
    keep[logits] = max(keep.get(logits, 0), n_fwd)
    bufs = [Buffer(b.name, b.size, b.first, max(b.last, keep.get(b.name, b.last))) for b in base.buffers.values()]
    side_slot = {s.side_t: t_of[s.op] for s in steps if s.side_t is not None}
    pooled = pooled_conv(g, steps)
    for j, s in enumerate(steps):
        t = n_fwd + j
        if pooled is None or j != pooled + 1:  # the pooled conv reads the pool's error, alive one slot longer
            bufs.append(Buffer(f"err:{s.out_t}", 4 * numel(g, s.out_t), t - 1 if j else t, t + (j == pooled)))
        if s.acc:  # the fork's first error (+ its exponent) waits until the second arrives
            bufs.append(Buffer(f"pend:{s.in_t}", 4 * numel(g, s.in_t) + 4, side_slot[s.in_t], t))
        if s.op in scheme and scheme[s.op].update == "weights":
            bufs.append(Buffer(f"row:{s.op}", row_scratch(g, s.op), t, t))
    pers = [(n, sz) for n, (_, sz) in base.persistent.items()]
    plan = plan_arena(bufs, n_fwd + len(steps), pers)
    plan.const_bytes, plan.extra = base.const_bytes, dict(base.extra)
    lay = SparseLayout(plan, inference_arena, steps, pooled=pooled)
    for j, s in enumerate(steps):
        src = steps[j - 1] if pooled is not None and j == pooled + 1 else s
        lay.err[s.out_t] = plan.offset(f"err:{src.out_t}")
        if s.acc:
            lay.pend[s.in_t] = plan.offset(f"pend:{s.in_t}")
        if s.op in scheme and scheme[s.op].update == "weights":
            lay.rows[s.op] = plan.offset(f"row:{s.op}")
            if f"residual:{s.op}" in plan.persistent:
                lay.residuals[s.op] = plan.persistent[f"residual:{s.op}"][0]
    return lay


def scheme_bytes(g: Graph, base: Program, scheme: Scheme) -> int:
    """Exact training arena of a scheme (same planner as prepare), without lowering again."""
    pers, state = persistent_of(g, scheme)
    sizes = [(t.name, t.nbytes if t.name not in pers else pers[t.name].nbytes) for t in base.tensors
             if t.name in pers] + state
    off = 0
    order = []
    for name, sz in sizes:
        order.append((name, sz))
        off = align_up(off + sz)
    shadow = Plan(base.plan.buffers, {n: (0, s) for n, s in order}, off, base.plan.arena_size, base.plan.n_ops)
    fake = Program(base.tensors, base.ops, base.inputs, base.outputs, shadow, base.index)
    return training_layout(fake, g, scheme, base.plan.arena_size).plan.arena_size


# ---------------------------------------------------------------- scheme files


def load_scheme(path: str | Path, g: Graph) -> Scheme:
    """scheme.toml: optional top-level rounding = "master" | "round" | "stochastic"
    (the default of every layer), then one [[layer]] per updated layer:
    op = <op index> or name = "<weight tensor or layer name>", update = "bias" |
    "weights", optionally channels = [..] or fraction = 0.25, and rounding."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise TrainSpecError(f"--scheme {p}: {e}") from None
    by_name = {op.inputs[1]: i for i, op in enumerate(g.ops) if op.type in WEIGHTED}
    by_name.update({op.name: i for i, op in enumerate(g.ops) if op.type in WEIGHTED and op.name})
    scheme: Scheme = {}
    for n, ent in enumerate(data.get("layer", [])):
        where = f"--scheme {p}: layer {n + 1}"
        if "op" in ent:
            k = ent["op"]
        elif ent.get("name") in by_name:
            k = by_name[ent["name"]]
        else:
            raise TrainSpecError(f"{where}: give op = <index> or name = <weight tensor or layer name>")
        if not isinstance(k, int) or not 0 <= k < len(g.ops) or g.ops[k].type not in WEIGHTED:
            raise TrainSpecError(f"{where}: op {k!r} is not a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer")
        update = ent.get("update", "weights")
        chans = None
        if update == "weights":
            n_out = n_out_of(g, k)
            if "channels" in ent:
                chans = sorted({int(c) for c in ent["channels"]})
                if not chans or chans[0] < 0 or chans[-1] >= n_out:
                    raise TrainSpecError(f"{where}: channels must be in [0, {n_out})")
            elif "fraction" in ent:
                f = float(ent["fraction"])
                if not 0 < f <= 1:
                    raise TrainSpecError(f"{where}: fraction must be in (0, 1]")
                chans = list(range(max(1, math.ceil(f * n_out))))
        rounding = ent.get("rounding", data.get("rounding", "master"))
        if rounding not in ROUNDING:
            raise TrainSpecError(f"{where}: rounding must be one of {', '.join(ROUNDING)}")
        scheme[k] = Choice(update, chans, rounding)
    if not scheme:
        raise TrainSpecError(f"--scheme {p}: no [[layer]] entries")
    return scheme


def dump_scheme(g: Graph, scheme: Scheme) -> str:
    lines = []
    for k in sorted(scheme):
        ch = scheme[k]
        lines += ["[[layer]]", f"op = {k}  # {g.ops[k].type}", f'update = "{ch.update}"']
        if ch.update == "weights":
            lines.append(f'rounding = "{ch.rounding}"')
            if ch.channels is not None:
                lines.append(f"channels = {sorted(ch.channels)}")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- constants


@dataclass
class LayerConst:
    op: int
    weight: str | None
    bias: str | None
    channels: list[int]
    row: int
    lrw: list[tuple[int, int]]  # per output channel (mult, shift)
    lrb: list[tuple[int, int]]
    rounding: str = "master"
    row_bytes: int = 0  # row scratch (row_scratch), 0 without a weight update


@dataclass
class SparseSetup:
    scheme: Scheme
    seed: int
    lr: float
    logits: str
    logit_scale_q16: int
    forward_ops: int
    steps: list[BwStep]
    wscale: dict[int, list[tuple[int, int]]]  # op -> weight-scale multipliers (bw_input)
    layers: list[LayerConst]
    maps: dict[int, np.ndarray] = field(default_factory=dict)  # MOVE steps: output -> input index
    tables: dict[int, tuple[np.ndarray, int]] = field(default_factory=dict)  # TABLE steps: (dy/dx, frac)
    zps: dict[int, int] = field(default_factory=dict)  # MUL steps: the other operand's zero point


def _qm(v: float, what: str, lr: float) -> tuple[int, int]:
    m, s = quantize_multiplier(float(v))
    if m == 0:
        raise TrainSpecError(f"--lr {lr}: too small for {what}: every update would round to zero")
    if s > 30:
        raise TrainSpecError(f"--lr {lr}: too large for {what}")
    return int(m), int(s)


def _wscales(g: Graph, k: int) -> np.ndarray:
    op = g.ops[k]
    q = g.tensors[op.inputs[1]].quant
    if q is None or np.any(np.asarray(q.zero_point) != 0):
        raise TrainSpecError(f"sparse update: op #{k} ({op.type}) needs symmetric int8 weights (zero point 0)")
    return np.asarray(q.scale, np.float64).reshape(-1)


def make_setup(g: Graph, spec: TrainSpec, scheme: Scheme) -> SparseSetup:
    if spec.loss != "ce":
        raise TrainSpecError(f"--loss {spec.loss}: sparse update trains softmax cross-entropy (ce) only")
    for k, ch in scheme.items():
        if ch.rounding not in ROUNDING:
            raise TrainSpecError(f"scheme: op #{k}: rounding {ch.rounding!r}: choose one of {', '.join(ROUNDING)}")
    steps, logits, forward_ops = backward_chain(g, scheme)
    lq = g.tensors[logits].quant
    scale_q16 = int(round(float(lq.scale[0]) * 65536))
    if scale_q16 <= 0:
        raise TrainSpecError(f"logits tensor '{logits}' has a scale below 2^-17; the Q16.16 loss cannot read it")
    wscale: dict[int, list[tuple[int, int]]] = {}
    for s in steps:
        op = g.ops[s.op]
        if op.type in WEIGHTED:
            sw = _wscales(g, s.op)
            if op.type != "FULLY_CONNECTED":
                sw = np.broadcast_to(sw, (n_out_of(g, s.op),))
            wscale[s.op] = [quantize_multiplier(float(v)) for v in sw]
    layers = []
    for k in sorted(scheme):
        op, ch = g.ops[k], scheme[k]
        n_out = n_out_of(g, k)
        sx = float(g.tensors[op.inputs[0]].quant.scale[0])
        sw = np.broadcast_to(_wscales(g, k), (n_out,))
        name = f"op #{k} ({op.type})"
        layers.append(LayerConst(
            op=k,
            weight=op.inputs[1] if ch.update == "weights" else None,
            bias=op.inputs[2] if len(op.inputs) > 2 else None,
            channels=channels_of(g, k, ch) if ch.update == "weights" else [],
            row=row_of(g, k),
            lrw=[_qm(spec.lr * 128.0 * sx / v, name, spec.lr) for v in sw],
            lrb=[_qm(spec.lr / (sx * v), name, spec.lr) for v in sw],
            rounding=ch.rounding,
            row_bytes=row_scratch(g, k) if ch.update == "weights" else 0,
        ))
    maps = {s.op: move_map(g, s.op, s.in_t) for s in steps if g.ops[s.op].type in MOVE_OPS and s.in_t}
    tables = {s.op: deriv_table(g, s.op) for s in steps if g.ops[s.op].type in TABLE_OPS}
    zps = {}
    for s in steps:
        if g.ops[s.op].type == "MUL":
            maps[s.op], zps[s.op], wscale[s.op] = mul_other(g, s.op, s.arg)
    return SparseSetup(scheme, int(spec.seed) & 0xFFFFFFFF, spec.lr, logits, scale_q16, forward_ops,
                       steps, wscale, layers, maps, tables, zps)


# ---------------------------------------------------------------- prepare


def choose_scheme(g: Graph, spec: TrainSpec) -> Scheme:
    if spec.scheme:
        return load_scheme(spec.scheme, g)
    from pytool.training.scheme import search

    return search(g, spec).scheme


def inference_arena(g: Graph) -> int:
    return lower_graph(g).plan.arena_size


def check_ram(ram: int | None, inference: int) -> None:
    """--ram covers the training arena plus TRAIN_STACK_BYTES of stack."""
    if ram is not None and ram < inference:
        raise TrainSpecError(
            f"--ram {ram:,d} B is below the inference arena ({inference:,d} B): sparse update needs the "
            "inference RAM plus its training buffers"
        )
    if ram is not None and ram < inference + TRAIN_STACK_BYTES:
        raise TrainSpecError(
            f"--ram {ram:,d} B leaves no room to train: the inference arena ({inference:,d} B) plus the "
            f"training call's extra stack ({TRAIN_STACK_BYTES} B) already need {inference + TRAIN_STACK_BYTES:,d} B"
        )


def arena_budget(ram: int) -> int:
    """The part of a --ram budget the training arena may use."""
    return ram - TRAIN_STACK_BYTES


def build(g: Graph, spec: TrainSpec, scheme: Scheme) -> tuple[Program, SparseSetup, SparseLayout]:
    st = make_setup(g, spec, scheme)
    pers, state = persistent_of(g, scheme)
    prog = lower_graph(g, persistent=pers, state=state)
    lay = training_layout(prog, g, scheme, inference_arena(g))
    for t in prog.tensors:
        if t.flags & T_ARENA and not t.flags & T_INIT:
            t.offset = lay.plan.offset(t.name)
    prog.plan = lay.plan
    ex = lay.plan.extra
    ex["inference arena"] = lay.inference_arena
    ex["trainable copies (RAM)"] = sum(a.nbytes for a in pers.values())
    if state:
        ex["int16 master residuals"] = sum(s for _, s in state)
    ex["saved activations + backward buffers"] = lay.plan.arena_size - lay.plan.persistent_size - lay.inference_arena
    ex[STACK_LABEL] = TRAIN_STACK_BYTES
    lay.plan.stack_bytes = TRAIN_STACK_BYTES
    return prog, st, lay


def prepare(g: Graph, spec: TrainSpec) -> tuple[Program, str]:
    spec.validate()
    check_ram(spec.ram, inference_arena(g))
    prog, st, lay = build(g, spec, choose_scheme(g, spec))
    if spec.ram is not None:
        check_budget(lay.plan, spec.ram, None, what="--train sparse")
    prog.sparse = (st, lay)  # read by the plan command and the tests
    return prog, emit_train_c(prog, st, lay)


def mask_mode(step: BwStep) -> int:
    """0: none, 1: activation clamp, 2: plain int8 saturation (odl/sparse_update.h).
    A ReLU whose zero point is -128 clamps to the whole int8 range, yet its floor is
    the activation's zero: no error passes there (a saturation pass-through fed the
    error of units whose pre-activation lies anywhere below zero back into the net;
    docs/design/train-defaults.md, fourth pass)."""
    if step.mask is None:
        return 0
    return 2 if tuple(step.mask) == (-128, 127) and not step.act else 1


def _arr(ctype: str, name: str, vals) -> str:
    vals = [str(int(v)) for v in vals] or ["0"]
    return f"static const {ctype} {name}[] = {{{', '.join(vals)}}};"


def emit_train_c(prog: Program, st: SparseSetup, lay: SparseLayout) -> str:
    idx = prog.index
    out = ['#include "odl/sparse_update.h"']
    layer_of = {ly.op: i for i, ly in enumerate(st.layers)}
    step_rows = []
    for j, s in enumerate(st.steps):
        ws = st.wscale.get(s.op, [(0, 0)])
        mp, tb = "0", "0"
        if s.op in st.maps:
            out.append(_arr("int32_t", f"sp_map{j}", st.maps[s.op]))
            mp = f"sp_map{j}"
        frac = st.zps.get(s.op, 0)
        if s.op in st.tables:
            table, frac = st.tables[s.op]
            out.append(_arr("int16_t", f"sp_tab{j}", table))
            tb = f"sp_tab{j}"
        out.append(_arr("int32_t", f"sp_wm{j}", [m for m, _ in ws]))
        out.append(_arr("int32_t", f"sp_ws{j}", [k for _, k in ws]))
        lo, hi = s.mask if s.mask is not None else (-129, 128)
        err_in = lay.err[st.steps[j + 1].out_t] if s.in_t is not None and j != lay.pooled else NONE
        kind, arg = s.kind, s.arg
        if lay.pooled is not None and j == lay.pooled + 1:
            kind, arg = CONV_POOL, st.steps[j - 1].op
        err_side = lay.pend[s.side_t] if s.side_t is not None else NONE
        err_acc = lay.pend[s.in_t] if s.acc else NONE
        step_rows.append(
            f"    {{{kind}, {mask_mode(s)}, {layer_of.get(s.op, NONE)}, {s.op}, {len(ws)}, {lo}, {hi}, "
            f"{lay.err[s.out_t]}, {err_in}, {err_side}, {err_acc}, sp_wm{j}, sp_ws{j}, {arg}, {frac}, {mp}, {tb}}},"
        )
    layer_rows = []
    for i, ly in enumerate(st.layers):
        out.append(_arr("uint16_t", f"sp_ch{i}", ly.channels))
        for nm, vals in (("lwm", [m for m, _ in ly.lrw]), ("lws", [k for _, k in ly.lrw]),
                         ("lbm", [m for m, _ in ly.lrb]), ("lbs", [k for _, k in ly.lrb])):
            out.append(_arr("int32_t", f"sp_{nm}{i}", vals))
        w = idx[ly.weight] if ly.weight else NONE
        b = idx[ly.bias] if ly.bias else NONE
        res = lay.residuals.get(ly.op, NONE)
        row_off = lay.rows.get(ly.op, NONE)
        layer_rows.append(
            f"    {{{w}, {b}, {len(ly.channels)}, {ROUNDING[ly.rounding]}, {ly.row}, {res}, {row_off}, "
            f"{ly.row_bytes}, sp_ch{i}, "
            f"sp_lwm{i}, sp_lws{i}, sp_lbm{i}, sp_lbs{i}}},"
        )
    trainable = [idx[n] for ly in st.layers for n in (ly.weight, ly.bias) if n]
    prog.trainable = trainable
    out += [
        "static const odl_sp_step_t sp_steps[] = {", *step_rows, "};",
        "static const odl_sp_layer_t sp_layers[] = {", *layer_rows, "};",
        f"static const odl_sp_config_t odl_sp_config = {{{st.seed}u, {len(st.steps)}, {len(st.layers)}, "
        "sp_steps, sp_layers};",
        _arr("int16_t", "odl_sp_trainable", trainable),
        "const odl_train_config_t odl_train_config = {",
        f"    ODL_TRAIN_SPARSE, 0, {len(trainable)}, odl_sp_trainable, {idx[st.logits]}, 0, {st.logit_scale_q16}, "
        f"{st.forward_ops}u, 0u, 0u, &odl_sp_config,",
        "};",
    ]
    return "\n".join(out) + "\n"
