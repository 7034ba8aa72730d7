"""Fleet learning: forward-gradient replay is bit-exact, uploads are checked,
every method's rounds keep devices and server on the same bytes, devices
catch up, and a Flower simulation of 10 emulated devices survives faults."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pytool.commands._common import quantize_input
from pytool.fleet import wire
from pytool.fleet.device import EmulatedDevice
from pytool.fleet.node import LocalData, NodeState, run_round
from pytool.fleet.partition import partition
from pytool.fleet.server import FleetServer
from pytool.fleet.simulate import build_model

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet")
    return {m: build_model(MODEL, m, out, data=str(DIGITS / "field.npz"),
                           trainable="last:1" if m == "fp16" else None)
            for m in ("forward-grad", "sparse", "fp16")}


def _data(dev):
    z = np.load(DIGITS / "field.npz")
    return quantize_input(z["x"].reshape((-1,) + dev.inputs[0].shape), dev.inputs[0]), z["y"]


def test_forward_grad_replay_is_bit_exact(builds):
    dev = EmulatedDevice(builds["forward-grad"])
    x, y = _data(dev)
    factory = dev.payload()
    dev.fg_set_step(12345)
    recs = []
    for i in range(30):
        dev.train_step(x[i], int(y[i]))
        s, d = dev.fg_last()
        recs.append((s - 1, d.copy()))
    trained = dev.payload()
    assert trained != factory
    assert dev.boot(None) == 0 and dev.payload() == factory
    dev.fg_replay(recs)
    assert dev.payload() == trained
    dev.boot(None)
    dev.fg_replay(recs[:-1])  # one record short: not the trained bytes
    assert dev.payload() != trained


@pytest.mark.parametrize("net", ["mlp", "cnn"])
def test_train_nets_fleet_round_in_sync(net, tmp_path):
    """The AIfES MLP / CNN fixtures, every weighted layer trained by forward
    gradient: two rounds of 4 label-skewed devices; replaying the merged
    records on each device gives the server's bytes."""
    nets = ROOT / "tests" / "fixtures" / "train_nets"
    b = build_model(nets / f"{net}_int8.tflite", "forward-grad", tmp_path, trainable="last:2" if net == "mlp" else "last:1")
    srv = FleetServer(b, max_steps=12)
    dev = EmulatedDevice(b)
    z = np.load(nets / "field.npz")
    x = quantize_input(z["x"].reshape((-1,) + dev.inputs[0].shape), dev.inputs[0])
    y = z["y"]
    parts = partition(y, 4, "label-skew", seed=3)
    states = {i: NodeState() for i in range(4)}
    for rnd in (1, 2):
        log = _fleet_round(srv, dev, states, parts, x, y, rnd, list(range(4)))
        assert len(log.included) == 4 and log.bytes_up / 4 < 2048
    for k, o in srv.orders(list(range(4)), 3, 10.0, train=False).items():
        r = run_round(dev, states[k], o, LocalData(x[:0], y[:0]))
        assert r.payload_crc == srv.crc and r.generation == 2


def test_store_commit_and_boot(builds):
    dev = EmulatedDevice(builds["sparse"])
    x, y = _data(dev)
    for i in range(10):
        dev.train_step(x[i], int(y[i]))
    trained = dev.payload()
    assert dev.commit() == 1
    img = dev.image()
    assert dev.boot(None) == 0 and dev.payload() != trained
    assert dev.boot(img) == 1 and dev.payload() == trained


def test_wire_rejects_bad_uploads():
    body = b"\x01\x02\x03" * 10
    blob = wire.pack(wire.UP, "sparse", 0x1234, 3, 7, body)
    head, got = wire.unpack(blob, wire.UP, "sparse", 0x1234)
    assert got == body and head.generation == 3 and head.samples == 7
    bad = [blob[:-4], blob[:10], blob[:-1] + bytes([blob[-1] ^ 1])]
    for b in bad:
        with pytest.raises(wire.WireError, match="CRC|truncated"):
            wire.unpack(b, wire.UP, "sparse", 0x1234)
    with pytest.raises(wire.WireError, match="model"):
        wire.unpack(blob, wire.UP, "sparse", 0x9999)
    with pytest.raises(wire.WireError, match="method"):
        wire.unpack(blob, wire.UP, "fp16", 0x1234)
    assert wire.unchain(wire.chain([b"ab", b"", b"xyz"])) == [b"ab", b"", b"xyz"]


def _fleet_round(srv, dev, states, parts, x, y, rnd, nodes, tamper=None):
    orders = srv.orders(nodes, rnd, 10.0)
    replies = {}
    for n, o in orders.items():
        r = run_round(dev, states[n], o, LocalData(x[parts[n]], y[parts[n]], seed=n))
        replies[n] = tamper(n, r) if tamper else r
    return srv.collect(replies)


