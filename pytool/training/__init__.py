"""Training specs shared by the three methods, and their dispatch.

A method module pytool/training/<method>.py provides
``prepare(g, spec) -> (Program, train_c)``: it lowers the graph with its
trainable tensors moved to RAM (codegen.lower_graph(persistent=..., state=...))
and returns the C text that defines ``const odl_train_config_t
odl_train_config`` (plus its method config) for model.c.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import asdict, dataclass, field

from pytool.ir import Graph

METHODS = {"forward-grad": "forward_grad", "sparse": "sparse", "fp16": "fp16"}
# Each method's hook table in the C runtime (runtime_c/include/odl/train_methods.def).
HOOKS = {"forward-grad": "odl_fg_hooks", "sparse": "odl_sparse_hooks", "fp16": "odl_fp16_hooks"}
WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


class TrainSpecError(ValueError):
    """A training option that cannot work; the message names the option."""


# What each method starts from when a flag is not given (tuned on the digits
# shift task; see docs/training.md).
METHOD_DEFAULTS = {
    # auto: last:1, or last:2 when the --lr auto sweep finds it learns more (pytool/training/autolr.py)
    # halve: the rate halves each epoch (the host sets it on the device, docs/design/train-defaults.md);
    # with --lr auto the first epoch's rate is twice the sweep's constant pick
    "forward-grad": {"trainable": "auto", "lr": 2.0, "epsilon": 4.0, "directions": 8, "lr_schedule": "halve"},
    "sparse": {"lr": 0.006, "lr_schedule": "halve"},
    # auto: as many layers as fp16 trains within --ram (pytool/training/defaults.py)
    "fp16": {"trainable": "auto", "lr": 0.005, "momentum": 0.0, "lr_schedule": "halve"},
}


# --lr-schedule: the rate of epoch e (0-based) is lr / 2^shift(e), set on the device by the host
# (odl_train_set_lr_shift; every method takes it).
LR_SCHEDULES = ("constant", "halve")
MAX_LR_SHIFT = 15  # ODL_TRAIN_MAX_LR_SHIFT


# Largest --lr each method accepts. Forward gradient's rate is in quantization units per unit of
# projected gradient, normalised by the directions: at 32 directions the best rates on the AIfES
# nets reach 10-20 (docs/design/train-defaults.md).
MAX_LR = {"forward-grad": 32.0}


@dataclass
class TrainSpec:
    method: str = "forward-grad"
    trainable: str = "last:1"  # last:N | bias | comma-separated tensor names
    loss: str = "ce"  # ce (softmax cross-entropy) | mse
    optimizer: str = "sgd"  # sgd | adam (fp16)
    lr: float = 0.01
    lr_schedule: str = "constant"  # constant | halve (per epoch, set on the device by the host)
    momentum: float = 0.0
    seed: int = 0
    # forward gradient
    directions: int = 4
    epsilon: float = 1.0
    sign: bool = False
    # sparse update
    scheme: str | None = None  # path to a scheme.toml, or None for automatic
    ram: int | None = None
    # fp16
    loss_scale: str = "dynamic"  # dynamic | <static float>
    master_fp32: bool = False
    # device loss-spike guard: skip a step whose loss is > 2x the running mean
    # and > mean + guard_sigma·std (0 = off)
    guard_sigma: float = 0.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def for_method(cls, method: str, **overrides) -> TrainSpec:
        """A spec with the method's defaults; None-valued overrides are ignored."""
        values = dict(METHOD_DEFAULTS.get(method, {}))
        given = {k: v for k, v in overrides.items() if v is not None}
        if method == "fp16" and "lr" not in given and given.get("momentum"):
            # heavy-ball momentum multiplies the step by 1/(1-β): keep the default's effective step
            values["lr"] = values["lr"] * (1.0 - given["momentum"])
        values.update(given)
        return cls(method=method, **values)

    def validate(self) -> None:
        if self.method not in METHODS:
            raise TrainSpecError(f"--train {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.loss not in ("ce", "mse"):
            raise TrainSpecError(f"--loss {self.loss!r}: choose ce or mse")
        top = MAX_LR.get(self.method, 10.0)
        if not (0.0 < self.lr <= top):
            raise TrainSpecError(f"--lr {self.lr}: the learning rate must be in (0, {top:g}]")
        if self.lr_schedule not in LR_SCHEDULES:
            raise TrainSpecError(f"--lr-schedule {self.lr_schedule!r}: choose one of {', '.join(LR_SCHEDULES)}")
        if not (0.0 <= self.momentum < 1.0):
            raise TrainSpecError(f"--momentum {self.momentum}: must be in [0, 1)")
        if not (self.guard_sigma == 0 or 1.0 <= self.guard_sigma <= 64.0):
            raise TrainSpecError(f"--guard-sigma {self.guard_sigma}: 0 (off) or between 1 and 64")

    def lr_shift(self, epoch: int) -> int:
        """Rate shift of epoch `epoch` (0-based): that epoch trains at lr / 2^shift."""
        return min(epoch, MAX_LR_SHIFT) if self.lr_schedule == "halve" else 0

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]

    def to_meta(self) -> dict:
        return asdict(self)


