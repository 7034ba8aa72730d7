"""--lr-schedule: the per-epoch rate shift the host sets on the device (odl_train_set_lr_shift / SET_LR)."""

from __future__ import annotations

import numpy as np
import pytest

from pytool.training import TrainSpec, TrainSpecError
from pytool.training.loop import Dataset, lr_schedule_hook, train


@pytest.mark.parametrize("method", ["forward-grad", "sparse", "fp16"])
def test_defaults_halve_the_rate_each_epoch(method):
    spec = TrainSpec.for_method(method)
    assert spec.lr_schedule == "halve"
    assert [spec.lr_shift(e) for e in (0, 1, 2, 40)] == [0, 1, 2, 15]  # ODL_TRAIN_MAX_LR_SHIFT caps it
    assert TrainSpec.for_method(method, lr_schedule="constant").lr_shift(2) == 0
    assert lr_schedule_hook(TrainSpec.for_method("sparse", lr_schedule="constant"), print) is None


def test_bad_schedule_is_one_clear_error():
    with pytest.raises(TrainSpecError, match="--lr-schedule 'cosine': choose one of constant, halve"):
        TrainSpec.for_method("fp16", lr_schedule="cosine").validate()


def test_train_sets_the_shift_before_each_epoch():
    events = []
    spec = TrainSpec.for_method("forward-grad")
    hook = lr_schedule_hook(spec, lambda k: events.append(("shift", k)))

    def step(x, y):
        events.append(("step", int(y)))
        return {"loss": 1.0, "flags": 0}

    def ev(x, y):
        return {"loss": 1.0, "correct": True, "predicted": int(y)}

    data = Dataset(np.zeros((2, 1), np.int8), np.array([0, 1]))
    train(step, ev, data, None, epochs=3, progress=False, on_epoch_start=hook)
    shifts = [i for i, e in enumerate(events) if e[0] == "shift"]
    assert [events[i][1] for i in shifts] == [0, 1, 2] and shifts == [0, 3, 6]  # before each epoch's 2 steps


def test_finetune_passes_the_schedule_to_its_spec(monkeypatch):
    """`tinyodl finetune --lr-schedule constant` reaches the spec the device trains with."""
    import pytool.finetune as ft
    from pytool.cli import main

    seen = {}

    def fake_finetune(*args, spec_extra=None, **kw):
        seen["spec"] = ft.method_spec(args[2], None, None, None, 0, **(spec_extra or {}))
        raise SystemExit(0)

    monkeypatch.setattr(ft, "finetune", fake_finetune)
    with pytest.raises(SystemExit):
        main(["finetune", "m.tflite", "--target", "mps2-an386", "--method", "sparse", "--data", "d.npz",
              "--lr-schedule", "constant"])
    assert seen["spec"].lr_schedule == "constant"