@pytest.mark.parametrize("method", ["forward-grad", "sparse", "fp16"])
def test_rounds_keep_devices_on_the_global_bytes(builds, method):
    srv = FleetServer(builds[method], max_steps=32, max_lag=2)
    dev = EmulatedDevice(builds[method])
    x, y = _data(dev)
    n = 10
    parts = partition(y, n, "label-skew", seed=1)
    assert sum(len(p) for p in parts) == len(y) and all(len(p) for p in parts)
    states = {i: NodeState() for i in range(n)}
    late = 9  # misses rounds 1-2, then catches up by replay
    for rnd in (1, 2):
        log = _fleet_round(srv, dev, states, parts, x, y, rnd, list(range(n - 1)))
        assert sorted(log.included) == list(range(n - 1)) and log.generation == rnd
    log = _fleet_round(srv, dev, states, parts, x, y, 3, list(range(n)))
    assert log.weights_sent == 0 and len(log.included) == n
    far = 10  # a device that never took part: lag 3 > max_lag 2 -> weights
    states[far] = NodeState()
    orders = srv.orders(list(range(n)) + [far], 4, 10.0, train=False)
    assert srv._pending.weights_sent == 1
    for k, o in orders.items():
        r = run_round(dev, states[k], o, LocalData(x[:0], y[:0]))
        assert r.status == "ok" and r.payload_crc == srv.crc, k
    assert states[late].generation == states[far].generation == srv.generation == 3
    if method == "forward-grad":
        ups = [r.bytes_up / n for r in srv.rounds]
        assert max(ups) < 2048
        srv.known[0] = 1  # two rounds behind: the records outweigh the 680 B head
        chain, full = srv.down_for(0)
        assert not full and len(chain) > wire.HEADER.size + dev.payload_size
        srv.down = "smallest"
        weights, full = srv.down_for(0)
        assert full and len(weights) == wire.HEADER.size + dev.payload_size


