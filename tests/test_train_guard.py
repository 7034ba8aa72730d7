"""The device's loss-spike guard: a step whose loss spikes is not applied
(weights unchanged, ODL_STEP_SKIPPED), decisions follow the documented
integer rule (a numpy twin), and with the guard off nothing changes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from pytool import compile_model, load_host
from pytool.training import TrainSpec, TrainSpecError
from pytool.training.loop import load_dataset

DIGITS = ROOT / "examples" / "digits"
WARMUP, SHIFT = 32, 5


def guard_twin(losses: list[int], k_q8: int) -> list[bool]:
    """The rule of odl_train_guard in Python integers (C truncates toward zero)."""
    mean = var = n = 0
    out = []
    tdiv = lambda a, b: -((-a) // b) if a < 0 else a // b  # noqa: E731
    for x in losses:
        d = x - mean
        d2 = (d * d) >> 16
        if n >= WARMUP and d > 0 and x > 2 * mean and d2 > ((k_q8 * k_q8 * var) >> 16):
            out.append(True)
            continue
        div = n + 1 if n < WARMUP else 1 << SHIFT
        mean, var, n = mean + tdiv(d, div), max(0, var + tdiv(d2 - var, div)), n + 1
        out.append(False)
    return out


def _weights(net) -> bytes:
    return b"".join(net.tensor(i).tobytes() for i in net.meta["trainable_order"])


@pytest.mark.parametrize("method", ["forward-grad", "sparse", "fp16"])
def test_spike_is_skipped_and_weights_kept(method, tmp_path):
    spec = TrainSpec.for_method(method, guard_sigma=3.0)
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=tmp_path, train=spec)
    net = load_host(art)
    data = load_dataset(DIGITS / "field.npz", net.inputs[0])
    losses, flags = [], []
    for i in range(48):
        r = net.train_step(data.x[i], int(data.y[i]))
        losses.append(r["loss_q16"])
        flags.append(r["flags"])
    # a confidently predicted sample with the least likely label: a huge loss
    probs = net.invoke(data.x[0]).reshape(-1).astype(np.int32)
    worst = int(np.argmin(probs))
    before = _weights(net)
    r = net.train_step(data.x[0], worst)
    losses.append(r["loss_q16"])
    flags.append(r["flags"])
    assert r["flags"] & 0x01, f"spike of loss {r['loss']:.2f} was applied"
    assert _weights(net) == before
    # every decision equals the documented rule on the losses the C reported
    decided = [bool(f & 0x01) for f in flags]
    expected = guard_twin(losses, 3 * 256)
    if method == "fp16":  # fp16 also skips overflowing steps, which the guard never sees
        decided = [d and not (f & 0x04) for d, f in zip(decided, flags)]
    assert decided == expected
    # the next ordinary step trains again
    assert not net.train_step(data.x[1], int(data.y[1]))["flags"] & 0x01


def test_guard_off_by_default_and_validated(tmp_path):
    art = compile_model(DIGITS / "digits_int8_tf.tflite", out_dir=tmp_path,
                        train=TrainSpec.for_method("forward-grad"))
    assert "0u, /* guard_sigma_q8 */" in (tmp_path / "model.c").read_text()
    with pytest.raises(TrainSpecError, match="guard-sigma"):
        TrainSpec.for_method("sparse", guard_sigma=0.5).validate()
    assert art.meta["train"]["guard_sigma"] == 0.0
