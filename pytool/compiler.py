"""The compile pipeline: model file -> IR -> (quantize) -> plan -> C."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytool.codegen import Program, emit_c, lower_graph
from pytool.ir import Graph, IRError
from pytool.paths import cache_dir
from pytool.planner import check_budget, parse_size


@dataclass
class Artifact:
    """What `compile` leaves in its output folder: model.c/.h/.json."""

    dir: Path
    graph: Graph
    program: Program
    meta: dict
    report: dict = field(default_factory=dict)
    quant_report: list = field(default_factory=list)


def load_graph(model) -> Graph:
    if isinstance(model, Graph):
        return model
    from pytool.frontends import load_model

    return load_model(Path(model))


def _default_dir(model, target: str) -> Path:
    if isinstance(model, Graph):
        key = hashlib.sha256(model.summary().encode()).hexdigest()[:12]
    else:
        key = hashlib.sha256(Path(model).read_bytes()).hexdigest()[:12]
    return cache_dir() / "builds" / f"{target}_{key}"


def memory_report(prog: Program) -> dict:
    plan = prog.plan
    live = plan.live_bytes_per_op()
    return {
        "arena_bytes": plan.arena_size,
        "persistent_bytes": plan.persistent_size,
        "activation_bytes": plan.arena_size - plan.persistent_size,
        "peak_live_bytes": plan.peak_live(),
        "const_bytes": prog.const_bytes,
        "extra": dict(plan.extra),
        "per_op": [
            {"index": k, "type": op.type, "name": op.name, "live_bytes": live[k]} for k, op in enumerate(prog.ops)
        ],
    }


def quantize_if_float(g: Graph, calib, method: str = "minmax", per_channel: bool = True, progress: bool = False):
    """Float graphs need calibration data; int8 graphs pass through."""
    if g.is_quantized:
        return g, []
    if g.subgraphs or any(op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE") for op in g.ops):
        raise IRError(f"{g.source or 'model'} is a float model with control flow or resource variables, which "
                      "the quantizer does not handle: convert it to int8 with the TensorFlow Lite converter")
    if calib is None:
        raise IRError(
            f"{g.source or 'model'} is a float model: pass calibration data (--calib calib.npz) "
            "so it can be quantized to int8"
        )
    from quantize.api import load_calibration
    from quantize.ptq import quantize_graph

    data = load_calibration(calib, g) if not isinstance(calib, list | np.ndarray) else calib
    return quantize_graph(g, data, method=method, per_channel=per_channel, progress=progress)


def compile_model(
    model,
    out_dir: str | Path | None = None,
    target: str = "host",
    ram: str | int | None = None,
    flash: str | int | None = None,
    calib=None,
    method: str = "minmax",
    per_channel: bool = True,
    progress: bool = False,
    train=None,
) -> Artifact:
    """Compiles a .tflite/.onnx file (or an IR Graph) into model.c/model.h.

    ram/flash are budgets ('256K'); exceeding them raises planner.BudgetError
    with the breakdown. train is a pytool.training TrainSpec (or None).
    """
    g = load_graph(model)
    g, qreport = quantize_if_float(g, calib, method, per_channel, progress)
    out = Path(out_dir) if out_dir is not None else _default_dir(model, target + (f"_{train.key()}" if train else ""))
    name = Path(g.source).name if g.source else g.name
    if train is not None:
        from pytool.training import prepare

        prog, train_c = prepare(g, train)
    else:
        prog, train_c = lower_graph(g), ""
    check_budget(prog.plan, parse_size(ram), parse_size(flash), what=name)
    if target != "host":
        from pytool.targets.fit import check_board_fit, smaller_trainable_sets

        def smaller():
            from pytool.training import prepare

            return smaller_trainable_sets(g, train, prepare) if train is not None else []

        check_board_fit(prog.plan, target, name, smaller)
    meta = emit_c(prog, out, model_name=name, train_c=train_c)
    report = memory_report(prog)
    meta["memory"] = report
    meta["target"] = target
    if train is not None:
        meta["train"] = train.to_meta()
        meta["trainable_order"] = list(prog.trainable)  # the weight store's order, as data
        # The int8 graph the device starts from: `tinyodl export` writes the
        # device's trained tensors back into it.
        from pytool.frontends.tflite_writer import write_tflite

        write_tflite(g, out / "model_int8.tflite")
    import json

    (out / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    return Artifact(dir=out, graph=g, program=prog, meta=meta, report=report, quant_report=qreport)
