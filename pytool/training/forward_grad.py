"""Fixed-point forward gradient: compile-time side.

prepare(g, spec) moves the trainable weights to RAM as int16 (w16 = 2^7 w8,
see odl/kernels_s8w16.h) and the trainable biases as int32, reserves the
method state, and emits the const odl_fg_config_t. setup(g, spec) computes
everything both the C config and the numpy reference (forward_grad_ref.py)
use, so the two cannot drift apart. docs/design/forward-grad.md has the
arithmetic and the learning-rate normalisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pytool import host as host_ext
from pytool.codegen import T_ARENA, T_INIT, Program, lower_graph
from pytool.ir import Graph
from pytool.planner import Buffer, plan_arena
from pytool.training import TrainSpec, TrainSpecError, resolve_trainable
from pytool.training.forward_grad_act import ActSetup, emit_activity_c, perturb_of, setup_activity

W16_SHIFT = 7  # ODL_W16_SHIFT
MAX_DIRECTIONS = 32  # ODL_FG_MAX_DIRECTIONS
KIND_W16, KIND_B32 = 0, 1
LIMITS = {KIND_W16: (-(2**15), 2**15 - 1), KIND_B32: (-(2**31), 2**31 - 1)}
NO_MOMENTUM = 0xFFFFFFFF
LINEAR_MAX_OUTPUTS = 512  # accumulator cache: 12 bytes per output of the first trained FC or conv
STATE_NAME = "forward-grad state"

# Host bindings of the replay entry point (odl/forward_grad.h): registered with
# every host build, so a host model can record a step's (step, d_k) and
# replay it with odl_fg_apply (fleet learning, catch-up).
_HOST_CDEF = """
odl_status_t odl_fg_apply(odl_ctx_t *ctx, uint32_t step, const int32_t *diff, uint32_t n_diff, uint32_t *flags);
int32_t odl_host_fg_last(const odl_ctx_t *ctx, uint32_t *step, int32_t *diff);
"""
_HOST_PRELUDE = """
#include "odl/forward_grad.h"
int32_t odl_host_fg_last(const odl_ctx_t *ctx, uint32_t *step, int32_t *diff) {
    const odl_train_config_t *tc = ctx->model->train;
    if (!tc || tc->method != ODL_TRAIN_FORWARD_GRAD || !ctx->train_state) return -1;
    const odl_fg_config_t *c = (const odl_fg_config_t *)tc->method_config;
    const odl_fg_state_t *st = (const odl_fg_state_t *)ctx->train_state;
    *step = st->step;
    for (uint32_t k = 0; k < c->directions; ++k) diff[k] = st->diff[k];
    return (int32_t)c->directions;
}
"""
if (_HOST_CDEF, _HOST_PRELUDE) not in host_ext.EXTENSIONS:
    host_ext.EXTENSIONS.append((_HOST_CDEF, _HOST_PRELUDE))


def last_step(net) -> tuple[int, list[int]]:
    """(step counter, d_0..d_m-1) of a host model after a forward-gradient
    step: the step that was taken is counter - 1."""
    step = net.ffi.new("uint32_t *")
    diff = net.ffi.new("int32_t[]", MAX_DIRECTIONS)
    m = net.lib.odl_host_fg_last(net.ctx, step, diff)
    if m < 0:
        raise TrainSpecError("the host model does not train with forward-grad")
    return int(step[0]), [int(diff[k]) for k in range(m)]


def replay(net, step: int, diffs: list[int]) -> int:
    """odl_fg_apply on a host model: applies step `step` from its scalars;
    returns the step flags (ODL_STEP_CLIPPED)."""
    flags = net.ffi.new("uint32_t *")
    arr = net.ffi.new("int32_t[]", [int(d) for d in diffs])
    net.check(net.lib.odl_fg_apply(net.ctx, step & 0xFFFFFFFF, arr, len(diffs), flags), "odl_fg_apply")
    return int(flags[0])


@dataclass
class FgTensor:
    name: str
    kind: int  # KIND_W16 | KIND_B32
    op_index: int
    init: np.ndarray  # initial stored value (int16 or int32)
    unit_shift: int  # log2(storage units per quantization unit)
    eps: int
    lr_mult: int
    lr_shift: int
    lo: int
    hi: int
    group: int = 0  # perturbed in directions k with k % groups == group


@dataclass
class FgSetup:
    seed: int
    directions: int
    sign: bool
    momentum_q15: int
    loss: str
    logits: str
    logit_scale_q16: int
    logit_zero_point: int
    first_op: int
    forward_ops: int
    tensors: list[FgTensor] = field(default_factory=list)
    groups: int = 1
    # slot of a FULLY_CONNECTED or CONV_2D weight at first_op whose perturbed outputs the
    # device computes from its accumulators (linear_outputs of them), or -1
    linear: int = -1
    linear_outputs: int = 0
    # activity perturbation (forward_grad_act.py), or None: weight perturbation
    activity: ActSetup | None = None

    def in_dir(self, t: FgTensor, k: int) -> bool:
        return self.groups <= 1 or k % self.groups == t.group

    def directions_of(self, group: int) -> int:
        """How many of the m directions perturb a group."""
        if self.groups <= 1:
            return self.directions
        return len(range(group, self.directions, self.groups))

    @property
    def persistent(self) -> dict[str, np.ndarray]:
        return {t.name: t.init for t in self.tensors}


GROUPINGS = ("none", "layer", "tensor")


@dataclass(frozen=True)
class FgKnobs:
    """Forward-gradient settings beyond TrainSpec's common fields, read from
    TrainSpec.extra (keys "fg_<name>"); what `--lr auto` sweeps besides lr,
    directions and epsilon.

    groups: which tensors a direction perturbs together: "none" (all, every
      direction), "layer" (direction k perturbs layer k % L only: one layer's
      noise never enters another layer's estimate), "tensor" (same per tensor).
    lr_positions: divide a conv layer's lr by its output positions (out_h *
      out_w share each weight, so its gradient in LSB units is that much larger).
    """

    groups: str = "none"
    lr_positions: bool = False

    @classmethod
    def of(cls, spec: TrainSpec) -> FgKnobs:
        ex = spec.extra or {}
        k = cls(groups=str(ex.get("fg_groups", cls.groups)),
                lr_positions=str(ex.get("fg_lr_positions", cls.lr_positions)).lower() in ("1", "true", "yes"))
        if k.groups not in GROUPINGS:
            raise TrainSpecError(f"fg_groups {k.groups!r}: choose one of {', '.join(GROUPINGS)}")
        return k


def output_positions(g: Graph, op_index: int) -> int:
    """Output positions that share one weight of a conv / depthwise layer
    (out_h * out_w, times the batch); 1 for fully connected per sample."""
    op = g.ops[op_index]
    if op.type == "FULLY_CONNECTED":
        return 1
    shape = g.tensors[op.outputs[0]].shape
    return int(np.prod(shape[:-1]))


def check_hyper(spec: TrainSpec) -> None:
    """Forward-gradient options that cannot work, rejected with the flag named."""
    spec.validate()
    if not isinstance(spec.directions, int) or not 1 <= spec.directions <= MAX_DIRECTIONS:
        raise TrainSpecError(f"--directions {spec.directions}: must be an integer in [1, {MAX_DIRECTIONS}]")
    if not math.isfinite(spec.epsilon) or spec.epsilon <= 0:
        raise TrainSpecError(f"--epsilon {spec.epsilon}: the perturbation must be > 0 (in int8 weight LSBs)")
    if spec.epsilon > 64:
        raise TrainSpecError(f"--epsilon {spec.epsilon}: at most 64 int8 LSBs (half the weight range)")
    if spec.loss not in ("ce", "mse"):
        raise TrainSpecError(f"--loss {spec.loss!r}: choose ce or mse")


def logits_of(g: Graph) -> tuple[str, int]:
    """The tensor the loss reads and the number of ops that produce it: the
    input of a trailing SOFTMAX, else the first graph output."""
    producer = {n: i for i, op in enumerate(g.ops) for n in op.outputs}
    out = g.outputs[0]
    k = producer.get(out)
    if k is not None and g.ops[k].type == "SOFTMAX":
        out = g.ops[k].inputs[0]
        k = producer.get(out)
    if k is None:
        raise TrainSpecError(f"the loss needs logits computed by the graph; '{out}' is a graph input")
    t = g.tensors[out]
    if t.dtype != "int8" or t.quant is None:
        raise TrainSpecError(f"logits tensor '{out}' is {t.dtype}; forward-grad needs int8 logits")
    return out, k + 1


def _bias_unit_shift(g: Graph, op_inputs: list[str], op_out: str) -> int:
    """One output LSB expressed in bias LSBs, rounded to a power of two."""
    sx = float(g.tensors[op_inputs[0]].quant.scale[0])
    sw = np.asarray(g.tensors[op_inputs[1]].quant.scale, np.float64)
    sy = float(g.tensors[op_out].quant.scale[0])
    ratio = float(np.median(sy / (sx * sw)))
    return int(np.clip(round(math.log2(max(ratio, 1.0))), 0, 24))


def lr_factor(lr: float, unit_shift: int, eps: int, directions: int, sign: bool) -> float:
    """Storage units moved per unit of S = sum_k d_k z_k (Q16.16 loss units).

    SGD in quantization units: the gradient per unit is d / (2 eps_units),
    the step in units lr * g, stored as units * 2^unit_shift."""
    if sign:
        return lr * 2.0**unit_shift / (directions * 65536.0)
    return lr * 4.0**unit_shift / (2.0 * eps * directions * 65536.0)


def split_factor(f: float, what: str, lr: float) -> tuple[int, int]:
    """f = lr_mult / 2^lr_shift with a 15-bit lr_mult."""
    if f <= 0 or not math.isfinite(f):
        raise TrainSpecError(f"--lr {lr}: gives no update for {what}")
    shift = 14 - math.floor(math.log2(f))
    mult = round(f * 2.0**shift)
    if mult >= 2**15:
        mult, shift = round(f * 2.0 ** (shift - 1)), shift - 1
    if shift < 0:
        raise TrainSpecError(f"--lr {lr}: too large for {what} (one loss unit would move it {f:.3g} LSBs)")
    if shift > 62:
        raise TrainSpecError(f"--lr {lr}: too small for {what}: every update would round to zero")
    return int(mult), int(shift)


def setup(g: Graph, spec: TrainSpec) -> FgSetup:
    check_hyper(spec)
    logits, forward_ops = logits_of(g)
    layers = resolve_trainable(g, spec.trainable)
    for ly in layers:
        if ly.op_index >= forward_ops:
            raise TrainSpecError(f"--trainable: layer #{ly.op_index} ({ly.op_type}) runs after the logits '{logits}'")
    knobs = FgKnobs.of(spec)
    activity = perturb_of(spec) == "activity"
    lq = g.tensors[logits].quant
    st = FgSetup(
        seed=int(spec.seed) & 0xFFFFFFFF,
        directions=1 if activity else spec.directions,
        sign=bool(spec.sign),
        momentum_q15=int(round(spec.momentum * 32768)),
        loss=spec.loss,
        logits=logits,
        logit_scale_q16=int(round(float(lq.scale[0]) * 65536)),
        logit_zero_point=int(lq.zero_point[0]),
        first_op=min(ly.op_index for ly in layers),
        forward_ops=forward_ops,
    )
    if st.logit_scale_q16 <= 0:
        raise TrainSpecError(f"logits tensor '{logits}' has a scale below 2^-17; the Q16.16 loss cannot read it")
    parts_of = []
    for ly in layers:
        op = g.ops[ly.op_index]
        parts = []
        if ly.weight is not None:
            w = g.tensors[ly.weight]
            if w.dtype != "int8" or w.data is None:
                raise TrainSpecError(f"--trainable: weight '{ly.weight}' is {w.dtype}; int8 constants train")
            parts.append((ly.weight, KIND_W16, w.data.astype(np.int16) * (1 << W16_SHIFT), W16_SHIFT))
        if ly.bias is not None:
            b = g.tensors[ly.bias]
            parts.append((ly.bias, KIND_B32, b.data.astype(np.int32), _bias_unit_shift(g, op.inputs, op.outputs[0])))
        parts_of.append(parts)
    n_tensors = sum(len(p) for p in parts_of)
    # more groups than directions: groups share directions round-robin
    st.groups = min(st.directions, {"none": 1, "layer": len(parts_of), "tensor": n_tensors}[knobs.groups])
    slot = 0
    for li, parts in enumerate(parts_of):
        for name, kind, init, us in parts:
            group = {"none": 0, "layer": li, "tensor": slot}[knobs.groups] % st.groups
            slot += 1
            # activity perturbation never perturbs a stored value: the band is the type's range
            eps = 1 if activity else max(1, round(spec.epsilon * 2**us))
            lo, hi = LIMITS[kind][0] + eps, LIMITS[kind][1] - eps
            if init.size and (int(init.min()) < lo or int(init.max()) > hi):
                raise TrainSpecError(
                    f"--epsilon {spec.epsilon}: '{name}' holds values up to {int(np.abs(init).max())} and "
                    f"+-{eps} would leave the {np.dtype(init.dtype).name} range; use a smaller epsilon"
                )
            if activity:  # its rates are per output row (forward_grad_act.setup_activity)
                mult, shift = 1, 0
            else:
                lr = spec.lr / (output_positions(g, layers[li].op_index) if knobs.lr_positions else 1)
                f = lr_factor(lr, us, eps, st.directions_of(group), spec.sign)
                mult, shift = split_factor(f, f"'{name}'", spec.lr)
            st.tensors.append(FgTensor(name, kind, layers[li].op_index, init, us, eps, mult, shift, lo, hi, group))
    if not st.tensors:
        raise TrainSpecError(f"--trainable {spec.trainable!r} selects no tensor")
    if activity:
        st.activity = setup_activity(g, spec, st)
        return st
    first = g.ops[st.first_op]
    n_out = int(np.prod(g.tensors[first.outputs[0]].shape))
    if first.type in ("FULLY_CONNECTED", "CONV_2D") and n_out <= LINEAR_MAX_OUTPUTS:
        for i, t in enumerate(st.tensors):
            if t.kind == KIND_W16 and t.op_index == st.first_op:
                st.linear, st.linear_outputs = i, n_out
    return st


def _z_table_bytes(g: Graph, st) -> int:
    """ODL_FC_Z_TABLE_BYTES / ODL_CONV_Z_COLS_BYTES of the linear first layer
    (odl/kernels_s8w16.h): its input's sign-pattern tables (FC, one batch of
    32 or 64 inputs: 8 bytes per input) or im2col columns (conv), built once
    per step instead of once per direction."""
    if st.linear < 0:
        return 0
    w = g.tensors[g.ops[st.first_op].inputs[1]].shape
    if g.ops[st.first_op].type == "CONV_2D":  # ODL_CONV_Z_COLS_BYTES: every pixel's column, int16, up to 4 KiB
        cols = 2 * (st.linear_outputs // int(w[0])) * int(np.prod(w[1:]))
        return (cols + 3) & ~3 if cols <= 4096 else 0
    batches = st.linear_outputs // int(w[0])
    return 8 * int(w[1]) if batches == 1 and int(w[1]) in (32, 64) else 0


def _momentum_name(t: FgTensor) -> str:
    return f"momentum:{t.name}"


def _protect_boundary(prog: Program, first_op: int, forward_ops: int) -> None:
    """Perturbed passes rerun ops [first_op, forward_ops): the graph inputs and
    the tensors made before first_op that are read there must survive those
    ops, so their lifetimes are extended and the arena is planned again (with
    first_op == 0 the input image itself would otherwise be overwritten by a
    later op's output before the next pass reads it)."""
    made_before = set(prog.inputs)
    for op in prog.ops[:first_op]:
        made_before.update(op.outputs)
    keep = {prog.tensors[i].name for op in prog.ops[first_op:forward_ops] for i in op.inputs if i in made_before}
    plan = prog.plan
    bufs = [
        Buffer(b.name, b.size, b.first, max(b.last, forward_ops - 1) if b.name in keep else b.last)
        for b in plan.buffers.values()
    ]
    pers = [(n, s) for n, (_, s) in plan.persistent.items()]
    new = plan_arena(bufs, plan.n_ops, pers)
    new.const_bytes, new.extra = plan.const_bytes, dict(plan.extra)
    for t in prog.tensors:
        if t.flags & T_ARENA and not t.flags & T_INIT:
            t.offset = new.offset(t.name)
    prog.plan = new


def prepare(g: Graph, spec: TrainSpec) -> tuple[Program, str]:
    st = setup(g, spec)
    act_bytes = st.activity.state_bytes if st.activity else 0
    state = [(STATE_NAME, 4 + 4 * st.directions + 12 * st.linear_outputs + _z_table_bytes(g, st) + act_bytes)]
    if st.momentum_q15:
        state += [(_momentum_name(t), 4 * t.init.size) for t in st.tensors]
    prog = lower_graph(g, persistent=st.persistent, state=state)
    _protect_boundary(prog, st.first_op, st.forward_ops)
    plan = prog.plan
    w16 = sum(t.init.nbytes for t in st.tensors if t.kind == KIND_W16)
    b32 = sum(t.init.nbytes for t in st.tensors if t.kind == KIND_B32)
    # Labelled parts of the arena's persistent region (not RAM on top of it).
    plan.extra["trainable weights (int16)"] = w16
    if b32:
        plan.extra["trainable biases (int32)"] = b32
    plan.extra[STATE_NAME] = plan.persistent[STATE_NAME][1]
    if st.momentum_q15:
        plan.extra["momentum (int32)"] = sum(4 * t.init.size for t in st.tensors)
    return prog, emit_train_c(prog, st)


def emit_train_c(prog: Program, st: FgSetup) -> str:
    idx = prog.index
    rows = []
    for t in st.tensors:
        mom = prog.plan.persistent[_momentum_name(t)][0] if st.momentum_q15 else NO_MOMENTUM
        rows.append(
            f"    {{{idx[t.name]}, {t.kind}, {t.group}, {t.eps}, {t.lr_mult}, {t.lr_shift}, {t.lo}, {t.hi}, {mom}u}},"
            f" /* {t.name} */"
        )
    state_off, state_size = prog.plan.persistent[STATE_NAME]
    prog.trainable = [idx[t.name] for t in st.tensors]
    return "\n".join([
        '#include "odl/forward_grad.h"',
        *([emit_activity_c(st.activity)] if st.activity else []),
        f"static const int16_t odl_fg_trainable[] = {{{', '.join(str(idx[t.name]) for t in st.tensors)}}};",
        "static const odl_fg_tensor_t odl_fg_tensors[] = {",
        *rows,
        "};",
        "static const odl_fg_config_t odl_fg_config = {",
        f"    {st.seed}u, {st.directions}, {int(st.sign)}, {st.groups}, {st.first_op}u, {st.momentum_q15}, "
        f"{len(st.tensors)}, {st.linear + 1}, odl_fg_tensors, {'&odl_fg_activity' if st.activity else '0'},",
        "};",
        "const odl_train_config_t odl_train_config = {",
        f"    ODL_TRAIN_FORWARD_GRAD, {0 if st.loss == 'ce' else 1}, {len(st.tensors)}, odl_fg_trainable, "
        f"{idx[st.logits]}, 0, {st.logit_scale_q16}, {st.forward_ops}u, {state_off}u, {state_size}u, "
        "&odl_fg_config,",
        "};",
    ]) + "\n"
