"""FP16 backprop: split the graph at the first trainable layer, keep the int8
backbone below it frozen, and train the part above in FP16.

prepare(g, spec) lowers the whole int8 graph (odl_invoke still runs the
factory model), places every FP16 buffer in the arena's persistent region and
emits the odl_fp16_config_t that runtime_c/src/train/fp16_backprop.c executes.
The same Fp16Plan drives the numpy twin (fp16_ref.Fp16Reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pytool.codegen import T_ARENA, T_INIT, T_TRAINABLE, CTensor, Program, lower_graph
from pytool.ir import Graph
from pytool.ops.common import conv_out_size, conv_pad
from pytool.ops.conv_2d import pair
from pytool.reference import _dequant_const
from pytool.training import TrainSpec, TrainSpecError, fp16_ops, resolve_trainable
from pytool.training.fp16_ref import ACTS, to_f16

KINDS = {"FC": 1, "CONV": 2, "PWCONV": 3, "DWCONV": 4, "AVGPOOL": 5, "MEAN": 6, "MAXPOOL": 7,
         "ADD": 8, "ACT": 9, "RESHAPE": 10, **fp16_ops.KINDS}
OP_KIND = {"FULLY_CONNECTED": "FC", "CONV_2D": "CONV", "DEPTHWISE_CONV_2D": "DWCONV",
           "AVERAGE_POOL_2D": "AVGPOOL", "MEAN": "MEAN", "MAX_POOL_2D": "MAXPOOL", "ADD": "ADD",
           "RELU": "ACT", "RELU6": "ACT", "RESHAPE": "RESHAPE", **fp16_ops.OP_KIND}
GEO_KEYS = ("stride_h", "stride_w", "pad_top", "pad_left", "dil_h", "dil_w", "filter_h", "filter_w",
            "depth_multiplier", "act")
VARS_NAME = "fp16.vars"
GRADS_NAME = "fp16.grads"
VARS_BYTES = 24  # sizeof(odl_fp16_vars_t)


@dataclass
class Slot:
    name: str  # IR tensor name
    shape: tuple[int, ...]  # IR shape
    dims: tuple[int, int, int, int]  # as the kernels read it
    kind: str  # activation | boundary | param
    grad: bool
    trainable: bool = False
    init: np.ndarray | None = None  # float32 values (FP16-representable) of a param
    value_off: int = -1
    grad_off: int = -1
    master_off: int = -1
    opt_off: int = -1

    @property
    def numel(self) -> int:
        return int(np.prod(self.dims))


@dataclass
class Layer:
    kind: str
    op_index: int
    op_type: str
    in0: int
    out: int
    in1: int = -1
    weight: int = -1
    bias: int = -1
    geo: dict = field(default_factory=dict)


@dataclass
class Fp16Plan:
    slots: list[Slot]
    layers: list[Layer]
    boundaries: list[tuple[str, int]]  # (int8 tensor, slot)
    logits: int
    logits_name: str
    first_op: int
    forward_ops: int
    spec: TrainSpec

    @property
    def params(self) -> list[int]:
        return [i for i, s in enumerate(self.slots) if s.trainable]

    @property
    def static_scale(self) -> float | None:
        return None if self.spec.loss_scale == "dynamic" else float(self.spec.loss_scale)

    def hyper(self) -> dict:
        sp = self.spec
        ex = sp.extra or {}
        return {
            "optimizer": sp.optimizer, "lr": sp.lr, "momentum": sp.momentum,
            "beta1": float(ex.get("beta1", 0.9)), "beta2": float(ex.get("beta2", 0.999)),
            "eps": float(ex.get("eps", 1e-4)),  # 1e-8 vanishes against FP16-sized gradients
            "loss_scale": float(ex.get("initial_scale", 1024.0)) if self.static_scale is None else self.static_scale,
            "dynamic": self.static_scale is None,
            "loss_scale_max": float(ex.get("max_scale", 65536.0)),
            "growth_interval": int(ex.get("growth_interval", 200)),
            "master": bool(sp.master_fp32), "loss": sp.loss,
        }


def _dims4(shape: tuple[int, ...], weight: bool) -> tuple[int, int, int, int]:
    s = tuple(int(d) for d in shape)
    if weight or len(s) == 4:
        return (s + (1, 1, 1, 1))[:4]
    if len(s) == 1:
        return (1, 1, 1, s[0])
    if len(s) == 2:
        return (s[0], 1, 1, s[1])
    return (s[0], 1, s[1], s[2])


def _logits(g: Graph) -> tuple[str, int]:
    producer = {n: i for i, op in enumerate(g.ops) for n in op.outputs}
    out = g.outputs[0]
    k = producer.get(out)
    if k is not None and g.ops[k].type == "SOFTMAX":
        out = g.ops[k].inputs[0]
        k = producer.get(out)
    if k is None:
        raise TrainSpecError(f"fp16: the loss needs logits computed by the graph; '{out}' is a graph input")
    return out, k


def _check_spec(spec: TrainSpec) -> None:
    if spec.optimizer not in ("sgd", "adam"):
        raise TrainSpecError(f"--optimizer {spec.optimizer!r}: choose sgd or adam")
    if spec.loss_scale != "dynamic":
        try:
            s = float(spec.loss_scale)
        except ValueError:
            raise TrainSpecError(f"--loss-scale {spec.loss_scale!r}: use 'dynamic' or a number") from None
        if not (s >= 1 and s <= 65536 and float(np.log2(s)).is_integer()):
            raise TrainSpecError(f"--loss-scale {spec.loss_scale}: a static scale must be a power of two in [1, 65536]")


def _geometry(g: Graph, op, kind: str) -> dict:
    geo = dict.fromkeys(GEO_KEYS, 0)
    geo.update(stride_h=1, stride_w=1, dil_h=1, dil_w=1, depth_multiplier=1)
    act = op.attrs.get("activation", "NONE") if op.type not in ("RELU", "RELU6") else op.type
    if act not in ACTS:
        raise TrainSpecError(f"fp16: {op.type} '{op.name}' has activation {act}; supported: NONE, RELU, RELU6")
    geo["act"] = ACTS[act]
    if kind in ("CONV", "DWCONV", "AVGPOOL", "MAXPOOL"):
        x = g.tensors[op.inputs[0]].shape
        if kind in ("AVGPOOL", "MAXPOOL"):
            k_hw, dil = pair(op, "filter"), (1, 1)
            geo.update(filter_h=k_hw[0], filter_w=k_hw[1])
        else:
            w = g.tensors[op.inputs[1]].shape
            k_hw, dil = (w[1], w[2]), pair(op, "dilation")
            if kind == "DWCONV":
                geo["depth_multiplier"] = w[3] // x[3]
        stride = pair(op, "stride")
        padding = op.attrs.get("padding", "VALID")
        geo.update(stride_h=stride[0], stride_w=stride[1], dil_h=dil[0], dil_w=dil[1],
                   pad_top=conv_pad(x[1], k_hw[0], stride[0], dil[0], padding),
                   pad_left=conv_pad(x[2], k_hw[1], stride[1], dil[1], padding))
        out = g.tensors[op.outputs[0]].shape
        for i in range(2):
            if conv_out_size(x[1 + i], k_hw[i], stride[i], dil[i], padding) != out[1 + i]:
                raise TrainSpecError(f"fp16: {op.type} '{op.name}' output shape does not match its geometry")
    return geo


def build_plan(g: Graph, spec: TrainSpec) -> Fp16Plan:
    _check_spec(spec)
    trainable_layers = resolve_trainable(g, spec.trainable)
    trainable = {n for ly in trainable_layers for n in (ly.weight, ly.bias) if n}
    first_op = min(ly.op_index for ly in trainable_layers)
    logits_name, last_op = _logits(g)
    if last_op < first_op:
        raise TrainSpecError("fp16: the trainable layers must lie before the logits")
    slots: list[Slot] = []
    index: dict[str, int] = {}
    boundaries: list[tuple[str, int]] = []
    produced = {n for op in g.ops[first_op : last_op + 1] for n in op.outputs}

    def slot(name: str, kind: str, grad: bool) -> int:
        if name not in index:
            t = g.tensors[name]
            s = Slot(name, tuple(t.shape), _dims4(t.shape, kind == "param"), kind, grad)
            if kind == "param":
                s.trainable = name in trainable
                s.grad = s.trainable
                s.init = to_f16(_dequant_const(t).astype(np.float32))
            index[name] = len(slots)
            slots.append(s)
            if kind == "boundary":
                if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
                    raise TrainSpecError(f"fp16: boundary tensor '{name}' must be per-tensor int8, is {t.dtype}")
                boundaries.append((name, index[name]))
        return index[name]

    def act_slot(name: str) -> int:
        return slot(name, "activation", True) if name in produced else slot(name, "boundary", False)

    layers: list[Layer] = []
    for i in range(first_op, last_op + 1):
        op = g.ops[i]
        kind = OP_KIND.get(op.type)
        if kind is None:
            raise TrainSpecError(
                f"fp16: {op.label(i)} cannot train in FP16; supported: {', '.join(sorted(OP_KIND))}"
            )
        geo = _geometry(g, op, kind)
        if kind in fp16_ops.KINDS:
            geo = dict(zip(GEO_KEYS, fp16_ops.words(g, op, kind, op.label(i))[:9] + [geo["act"]]))
        ly = Layer(kind, i, op.type, in0=act_slot(op.inputs[0]), out=-1, geo=geo)
        if kind in ("FC", "CONV", "DWCONV"):
            ly.weight = slot(op.inputs[1], "param", False)
            if len(op.inputs) > 2 and op.inputs[2]:
                ly.bias = slot(op.inputs[2], "param", False)
            w = g.tensors[op.inputs[1]].shape
            if kind == "CONV" and w[1] == 1 and w[2] == 1 and geo["stride_h"] == geo["stride_w"] == 1 \
                    and geo["pad_top"] == geo["pad_left"] == 0:
                ly.kind = "PWCONV"
        elif kind in ("MUL", "CONCAT"):
            ly.in1 = act_slot(op.inputs[1])
        elif kind == "ADD":
            if g.tensors[op.inputs[0]].shape != g.tensors[op.inputs[1]].shape:
                raise TrainSpecError(f"fp16: {op.label(i)} broadcasts; only same-shape ADD trains")
            ly.in1 = act_slot(op.inputs[1])
        elif kind == "MEAN":
            axes = sorted(int(a) % 4 for a in np.asarray(g.tensors[op.inputs[1]].data).reshape(-1))
            if axes != [1, 2]:
                raise TrainSpecError(f"fp16: {op.label(i)} reduces axes {axes}; only MEAN over H, W trains")
        ly.out = slot(op.outputs[0], "activation", True)
        layers.append(ly)
    # Boundary tensors never need a gradient: everything below them is frozen.
    return Fp16Plan(slots, layers, boundaries, index[logits_name], logits_name, first_op, first_op, spec)


def _state_regions(plan: Fp16Plan) -> list[tuple[str, int]]:
    h = plan.hyper()
    regions = [(VARS_NAME, VARS_BYTES)]
    grad_off = 0
    for s in plan.slots:
        if s.grad:
            s.grad_off = grad_off  # relative for now
            grad_off += 2 * s.numel + (2 * s.numel) % 4  # keep FP16 rows 4-byte aligned
    regions.append((GRADS_NAME, max(grad_off, 4)))
    for s in plan.slots:
        regions.append((f"fp16:{s.name}", 2 * s.numel))
        if s.trainable and h["master"]:
            regions.append((f"fp16.master:{s.name}", 4 * s.numel))
        if s.trainable and (h["optimizer"] == "adam" or h["momentum"] > 0):
            regions.append((f"fp16.opt:{s.name}", (8 if h["optimizer"] == "adam" else 4) * s.numel))
    return regions


def prepare(g: Graph, spec: TrainSpec) -> tuple[Program, str]:
    plan = build_plan(g, spec)
    prog = lower_graph(g, state=_state_regions(plan))
    pers = prog.plan.persistent
    grad_base = pers[GRADS_NAME][0]
    for s in plan.slots:
        s.value_off = pers[f"fp16:{s.name}"][0]
        if s.grad:
            s.grad_off += grad_base
        s.master_off = pers.get(f"fp16.master:{s.name}", (-1, 0))[0]
        s.opt_off = pers.get(f"fp16.opt:{s.name}", (-1, 0))[0]
        # Table entries so hosts and the link can read FP16 tensors by name.
        ct = CTensor(f"fp16:{s.name}", "float16", s.shape, flags=T_ARENA, offset=s.value_off)
        if s.kind == "param":
            ct.flags |= T_INIT | (T_TRAINABLE if s.trainable else 0)
            ct.data = s.init.astype(np.float16).reshape(s.shape)
        prog.index[ct.name] = len(prog.tensors)
        prog.tensors.append(ct)
        if s.grad:
            gname = f"fp16.grad:{s.name}"
            prog.index[gname] = len(prog.tensors)
            prog.tensors.append(CTensor(gname, "float16", s.shape, flags=T_ARENA, offset=s.grad_off))
    prog.persistent += [f"fp16:{s.name}" for s in plan.slots if s.kind == "param"]
    extra = prog.plan.extra
    act = [s for s in plan.slots if s.kind != "param"]
    par = [s for s in plan.slots if s.kind == "param"]
    # Labelled parts of the persistent region (not RAM on top of the arena).
    extra["fp16 activations"] = sum(2 * s.numel for s in act)
    extra["fp16 activation gradients"] = sum(2 * s.numel for s in act if s.grad)
    extra["fp16 weights"] = sum(2 * s.numel for s in par)
    extra["fp16 weight gradients"] = sum(2 * s.numel for s in par if s.grad)
    extra["optimizer state (fp32)"] = sum(pers[f"fp16.opt:{s.name}"][1] for s in par if s.opt_off >= 0)
    extra["master weights (fp32)"] = sum(4 * s.numel for s in par if s.master_off >= 0)
    return prog, emit_train_c(prog, plan)


def emit_train_c(prog: Program, plan: Fp16Plan) -> str:
    h = plan.hyper()
    pers = prog.plan.persistent
    rows = [
        f"    {{{s.value_off}, {s.grad_off if s.grad else -1}, {s.master_off}, {s.opt_off}, "
        f"{{{', '.join(str(d) for d in s.dims)}}}}}, /* {k}: {s.name} */"
        for k, s in enumerate(plan.slots)
    ]
    lays = [
        f"    {{{KINDS[ly.kind]}, {{0, 0, 0}}, {ly.in0}, {ly.in1}, {ly.weight}, {ly.bias}, {ly.out}, 0, "
        f"{{{', '.join(str(int(ly.geo[k])) for k in GEO_KEYS)}}}}}, /* op {ly.op_index}: {ly.op_type} */"
        for ly in plan.layers
    ]
    bnd = [f"    {{{prog.index[n]}, {k}}}," for n, k in plan.boundaries]
    params = plan.params or [-1]
    trainable_idx = [prog.index[f"fp16:{plan.slots[k].name}"] for k in plan.params]
    prog.trainable = trainable_idx
    grads_off, grads_size = pers[GRADS_NAME]
    state_lo = min(off for off, _ in pers.values())
    state_hi = max(off + size for off, size in pers.values())

    def f(x: float) -> str:
        return f"{float(np.float32(x))!r}f"

    return "\n".join([
        '#include "odl/train_fp16.h"',
        "static const odl_f16_slot_t odl_fp16_slots[] = {", *rows, "};",
        "static const odl_f16_layer_t odl_fp16_layers[] = {", *lays, "};",
        "static const odl_f16_boundary_t odl_fp16_boundaries[] = {", *(bnd or ["    {-1, -1},"]), "};",
        f"static const int16_t odl_fp16_params[] = {{{', '.join(map(str, params))}}};",
        f"static const int16_t odl_fp16_trainable[] = {{{', '.join(map(str, trainable_idx or [-1]))}}};",
        "static const odl_fp16_config_t odl_fp16_config = {",
        f"    {len(plan.slots)}, {len(plan.layers)}, {len(plan.boundaries)}, {len(plan.params)},",
        "    odl_fp16_slots, odl_fp16_layers, odl_fp16_boundaries, odl_fp16_params,",
        f"    {plan.logits}, {1 if h['optimizer'] == 'adam' else 0}, {int(h['dynamic'])},",
        f"    {f(h['lr'])}, {f(h['momentum'])}, {f(h['beta1'])}, {f(h['beta2'])}, {f(h['eps'])},",
        f"    {f(h['loss_scale'])}, {f(h['loss_scale_max'])}, {h['growth_interval']}u,",
        f"    {pers[VARS_NAME][0]}, {grads_off}, {grads_size},",
        "};",
        "const odl_train_config_t odl_train_config = {",
        f"    ODL_TRAIN_FP16, {0 if h['loss'] == 'ce' else 1}, {len(trainable_idx)}, odl_fp16_trainable, "
        f"{prog.index[f'fp16:{plan.logits_name}']}, 0, 0, {plan.forward_ops}u, {state_lo}u, "
        f"{state_hi - state_lo}u, &odl_fp16_config,",
        "};",
    ]) + "\n"