@dataclass
class TrainableLayer:
    op_index: int
    op_type: str
    weight: str | None  # tensor name, None when only the bias trains
    bias: str | None


def weighted_layers(g: Graph) -> list[int]:
    return [i for i, op in enumerate(g.ops) if op.type in WEIGHTED_OPS]


def resolve_trainable(g: Graph, spec: str) -> list[TrainableLayer]:
    """'last:N' -> the last N conv/depthwise/FC layers (weights + bias);
    'bias' -> every bias; otherwise comma-separated tensor names. Training
    never goes through float32 ops: a layer they follow is refused."""
    layers = _resolve_trainable(g, spec)
    for layer in layers:
        check_no_float_after(g, layer.op_index)
    return layers


def check_no_float_after(g: Graph, index: int) -> None:
    """Refuses a trainable layer that is float32 or whose output reaches a
    float32 op (a float island or head): gradients would cross float ops."""
    op = g.ops[index]
    what = f"--trainable: layer #{index} {op.type} '{op.name}'"
    if any(g.tensors[n].dtype == "float32" for n in op.outputs):
        raise TrainSpecError(f"{what} is float32; only quantized layers train (float ops stay frozen)")
    reach = set(op.outputs)
    for k, later in enumerate(g.ops[index + 1:], start=index + 1):
        if not reach.intersection(later.inputs):
            continue
        reach.update(later.outputs)
        if any(g.tensors[n].dtype == "float32" for n in later.outputs):
            raise TrainSpecError(
                f"{what} feeds float32 op #{k} {later.type} '{later.name}': training never goes through float "
                "ops; train only layers after the float part"
            )


