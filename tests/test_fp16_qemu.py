"""FP16 backprop on the emulated Cortex-M55 and Cortex-M4F: 60 training steps
over the serial link give the same stats and weight bytes as the host build,
and INFER (odl_invoke through the trained FP16 head) the same output bytes."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.link.train import eval_sample, read_weights, train_step, weights_digest
from pytool.targets import QemuSession, build_firmware, get_board
from pytool.training import TrainSpec
from pytool.training.loop import load_dataset

pytestmark = pytest.mark.qemu

DIGITS = Path(__file__).resolve().parents[1] / "examples" / "digits"
STEPS = 60


@pytest.fixture(scope="module")
def trained_on_host(tmp_path_factory):
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.002, momentum=0.9, extra={"initial_scale": 2.0**15})
    art = compile_model(DIGITS / "digits_int8_tf.tflite", tmp_path_factory.mktemp("fp16"), train=spec)
    host = load_host(art)
    data = load_dataset(DIGITS / "field.npz", host.inputs[0])
    order = np.random.default_rng(3).permutation(len(data))[:STEPS]
    stats = [host.train_step(data.x[i], int(data.y[i])) for i in order]
    assert any(s["flags"] & 1 for s in stats), "the run should include a skipped (overflow) step"
    names = [t.name for t in art.program.tensors if t.flags & 0x08]
    blobs = [host.tensor(n).tobytes() for n in names]
    final_eval = host.eval_sample(data.x[0], int(data.y[0]))
    test = load_dataset(DIGITS / "field_test.npz", host.inputs[0])
    infers = [(x.reshape(host.inputs[0].shape), host.invoke(x)) for x in test.x[:24]]
    return art, data, order, stats, blobs, final_eval, infers


@pytest.mark.parametrize("name", ["mps3-an547", "mps2-an386"])
def test_fp16_training_on_qemu_matches_host(tmp_path, trained_on_host, name):
    art, data, order, stats, blobs, final_eval, infers = trained_on_host
    board = get_board(name)
    elf = build_firmware(art.dir, board, tmp_path, mode="link")
    with QemuSession(elf, board, timeout=60) as q, Link(q.url, timeout=10.0) as link:
        # the device trains inside the planner's arena, FP16 buffers included
        assert link.info().arena_size == art.report["arena_bytes"]
        for k, i in enumerate(order):
            assert train_step(link, data.x[i], int(data.y[i])) == stats[k], f"{name}: step {k}"
        crc, total, n = weights_digest(link)
        assert (n, total) == (len(blobs), sum(map(len, blobs)))
        assert crc == zlib.crc32(b"".join(blobs))
        assert read_weights(link, 0, len(blobs[0])) == blobs[0]
        assert eval_sample(link, data.x[0], int(data.y[0])) == final_eval
        for k, (x, want) in enumerate(infers):
            got = link.infer(x)
            assert got.dtype == want.dtype and np.array_equal(got.reshape(-1), want.reshape(-1)), f"{name}: infer {k}"
        assert 0 < link.stats().stack_high_water < board.stack_size
