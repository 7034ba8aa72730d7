"""FP16 backprop of every layer of the AIfES MLP and CNN
(tests/fixtures/train_nets; the CNN trains its conv through max-pool): the
host build equals the numpy twin, and the Cortex-M4F (arm_fp kernels) and
Cortex-M55 (arm_mve kernels) firmware equal the host over 120 steps (stats per
step, trained-weight CRC, a final evaluation)."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.link import Link
from pytool.link.train import eval_sample, train_step, weights_digest
from pytool.reference import run_int8
from pytool.targets import QemuSession, build_firmware, get_board
from pytool.training import TrainSpec
from pytool.training.fp16 import build_plan
from pytool.training.fp16_ref import Fp16Reference
from pytool.training.loop import load_dataset

pytestmark = pytest.mark.qemu

NETS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "train_nets"
STEPS = 120
# Plain SGD (FC weight gradient and update fused, the conv's in two passes)
# from a loss scale that overflows at first (the fallback and skip);
# heavy-ball momentum runs in tests/test_fp16_ops.py and test_fp16_qemu.py.
SPECS = {net: dict(method="fp16", trainable="last:2", lr=0.01, extra={"initial_scale": 2.0**18})
         for net in ("mlp", "cnn")}


@pytest.fixture(scope="module", params=["mlp", "cnn"])
def trained(request, tmp_path_factory):
    net = request.param
    spec = TrainSpec(**SPECS[net])
    art = compile_model(NETS / f"{net}_int8.tflite", tmp_path_factory.mktemp(net), train=spec)
    host = load_host(art)
    data = load_dataset(NETS / "field.npz", host.inputs[0])
    order = np.random.default_rng(7).permutation(len(data))[:STEPS]
    samples = [(data.x[i], int(data.y[i])) for i in order]
    stats = [host.train_step(x, y) for x, y in samples]
    skipped = sum(s["flags"] & 1 for s in stats)
    assert 0 < skipped < 20, skipped
    blobs = [host.tensor(t.name).tobytes() for t in art.program.tensors if t.flags & 0x08]
    return net, art, samples, stats, blobs, host.eval_sample(*samples[0])


def test_host_equals_numpy_twin(trained):
    net, art, samples, stats, _, _ = trained
    g = load_graph(NETS / f"{net}_int8.tflite")
    ref = Fp16Reference(g, build_plan(g, TrainSpec(**SPECS[net])))
    shape = g.tensors[g.inputs[0]].shape
    for k, (x, y) in enumerate(samples[:40]):
        r = ref.step(run_int8(g, [x.reshape(shape)], keep_all=True), y)
        assert (r["loss_q16"], r["predicted"], r["flags"]) == (
            stats[k]["loss_q16"], stats[k]["predicted"], stats[k]["flags"]), f"{net}: step {k}"


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["mps2-an386", "mps3-an547"])
def test_board_equals_host(trained, tmp_path, board_name):
    net, art, samples, stats, blobs, final = trained
    board = get_board(board_name)
    elf = build_firmware(art.dir, board, tmp_path, mode="link")
    with QemuSession(elf, board, timeout=120) as q, Link(q.url, timeout=30.0) as link:
        for k, (x, y) in enumerate(samples):
            assert train_step(link, x, y) == stats[k], f"{net} on {board_name}: step {k}"
        crc, total, n = weights_digest(link)
        assert (n, total) == (len(blobs), sum(map(len, blobs)))
        assert crc == zlib.crc32(b"".join(blobs)), f"{net} on {board_name}: trained weights differ"
        assert eval_sample(link, *samples[0]) == final