def _resolve_trainable(g: Graph, spec: str) -> list[TrainableLayer]:
    layers = weighted_layers(g)
    if not layers:
        raise TrainSpecError("the model has no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer to train")
    spec = (spec or "").strip()
    if not spec:
        raise TrainSpecError("--trainable is empty: use last:N, bias, or tensor names")
    out: list[TrainableLayer] = []
    if spec.startswith("last:"):
        try:
            n = int(spec[5:])
        except ValueError:
            raise TrainSpecError(f"--trainable {spec!r}: N in last:N must be an integer") from None
        if not 1 <= n <= len(layers):
            raise TrainSpecError(f"--trainable {spec!r}: the model has {len(layers)} trainable layers")
        for i in layers[-n:]:
            op = g.ops[i]
            out.append(TrainableLayer(i, op.type, op.inputs[1], op.inputs[2] if len(op.inputs) > 2 else None))
        return out
    if spec == "bias":
        for i in layers:
            op = g.ops[i]
            if len(op.inputs) > 2:
                out.append(TrainableLayer(i, op.type, None, op.inputs[2]))
        if not out:
            raise TrainSpecError("--trainable bias: the model's layers have no bias tensors")
        return out
    names = [s.strip() for s in spec.split(",") if s.strip()]
    by_tensor = {}
    for i in layers:
        op = g.ops[i]
        by_tensor[op.inputs[1]] = (i, "w")
        if len(op.inputs) > 2:
            by_tensor[op.inputs[2]] = (i, "b")
        if op.name:
            by_tensor.setdefault(op.name, (i, "wb"))
    picked: dict[int, TrainableLayer] = {}
    for n in names:
        if n not in by_tensor and (inner := _in_subgraph(g, n)):
            raise TrainSpecError(f"--trainable: {n!r} is {inner}: layers inside IF branches and WHILE bodies "
                                 "stay frozen")
        if n not in by_tensor:
            raise TrainSpecError(
                f"--trainable: no trainable tensor named {n!r}; weight/bias tensors are: "
                + ", ".join(list(by_tensor)[:12])
                + (" ..." if len(by_tensor) > 12 else "")
            )
        i, kind = by_tensor[n]
        op = g.ops[i]
        layer = picked.setdefault(i, TrainableLayer(i, op.type, None, None))
        if "w" in kind:
            layer.weight = op.inputs[1]
        if "b" in kind and len(op.inputs) > 2:
            layer.bias = op.inputs[2]
    return [picked[i] for i in sorted(picked)]


def _in_subgraph(g: Graph, name: str) -> str | None:
    """Where a weight, bias or layer name sits inside a subgraph, or None."""
    for k, sub in sorted(g.subgraphs.items()):
        for i, op in enumerate(sub.ops):
            if op.type in WEIGHTED_OPS and name in (op.name, *op.inputs[1:3]):
                return f"{op.type} #{i} '{op.name}' in subgraph #{k} '{sub.name}'"
    return None


def check_no_control_flow(g: Graph, trainable: str = "") -> None:
    """Training runs the main graph's layers only; the gradient code does not
    follow values through subgraphs or resource variables. A layer named in
    --trainable that sits in a subgraph is refused by its name."""
    for n in (s.strip() for s in (trainable or "").split(",")):
        if n and (inner := _in_subgraph(g, n)):
            raise TrainSpecError(f"--trainable: {n!r} is {inner}: layers inside IF branches and WHILE bodies "
                                 "stay frozen")
    for op in g.ops:
        if op.type == "CUSTOM:CIRCULAR_BUFFER":  # its invokes may stop early; the steps would not
            raise TrainSpecError(f"the model has CIRCULAR_BUFFER '{op.name}': training a streaming model that "
                                 "skips invokes is not supported (compile it without --train)")
        if op.type in ("IF", "WHILE", "CALL_ONCE", "READ_VARIABLE", "ASSIGN_VARIABLE"):
            raise TrainSpecError(f"the model has {op.type} '{op.name}': training a model with control flow or "
                                 "resource variables is not supported (compile it without --train)")


def prepare(g: Graph, spec: TrainSpec):
    spec.validate()
    check_no_control_flow(g, spec.trainable)
    from pytool.training.defaults import resolve_defaults

    resolve_defaults(g, spec)
    mod = importlib.import_module(f"pytool.training.{METHODS[spec.method]}")
    prog, train_c = mod.prepare(g, spec)
    return prog, with_shared_fields(train_c, spec.guard_sigma, HOOKS[spec.method])


def with_shared_fields(train_c: str, sigma: float, hooks: str) -> str:
    """Appends the fields after method_config that every method shares to a
    method's generated odl_train_config: guard_sigma_q8 and the hook table."""
    head = "const odl_train_config_t odl_train_config = {"
    start = train_c.find(head)
    end = train_c.find("};", start)
    if start < 0 or end < 0:
        raise TrainSpecError("generated training config has no odl_train_config")
    shared = f"    {int(round(sigma * 256))}u, /* guard_sigma_q8 */\n    &{hooks},\n"
    return train_c[:end] + shared + train_c[end:]
