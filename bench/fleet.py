"""Fleet learning on the digits shift task (docs/fleet.md).

1. Accuracy of the global model per round, per method, on a label-skewed
   split over 10 emulated devices, against centralised fine-tuning on the same
   samples (one epoch over the field set = one round: same number of samples).
   Centralised runs use the method's default learning rate; the fleet uses
   its device lr (FLEET_LR: sparse 0.015), and for those methods centralised
   training at the fleet's lr is shown too (it is not better).
   The rounds run the fleet's own server/device code (pytool.fleet.server /
   node) in one process.
2. Bytes per device per round, up and down, against sending the trainable
   weights.
3. Wall time per round on Flower's Simulation Engine with 10, 100 and 1,000
   emulated devices (forward gradient).

    python bench/fleet.py [--rounds 10] [--scale 10,100,1000] [--quick]
JSON: bench/results/fleet.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool.fleet.device import EmulatedDevice  # noqa: E402
from pytool.fleet.node import LocalData, NodeState, run_round  # noqa: E402
from pytool.fleet.partition import partition  # noqa: E402
from pytool.fleet.server import FleetServer  # noqa: E402
from pytool.fleet.simulate import FG_MAX_STEPS, FLEET_LR, build_model  # noqa: E402
from pytool.training import METHOD_DEFAULTS  # noqa: E402
from pytool.training.loop import load_dataset  # noqa: E402

DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"
ANCHOR = "FedKSeed: rounds cost seeds + scalar gradients, < 18 KB per round for billion-parameter models"
CONFIGS = [  # (label, method, trainable)
    ("forward-grad last:1", "forward-grad", None),
    ("forward-grad last:2", "forward-grad", "last:2"),
    ("sparse", "sparse", None),
    ("fp16 last:1", "fp16", "last:1"),
    ("fp16 last:3", "fp16", None),
]


def centralised(build: Path, data, evd, rounds: int, seed: int) -> list[float]:
    dev = EmulatedDevice(build)
    acc = [dev.accuracy(evd.x, evd.y)]
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        for i in rng.permutation(len(data.y)):
            dev.train_step(data.x[i], int(data.y[i]))
        acc.append(dev.accuracy(evd.x, evd.y))
    return acc


def federated(build: Path, data, evd, clients: int, rounds: int, seed: int) -> dict:
    srv = FleetServer(build, max_steps=FG_MAX_STEPS)
    dev = EmulatedDevice(build)
    parts = partition(data.y, clients, "label-skew", seed)
    states = {i: NodeState() for i in range(clients)}
    acc = [srv.dev.accuracy(evd.x, evd.y)]
    for rnd in range(1, rounds + 1):
        orders = srv.orders(list(range(clients)), rnd, 0.0)
        replies = {n: run_round(dev, states[n], o, LocalData(data.x[parts[n]], data.y[parts[n]], seed=n))
                   for n, o in orders.items()}
        srv.collect(replies)
        acc.append(srv.dev.accuracy(evd.x, evd.y))
    orders = srv.orders(list(range(clients)), rounds + 1, 0.0, train=False)
    final = {n: run_round(dev, states[n], o, LocalData(data.x[:0], data.y[:0])) for n, o in orders.items()}
    down = [r.bytes_down for r in srv.rounds[1:]] + [srv._pending.bytes_down]
    return {
        "accuracy_per_round": acc,
        "bytes_up_per_device": [r.bytes_up / clients for r in srv.rounds],
        "bytes_down_per_device": [d / clients for d in down],
        "in_sync": sum(r.payload_crc == srv.crc for r in final.values()),
        "server_lr": srv.server_lr,
        "weights_bytes": srv.dev.payload_size,
    }


def scale(build: Path, n: int, rounds: int, down: str = "replay") -> dict:
    from pytool.fleet.flower_apps import FleetConfig
    from pytool.fleet.simulate import simulate

    cfg = FleetConfig(build_dir=str(build), data=str(DIGITS / "field.npz"), eval="", clients=n, rounds=rounds,
                      partition="iid", max_steps=FG_MAX_STEPS, round_timeout=900.0, progress=False, down=down)
    t0 = time.perf_counter()
    rep = simulate(cfg)
    return {"devices": n, "down": down, "seconds_per_round": rep["seconds_per_round"], "wall_s": time.perf_counter() - t0,
            "in_sync": rep["final_sync"]["in_sync"],
            "bytes_up_per_device": rep["bytes_up_per_device_per_round"],
            "bytes_down_per_device": rep["bytes_down_per_device_per_round"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--scale", default="10,100,1000", help="device counts for the Flower timing ('' = skip)")
    ap.add_argument("--seeds", default="0,1", help="partition / shuffle seeds averaged over")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "fleet.json"))
    args = ap.parse_args()
    con = Console()
    work = Path(tempfile.mkdtemp(prefix="fleet_bench_"))
    results: dict = {"task": "digits shift, label-skew (Dirichlet 0.5)", "clients": args.clients,
                     "rounds": args.rounds, "anchor": ANCHOR, "methods": {}, "scale": []}
    t = Table(title=f"fleet vs centralised: {args.clients} devices, label-skew, {args.rounds} rounds")
    for c in ("method", "lr cen / fleet", "before", "centralised (last 3)", "federated (last 3)", "gap (pts)",
              "cen @ fleet lr", "up B/dev/round", "down B/dev/round", "weights B", "in sync"):
        t.add_column(c, justify="right")
    seeds = [int(v) for v in args.seeds.split(",")]
    for label, method, trainable in CONFIGS:
        build = build_model(MODEL, method, work, trainable, data=str(DIGITS / "field.npz"))
        lr_fleet = FLEET_LR.get(method)
        lr_cen = METHOD_DEFAULTS[method]["lr"]
        cen_build = (build_model(MODEL, method, work, trainable, lr=lr_cen, data=str(DIGITS / "field.npz"))
                     if lr_fleet is not None else build)
        dev = EmulatedDevice(build)
        data = load_dataset(DIGITS / "field.npz", dev.inputs[0])
        evd = load_dataset(DIGITS / "field_test.npz", dev.inputs[0])
        runs = []
        for seed in seeds:
            fed = federated(build, data, evd, args.clients, args.rounds, seed)
            fed["centralised_accuracy_per_epoch"] = centralised(cen_build, data, evd, args.rounds, seed)
            if lr_fleet is not None:
                fed["centralised_at_fleet_lr_per_epoch"] = centralised(build, data, evd, args.rounds, seed)
            runs.append(fed)
        cen = float(np.mean([np.mean(r["centralised_accuracy_per_epoch"][-3:]) for r in runs]))
        cen_f = (float(np.mean([np.mean(r["centralised_at_fleet_lr_per_epoch"][-3:]) for r in runs]))
                 if lr_fleet is not None else None)
        fedacc = float(np.mean([np.mean(r["accuracy_per_round"][-3:]) for r in runs]))
        up = float(np.mean([np.mean(r["bytes_up_per_device"]) for r in runs]))
        down = float(np.mean([np.mean(r["bytes_down_per_device"]) for r in runs]))
        results["methods"][label] = {
            "runs": runs, "seeds": seeds, "before": runs[0]["accuracy_per_round"][0],
            "lr_centralised": lr_cen, "lr_fleet": lr_fleet or lr_cen,
            "centralised_last3": cen, "federated_last3": fedacc, "gap_points": 100 * (cen - fedacc),
            "centralised_at_fleet_lr_last3": cen_f,
            "bytes_up_per_device_per_round": up, "bytes_down_per_device_per_round": down,
            "weights_bytes": runs[0]["weights_bytes"], "server_lr": runs[0]["server_lr"],
            "in_sync": min(r["in_sync"] for r in runs),
        }
        t.add_row(label, f"{lr_cen:g} / {lr_fleet or lr_cen:g}", f"{runs[0]['accuracy_per_round'][0]:.3f}",
                  f"{cen:.3f}", f"{fedacc:.3f}", f"{100 * (cen - fedacc):+.1f}",
                  "" if cen_f is None else f"{cen_f:.3f}", f"{up:,.0f}", f"{down:,.0f}",
                  f"{runs[0]['weights_bytes']:,}", f"{min(r['in_sync'] for r in runs)}/{args.clients}")
    con.print(t)
    if args.scale:
        fg = build_model(MODEL, "forward-grad", work)
        st = Table(title="Flower Simulation Engine, forward gradient, 2 rounds")
        for c in ("devices", "broadcast", "s / round", "up B/dev/round", "down B/dev/round", "in sync"):
            st.add_column(c, justify="right")
        runs = [(int(v), "replay") for v in args.scale.split(",") if v]
        runs += [(n, "smallest") for n, _ in runs if n >= 1000]
        for n, down in runs:
            r = scale(fg, n, 2, down)
            results["scale"].append(r)
            st.add_row(str(n), down, " / ".join(f"{s:.1f}" for s in r["seconds_per_round"]),
                       f"{np.mean(r['bytes_up_per_device']):,.0f}", f"{np.mean(r['bytes_down_per_device']):,.0f}",
                       f"{r['in_sync']}/{n}")
        con.print(st)
    elif Path(args.out).exists():  # keep the last timing run
        results["scale"] = json.loads(Path(args.out).read_text()).get("scale", [])
    con.print(f"peer: {ANCHOR}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    con.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
