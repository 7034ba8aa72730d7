"""The Flower side: a Strategy holding the global model (FleetServer), the
ServerApp running it, and the ClientApp driving one device per SuperNode.

Messages are plain records: the server's RoundOrder and the device's
RoundReply travel as a ConfigRecord ("fleet") whose `down` / `up` bytes are
the method payloads of wire.py — the only bytes the report counts."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import Strategy

from pytool.fleet.node import LocalData, NodeState, RoundOrder, RoundReply, parse_faults, run_round
from pytool.fleet.server import FleetServer


@dataclass
class FleetConfig:
    build_dir: str
    data: str = ""
    eval: str = ""
    clients: int = 10
    rounds: int = 5
    partition: str = "iid"
    seed: int = 0
    max_steps: int = 64
    server_lr: str | None = None
    max_lag: int = 8
    down: str = "replay"
    round_timeout: float = 0.0  # seconds; 0 = auto (RoundClock)
    faults: str = ""
    report: str = ""
    progress: bool = True
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FleetConfig:
        return cls(**json.loads(text))


# ---- records ------------------------------------------------------------------
def order_record(o: RoundOrder) -> RecordDict:
    return RecordDict({"fleet": ConfigRecord({
        "round": o.round, "generation": o.generation, "down": o.down, "step_base": o.step_base,
        "max_steps": o.max_steps, "deadline_s": float(o.deadline_s)})})


def order_of(content: RecordDict) -> RoundOrder:
    c = content["fleet"]
    return RoundOrder(int(c["round"]), int(c["generation"]), bytes(c["down"]), int(c["step_base"]),
                      int(c["max_steps"]), float(c["deadline_s"]))


def reply_record(r: RoundReply) -> RecordDict:
    return RecordDict({
        "fleet": ConfigRecord({"status": r.status, "generation": r.generation,
                               "store_generation": r.store_generation, "up": r.up, "samples": r.samples,
                               "payload_crc": r.payload_crc, "note": r.note,
                               "device": r.device}),
        "metrics": MetricRecord({"train_accuracy": 0.0 if np.isnan(r.train_accuracy) else r.train_accuracy,
                                 "samples": r.samples}),
    })


def reply_of(content: RecordDict) -> RoundReply:
    c = content["fleet"]
    return RoundReply(str(c["status"]), int(c["generation"]), int(c["store_generation"]), bytes(c["up"]),
                      int(c["samples"]), float(content["metrics"]["train_accuracy"]), int(c["payload_crc"]),
                      str(c["note"]), int(c["device"]))


# ---- client -------------------------------------------------------------------
_CACHE: dict = {}


def _device(build_dir: str):
    from pytool.fleet.device import EmulatedDevice

    key = ("dev", build_dir)
    if key not in _CACHE:
        _CACHE[key] = EmulatedDevice(build_dir)
    return _CACHE[key]


def _local_data(cfg: FleetConfig, dev, pid: int, n_parts: int) -> LocalData:
    from pytool.fleet.partition import partition
    from pytool.training.loop import load_dataset

    key = ("data", cfg.data, cfg.partition, cfg.seed, n_parts)
    if key not in _CACHE:
        ds = load_dataset(cfg.data, dev.inputs[0])
        _CACHE[key] = (ds, partition(ds.y, n_parts, cfg.partition, cfg.seed))
    ds, parts = _CACHE[key]
    idx = parts[pid % len(parts)]
    return LocalData(ds.x[idx], ds.y[idx], seed=cfg.seed * 100003 + pid)


def _load_state(context: Context) -> NodeState:
    if "device" not in context.state:
        return NodeState()
    c = context.state["device"]
    img = bytes(c["image"])
    return NodeState(img or None, int(c["generation"]))


def _save_state(context: Context, st: NodeState) -> None:
    context.state["device"] = ConfigRecord({"image": st.image or b"", "generation": st.generation})


def _link_device(port: str, build_dir: str):
    from pytool.fleet.link_device import LinkDevice
    from pytool.link.client import Link

    key = ("link", port, build_dir)
    if key not in _CACHE:
        _CACHE[key] = LinkDevice(Link(port, timeout=10.0, retries=3), build_dir)
    return _CACHE[key]


def _node_data(path: str, dev, pid: int) -> LocalData:
    """Deployment: the node's own samples (a gateway's --data)."""
    from pytool.training.loop import load_dataset

    key = ("node-data", path)
    if key not in _CACHE:
        _CACHE[key] = load_dataset(path, dev.inputs[0])
    ds = _CACHE[key]
    return LocalData(ds.x, ds.y, seed=pid)


def client_round(cfg: FleetConfig, msg: Message, context: Context) -> Message:
    nc = context.node_config
    port = str(nc.get("port", "emulated"))
    dev = _device(cfg.build_dir) if port == "emulated" else _link_device(port, cfg.build_dir)
    pid = int(nc.get("partition-id", nc.get("device", 0)))
    n_parts = int(nc.get("num-partitions", cfg.clients))
    order = order_of(msg.content)
    if not order.max_steps:
        data = LocalData(dev_x_empty(dev), np.zeros(0))
    elif "data" in nc:
        data = _node_data(str(nc["data"]), dev, pid)
    else:
        data = _local_data(cfg, dev, pid, n_parts)
    fault = parse_faults(cfg.faults).get((pid, order.round))
    state = _load_state(context)
    try:
        reply = run_round(dev, state, order, data, fault)
        reply.device = pid
    finally:
        _save_state(context, state)  # what the device's flash holds, even if it dropped out
    return Message(reply_record(reply), reply_to=msg)


def dev_x_empty(dev) -> np.ndarray:
    return np.zeros((0,) + tuple(dev.inputs[0].shape), dev.inputs[0].dtype)


def make_client_app(cfg: FleetConfig) -> ClientApp:
    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        return client_round(cfg, msg, context)

    return app


# ---- server -------------------------------------------------------------------
def _reason(text: str) -> str:
    """The last line of a remote error (the exception's message), short."""
    lines = [ln.strip(" '>") for ln in str(text).splitlines() if ln.strip(" '>")]
    last = lines[-1] if lines else "error"
    return last.split("Message: ")[-1][:160]


ROUND_TIMEOUT_FLOOR = 30.0  # s: never less (Flower's polling costs seconds per Deployment-Engine round)
ROUND_TIMEOUT_FACTOR = 3.0  # x the time the last complete exchange took
ROUND_TIMEOUT_MAX = 600.0


class RoundClock:
    """The deadline of a round. Given (`--round-timeout S`): S every round.
    Auto (0): a multiple of the time the last complete exchange took until
    its last reply (the roll call for round 1, which also starts every device
    process, so it is the slow side), between a floor and a ceiling. The
    deadline is fixed before a round starts, so a device is late or not
    independently of the others."""

    def __init__(self, fixed: float = 0.0):
        if fixed < 0:
            raise ValueError(f"--round-timeout {fixed}: seconds > 0 (or 0 for auto)")
        self.fixed = fixed
        self.last: float | None = None

    def deadline(self) -> float:
        if self.fixed:
            return self.fixed
        if self.last is None:
            return ROUND_TIMEOUT_MAX
        return min(ROUND_TIMEOUT_MAX, max(ROUND_TIMEOUT_FLOOR, ROUND_TIMEOUT_FACTOR * self.last))

    def observed(self, seconds: float, complete: bool) -> None:
        """An exchange took `seconds`; only one where every device replied says how long a round takes."""
        if complete:
            self.last = seconds


class ClockedGrid:
    """The Flower Grid, with each round's send-and-receive bounded by the RoundClock."""

    def __init__(self, grid: Grid, clock: RoundClock):
        self._grid, self.clock = grid, clock

    def __getattr__(self, name):
        return getattr(self._grid, name)

    def send_and_receive(self, messages, timeout: float | None = None):
        messages = list(messages)
        t0 = time.monotonic()
        replies = list(self._grid.send_and_receive(messages, timeout=self.clock.deadline()))
        self.clock.observed(time.monotonic() - t0, len(replies) >= len(messages))
        return replies


class FleetStrategy(Strategy):
    """Flower strategy over FleetServer: configure_train sends each device the
    broadcast it needs + its step range, aggregate_train checks and merges."""

    def __init__(self, fleet: FleetServer, min_nodes: int, round_timeout: float, on_round=None):
        self.fleet = fleet
        self.min_nodes = min_nodes
        self.clock = RoundClock(round_timeout)
        self.on_round = on_round
        self._t0 = 0.0
        self._ids: dict[str, int] = {}

    def nodes(self, grid: Grid) -> list[int]:
        deadline = time.monotonic() + max(self.clock.deadline(), SYNC_TIMEOUT)
        while len(ids := sorted(grid.get_node_ids())) < self.min_nodes:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return ids

    def configure_train(self, server_round, arrays, config, grid) -> Iterable[Message]:
        self._t0 = time.perf_counter()
        orders = self.fleet.orders(self.nodes(grid), server_round, self.clock.deadline())
        return [Message(order_record(o), dst_node_id=n, message_type="train") for n, o in orders.items()]

    def aggregate_train(self, server_round, replies):
        got: dict[int, RoundReply | str] = {}
        for m in replies:
            node = m.metadata.src_node_id
            got[node] = _reason(m.error.reason) if m.has_error() else reply_of(m.content)
            if not m.has_error():
                self.fleet.labels[node] = got[node].device
        log = self.fleet.collect(got)
        log.seconds = time.perf_counter() - self._t0
        if self.on_round:
            self.on_round(log)
        arrays = ArrayRecord([np.frombuffer(self.fleet.weights, np.uint8).copy()])
        return arrays, MetricRecord({"included": len(log.included), "generation": log.generation})

    def configure_evaluate(self, server_round, arrays, config, grid):
        return []

    def aggregate_evaluate(self, server_round, replies):
        return None

    def summary(self) -> None:
        pass


SYNC_TIMEOUT = 120.0  # roll call / final sync: also covers starting every device's process


def sync(strategy: FleetStrategy, grid: Grid) -> dict:
    """One broadcast without training: every device follows and commits the
    global model and reports its generation; their CRCs show they hold it bit
    for bit. Run before the first round (roll call) and after the last."""
    fleet = strategy.fleet
    nodes = strategy.nodes(grid)
    rnd = len(fleet.rounds) + 1 if fleet.rounds else 0  # roll call is round 0 (no fault plan applies)
    orders = fleet.orders(nodes, rnd, strategy.clock.deadline(), train=False)
    pending = fleet._pending
    msgs = [Message(order_record(o), dst_node_id=n, message_type="train") for n, o in orders.items()]
    got = {}
    t0 = time.monotonic()
    replies = list(grid.send_and_receive(msgs, timeout=max(strategy.clock.deadline(), SYNC_TIMEOUT)))
    strategy.clock.observed(time.monotonic() - t0, len(replies) >= len(msgs))
    for m in replies:
        if not m.has_error():
            r = reply_of(m.content)
            got[m.metadata.src_node_id] = r
            fleet.known[m.metadata.src_node_id] = r.generation if r.status == "ok" else None
            fleet.labels[m.metadata.src_node_id] = r.device
    out = fleet.sync_check(got)
    out["bytes_down"] = pending.bytes_down
    out["weights_sent"] = pending.weights_sent
    return out


def run_server(cfg: FleetConfig, grid: Grid, log=None) -> dict:
    """The ServerApp body: rounds, central evaluation, final sync, report."""
    from pytool.fleet.report import Reporter

    flwr_log = logging.getLogger("flwr")
    flwr_log.setLevel(max(flwr_log.level, logging.WARNING))
    fleet = FleetServer(cfg.build_dir, cfg.max_steps, cfg.server_lr, cfg.max_lag, log=log, down=cfg.down)
    rep = Reporter(cfg, fleet)
    strategy = FleetStrategy(fleet, cfg.clients, cfg.round_timeout, on_round=rep.on_round)
    with rep.progress():
        sync(strategy, grid)  # roll call: every device's generation, processes started
        strategy.start(grid=ClockedGrid(grid, strategy.clock),
                       initial_arrays=ArrayRecord([np.frombuffer(fleet.weights, np.uint8).copy()]),
                       num_rounds=cfg.rounds, timeout=strategy.clock.deadline())
        final = sync(strategy, grid)
    return rep.finish(final)


def make_server_app(cfg: FleetConfig, result: dict | None = None, log=None) -> ServerApp:
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        out = run_server(cfg, grid, log)
        if result is not None:
            result.update(out)
        if cfg.report:
            Path(cfg.report).mkdir(parents=True, exist_ok=True)

    return app
