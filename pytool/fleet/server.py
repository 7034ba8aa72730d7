"""The server side of fleet rounds, independent of Flower: the global model
(a host build of the device's own C), what each device is sent, and the
checks + aggregation of what comes back. flower_apps.py wraps it in a
Flower Strategy / ServerApp."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from pytool.fleet import wire
from pytool.fleet.device import EmulatedDevice
from pytool.fleet.methods import DEFAULT_SERVER_LR, Contribution, method_for
from pytool.fleet.node import RoundOrder, RoundReply


@dataclass
class RoundLog:
    round: int
    generation: int  # global generation after the round
    included: list[int] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    bytes_up: int = 0
    bytes_down: int = 0
    weights_sent: int = 0  # devices that got the full weights (too far behind)
    samples: int = 0
    seconds: float = 0.0


class FleetServer:
    def __init__(self, build_dir, max_steps: int = 64, server_lr: str | None = None, max_lag: int = 8,
                 log=None, down: str = "replay"):
        self.dev = EmulatedDevice(build_dir)
        self.method = method_for(self.dev)
        self.max_steps = max_steps
        self.server_lr = server_lr or DEFAULT_SERVER_LR[self.method.name]
        self.max_lag = max_lag
        if down not in ("replay", "smallest"):
            raise ValueError(f"--down {down!r}: choose replay or smallest")
        self.down = down  # replay: merged rounds (weights only when too far behind); smallest: whichever is smaller
        self.log = log or (lambda s: None)
        self.generation = 0
        self.history: list[bytes] = []  # merged round that took generation g to g + 1
        self.known: dict[int, int | None] = {}  # node -> its global generation (None: unknown)
        self.step_counter = 0
        self.assigned: dict[int, tuple[int, int]] = {}
        self.rounds: list[RoundLog] = []
        self.labels: dict[int, int] = {}  # node id -> device number, as devices report it

    @property
    def weights(self) -> bytes:
        return self.dev.payload()

    @property
    def crc(self) -> int:
        return zlib.crc32(self.weights)

    def down_for(self, node: int) -> tuple[bytes, bool]:
        """(message, is_weights) that brings the node to the global generation."""
        g = self.known.get(node, 0)  # every device ships with the factory model (generation 0)
        if g == self.generation:
            return b"", False
        weights = wire.pack(wire.WEIGHTS, self.method.name, self.dev.model_hash, self.generation, 0, self.weights)
        if g is None or not 0 <= self.generation - g <= self.max_lag:
            return weights, True
        key = (g, self.generation)
        if getattr(self, "_chain_key", None) != key:  # one chain per starting generation and round
            self._chain_key = key
            self._chain = wire.pack(wire.DOWN, self.method.name, self.dev.model_hash, g, 0,
                                    wire.chain(self.history[g:]))
        if self.down == "smallest" and len(weights) < len(self._chain):
            return weights, True
        return self._chain, False

    def orders(self, nodes: list[int], rnd: int, deadline_s: float, train: bool = True) -> dict[int, RoundOrder]:
        out, self.assigned = {}, {}
        log = RoundLog(rnd, self.generation)
        for node in nodes:
            down, full = self.down_for(node)
            log.bytes_down += len(down)
            log.weights_sent += full
            base = self.step_counter
            if train:
                self.step_counter += self.max_steps
                self.assigned[node] = (base, self.max_steps)
            out[node] = RoundOrder(rnd, self.generation, down, base, self.max_steps if train else 0, deadline_s)
        self._pending = log
        return out

    def collect(self, replies: dict[int, RoundReply | str]) -> RoundLog:
        """Checks every reply (a str is a transport-level failure) and merges
        the valid uploads into a new global generation."""
        log = self._pending
        parts = []
        for node in sorted(self.assigned):
            r = replies.get(node)
            if r is None:
                self._exclude(log, node, "no reply before the round deadline (straggler)", None)
                continue
            if isinstance(r, str):
                self._exclude(log, node, f"dropped out: {r}", None)
                continue
            self.known[node] = r.generation if r.status == "ok" else None
            log.bytes_up += len(r.up)
            if r.status != "ok":
                self._exclude(log, node, f"stale: {r.note}; sends the weights next round", r)
                continue
            try:
                head, body = wire.unpack(r.up, wire.UP, self.method.name, self.dev.model_hash)
                if head.generation != self.generation:
                    raise wire.WireError(f"trained from generation {head.generation}, the global is "
                                         f"{self.generation}")
                base, n = self.assigned[node]
                data = self.method.decode(body, base, n)
                if not 0 <= head.samples <= n:
                    raise wire.WireError(f"claims {head.samples} samples, at most {n} were allowed")
            except wire.WireError as e:
                self._exclude(log, node, f"upload rejected: {e}", r)
                continue
            parts.append(Contribution(head.samples, data))
            log.included.append(node)
            log.samples += head.samples
        if parts:
            merged = self.method.aggregate(parts, self.server_lr)
            self.method.apply(self.dev, merged)
            self.history.append(merged)
            self.generation += 1
        log.generation = self.generation
        self.rounds.append(log)
        return log

    def _exclude(self, log: RoundLog, node: int, why: str, r: RoundReply | None) -> None:
        dev = self.labels.get(node, node)
        log.excluded.append({"node": node, "device": dev, "reason": why})
        self.log(f"round {log.round}: device {dev} excluded — {why}")
        if r is None:
            self.known[node] = self.known.get(node, 0)  # keeps the oldest plausible generation

    def sync_check(self, replies: dict[int, RoundReply | str]) -> dict:
        """After the final broadcast: which devices hold the global weights bit for bit."""
        same = [n for n, r in replies.items() if isinstance(r, RoundReply) and r.status == "ok"
                and r.payload_crc == self.crc]
        return {"devices": len(replies), "in_sync": len(same), "global_crc": f"{self.crc:08x}",
                "generation": self.generation}