def test_faulty_uploads_never_reach_the_global(builds):
    """A corrupted, truncated, other-model or other-generation upload is
    excluded: the global equals the one merged without that device."""
    b = builds["forward-grad"]
    dev = EmulatedDevice(b)
    x, y = _data(dev)
    parts = partition(y, 6, "iid")

    def run(tamper):
        srv = FleetServer(b, max_steps=16)
        states = {i: NodeState() for i in range(6)}
        log = _fleet_round(srv, dev, states, parts, x, y, 1, list(range(6)), tamper)
        return srv, log

    clean, _ = run(lambda n, r: None if n == 2 else r)  # device 2 never answered
    cases = {
        "corrupt": lambda r: r.up[:-1] + bytes([r.up[-1] ^ 0x40]),
        "truncate": lambda r: r.up[: len(r.up) // 2],
        "version": lambda r: wire.pack(wire.UP, "forward-grad", dev.model_hash ^ 1, 0, r.samples,
                                       r.up[wire.HEADER.size:]),
        "generation": lambda r: wire.pack(wire.UP, "forward-grad", dev.model_hash, 7, r.samples,
                                          r.up[wire.HEADER.size:]),
        "steps": lambda r: wire.pack(wire.UP, "forward-grad", dev.model_hash, 0, r.samples,
                                     bytes(4) + r.up[wire.HEADER.size + 4:]),
    }
    for name, bad in cases.items():
        def tamper(n, r, bad=bad):
            if n == 2:
                r.up = bad(r)
            return r
        srv, log = run(tamper)
        assert [e["node"] for e in log.excluded] == [2], name
        assert "rejected" in log.excluded[0]["reason"], name
        assert srv.crc == clean.crc, name


def test_round_clock_auto_deadline_follows_the_last_complete_round():
    from pytool.fleet.flower_apps import ROUND_TIMEOUT_FLOOR, ROUND_TIMEOUT_MAX, RoundClock

    c = RoundClock()  # auto
    assert c.deadline() == ROUND_TIMEOUT_MAX  # nothing measured yet: the roll call may take long
    c.observed(1.0, complete=True)
    assert c.deadline() == ROUND_TIMEOUT_FLOOR  # 3 x 1 s is below the floor
    c.observed(20.0, complete=True)
    assert c.deadline() == 60.0
    c.observed(60.0, complete=False)  # a round cut by its deadline says nothing about the others
    assert c.deadline() == 60.0
    c.observed(1000.0, complete=True)
    assert c.deadline() == ROUND_TIMEOUT_MAX
    fixed = RoundClock(5.0)
    fixed.observed(100.0, complete=True)
    assert fixed.deadline() == 5.0
    with pytest.raises(ValueError, match="--round-timeout"):
        RoundClock(-1.0)


@pytest.mark.slow
def test_simulation_engine_ten_devices_with_faults(builds, tmp_path):
    from pytool.fleet.flower_apps import FleetConfig
    from pytool.fleet.simulate import simulate

    faults = "dropout:1@1,corrupt:2@1,truncate:3@2,version:4@2,generation:5@3,straggler:6@3"
    cfg = FleetConfig(build_dir=str(builds["forward-grad"]), data=str(DIGITS / "field.npz"),
                      eval=str(DIGITS / "field_test.npz"), clients=10, rounds=3, partition="label-skew",
                      max_steps=64, faults=faults, report=str(tmp_path / "out"),
                      progress=False)  # auto round timeout: the straggler is cut well before 600 s
    report = simulate(cfg)
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["accuracy_per_round"] == report["accuracy_per_round"]
    assert (tmp_path / "out" / "accuracy.png").stat().st_size > 0
    acc = report["accuracy_per_round"]
    assert len(acc) == 4 and acc[-1] > acc[0] + 0.1
    ex = {(e["round"], e["device"]): e["reason"] for e in report["excluded"]}
    assert "dropped out" in ex[(1, 1)]
    assert "CRC" in ex[(1, 2)] and "CRC" in ex[(2, 3)]
    assert "model" in ex[(2, 4)]
    assert "stale" in ex[(3, 5)]
    assert any(r == 3 and "straggler" in why for (r, _), why in ex.items())
    assert max(report["bytes_up_per_device_per_round"]) < 2048
    assert report["final_sync"]["in_sync"] == 10  # every device caught up, bit for bit
    assert report["final_generation"] == 3


@pytest.mark.qemu
@pytest.mark.slow
def test_deployment_engine_three_qemu_boards(builds, tmp_path):
    """flower-superlink + one flower-supernode per board gateway (real
    processes on loopback), three mps2-an386 boards in QEMU: each trains over
    the serial link, uploads (step, scalars) records, and replays the merged
    list on the board (FLEET_FG) to hold the server's global weights bit for bit."""
    from pytool.commands.build import build
    from pytool.fleet.deploy import run_fleet, split_for_nodes
    from pytool.fleet.flower_apps import FleetConfig
    from pytool.targets import QemuSession

    _, elf, _ = build(builds["forward-grad"], "mps2-an386", tmp_path / "fw")
    sessions = []
    try:
        for i in range(3):
            (tmp_path / f"board{i}").mkdir()
            sessions.append(QemuSession(elf, "mps2-an386", cwd=tmp_path / f"board{i}").start())
        nodes = split_for_nodes(str(DIGITS / "field.npz"), 3, tmp_path, ports=[s.url for s in sessions])
        for n in nodes:  # a few samples per board keep the run short
            z = np.load(n["data"])
            np.savez(n["data"], x=z["x"][:6], y=z["y"][:6])
        cfg = FleetConfig(build_dir=str(builds["forward-grad"]), clients=3, rounds=1, max_steps=6,
                          round_timeout=300.0, progress=False)
        report = run_fleet(cfg, tmp_path / "run", nodes, log=lambda s: None)
    finally:
        for s in sessions:
            s.stop()
    assert report["excluded"] == []
    assert report["samples_per_round"] == [18]
    assert 0 < report["bytes_up_per_device_per_round"][0] < 2048
    assert report["final_sync"]["in_sync"] == 3 and report["final_generation"] == 1
    for i in range(3):  # each board committed the global model to its own store
        assert (tmp_path / f"board{i}" / "odl_store.bin").stat().st_size > 0


def test_cli_rejects_bad_input(capsys):
    from pytool.cli import main

    assert main(["fleet", "simulate", "nope.tflite", "--method", "sparse", "--data", "x.npz"]) != 0
    assert "MODEL nope.tflite: no such file" in capsys.readouterr().err
    args = ["fleet", "simulate", str(MODEL), "--method", "forward-grad", "--data", str(DIGITS / "field.npz")]
    assert main(args + ["--faults", "melt:1@2"]) != 0
    assert "--faults 'melt:1@2'" in capsys.readouterr().err
    assert main(args + ["--clients", "0"]) != 0
    assert "--clients 0" in capsys.readouterr().err


def test_fleet_builds_train_sparse_at_the_fleet_lr(builds, tmp_path):
    """A fleet's sparse devices take FLEET_LR (the mean gives each sample 1/K
    of its centralised step); --lr still overrides it, other methods keep theirs."""
    from pytool.fleet.simulate import FLEET_LR
    from pytool.training import METHOD_DEFAULTS

    def lr(build):
        return json.loads((build / "model.json").read_text())["train"]["lr"]

    assert lr(builds["sparse"]) == FLEET_LR["sparse"] > METHOD_DEFAULTS["sparse"]["lr"]
    assert lr(builds["fp16"]) == METHOD_DEFAULTS["fp16"]["lr"]
    assert lr(build_model(MODEL, "sparse", tmp_path, lr=0.002, data=str(DIGITS / "field.npz"))) == 0.002
