"""The device side of a fleet round, independent of Flower: follow the global
model from a broadcast, commit it through the power-fail-safe store, train
on the local samples, and return the upload. `faults` injects the failures
the server must survive (used by tests and `--faults`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pytool.fleet import wire
from pytool.fleet.device import EmulatedDevice
from pytool.fleet.methods import Method, method_for

FAULTS = ("dropout", "corrupt", "truncate", "version", "generation", "straggler")


class DeviceDropped(RuntimeError):
    """Injected: the device vanished mid-round (power, radio)."""


@dataclass
class RoundOrder:
    """What the server sends a device for one round."""

    round: int
    generation: int  # the global generation after the broadcast
    down: bytes  # DOWN chain, WEIGHTS, or b"" when the device is current
    step_base: int
    max_steps: int  # 0: only follow the global model (final sync)
    deadline_s: float = 0.0


@dataclass
class RoundReply:
    status: str  # ok | stale
    generation: int  # the device's global generation after following the broadcast
    store_generation: int
    up: bytes = b""
    samples: int = 0
    train_accuracy: float = float("nan")
    payload_crc: int = 0
    note: str = ""
    device: int = -1  # the device's number (partition), for logs


@dataclass
class NodeState:
    """What a device keeps between rounds: its flash image (the store) and
    the global generation its committed weights are."""

    image: bytes | None = None
    generation: int = 0


@dataclass
class LocalData:
    x: np.ndarray
    y: np.ndarray
    seed: int = 0
    extra: dict = field(default_factory=dict)


def follow(method: Method, dev: EmulatedDevice, state: NodeState, order: RoundOrder) -> str:
    """Brings the device's RAM weights to the global generation; '' on success
    or why it cannot (stale: it needs the weights)."""
    if order.down:
        kind = wire.HEADER.unpack_from(order.down)[2] if len(order.down) >= wire.HEADER.size else 0
        if kind == wire.WEIGHTS:
            head, body = wire.unpack(order.down, wire.WEIGHTS, method.name, dev.model_hash)
            dev.set_payload(body)
            state.generation = head.generation
        else:
            head, body = wire.unpack(order.down, wire.DOWN, method.name, dev.model_hash)
            rounds = wire.unchain(body)
            start = head.generation
            if not start <= state.generation <= start + len(rounds):
                return f"device at generation {state.generation}, the broadcast starts at {start}"
            for merged in rounds[state.generation - start:]:
                method.apply(dev, merged)
            state.generation = start + len(rounds)
    if state.generation != order.generation:
        return f"device at generation {state.generation}, the global model is at {order.generation}"
    return ""


def run_round(dev: EmulatedDevice, state: NodeState, order: RoundOrder, data: LocalData,
              fault: str | None = None) -> RoundReply:
    """One device's round. Mutates `state` (the caller persists it)."""
    method = method_for(dev)
    if fault == "generation":  # the device lost its store (factory reset)
        state.image, state.generation = None, 0
    dev.boot(state.image)
    if getattr(dev, "lost", False):  # a board whose store changed behind the gateway: factory weights
        state.generation = 0
    why = follow(method, dev, state, order)
    if why:
        return RoundReply("stale", state.generation, dev.generation, note=why)
    dev.commit()  # the global model, with its store generation, survives power loss
    state.image = dev.image()
    reply = RoundReply("ok", state.generation, dev.generation, payload_crc=dev.payload_crc())
    if order.max_steps <= 0 or len(data.y) == 0:
        return reply
    rng = np.random.default_rng([data.seed, order.round])
    idx = rng.permutation(len(data.y))
    body, n, acc = method.local_round(data.x[idx], data.y[idx], order.step_base, order.max_steps)
    if fault == "dropout":
        raise DeviceDropped("device dropped out mid-round")
    mhash = dev.model_hash ^ 1 if fault == "version" else dev.model_hash
    up = wire.pack(wire.UP, method.name, mhash, state.generation, n, body)
    if fault == "corrupt":
        up = up[:-1] + bytes([up[-1] ^ 0x5A])
    elif fault == "truncate":
        up = up[: max(wire.HEADER.size, len(up) // 2)]
    elif fault == "straggler":
        time.sleep(order.deadline_s + 1.0)
    reply.up, reply.samples, reply.train_accuracy = up, n, acc
    return reply


def parse_faults(text: str | None) -> dict[tuple[int, int], str]:
    """'dropout:3@2,corrupt:5@1' -> {(device 3, round 2): 'dropout', ...}."""
    out: dict[tuple[int, int], str] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            kind, rest = part.split(":")
            dev, rnd = rest.split("@")
            key = (int(dev), int(rnd))
        except ValueError:
            raise ValueError(f"--faults {part!r}: write KIND:DEVICE@ROUND, e.g. dropout:3@2") from None
        if kind not in FAULTS:
            raise ValueError(f"--faults {part!r}: kind must be one of {', '.join(FAULTS)}")
        out[key] = kind
    return out
