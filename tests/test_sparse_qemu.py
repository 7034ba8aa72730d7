"""Sparse update on the emulated boards gives the host's bytes (the same
losses and predictions at every step and the same trained weights), and its
measured peak RAM (planner arena + stack high-water beyond inference) stays
within the --ram budget."""

from __future__ import annotations

import zlib

import pytest
from conftest import ROOT

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.link import train as link_train
from pytool.targets import QemuSession, build_firmware
from pytool.training import TrainSpec
from pytool.training import sparse as sp
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


@pytest.fixture(scope="module")
def inference_stack(tmp_path_factory):
    """Stack high-water of an inference-only firmware of the digits model, per board."""
    out = tmp_path_factory.mktemp("inf")
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=out / "model")
    data = load_dataset(DIGITS / "field.npz", load_host(art).inputs[0])
    cache: dict[str, int] = {}

    def get(board: str) -> int:
        if board not in cache:
            elf = build_firmware(art.dir, board, out / f"fw_{board}")
            with QemuSession(elf, board) as q, Link(q.url) as link:
                for i in range(3):
                    link.infer(data.x[i])
                cache[board] = link.stats().stack_high_water
        return cache[board]

    return art, get


def _measured_peak(art, board: str, tmp_path, inference_stack_bytes: int, steps: int = 20) -> tuple[int, int]:
    """(arena + stack beyond inference, stack beyond inference) after INFER, TRAIN and EVAL on the board."""
    data = load_dataset(DIGITS / "field.npz", load_host(art).inputs[0])
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url) as link:
        link.infer(data.x[0])
        for i in range(steps):
            got = link_train.train_step(link, data.x[i], int(data.y[i]))
            assert got["step"] == i + 1
        link_train.eval_sample(link, data.x[0], int(data.y[0]))
        st = link.stats()
    assert st.train_steps == steps
    extra_stack = max(0, st.stack_high_water - inference_stack_bytes)
    return art.report["arena_bytes"] + extra_stack, extra_stack


@pytest.mark.qemu
@pytest.mark.parametrize("factor", [1.35, 1.5, 3.0])
def test_measured_peak_ram_within_budget(inference_stack, factor, tmp_path):
    """--ram covers the training arena plus the stack the training call needs
    beyond an inference-only firmware of the same model, measured on the board."""
    inf_art, stack_of = inference_stack
    budget = int(factor * inf_art.report["arena_bytes"])
    spec = TrainSpec(method="sparse", lr=0.003, ram=budget, extra={"data": str(DIGITS / "field.npz")})
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=tmp_path / "model", train=spec, ram=budget)
    peak, extra_stack = _measured_peak(art, "mps2-an386", tmp_path, stack_of("mps2-an386"))
    assert peak <= budget, (peak, budget, extra_stack)
    assert 0 < extra_stack <= art.program.plan.stack_bytes  # the reserve covers what the board used


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["mps3-an547", "riscv32-virt"])
def test_training_stack_reserve_holds_on_other_boards(sparse_build, inference_stack, board, tmp_path):
    """The deepest scheme of this file (conv weights, channel subset, all
    rounding modes) stays within the reserved training stack on the other cores."""
    art = sparse_build[0]
    _, stack_of = inference_stack
    _, extra_stack = _measured_peak(art, board, tmp_path, stack_of(board))
    assert 0 < extra_stack <= sp.TRAIN_STACK_BYTES


NETS = ROOT / "tests" / "fixtures" / "train_nets"
CNN_SCHEME = """
[[layer]]
op = 0
update = "weights"
rounding = "master"
[[layer]]
op = 3
update = "weights"
rounding = "stochastic"
"""


@pytest.fixture(scope="module")
def cnn_build(tmp_path_factory):
    """The AIfES CNN (conv 3x3 SAME + ReLU -> max-pool 2x2 -> dense 10) with
    every weight trained: conv backward through the max-pool, on the host."""
    out = tmp_path_factory.mktemp("sparse_cnn")
    (out / "scheme.toml").write_text(CNN_SCHEME)
    spec = TrainSpec(method="sparse", scheme=str(out / "scheme.toml"), lr=0.01, seed=3)
    art = compile_model(NETS / "cnn_int8.tflite", out_dir=out / "model", train=spec)
    net = load_host(art)
    data = load_dataset(NETS / "field.npz", net.inputs[0])
    host = [net.train_step(data.x[i % len(data)], int(data.y[i % len(data)])) for i in range(STEPS)]
    return art, data, host, _weights(net)


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_sparse_cnn_through_max_pool_is_bit_exact(cnn_build, board, tmp_path):
    """The arm_dsp kernels (one-channel conv, max-pool, conv bw_weight through
    the pool; arm_mve inference on the M55) give the host's bytes (the portable
    ones are the host's: test_sparse_ops.py checks them against numpy)."""
    art, data, host, host_weights = cnn_build
    assert host[-1]["step"] == STEPS
    elf = build_firmware(art.dir, board, tmp_path / "fw")
    with QemuSession(elf, board) as q, Link(q.url) as link:
        for i in range(STEPS):
            got = link_train.train_step(link, data.x[i % len(data)], int(data.y[i % len(data)]))
            want = host[i]
            assert (got["loss_q16"], got["predicted"], got["flags"]) == (
                want["loss_q16"], want["predicted"], want["flags"]
            ), f"step {i} differs on {board}"
        crc, total, _ = link_train.weights_digest(link)
    assert total == len(host_weights)
    assert crc == zlib.crc32(host_weights), f"trained weights differ on {board}"


@pytest.mark.qemu
@pytest.mark.parametrize("table_op", ["HARD_SWISH"])
def test_sparse_through_moves_and_tables_is_bit_exact(table_op, tmp_path):
    """TRANSPOSE, PAD, the element-wise table op, STRIDED_SLICE and CONCATENATION
    between two trained layers: the Cortex-M4 firmware gives the host's bytes."""
    import numpy as np
    from test_sparse_ops import chain_graph

    g = chain_graph(table_op)
    (tmp_path / "s.toml").write_text('[[layer]]\nop = 0\nupdate = "weights"\n[[layer]]\nop = 9\nupdate = "bias"\n')
    spec = TrainSpec(method="sparse", scheme=str(tmp_path / "s.toml"), lr=0.05, seed=2)
    art = compile_model(g, tmp_path / "m", train=spec)
    net = load_host(art)
    rng = np.random.default_rng(4)
    xs = [rng.integers(-128, 128, (1, 8)).astype(np.int8) for _ in range(40)]
    host = [net.train_step(x, i % 5) for i, x in enumerate(xs)]
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    with QemuSession(elf, "mps2-an386") as q, Link(q.url) as link:
        for i, x in enumerate(xs):
            got = link_train.train_step(link, x, i % 5)
            assert (got["loss_q16"], got["predicted"]) == (host[i]["loss_q16"], host[i]["predicted"]), i
        crc, _, _ = link_train.weights_digest(link)
    assert crc == zlib.crc32(_weights(net))
