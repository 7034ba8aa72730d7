"""Defaults derived from the model and the budget, and `--lr auto`."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from pytool import compile_model
from pytool.cli import main
from pytool.compiler import load_graph
from pytool.training import TrainSpec, TrainSpecError, autolr

NETS = ROOT / "tests" / "fixtures" / "train_nets"
MLP = NETS / "mlp_int8.tflite"
FIELD = NETS / "field.npz"


def test_fp16_default_trains_every_layer_of_a_small_model(tmp_path):
    art = compile_model(MLP, tmp_path / "a", train=TrainSpec.for_method("fp16"))
    assert art.meta["train"]["trainable"] == "last:2"  # the MLP has 2 layers: no last:3 error


def test_fp16_default_takes_as_many_layers_as_the_budget_holds(tmp_path):
    full = compile_model(MLP, tmp_path / "full", train=TrainSpec.for_method("fp16", trainable="last:2"))
    need = full.report["arena_bytes"] + full.program.plan.stack_bytes
    art = compile_model(MLP, tmp_path / "b", train=TrainSpec.for_method("fp16", ram=need - 1))
    assert art.meta["train"]["trainable"] == "last:1"
    assert "last:2" in str(art.meta["train"]["extra"]["trainable_auto"]["skipped"])
    with pytest.raises(TrainSpecError, match="no last:k trains within the budget"):
        compile_model(MLP, tmp_path / "c", train=TrainSpec.for_method("fp16", ram=64))


def test_lr_auto_takes_the_best_rate_of_its_sweep(tmp_path):
    spec = TrainSpec.for_method("fp16")
    choice = autolr.apply(load_graph(MLP), spec, FIELD, work=tmp_path)
    best = autolr.pick_best(choice.points, choice.n_val, autolr.keep_rate("fp16"))
    assert choice.lr == best.lr
    # the candidates were scored under the job's halving schedule: the pick is the first epoch's rate
    assert choice.schedule == "halve" and spec.lr == choice.lr
    assert len({p.lr for p in choice.points}) == len(choice.points) >= len(autolr.LR_GRID["fp16"])
    # the sweep trained on field data: the chosen rate beats the untrained model on the held-out split
    assert best.accuracy > choice.baseline_accuracy + 0.2
    assert spec.extra["lr_auto"]["lr"] == choice.lr and spec.trainable == "last:2"
    assert choice.n_train + choice.n_val <= 497 and choice.n_val >= 5


def test_plan_shows_the_sweep_and_writes_its_plot(tmp_path, capsys):
    png = tmp_path / "sweep.png"
    assert main(["plan", str(MLP), "--train", "sparse", "--data", str(FIELD), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "--lr auto: scheme, lr" in text and "chosen" in text
    assert png.stat().st_size > 1000


def test_lr_auto_without_data_keeps_the_default_and_says_so(tmp_path, capsys):
    assert main(["compile", str(MLP), "-o", str(tmp_path / "o"), "--train", "forward-grad"]) == 0
    assert "no field data" in capsys.readouterr().out
    assert main(["compile", str(MLP), "-o", str(tmp_path / "p"), "--train", "fp16", "--lr", "fast"]) != 0
    assert "--lr 'fast': a number or 'auto'" in capsys.readouterr().err
    assert not (tmp_path / "p" / "model.c").exists()


@pytest.mark.parametrize("net", ["mlp", "cnn"])
@pytest.mark.parametrize("method", ["forward-grad", "sparse", "fp16"])
def test_no_default_errors_on_the_aifes_nets(tmp_path, net, method):
    spec = TrainSpec.for_method(method, extra={"data": str(FIELD)} if method == "sparse" else {})
    art = compile_model(NETS / f"{net}_int8.tflite", tmp_path / "m", train=spec)
    assert art.meta["trainable_order"]


def test_the_pick_takes_the_lowest_loss_among_accuracies_within_noise(monkeypatch):
    def pt(lr, d, acc, loss):
        return autolr.SweepPoint("last:1", lr, d, 4.0, acc, loss)

    # 150 held-out samples: 0.92 vs 0.946 is within two standard errors; the loss decides
    assert autolr.pick_best([pt(0.005, None, 0.946, 0.268), pt(0.01, None, 0.919, 0.239)], 150).lr == 0.01
    # far apart in accuracy: accuracy decides whatever the loss
    assert autolr.pick_best([pt(0.005, None, 0.95, 0.30), pt(0.01, None, 0.80, 0.20)], 150).lr == 0.005
    # forward gradient: held-out losses within 1 % tie and the larger rate wins, even when less accurate
    # (MLP seed 4: lr 4 0.879 / 0.4217 vs lr 8 0.846 / 0.4207); beyond the tie, the loss
    assert autolr.pick_best([pt(4.0, 16, 0.852, 0.453), pt(8.0, 16, 0.859, 0.456)], 149).lr == 8.0
    assert autolr.pick_best([pt(4.0, 16, 0.879, 0.4217), pt(8.0, 16, 0.846, 0.4207)], 149).lr == 8.0
    assert autolr.pick_best([pt(4.0, 16, 0.879, 0.4200), pt(8.0, 16, 0.846, 0.4207)], 149).lr == 8.0
    assert autolr.pick_best([pt(4.0, 16, 0.852, 0.453), pt(8.0, 16, 0.859, 0.470)], 149).lr == 4.0
    # a kept rate (sparse's default) wins within the tolerance, not beyond it
    assert autolr.pick_best([pt(0.0015, None, 0.73, 0.99), pt(0.005, None, 0.797, 0.65)], 74, 0.0015).lr == 0.0015
    assert autolr.pick_best([pt(0.0015, None, 0.60, 0.99), pt(0.005, None, 0.90, 0.65)], 74, 0.0015).lr == 0.005
    # a tied rate whose doubling no longer ties sits at the edge where training falls apart: the
    # tied smaller rate wins (CNN seed 4: 16 ties with 8, 32 diverges; after the job 0.847 vs 0.863)
    cnn4 = [pt(4.0, 32, 0.893, 0.4112), pt(8.0, 32, 0.886, 0.3675), pt(16.0, 32, 0.899, 0.3689),
            pt(32.0, 32, 0.839, 0.6019)]
    assert autolr.pick_best(cnn4, 149).lr == 8.0
    assert autolr.pick_best(cnn4[:3], 149).lr == 16.0  # nothing tried beyond it: the larger rate
    # with a cheaper first direction count, more directions double the step: they must win clearly
    monkeypatch.setattr(autolr, "FG_DIRECTIONS", [16, 32])
    assert autolr.pick_best([pt(4.0, 16, 0.80, 0.50), pt(4.0, 32, 0.805, 0.50)], 1000).directions == 16
    assert autolr.pick_best([pt(4.0, 16, 0.80, 0.50), pt(4.0, 32, 0.90, 0.40)], 1000).directions == 32


def test_forward_grad_without_a_sweep_trains_the_last_layer(tmp_path):
    art = compile_model(MLP, tmp_path / "fg", train=TrainSpec.for_method("forward-grad"))
    assert art.meta["train"]["trainable"] == "last:1"
    assert autolr.fg_trained_sets(load_graph(MLP), TrainSpec.for_method("forward-grad")) == ["last:1", "last:2"]


def test_lr_auto_with_too_few_samples_keeps_the_default(tmp_path, capsys):
    z = np.load(FIELD)
    small = tmp_path / "small.npz"
    np.savez(small, x=z["x"][:6], y=z["y"][:6])
    assert main(["compile", str(MLP), "-o", str(tmp_path / "o"), "--train", "sparse", "--data", str(small)]) == 0
    assert "has 6 samples" in capsys.readouterr().out


def test_forward_grad_rates_reach_32_the_others_stay_at_10():
    TrainSpec.for_method("forward-grad", lr=16.0).validate()  # the sweep's grid at 32 directions
    with pytest.raises(TrainSpecError, match=r"--lr 40.0: the learning rate must be in \(0, 32\]"):
        TrainSpec.for_method("forward-grad", lr=40.0).validate()
    with pytest.raises(TrainSpecError, match=r"must be in \(0, 10\]"):
        TrainSpec.for_method("fp16", lr=16.0).validate()


def test_sparse_sweep_can_keep_its_default_rate():
    """keep_rate only works when the default is one of the sweep's candidates (as the first
    epoch's rate when the sweep scores the halving schedule: twice the default)."""
    from pytool.training import METHOD_DEFAULTS

    assert autolr.keep_rate("sparse") == METHOD_DEFAULTS["sparse"]["lr"]
    lr = autolr.keep_rate("sparse", "halve")
    assert lr == 2 * METHOD_DEFAULTS["sparse"]["lr"]
    grid = autolr.LR_GRID["sparse"]
    assert min(grid) < lr < max(grid)  # a rate above and below it, neither more than ~3x away
    assert max(grid) / lr <= 3.0 and lr / min(grid) <= 3.0
    pts = [autolr.SweepPoint("scheme", r, None, None, acc, loss) for r, acc, loss in
           zip(grid, (0.797, 0.78, 0.81), (0.533, 0.55, 0.50))]
    assert autolr.pick_best(pts, 74, lr).lr == lr


