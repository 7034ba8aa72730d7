"""`tinyodl fleet simulate`: N emulated devices on Flower's Simulation Engine."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from pytool.fleet.flower_apps import FleetConfig, make_client_app, make_server_app

FG_MAX_STEPS = 64  # 64 records of 8 scalars stay under 2 KB per device per round
# Device learning rate in a fleet where it differs from the method's
# (centralised) default. The sample-weighted mean gives every sample 1/K of
# the step it has in centralised SGD (K devices per round), so with sparse
# update's 0.0015 ten rounds of ten devices move about as far as one
# centralised epoch and plateau ~4 points short; scaling the server step
# instead diverges (label skew: each device's delta points at its own
# classes). Measured on the digits task, 10 devices: docs/design/fleet.md.
FLEET_LR = {"sparse": 0.015}


def build_model(model: str | Path, method: str, out: str | Path, trainable: str | None = None,
                lr: float | None = None, seed: int = 0, data: str | None = None) -> Path:
    """Compiles the model for the host with the method's training config."""
    from pytool import compile_model
    from pytool.training import TrainSpec, TrainSpecError
    from pytool.training.cli import SPARSE_NO_TRAINABLE

    if method == "sparse" and trainable:
        raise TrainSpecError(SPARSE_NO_TRAINABLE)
    spec = TrainSpec.for_method(method, trainable=trainable, lr=lr if lr is not None else FLEET_LR.get(method),
                                seed=seed, lr_schedule="constant")  # rounds, not epochs: one rate
    if method == "forward-grad" and spec.momentum:
        raise ValueError("--method forward-grad: fleet replay needs momentum 0")
    if method == "sparse" and data:
        spec.extra.setdefault("data", str(data))
    out = Path(out) / f"build_{method}_{spec.key()}"
    compile_model(model, out_dir=out, target="host", train=spec)
    return out


def check_inputs(model, data, eval_data, clients: int, rounds: int) -> None:
    for flag, p in (("MODEL", model), ("--data", data), ("--eval", eval_data)):
        if p and not Path(p).exists():
            raise FileNotFoundError(f"{flag} {p}: no such file")
    if clients < 1:
        raise ValueError(f"--clients {clients}: at least one device")
    if rounds < 1:
        raise ValueError(f"--rounds {rounds}: at least one round")


def simulate(cfg: FleetConfig, log=None, cpus: int | None = None) -> dict:
    """Runs the fleet on the Simulation Engine; returns the report dict."""
    from flwr.simulation import run_simulation

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    # Injected faults raise inside ClientApps; the server logs each exclusion itself.
    logging.getLogger("flwr").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=FutureWarning)
    result: dict = {}
    ncpu = cpus or min(2, os.cpu_count() or 1)
    run_simulation(
        server_app=make_server_app(cfg, result, log),
        client_app=make_client_app(cfg),
        num_supernodes=cfg.clients,
        backend_config={"client_resources": {"num_cpus": 1},
                        "init_args": {"num_cpus": ncpu, "logging_level": "error", "log_to_driver": False,
                                      "include_dashboard": False}},
    )
    if not result:
        raise RuntimeError("the fleet simulation ended without a report (see the Flower log above)")
    return result
