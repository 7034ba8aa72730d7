"""TRAIN / EVAL / READ_WEIGHTS over the link, served by the real C server in
process: same bytes as direct host training, and a retried TRAIN (lost ACK)
is answered from the replay cache, never applied twice."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.link import Link
from pytool.link.client import Nack
from pytool.link.hostsim import SimDevice, SimPort, build_device_module
from pytool.link.train import (
    eval_sample,
    read_weights,
    set_lr_shift,
    train_status,
    train_step,
    weights_digest,
)
from pytool.training import TrainSpec
from pytool.training.loop import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"


def _device(art):
    ffi, lib = build_device_module(
        "fg_link_train", (art.dir / "model.c").read_text().replace('#include "model.h"\n', ""),
        extra_c='#include "odl/link_train.h"\nint sim_register_train(odl_link_server_t *s) '
                "{ return odl_link_train_register(s); }",
        extra_cdef="int sim_register_train(odl_link_server_t *s);",
    )
    return ffi, lib


def test_train_over_link_matches_host(tmp_path):
    g = load_graph(DIGITS / "digits_int8_tf.tflite")
    spec = TrainSpec(method="forward-grad", trainable="last:1", lr=2.0, directions=4, epsilon=4.0, seed=9)
    art = compile_model(g, tmp_path / "fg", train=spec)
    host = load_host(art)
    ffi, lib = _device(art)
    dropped = {"n": 0}

    def drop_every_7th_answer(data: bytes) -> bytes:
        # a lost ACK: the client resends the same seq, the device replays it
        if data:
            dropped["seen"] = dropped.get("seen", 0) + 1
            if dropped["seen"] % 7 == 0:
                dropped["n"] += 1
                return b""
        return data

    dev = SimDevice(ffi, lib)
    assert lib.sim_register_train(dev.server) == 0
    data = load_dataset(DIGITS / "field.npz", host.inputs[0])
    with Link(SimPort(dev, to_host=drop_every_7th_answer), timeout=0.05, retries=3) as link:
        assert set_lr_shift(link) == 0
        for i in range(100):
            if i in (40, 70):  # the rate schedule: epoch starts at half, then a quarter of the rate
                assert set_lr_shift(link, i // 35) == i // 35
                host.set_lr_shift(i // 35)
            a = train_step(link, data.x[i], int(data.y[i]))
            b = host.train_step(data.x[i], int(data.y[i]))
            assert a == b, f"step {i}"
        e = eval_sample(link, data.x[0], int(data.y[0]))
        assert e == host.eval_sample(data.x[0], int(data.y[0]))
        crc, total, n = weights_digest(link)
        names = [t.name for t in art.program.tensors if t.flags & 0x08]
        blobs = [host.tensor(nm).tobytes() for nm in names]
        assert (n, total) == (len(blobs), sum(map(len, blobs)))
        assert crc == zlib.crc32(b"".join(blobs))
        assert read_weights(link, 0, len(blobs[0])) == blobs[0]
        # the evaluation tally since the last training step (what `monitor` shows)
        correct = [eval_sample(link, data.x[i], int(data.y[i]))["correct"] for i in range(1, 21)]
        status = train_status(link)
        assert status["train_steps"] == 100 and status["method"] == 1
        assert status["eval_samples"] == 21 and status["eval_correct"] == int(e["correct"]) + sum(correct)
        train_step(link, data.x[0], int(data.y[0]))
        assert train_status(link)["eval_samples"] == 0
        with pytest.raises(Nack):
            set_lr_shift(link, 16)  # beyond ODL_TRAIN_MAX_LR_SHIFT
        assert set_lr_shift(link) == 2
    assert dropped["n"] >= 10  # retries happened, and no step was applied twice
