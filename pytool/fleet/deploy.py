"""`tinyodl fleet serve` / `join`: Flower's Deployment Engine on loopback.

serve: compiles the model for the host (the server's global model), writes a
Flower App folder whose run config carries the FleetConfig, starts
`flower-superlink --insecure` (optionally emulated-device SuperNodes), and
submits the run with `flwr run`; the ServerApp writes OUT/report.json.
join: one `flower-supernode` per board gateway; its node config tells the
ClientApp which device to drive (`port`: a link URL, or `emulated`) and
which samples it holds (`data`).

Every process is started in its own session and stopped by its id."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pytool.fleet.flower_apps import FleetConfig

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def flwr_env(work: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["FLWR_HOME"] = str(work / "flwr_home")
    return env


def write_app(work: Path, cfg: FleetConfig, port: int) -> Path:
    """A Flower App folder (pyproject [tool.flwr.app]) + the SuperLink connection."""
    app = work / "app"
    app.mkdir(parents=True, exist_ok=True)
    (app / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "tinyodl-fleet"\nversion = "1.0.0"\ndependencies = []\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["."]\n\n'
        '[tool.flwr.app]\npublisher = "tinyodl"\n\n'
        '[tool.flwr.app.components]\nserverapp = "pytool.fleet.app:server_app"\n'
        'clientapp = "pytool.fleet.app:client_app"\n\n'
        f"[tool.flwr.app.config]\nfleet = {_toml_str(cfg.to_json())}\n"
    )
    home = work / "flwr_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = "127.0.0.1:{port}"\ninsecure = true\n'
    )
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}); see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s; see {log}")


@dataclass
class Processes:
    work: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = self.work / f"{name}.log"
        p = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env, cwd=self.work, start_new_session=True)
        p.log = log
        self.procs.append(p)
        return p

    def stop(self) -> None:
        """Ends each started process group (SuperExec children included) by id."""
        for p in reversed(self.procs):
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(wait)
                    os.killpg(p.pid, signal.SIGKILL)  # stragglers of the group
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.procs.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def supernode_args(superlink: str, port: int, node_config: dict) -> list[str]:
    nc = " ".join(f"{k}={json.dumps(v) if isinstance(v, str) else v}" for k, v in node_config.items())
    return [str(BIN / "flower-supernode"), "--insecure", "--superlink", superlink, "--port", str(port),
            "--node-config", nc]


def run_fleet(cfg: FleetConfig, work: Path, nodes: list[dict], port: int | None = None,
              timeout: float = 1800.0, log=print) -> dict:
    """Starts a SuperLink and one SuperNode per entry of `nodes` (node
    configs), runs the fleet to completion and returns the report."""
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    if not cfg.report:
        cfg.report = str(work / "report")
    env = flwr_env(work)
    app = write_app(work, cfg, port)
    with Processes(work) as ps:
        sl = ps.start("superlink", [str(BIN / "flower-superlink"), "--insecure", "--port", str(port),
                                    "--disable-runtime-dependency-installation"], env)
        wait_port(port, 60, sl, sl.log)
        log(f"flower-superlink on 127.0.0.1:{port}")
        for i, nc in enumerate(nodes):
            ps.start(f"supernode{i}", supernode_args(f"127.0.0.1:{port}", free_port(), nc), env)
        log(f"{len(nodes)} flower-supernode process(es) started; flwr run")
        r = subprocess.run([str(BIN / "flwr"), "run", str(app), "local", "--stream"], env=env, cwd=work,
                           capture_output=True, text=True, timeout=timeout)
        (work / "flwr_run.log").write_text(r.stdout + r.stderr)
    rep = Path(cfg.report) / "report.json"
    if not rep.exists():
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"the fleet run wrote no report (flwr run exit {r.returncode}):\n{tail}")
    return json.loads(rep.read_text())


def serve(args) -> dict:
    from pytool.fleet.simulate import FG_MAX_STEPS, build_model, check_inputs

    check_inputs(args.model, args.data, args.eval, args.clients, args.rounds)
    work = Path(args.work).resolve()
    build = build_model(args.model, args.method, work, args.trainable, args.lr, args.seed, args.data)
    cfg = FleetConfig(build_dir=str(build), eval=str(Path(args.eval).resolve()) if args.eval else "",
                      clients=args.clients, rounds=args.rounds, seed=args.seed,
                      max_steps=args.max_steps or FG_MAX_STEPS, server_lr=args.server_lr, max_lag=args.max_lag,
                      down=args.down, round_timeout=args.round_timeout,
                      report=str(Path(args.report).resolve()) if args.report else "")
    nodes = []
    if args.join_emulated:
        if not args.data:
            raise ValueError("--join-emulated needs --data (split across the emulated devices)")
        nodes = split_for_nodes(args.data, args.join_emulated, work, args.seed)
    print(f"SuperLink Fleet API: 127.0.0.1:{args.fleet_port}; join boards with "
          f"`tinyodl fleet join --superlink 127.0.0.1:{args.fleet_port} --port URL --data FILE`")
    return run_fleet(cfg, work, nodes, port=args.fleet_port)


def split_for_nodes(data: str, n: int, work: Path, seed: int = 0, ports: list[str] | None = None) -> list[dict]:
    """Writes one .npz per device (iid split) and returns their node configs."""
    import numpy as np

    from pytool.fleet.partition import partition

    z = np.load(data)
    parts = partition(z["y"], n, "iid", seed)
    out = []
    for i, idx in enumerate(parts):
        p = work / f"device{i}.npz"
        np.savez(p, x=z["x"][idx], y=z["y"][idx])
        out.append({"device": i, "data": str(p), "port": ports[i] if ports else "emulated"})
    return out


def join(args) -> int:
    """Runs one SuperNode in the foreground until interrupted."""
    if args.port != "emulated" and "://" not in args.port and not Path(args.port).exists():
        raise FileNotFoundError(f"--port {args.port}: no such serial port (or give a URL like socket://host:port)")
    if not Path(args.data).exists():
        raise FileNotFoundError(f"--data {args.data}: no such file")
    nc = {"device": args.device, "data": str(Path(args.data).resolve()), "port": args.port}
    env = flwr_env(Path.cwd())
    p = subprocess.Popen(supernode_args(args.superlink, free_port(), nc), env=env, start_new_session=True)
    try:
        return p.wait()
    except KeyboardInterrupt:
        os.killpg(p.pid, signal.SIGTERM)
        return p.wait()
