"""Defaults derived from the model and the RAM budget.

FP16 backprop's trained set: `--trainable auto` (its default) takes as many of
the model's weighted layers as the method can train and the budget holds,
counted from the logits: all of them under `--ram`, at most FP16_AUTO_LAYERS
without a budget. A small model never gets a default it cannot satisfy.
Forward gradient's `auto`: the `--lr auto` sweep lets last:1 and last:2 compete
on the field data; without a sweep it is last:1.
"""

from __future__ import annotations

import dataclasses
import importlib

from pytool.ir import Graph
from pytool.training import METHODS, TrainSpec, TrainSpecError, weighted_layers

AUTO = "auto"
FP16_AUTO_LAYERS = 3  # without a RAM budget: the last 3 weighted layers at most


@dataclasses.dataclass
class TrainedSetChoice:
    trainable: str
    tried: list[tuple[str, str]]  # (trainable, why it was not taken)


def choose_trainable(g: Graph, spec: TrainSpec) -> TrainedSetChoice:
    """The largest last:k the method builds within spec.ram (or FP16_AUTO_LAYERS)."""
    n = len(weighted_layers(g))
    if n == 0:
        raise TrainSpecError("the model has no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer to train")
    mod = importlib.import_module(f"pytool.training.{METHODS[spec.method]}")
    top = n if spec.ram is not None else min(n, FP16_AUTO_LAYERS)
    tried: list[tuple[str, str]] = []
    for k in range(top, 0, -1):
        trial = dataclasses.replace(spec, trainable=f"last:{k}", extra=dict(spec.extra))
        try:
            prog, _ = mod.prepare(g, trial)
        except TrainSpecError as exc:
            tried.append((trial.trainable, str(exc)))
            continue
        need = prog.plan.arena_size + prog.plan.stack_bytes
        if spec.ram is not None and need > spec.ram:
            tried.append((trial.trainable, f"needs {need:,} B > --ram {spec.ram:,} B"))
            continue
        return TrainedSetChoice(trial.trainable, tried)
    why = "; ".join(f"{t}: {w}" for t, w in tried[-2:])
    raise TrainSpecError(f"--trainable auto: no last:k trains within the budget ({why})")


def resolve_defaults(g: Graph, spec: TrainSpec) -> TrainSpec:
    """Fills model-dependent defaults in place (the compiled meta shows them)."""
    if spec.trainable == AUTO and spec.method == "forward-grad":
        # `--lr auto` lets last:1 and last:2 compete (pytool/training/autolr.py); without a sweep: last:1
        spec.trainable = "last:1"
        spec.extra["trainable_auto"] = {"chosen": "last:1", "skipped": [], "why": "no --lr auto sweep"}
    elif spec.trainable == AUTO:
        if spec.method != "fp16":
            raise TrainSpecError(f"--trainable auto: {spec.method} takes a scheme or last:N")
        choice = choose_trainable(g, spec)
        spec.trainable = choice.trainable
        spec.extra["trainable_auto"] = {"chosen": choice.trainable, "skipped": choice.tried}
    return spec