@pytest.mark.parametrize("net, activity_sets", [("mlp", {"last:1", "last:2"}), ("cnn", {"last:1"})])
def test_forward_grad_sweep_perturbs_activity_where_the_set_allows(tmp_path, net, activity_sets):
    """--perturb auto: fully connected heads take activity perturbation (a float rate), a conv in
    the set keeps weight perturbation; the choice reaches the spec and the compiled model."""
    g = load_graph(NETS / f"{net}_int8.tflite")
    spec = TrainSpec.for_method("forward-grad")
    choice = autolr.apply(g, spec, FIELD, work=tmp_path / "lr", job_steps=300)
    for p in choice.points:
        assert (p.perturb == "activity") == (p.trainable in activity_sets), p
        assert (p.lr <= autolr.FG_ACT_MAX_LR) == (p.perturb == "activity"), p
    assert spec.extra["fg_perturb"] == choice.perturb and choice.perturb in ("activity", "weights")
    assert spec.extra["lr_auto"]["perturb"] == choice.perturb
    art = compile_model(g, tmp_path / "m", train=spec)
    assert ("odl_fg_activity" in (art.dir / "model.c").read_text()) == (choice.perturb == "activity")
    best = max(choice.points, key=lambda p: p.accuracy)
    assert best.accuracy > choice.baseline_accuracy + 0.15


