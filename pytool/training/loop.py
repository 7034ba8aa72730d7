"""The training loop over a step function (host cffi or a device link), and
the report every method and target shares."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@dataclass
class Dataset:
    x: np.ndarray  # already in the model's input dtype, one sample per row
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def load_dataset(path: str | Path, input_info, n_classes: int | None = None, layout: str = "nhwc") -> Dataset:
    """.npz with x (float in the model's input range, or int8) and y labels,
    checked by pytool.data (one clear error per bad file, dtype, shape, value)."""
    from pytool.data import load_xy

    x, y = load_xy(path, input_info, n_classes, layout=layout)
    return Dataset(x, y)


@dataclass
class History:
    loss: list[float] = field(default_factory=list)
    eval_acc: list[tuple[int, float]] = field(default_factory=list)
    skipped: int = 0
    clipped: int = 0
    interventions: list[dict] = field(default_factory=list)


def lr_schedule_hook(spec, set_shift: Callable[[int], object]) -> Callable[[int], None] | None:
    """on_epoch_start for spec's --lr-schedule: set_shift(spec.lr_shift(ep)) at each epoch
    (HostModel.set_lr_shift, or the link's SET_LR: the same runtime call). None: constant."""
    if getattr(spec, "lr_schedule", "constant") == "constant":
        return None
    return lambda ep: set_shift(spec.lr_shift(ep))


def evaluate(eval_fn: Callable[[np.ndarray, int], dict], data: Dataset) -> tuple[float, float, np.ndarray]:
    """Accuracy, mean loss and the predictions."""
    preds = np.zeros(len(data), np.int64)
    losses = []
    for i in range(len(data)):
        r = eval_fn(data.x[i], int(data.y[i]))
        preds[i] = r["predicted"]
        losses.append(r["loss"])
    return float(np.mean(preds == data.y)), float(np.mean(losses)), preds


def train(
    step_fn: Callable[[np.ndarray, int], dict],
    eval_fn: Callable[[np.ndarray, int], dict],
    data: Dataset,
    eval_data: Dataset | None,
    epochs: int = 1,
    seed: int = 0,
    progress: bool = True,
    on_epoch: Callable[[int, float], None] | None = None,
    on_epoch_start: Callable[[int], None] | None = None,
) -> tuple[dict, History]:
    """Runs epochs of single-sample steps (shuffled with `seed`); on_epoch_start(ep)
    runs before epoch ep's first step (the rate schedule: see lr_schedule_hook)."""
    if epochs < 1:
        raise ValueError(f"--epochs {epochs}: must be ≥ 1")
    hist = History()
    rng = np.random.default_rng(seed)
    evd = eval_data if eval_data is not None else data
    acc0, loss0, preds0 = evaluate(eval_fn, evd)
    hist.eval_acc.append((0, acc0))
    t0 = time.perf_counter()
    steps = 0
    cols = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[acc]:.3f}  {task.fields[rate]:.0f} samples/s"),
            TimeRemainingColumn()]
    with Progress(*cols, disable=not progress, transient=False) as prog:
        task = prog.add_task("train", total=epochs * len(data), loss=float("nan"), acc=acc0, rate=0.0)
        for ep in range(epochs):
            order = rng.permutation(len(data))
            if on_epoch_start:
                on_epoch_start(ep)
            for i in order:
                r = step_fn(data.x[i], int(data.y[i]))
                steps += 1
                hist.loss.append(r["loss"])
                hist.skipped += bool(r.get("flags", 0) & 1)
                hist.clipped += bool(r.get("flags", 0) & 2)
                if steps % 16 == 0 or steps == epochs * len(data):
                    window = hist.loss[-64:]
                    prog.update(task, completed=steps, loss=float(np.mean(window)),
                                rate=steps / max(time.perf_counter() - t0, 1e-9))
            acc, _, _ = evaluate(eval_fn, evd)
            hist.eval_acc.append((steps, acc))
            prog.update(task, acc=acc)
            if on_epoch:
                on_epoch(ep, acc)
    acc1, loss1, preds1 = evaluate(eval_fn, evd)
    wall = time.perf_counter() - t0
    report = {
        "accuracy_before": acc0,
        "accuracy_after": acc1,
        "eval_loss_before": loss0,
        "eval_loss_after": loss1,
        "steps": steps,
        "epochs": epochs,
        "samples_per_s": steps / max(wall, 1e-9),
        "loss_curve": hist.loss,
        "eval_curve": hist.eval_acc,
        "skipped_steps": hist.skipped,
        "clipped_steps": hist.clipped,
        "confusion_before": confusion(evd.y, preds0).tolist(),
        "confusion_after": confusion(evd.y, preds1).tolist(),
    }
    return report, hist


def confusion(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    k = int(max(y.max(initial=0), p.max(initial=0))) + 1
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (y, p), 1)
    return m


def write_report(report: dict, out_dir: str | Path, plots: bool = True) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    if plots:
        plot_report(report, out)
    return out / "report.json"


def plot_report(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loss = np.asarray(report["loss_curve"], dtype=float)
    if loss.size:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(loss, alpha=0.3, label="per step")
        w = max(1, min(64, loss.size // 10))
        ax.plot(np.convolve(loss, np.ones(w) / w, mode="valid"), label=f"mean of {w}")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "loss.png", dpi=100)
        plt.close(fig)
    ev = report.get("eval_curve") or []
    if ev:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot([s for s, _ in ev], [a for _, a in ev], marker="o")
        ax.set_xlabel("step")
        ax.set_ylabel("field-test accuracy")
        fig.tight_layout()
        fig.savefig(out / "accuracy.png", dpi=100)
        plt.close(fig)
    if report.get("confusion_before") and report.get("confusion_after"):
        fig, axs = plt.subplots(1, 2, figsize=(8, 4))
        for ax, key, title in zip(axs, ("confusion_before", "confusion_after"), ("before", "after")):
            ax.imshow(np.asarray(report[key]), cmap="Blues")
            ax.set_title(f"{title}: acc {report['accuracy_' + title]:.3f}")
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
        fig.tight_layout()
        fig.savefig(out / "confusion.png", dpi=100)
        plt.close(fig)
