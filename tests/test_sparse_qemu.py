"""Sparse update on the emulated boards gives the host's bytes: the same
losses and predictions at every step and the same trained weights."""

from __future__ import annotations

import zlib

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
SCHEME = """
[[layer]]
op = 4
update = "weights"
rounding = "master"
[[layer]]
op = 3
update = "weights"
channels = [1, 5, 7, 30]
rounding = "stochastic"
[[layer]]
op = 1
update = "weights"
fraction = 0.25
rounding = "round"
[[layer]]
op = 0
update = "bias"
"""


def _weights(net) -> bytes:
    return b"".join(
        net.tensor(i).tobytes() for i, t in enumerate(net.meta["tensor_info"]) if t["flags"] & 0x08
    )


@pytest.fixture(scope="module")
def sparse_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("sparse")
    (out / "scheme.toml").write_text(SCHEME)
    spec = TrainSpec(method="sparse", scheme=str(out / "scheme.toml"), lr=0.05, seed=4)
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=out / "model", train=spec)
    net = load_host(art)
    data = load_dataset(DIGITS / "field.npz", net.inputs[0])
    host = [net.train_step(data.x[i % len(data)], int(data.y[i % len(data)])) for i in range(STEPS)]
    return art, data, host, _weights(net)


@pytest.mark.qemu
@pytest.mark.parametrize("board", BOARDS)
def test_sparse_on_device_is_bit_exact(sparse_build, board, tmp_path):
    art, data, host, host_weights = sparse_build
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url) as link:
        assert link.info().train_method == 2
        for i in range(STEPS):
            got = link_train.train_step(link, data.x[i % len(data)], int(data.y[i % len(data)]))
            want = host[i]
            assert (got["loss_q16"], got["predicted"], got["flags"], got["step"]) == (
                want["loss_q16"], want["predicted"], want["flags"], want["step"]
            ), f"step {i} differs on {board}"
        crc, total, _ = link_train.weights_digest(link)
        assert total == len(host_weights)
        assert crc == zlib.crc32(host_weights), f"trained weights differ on {board}"
