"""tinyodl fleet simulate|serve|join: fleet learning on Flower (docs/fleet.md)."""

from __future__ import annotations

import argparse

from pytool.commands._common import out

METHODS = ("forward-grad", "sparse", "fp16")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", required=True, choices=METHODS, help="training method on the devices")
    p.add_argument("--rounds", type=int, default=5, help="federated rounds (default 5)")
    p.add_argument("--trainable", help="trainable subset (default: the method's, see docs/training.md)")
    p.add_argument("--lr", type=float, help="device learning rate (default: the method's; sparse in a fleet: 0.015)")
    p.add_argument("--seed", type=int, default=0, help="partition / shuffling seed")
    p.add_argument("--max-steps", type=int, help="training steps per device per round (forward-grad: 64)")
    p.add_argument("--server-lr", choices=("sum", "mean"),
                   help="merge: sum of contributions (forward-grad default) or sample-weighted mean")
    p.add_argument("--max-lag", type=int, default=8, help="rounds a device may miss and still catch up by replay")
    p.add_argument("--down", choices=("replay", "smallest"), default="replay",
                   help="broadcast: the merged rounds (weights only past --max-lag), or whichever of "
                   "rounds / weights is smaller")
    p.add_argument("--round-timeout", type=float, default=0.0,
                   help="seconds; later replies are stragglers (default 0 = auto: 3x the last complete "
                   "round, at least 30 s)")
    p.add_argument("--report", help="folder for report.json and PNG plots")


def add_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="fleet_cmd", metavar="{simulate,serve,join}", required=True)
    s = sub.add_parser("simulate", help="emulated devices on Flower's Simulation Engine",
                       description="N host-emulated devices (the firmware's C via cffi) on Flower's "
                       "Simulation Engine.")
    s.add_argument("model", help=".tflite / .onnx (int8)")
    _common(s)
    s.add_argument("--clients", type=int, default=10, help="emulated devices (default 10)")
    s.add_argument("--partition", choices=("iid", "label-skew"), default="iid", help="how --data is split")
    s.add_argument("--data", required=True, help=".npz field samples, split across the devices")
    s.add_argument("--eval", help=".npz held-out set scored on the global model every round")
    s.add_argument("--faults", default="", help="inject KIND:DEVICE@ROUND, comma-separated; KIND: dropout, "
                   "corrupt, truncate, version, generation, straggler")
    s.add_argument("--cpus", type=int, help="CPUs for the simulation backend (default: up to 2)")
    v = sub.add_parser("serve", help="Deployment Engine: start flower-superlink and run the fleet",
                       description="Starts flower-superlink on loopback, waits for --clients SuperNodes "
                       "(`tinyodl fleet join`) and runs the rounds.")
    v.add_argument("model", help=".tflite / .onnx (int8)")
    _common(v)
    v.add_argument("--clients", type=int, default=3, help="devices to wait for")
    v.add_argument("--data", help=".npz needed to plan a sparse scheme (sparse only)")
    v.add_argument("--eval", help=".npz held-out set scored on the global model every round")
    v.add_argument("--work", default="out/fleet-serve", help="folder for the build and the app")
    v.add_argument("--fleet-port", type=int, default=9092, help="SuperLink Fleet API port (loopback)")
    v.add_argument("--join-emulated", type=int, default=0,
                   help="also start this many emulated-device SuperNodes (tests, demos)")
    j = sub.add_parser("join", help="Deployment Engine: one flower-supernode for one board gateway",
                       description="Starts a flower-supernode that drives one device: a board through the "
                       "serial link (--port URL) or an emulated one (--port emulated).")
    j.add_argument("--port", required=True, help="link URL (socket://127.0.0.1:5555, /dev/ttyACM0) or 'emulated'")
    j.add_argument("--superlink", default="127.0.0.1:9092", help="SuperLink Fleet API address")
    j.add_argument("--data", required=True, help=".npz samples this device trains on")
    j.add_argument("--device", type=int, default=0, help="device number (logs, fault injection)")


def run(args) -> int:
    if args.fleet_cmd == "simulate":
        return _simulate(args)
    from pytool.fleet import deploy

    if args.fleet_cmd == "serve":
        report = deploy.serve(args)
        _table(report)
        return 0
    return deploy.join(args)


def _simulate(args) -> int:
    from pytool.fleet.flower_apps import FleetConfig
    from pytool.fleet.node import parse_faults
    from pytool.fleet.partition import MODES
    from pytool.fleet.simulate import FG_MAX_STEPS, build_model, check_inputs, simulate

    check_inputs(args.model, args.data, args.eval, args.clients, args.rounds)
    parse_faults(args.faults)
    assert args.partition in MODES
    work = args.report or "out/fleet"
    build = build_model(args.model, args.method, work, args.trainable, args.lr, args.seed, args.data)
    cfg = FleetConfig(build_dir=str(build), data=args.data, eval=args.eval or "", clients=args.clients,
                      rounds=args.rounds, partition=args.partition, seed=args.seed,
                      max_steps=args.max_steps or FG_MAX_STEPS, server_lr=args.server_lr,
                      max_lag=args.max_lag, down=args.down, round_timeout=args.round_timeout, faults=args.faults,
                      report=args.report or "")
    report = simulate(cfg, log=lambda s: out.print(f"[yellow]{s}"), cpus=args.cpus)
    _table(report)
    if args.report:
        out.print(f"wrote {args.report}/report.json, accuracy.png, bytes.png")
    return 0


def _table(report: dict) -> None:
    from rich.table import Table

    t = Table(title=f"fleet: {report['method']}, {report['clients']} devices, {report['partition']}")
    for c in ("round", "accuracy", "bytes up / device", "bytes down / device", "excluded", "s"):
        t.add_column(c, justify="right")
    acc = report["accuracy_per_round"]
    t.add_row("0", "-" if acc[0] is None else f"{acc[0]:.3f}", "", "", "", "")
    for i, (u, d) in enumerate(zip(report["bytes_up_per_device_per_round"],
                                   report["bytes_down_per_device_per_round"])):
        n_ex = sum(1 for e in report["excluded"] if e["round"] == i + 1)
        a = acc[i + 1]
        t.add_row(str(i + 1), "-" if a is None else f"{a:.3f}", f"{u:,.0f}", f"{d:,.0f}", str(n_ex),
                  f"{report['seconds_per_round'][i]:.2f}")
    out.print(t)
    s = report["final_sync"]
    out.print(f"final global generation {s['generation']}: {s['in_sync']}/{s['devices']} devices hold it "
              f"bit for bit (CRC {s['global_crc']}); trainable weights {report['weights_bytes']} B")
