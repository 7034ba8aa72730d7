"""Training on the emulated boards gives the host's bytes: the same losses,
predictions and flags at every step and the same trained weights."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.link import train as link_train
from pytool.targets import QemuSession, build_firmware
from pytool.training import TrainSpec
from pytool.training.loop import load_dataset

DIGITS = ROOT / "examples" / "digits"
BOARDS = ["mps2-an386", "mps3-an547", "riscv32-virt"]
STEPS = 100


def _weights(net) -> bytes:
    return b"".join(
        net.tensor(i).tobytes() for i, t in enumerate(net.meta["tensor_info"]) if t["flags"] & 0x08
    )


@pytest.fixture(scope="module")
def fg_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("fg")
    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=2.0, epsilon=4.0, directions=4, seed=3)
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=out / "model", train=spec)
    net = load_host(art)
    data = load_dataset(DIGITS / "field.npz", net.inputs[0])
    host = [net.train_step(data.x[i % len(data)], int(data.y[i % len(data)])) for i in range(STEPS)]
    return art, data, host, _weights(net)


@pytest.mark.qemu
@pytest.mark.parametrize("board", BOARDS)
def test_forward_grad_on_device_is_bit_exact(fg_build, board, tmp_path):
    art, data, host, host_weights = fg_build
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url) as link:
        assert link.info().train_method == 1
        for i in range(STEPS):
            got = link_train.train_step(link, data.x[i % len(data)], int(data.y[i % len(data)]))
            want = host[i]
            assert (got["loss_q16"], got["predicted"], got["flags"], got["step"]) == (
                want["loss_q16"], want["predicted"], want["flags"], want["step"]
            ), f"step {i} differs on {board}"
        crc, total, n = link_train.weights_digest(link)
        assert total == len(host_weights)
        import zlib

        assert crc == zlib.crc32(host_weights), f"trained weights differ on {board}"
        ev = link_train.eval_sample(link, data.x[0], int(data.y[0]))
        assert ev["step"] == STEPS
        st = link.stats()
        assert st.train_steps == STEPS
        assert np.isfinite(ev["loss"])


@pytest.mark.qemu
def test_forward_grad_needs_under_1k_extra_ram_on_device(tmp_path):
    """RAM beyond inference and the trainable int16 weights: arena growth from
    the planner plus the stack growth measured on the board."""
    model = DIGITS / "digits_int8_tf.tflite"
    inf = compile_model(model, out_dir=tmp_path / "inf")
    spec = TrainSpec.for_method("forward-grad", trainable="last:1")
    trn = compile_model(model, out_dir=tmp_path / "trn", train=spec)
    data = load_dataset(DIGITS / "field.npz", load_host(inf).inputs[0])
    stacks = {}
    for name, art in (("inf", inf), ("trn", trn)):
        elf = build_firmware(art.dir, "mps2-an386", tmp_path / f"fw_{name}")
        with QemuSession(elf, "mps2-an386") as q, Link(q.url) as link:
            for i in range(10):
                link.infer(data.x[i])
                if name == "trn":
                    link_train.train_step(link, data.x[i], int(data.y[i]))
                    link_train.eval_sample(link, data.x[i], int(data.y[i]))
            stacks[name] = link.stats().stack_high_water
    w16 = trn.report["extra"]["trainable weights (int16)"]
    arena_extra = trn.report["arena_bytes"] - inf.report["arena_bytes"] - w16
    stack_extra = max(0, stacks["trn"] - stacks["inf"])
    assert arena_extra + stack_extra <= 1024, (arena_extra, stack_extra)
    assert arena_extra > 0  # the biases and the method state are counted
