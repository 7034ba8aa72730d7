"""`--lr auto`: pick the learning rate (forward gradient: also directions and ε)
from a short sweep on the user's own field data.

Each candidate is compiled and trained by the host build of the C runtime (the
device's arithmetic, bit for bit), on a seeded split of the field data: a few
epochs on the larger part, scored on the held-out rest (accuracy, then mean
loss). What wins on the host is what the device gets. A sweep costs about one
host build per candidate (~1-2 s each).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytool.ir import Graph
from pytool.training import TrainSpec, TrainSpecError, resolve_trainable, weighted_layers
from pytool.training.defaults import AUTO

# Candidate grids, around each method's default (docs/training.md).
# With --lr-schedule halve (the default) a candidate is the first epoch's rate and is scored
# under the job's own schedule (halved at the job's epoch boundaries); with constant, the rate.
LR_GRID = {
    "fp16": [0.002, 0.005, 0.01, 0.02],
    "sparse": [0.004, 0.012, 0.024],
    "forward-grad": [6.0, 12.0, 24.0],
}
MAX_LR = {"fp16": 0.1, "sparse": 0.05, "forward-grad": 32.0}  # TrainSpec.validate: training.MAX_LR
# Forward gradient by activity perturbation (forward_grad_act.py): a float-equivalent SGD rate, tried
# wherever the trained set allows it (the last one or two fully connected layers); digits last:2, seeds
# 0-4, halving from the rate: 0.005 mean 0.900, 0.01 0.896, 0.02 0.875, 0.04 0.738
# (docs/design/train-defaults.md, fifth pass). Its ε is in int8 output LSBs of the hidden layer: 1
# (digits last:2 at 0.0075: mean 0.900, min 0.888; ε 2: 0.896 / 0.880).
FG_ACT_LR_GRID = [0.005, 0.01, 0.02]
FG_ACT_MAX_LR = 0.08
FG_ACT_EPSILON = 1.0
MAX_EXTEND = 2  # grid steps beyond an edge when the best rate sits there
# Forward gradient sweeps at 32 directions (the most the runtime takes): on the AIfES MLP / CNN (3 epochs,
# seeds 0-4) every rate / ε tried at 16 directions ends at 0.84-0.86, at 32 the same rates reach
# 0.85-0.88; the step costs twice as much (docs/design/train-defaults.md). A second entry would be tried
# at the best rate and must then win by FG_MORE_DIRECTIONS_GAIN.
FG_DIRECTIONS = [32]
FG_MORE_DIRECTIONS_GAIN = 0.01
FG_MAX_LAYERS = 2  # forward gradient `--trainable auto`: last:1 .. last:2 compete in the sweep
FG_LOSS_TIE = 0.01  # relative held-out loss difference that counts as a tie (ε stage, pick)
# ε factors tried at the best rate (and rates tied with it); none since 3 December: the ε stage chose
# ε 8 on seeds 3 and 4 of the MLP (0.873 / 0.837 after the job; 0.867 / 0.860 at ε 4): its picks
# follow the held-out split's noise (docs/design/train-defaults.md)
FG_EPSILON_FACTORS: list[float] = []
MAX_TRAIN = 400
MIN_SAMPLES = 10
MAX_VAL = 200
VAL_FRACTION = 0.3
EPOCHS = 2  # when the job's length is unknown (compile, plan)
MAX_STEPS = 4000  # cap of a candidate's run when the job's length is given


@dataclass
class SweepPoint:
    trainable: str
    lr: float
    directions: int | None
    epsilon: float | None
    accuracy: float
    loss: float
    perturb: str | None = None  # forward gradient: weights | activity


@dataclass
class LrChoice:
    trainable: str
    lr: float
    directions: int | None
    epsilon: float | None
    baseline_accuracy: float
    n_train: int
    n_val: int
    steps: int  # training steps per candidate
    seconds: float
    points: list[SweepPoint] = field(default_factory=list)
    perturb: str | None = None  # forward gradient: weights | activity
    schedule: str = "constant"  # the --lr-schedule the candidates were scored under (lr: its first epoch)

    def to_meta(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_meta(cls, d: dict) -> LrChoice:
        pts = [SweepPoint(**p) for p in d.get("points", [])]
        return cls(**{**d, "points": pts})


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[tuple, tuple]:
    """(train, val) index split of the field data, seeded; val never trains."""
    n = len(y)
    if n < MIN_SAMPLES:
        raise ValueError(f"--lr auto needs at least {MIN_SAMPLES} field samples, got {n}; pass --lr <value>")
    order = np.random.default_rng(seed + 7919).permutation(n)
    n_val = min(MAX_VAL, max(5, int(round(n * VAL_FRACTION))))
    val, tr = order[:n_val], order[n_val:][:MAX_TRAIN]
    return (x[tr], y[tr]), (x[val], y[val])


def _score(spec: TrainSpec, g: Graph, work: Path, train, val, seed: int, steps: int,
           epoch_steps: int) -> tuple[float, float, float]:
    """(accuracy before, accuracy after, mean loss after) on val of one candidate, trained
    under spec's rate schedule with an epoch every epoch_steps steps (the job's epochs)."""
    from pytool import compile_model, load_host
    from pytool.training.loop import lr_schedule_hook

    art = compile_model(g, work / spec.key(), train=spec)
    net = load_host(art)

    def evaluate() -> tuple[float, float]:
        rs = [net.eval_sample(xi, int(yi)) for xi, yi in zip(*val)]
        return float(np.mean([r["correct"] for r in rs])), float(np.mean([r["loss"] for r in rs]))

    before, _ = evaluate()
    rng = np.random.default_rng(seed)
    on_epoch = lr_schedule_hook(spec, net.set_lr_shift)
    done = 0
    while done < steps:  # whole shuffled passes over the split, cut at `steps`
        for i in rng.permutation(len(train[1]))[: steps - done]:
            if on_epoch and done % epoch_steps == 0:
                on_epoch(done // epoch_steps)
            net.train_step(train[0][i], int(train[1][i]))
            done += 1
    acc, loss = evaluate()
    return before, acc, loss if np.isfinite(loss) else float("inf")


def sweep(g: Graph, spec: TrainSpec, data, work: str | Path | None = None, job_steps: int | None = None) -> LrChoice:
    """Runs the sweep for spec's method and trained set; data is an .npz path
    (x, y) or a loaded Dataset. job_steps: training steps the real job will take
    (finetune: epochs x samples); each candidate then runs as many (up to
    MAX_STEPS), so the rate is chosen for the horizon it will train over; else
    EPOCHS passes over the split. Returns the choice; spec is not changed."""
    from pytool.host import _infos
    from pytool.training.defaults import resolve_defaults
    from pytool.training.loop import load_dataset

    t0 = time.perf_counter()
    base = dataclasses.replace(spec, extra=dict(spec.extra))
    sets = fg_trained_sets(g, base) if spec.method == "forward-grad" and base.trainable == AUTO else []
    if sets:
        base.trainable = sets[0]
    resolve_defaults(g, base)
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="tinyodl_lr_")
        work = tmp.name
    work = Path(work)
    try:
        if isinstance(data, str | Path):
            from pytool import compile_model

            info = _infos(compile_model(g, work / "inference").meta["inputs"])[0]
            data = load_dataset(data, info)
        train, val = split(data.x, data.y, spec.seed)
        steps = min(job_steps, MAX_STEPS) if job_steps else EPOCHS * len(train[1])
        # the job's epoch: one pass over all the field data (finetune), else over the split
        epoch_steps = len(data.y) if job_steps else len(train[1])
        points: list[SweepPoint] = []
        baseline = None

        def run(perturb: str | None = None, **kv) -> SweepPoint:
            nonlocal baseline
            cand = dataclasses.replace(base, extra=dict(base.extra), **kv)
            if perturb:
                cand.extra["fg_perturb"] = perturb
            b, acc, loss = _score(cand, g, work, train, val, spec.seed, steps, epoch_steps)
            baseline = b if baseline is None else baseline
            fg = spec.method == "forward-grad"
            p = SweepPoint("scheme" if spec.method == "sparse" else cand.trainable, cand.lr, cand.directions if fg else None,
                           cand.epsilon if fg else None, acc, loss, perturb if fg else None)
            points.append(p)
            return p

        def best() -> SweepPoint:
            return pick_best(points, len(val[1]), keep_rate(spec.method, base.lr_schedule))

        def extend() -> None:
            """While the best rate sits at an edge of the grid, try one step beyond it (forward gradient:
            with the best point's other settings)."""
            for _ in range(MAX_EXTEND):
                top = best()
                kv = {}
                if spec.method == "forward-grad":
                    kv = {"trainable": top.trainable, "directions": top.directions, "epsilon": top.epsilon,
                          "perturb": top.perturb}
                top_lr = FG_ACT_MAX_LR if top.perturb == "activity" else MAX_LR[spec.method]
                lrs = sorted(p.lr for p in points if (p.trainable, p.directions, p.perturb) ==
                             (top.trainable, top.directions, top.perturb))
                if top.lr == lrs[-1] and top.lr < top_lr:
                    run(lr=min(top.lr * 2, top_lr), **kv)
                elif top.lr == lrs[0] and len(lrs) > 1:
                    run(lr=top.lr / 2, **kv)
                else:
                    return

        if spec.method == "forward-grad":
            d0 = FG_DIRECTIONS[0]
            for trained in sets or [base.trainable]:
                if fg_perturb_for(g, base, trained) == "activity":
                    for lr in FG_ACT_LR_GRID:
                        run(trainable=trained, lr=lr, directions=1, epsilon=FG_ACT_EPSILON, perturb="activity")
                else:
                    for lr in LR_GRID[spec.method]:
                        run(trainable=trained, lr=lr, directions=d0, perturb="weights")
            extend()
            if len(FG_DIRECTIONS) > 1 and best().perturb == "weights":
                top = best()
                run(trainable=top.trainable, lr=top.lr, directions=FG_DIRECTIONS[1])
            pick = best()
            # the ε stage at the pick and at rates whose held-out loss ties with it (within FG_LOSS_TIE):
            # on a held-out split of ~150 samples such rates are indistinguishable (MLP: lr 4 and 8)
            tied = sorted({p.lr for p in points if (p.trainable, p.directions) == (pick.trainable, pick.directions)
                           and p.loss <= pick.loss * (1.0 + FG_LOSS_TIE)} | {pick.lr})
            for lr in tied if pick.perturb == "weights" else []:
                for f in FG_EPSILON_FACTORS:
                    run(trainable=pick.trainable, lr=lr, directions=pick.directions, epsilon=base.epsilon * f)
        else:
            for lr in LR_GRID[spec.method]:
                run(lr=lr)
            extend()
        win = best()
        if win.lr != keep_rate(spec.method, base.lr_schedule):  # a kept default stays as tuned
            win = back_from_edge(win, points)
        return LrChoice(win.trainable, win.lr, win.directions, win.epsilon, float(baseline), len(train[1]), len(val[1]), steps,
                        time.perf_counter() - t0, points, win.perturb, base.lr_schedule)
    finally:
        if tmp is not None:
            tmp.cleanup()


def fg_trained_sets(g: Graph, spec: TrainSpec) -> list[str]:
    """Forward gradient's candidate trained sets: last:1 .. last:FG_MAX_LAYERS that build within --ram
    (as the sweep would perturb them)."""
    from pytool.training import forward_grad as fg

    out = []
    for k in range(1, min(FG_MAX_LAYERS, len(weighted_layers(g))) + 1):
        trial = dataclasses.replace(spec, trainable=f"last:{k}", extra=dict(spec.extra))
        try:
            # the RAM of what the sweep would run on this set (activity or weight perturbation)
            trial.extra["fg_perturb"] = fg_perturb_for(g, spec, trial.trainable)
            prog, _ = fg.prepare(g, trial)
        except TrainSpecError:
            continue
        if spec.ram is None or prog.plan.arena_size + prog.plan.stack_bytes <= spec.ram:
            out.append(trial.trainable)
    return out


def fg_perturb_for(g: Graph, spec: TrainSpec, trained: str) -> str:
    """What forward gradient perturbs for a trained set in the sweep: the spec's explicit choice
    (fg_perturb weights / activity), else (auto) activity wherever the trained set allows it."""
    from pytool.training import forward_grad as fg
    from pytool.training.forward_grad_act import ineligible

    want = str(spec.extra.get("fg_perturb", "auto"))
    if want == "weights":
        return "weights"
    logits, _ = fg.logits_of(g)
    ops = [ly.op_index for ly in resolve_trainable(g, trained)]
    why = ineligible(g, ops, logits) or (None if spec.loss == "ce" and not spec.momentum and not spec.sign
                                         else "it needs the ce loss, no momentum and no --sign")
    if why and want == "activity":
        raise TrainSpecError(f"--perturb activity with --trainable {trained}: {why}")
    return "weights" if why else "activity"


# The kept sparse rate as a first epoch's rate under halving: the default was tuned as a constant
# equivalent whose halving schedule starts at twice it (docs/design/train-defaults.md, fourth pass).
SPARSE_KEEP_HALVE_FACTOR = 2.0


def keep_rate(method: str, schedule: str = "constant") -> float | None:
    """The rate a sweep keeps unless a candidate is clearly more accurate.
    Sparse update: its default (twice it as the first epoch's rate of a halving
    schedule). On ~75 held-out samples the loss tie-break
    favoured high rates whose int8 updates then swung from epoch to epoch on
    the device (digits demo: 0.005 gave 76.7 % field accuracy, 0.0015 86 %).
    Much of that swing was the ReLU-floor error (docs/design/sparse.md); since
    its fix the default is 0.006 (digits, MLP, CNN seeds 0-4 all better than
    at 0.0015, docs/design/train-defaults.md, fourth pass)."""
    from pytool.training import METHOD_DEFAULTS

    if method != "sparse":
        return None
    lr = METHOD_DEFAULTS["sparse"]["lr"]
    return lr * SPARSE_KEEP_HALVE_FACTOR if schedule == "halve" else lr


def pick_best(points: list[SweepPoint], n_val: int, keep_lr: float | None = None) -> SweepPoint:
    """The lowest held-out loss among the points whose accuracy is within two
    standard errors of the best: on a held-out split of ~100-200 samples a few
    samples decide accuracy, the mean loss is the steadier signal. More forward
    gradient directions must win by FG_MORE_DIRECTIONS_GAIN (they double the step).
    keep_lr: a rate kept whenever it is among those within the tolerance."""
    def acc(p: SweepPoint) -> float:
        extra = p.directions is not None and p.directions > FG_DIRECTIONS[0]
        return p.accuracy - (FG_MORE_DIRECTIONS_GAIN if extra else 0.0)

    top = max(acc(p) for p in points)
    tol = 2.0 * float(np.sqrt(max(top * (1.0 - top), 0.0) / max(n_val, 1)))
    near = [p for p in points if acc(p) >= top - tol - 1e-12]
    kept = [p for p in near if keep_lr is not None and p.lr == keep_lr]
    if kept:
        return kept[0]

    def loss(p: SweepPoint) -> float:
        return p.loss + (1e-3 if p.directions and p.directions > FG_DIRECTIONS[0] else 0.0)

    if any(p.perturb == "activity" for p in near):
        # activity perturbation estimates the gradient without sampling noise: the lowest held-out
        # loss wins, as for backprop (the larger-rate tie rule is weight perturbation's)
        return min(near, key=lambda p: (loss(p), -acc(p)))
    if all(p.directions is not None for p in near):
        # forward gradient: held-out losses within FG_LOSS_TIE are a tie (finer than ~150 samples
        # resolve); the larger rate wins it, then the more accurate point. Held-out accuracy alone
        # chose lr 4 on 2 of 5 seeds on the MLP (0.837 / 0.823 after the job); over seeds 0-4 the
        # larger tied rate is the better one (docs/design/train-defaults.md, per-seed table)
        low = min(loss(p) for p in near)
        tied = [p for p in near if loss(p) <= low * (1.0 + FG_LOSS_TIE)]
        safe = [p for p in tied if not _past_edge(p, points, tied)] or tied
        return max(safe, key=lambda p: (p.lr, acc(p), -loss(p)))
    return min(near, key=lambda p: (loss(p), -acc(p)))


# A pick whose next larger rate's held-out loss is this much worse sits at the edge of stability:
# the job (more samples per epoch than the sweep's split) then trains one grid step below it.
# digits seed 1, scored under halving: fp16 and forward gradient both picked 0.02 (loss 0.42) with
# 0.04 at 0.73; after the job 0.02 gives 0.787 / 0.807, 0.01 0.888 / 0.884.
EDGE_LOSS_JUMP = 0.25


def back_from_edge(p: SweepPoint, points: list[SweepPoint]) -> SweepPoint:
    """The tried rate just below p (same other settings) when the next larger one fell apart."""
    same = [q for q in points if (q.trainable, q.directions, q.epsilon, q.perturb) ==
            (p.trainable, p.directions, p.epsilon, p.perturb)]
    above = [q for q in same if q.lr > p.lr]
    below = [q for q in same if q.lr < p.lr]
    if not above or not below:
        return p
    nxt = min(above, key=lambda q: q.lr)
    if np.isfinite(nxt.loss) and nxt.loss <= p.loss * (1.0 + EDGE_LOSS_JUMP):
        return p
    return max(below, key=lambda q: q.lr)


def _past_edge(p: SweepPoint, points: list[SweepPoint], tied: list[SweepPoint]) -> bool:
    """True when the next larger rate tried with p's other settings is no longer a tie: p sits at
    the edge of the flat part of the loss curve, where the training diverges one doubling later.
    There a tied smaller rate is the safer pick (CNN seed 4: lr 8 and 16 tie, 32 falls apart;
    after the job lr 16 gives 0.847, lr 8 0.863)."""
    same = [q for q in points if (q.trainable, q.directions, q.epsilon, q.perturb) ==
            (p.trainable, p.directions, p.epsilon, p.perturb) and q.lr > p.lr]
    if not same:
        return False
    nxt = min(same, key=lambda q: q.lr)
    return all(nxt is not q for q in tied)


def apply(g: Graph, spec: TrainSpec, data, work: str | Path | None = None, job_steps: int | None = None) -> LrChoice:
    """Sweeps and writes the choice into spec (lr; forward gradient: directions,
    ε) and spec.extra['lr_auto'] (the sweep, for the report and the plan)."""
    from pytool.training.defaults import resolve_defaults

    if not (spec.method == "forward-grad" and spec.trainable == AUTO):  # there the sweep picks the set
        resolve_defaults(g, spec)
    choice = sweep(g, spec, data, work, job_steps)
    if spec.method == "forward-grad":
        spec.trainable = choice.trainable
    spec.lr = choice.lr  # with a schedule: its first epoch's rate, as the candidates were scored
    if choice.directions is not None:
        spec.directions = choice.directions
    if choice.epsilon is not None:
        spec.epsilon = choice.epsilon
    if choice.perturb is not None:
        spec.extra["fg_perturb"] = choice.perturb
    spec.extra["lr_auto"] = choice.to_meta()
    return choice


def plot(choice: LrChoice, path: str | Path, title: str = "") -> Path:
    """Small PNG: held-out accuracy against the rate, one line per (directions, ε)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.0))
    groups: dict = {}
    sets = {p.trainable for p in choice.points}
    for p in choice.points:
        groups.setdefault((p.trainable, p.directions, p.epsilon, p.perturb), []).append(p)
    for (tr, d, e, pert), pts in groups.items():
        pts = sorted(pts, key=lambda p: p.lr)
        kind = f"activity, ε={e:g}" if pert == "activity" else ("lr" if d is None else f"m={d}, ε={e:g}")
        label = kind + (f", {tr}" if len(sets) > 1 else "")
        ax.plot([p.lr for p in pts], [p.accuracy for p in pts], "o-", label=label)
    ax.axhline(choice.baseline_accuracy, color="gray", lw=0.8, label="before")
    won = [p for p in choice.points if _is_choice(p, choice)]
    ax.plot([choice.lr], [won[0].accuracy if won else max(p.accuracy for p in choice.points)], "r*", ms=12,
            label="chosen")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("held-out accuracy")
    sched = ", rate halved per epoch" if choice.schedule == "halve" else ""
    ax.set_title(title or f"--lr auto ({choice.n_train} train / {choice.n_val} held out{sched})", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def table(choice: LrChoice):
    from rich.table import Table

    sched = "; lr = first epoch's rate, halved per epoch" if choice.schedule == "halve" else ""
    t = Table(title=f"--lr auto: {len(choice.points)} candidates on {choice.n_train} field samples, scored on "
                    f"{choice.n_val} held out (before: {choice.baseline_accuracy:.3f}{sched}), {choice.seconds:.1f} s")
    for c in ("trained", "lr", "directions", "ε", "accuracy", "", "loss", ""):
        t.add_column(c, justify="left" if c == "" else "right")
    lo = min(min(p.accuracy for p in choice.points), choice.baseline_accuracy)
    hi = max(p.accuracy for p in choice.points)
    for p in choice.points:
        chosen = _is_choice(p, choice)
        t.add_row(p.trainable, f"{p.lr:g}", "" if p.directions is None else
                  ("outputs" if p.perturb == "activity" else str(p.directions)),
                  "" if p.epsilon is None else f"{p.epsilon:g}", f"{p.accuracy:.3f}", _bar(p.accuracy, lo, hi),
                  f"{p.loss:.4f}",
                  "[bold green]chosen[/]" if chosen else "")
    return t


def _is_choice(p: SweepPoint, c: LrChoice) -> bool:
    return (p.trainable, p.lr, p.directions, p.epsilon, p.perturb) == (
        c.trainable, c.lr, c.directions, c.epsilon, c.perturb)


def _bar(v: float, lo: float, hi: float, width: int = 16) -> str:
    """The accuracy as a bar between the sweep's extremes: a plot in the terminal."""
    n = 1 if hi <= lo else 1 + int(round((width - 1) * (v - lo) / (hi - lo)))
    return "█" * n