def test_perturb_weights_keeps_the_old_sweep(tmp_path, capsys):
    g = load_graph(MLP)
    spec = TrainSpec.for_method("forward-grad", extra={"fg_perturb": "weights"})
    choice = autolr.sweep(g, spec, FIELD, work=tmp_path, job_steps=100)
    assert {p.perturb for p in choice.points} == {"weights"} and {p.directions for p in choice.points} == {32}
    assert main(["compile", str(NETS / "cnn_int8.tflite"), "-o", str(tmp_path / "o"), "--train", "forward-grad",
                 "--perturb", "activity", "--trainable", "last:2", "--lr", "0.01"]) != 0
    assert "--perturb activity: it trains FULLY_CONNECTED layers only, not CONV_2D" in capsys.readouterr().err
    assert not (tmp_path / "o" / "model.c").exists()


def test_sparse_refuses_trainable_instead_of_ignoring_it(tmp_path, capsys):
    assert main(["compile", str(MLP), "-o", str(tmp_path / "o"), "--train", "sparse", "--trainable", "last:1",
                 "--lr", "0.006"]) != 0
    assert "sparse update picks its layers, channels and biases with a scheme" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["finetune", str(MLP), "--target", "mps2-an386", "--method", "sparse", "--data", str(FIELD),
                 "--trainable", "last:1", "--report", str(tmp_path / "r")]) != 0
    assert "it takes no --trainable" in capsys.readouterr().err
    assert not (tmp_path / "r" / "report.json").exists()
