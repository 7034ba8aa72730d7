"""In-field fine-tuning, end to end: compile with a training method, build the
firmware, start it (QEMU) or reach it (a board's serial port), stream field
samples over the link, train and evaluate on the device, commit the weights
to its non-volatile store, and check they survive a reboot.

The divergence guard watches every step: non-finite or spiking losses
(running mean and deviation of the per-step loss) and device flags (skipped,
clipped, overflow) are recorded; after a spike and at every epoch end the
field-test accuracy is compared with the last committed one, and the device
is rolled back to its committed weights (RESET) when it dropped by more than
`margin`. Otherwise the epoch's weights are committed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytool.training import TrainSpec, TrainSpecError
from pytool.training.loop import Dataset, evaluate, load_dataset, lr_schedule_hook, train, write_report


@dataclass
class GuardConfig:
    margin: float = 0.02  # allowed accuracy drop below the committed weights
    spike_sigma: float = 6.0  # loss > mean + k·std is a spike
    warmup: int = 32  # steps before spikes are judged
    probe: int = 64  # field-test samples checked right after a spike


@dataclass
class Guard:
    cfg: GuardConfig
    committed_acc: float
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    events: list[dict] = field(default_factory=list)
    pending_check: bool = False

    def observe(self, step: int, r: dict) -> None:
        loss = r["loss"]
        if not math.isfinite(loss):
            self.events.append({"step": step, "kind": "non-finite loss", "action": "accuracy check"})
            self.pending_check = True
            return
        if r.get("flags", 0) & 0x05:  # skipped / overflow: the device dropped the update
            self.events.append({"step": step, "kind": "device skipped the step", "flags": r["flags"],
                                "action": "none (device)"})
        if self.n >= self.cfg.warmup:
            std = math.sqrt(self.m2 / max(self.n - 1, 1))
            if loss > self.mean + self.cfg.spike_sigma * max(std, 1e-6) and loss > 2 * self.mean:
                self.events.append({"step": step, "kind": "loss spike", "loss": loss,
                                    "mean": self.mean, "std": std, "action": "accuracy check"})
                self.pending_check = True
                return  # a spike does not enter the statistics
        self.n += 1
        d = loss - self.mean
        self.mean += d / self.n
        self.m2 += d * (loss - self.mean)


def method_spec(method: str, trainable: str | None, lr: float | None, ram: int | None, seed: int,
                **extra) -> TrainSpec:
    return TrainSpec.for_method(method, trainable=trainable, lr=lr, ram=ram, seed=seed, **extra)


def _subset(d: Dataset, n: int) -> Dataset:
    return Dataset(d.x[:n], d.y[:n])


def run_on_device(link, data: Dataset, evd: Dataset, epochs: int, seed: int, guard_cfg: GuardConfig,
                  progress: bool = True, spec: TrainSpec | None = None) -> tuple[dict, Guard, list]:
    """Trains over an open Link; returns (report, guard, commits). spec: its
    --lr-schedule sets the device's rate at each epoch start (SET_LR)."""
    from pytool.link import persist
    from pytool.link import train as lt

    step_fn = lambda x, y: lt.train_step(link, x, y)  # noqa: E731
    eval_fn = lambda x, y: lt.eval_sample(link, x, y)  # noqa: E731
    commits: list[dict] = []
    acc0, _, _ = evaluate(eval_fn, evd)
    guard = Guard(guard_cfg, committed_acc=acc0)
    probe = _subset(evd, guard_cfg.probe)
    probe_committed = evaluate(eval_fn, probe)[0]
    steps = [0]

    def guarded_step(x, y):
        r = step_fn(x, y)
        steps[0] += 1
        guard.observe(steps[0], r)
        if guard.pending_check:
            guard.pending_check = False
            acc = evaluate(eval_fn, probe)[0]
            if acc < probe_committed - guard_cfg.margin:
                persist.reset(link)
                guard.events.append({"step": steps[0], "kind": "probe accuracy dropped", "accuracy": acc,
                                     "committed": probe_committed, "action": "rolled back to committed"})
        return r

    def on_epoch(ep: int, acc: float) -> None:
        nonlocal probe_committed
        if acc < guard.committed_acc - guard_cfg.margin:
            persist.reset(link)
            guard.events.append({"epoch": ep, "kind": "field-test accuracy dropped", "accuracy": acc,
                                 "committed": guard.committed_acc, "action": "rolled back to committed"})
            return
        if acc >= guard.committed_acc:
            c = persist.commit(link)
            commits.append({"epoch": ep, "generation": c.generation, "wrote": c.wrote,
                            "bytes_written_total": c.bytes_written, "accuracy": acc})
            guard.committed_acc = acc
            probe_committed = evaluate(eval_fn, probe)[0]

    start = lr_schedule_hook(spec, lambda k: lt.set_lr_shift(link, k)) if spec is not None else None
    report, _ = train(guarded_step, eval_fn, data, evd, epochs=epochs, seed=seed, progress=progress,
                      on_epoch=on_epoch, on_epoch_start=start)
    # What stays on the device is the committed set: drop any uncommitted tail.
    persist.reset(link)
    acc_final, _, _ = evaluate(eval_fn, evd)
    report["accuracy_after_uncommitted"] = report["accuracy_after"]
    report["accuracy_after"] = acc_final
    return report, guard, commits


def finetune(
    model: str | Path,
    target: str,
    method: str,
    data: str | Path,
    eval_data: str | Path | None = None,
    epochs: int = 5,
    ram: int | None = None,
    out_dir: str | Path = "out",
    work_dir: str | Path | None = None,
    trainable: str | None = None,
    lr: float | str | None = None,  # None: the method's default; "auto": swept on `data`
    seed: int = 0,
    port: str | None = None,
    probe: str | None = None,
    guard: GuardConfig | None = None,
    progress: bool = True,
    reboot_check: bool = True,
    spec_extra: dict | None = None,
    log=print,
    perturb: str = "auto",  # forward-grad: auto | weights | activity (pytool/training/cli.py --perturb)
) -> dict:
    from pytool.commands.build import build
    from pytool.link import Link, persist
    from pytool.link import train as lt
    from pytool.targets import QemuSession, flash, get_board

    t0 = time.perf_counter()
    board = get_board(target)
    out_dir = Path(out_dir)
    work = Path(work_dir) if work_dir else out_dir / "build"
    from pytool.training.cli import SPARSE_NO_TRAINABLE, auto_lr, parse_lr

    if method == "sparse" and trainable:
        raise TrainSpecError(SPARSE_NO_TRAINABLE)

    spec = method_spec(method, trainable, parse_lr(lr), ram, seed, **(spec_extra or {}))
    if spec.guard_sigma == 0:
        spec.guard_sigma = (guard or GuardConfig()).spike_sigma  # the device skips spikes itself
    if method == "sparse":
        spec.extra.setdefault("data", str(data))
    if method == "forward-grad" and perturb != "auto":
        spec.extra["fg_perturb"] = perturb
    check_data_files(model, data, eval_data)  # before anything is built or flashed
    if isinstance(lr, str):  # "auto": the host runtime sweeps on the field data before anything is built
        n = len(np.load(data)["y"])
        auto_lr(model, spec, lr, data, out_dir / "lr_sweep.png", log=log, job_steps=epochs * n)
    how = f", {spec.extra['fg_perturb']} perturbation" if method == "forward-grad" and "fg_perturb" in spec.extra else ""
    log(f"[1/5] compile + build for {board.name} ({method}{how}, trainable {spec.trainable}, lr {spec.lr:g})")
    meta, elf, size = build(model, board.name, work, ram=ram, train=spec)
    fw_store = Path(elf).parent / "odl_store.bin"
    if board.is_emulated and fw_store.exists():
        fw_store.unlink()  # a fresh build starts from the factory weights
    log(f"[2/5] flash: {'QEMU ' + board.qemu.machine if board.is_emulated else 'pyOCD'}")
    session = flash(elf, board, probe=probe)
    if session is None and not port:
        raise ValueError(f"{board.name} is a real board: pass --port with its serial port (e.g. /dev/ttyACM0)")
    guard_cfg = guard or GuardConfig()
    with session if session is not None else _nullcontext():
        url = session.url if session is not None else port
        with Link(url, timeout=10.0, retries=3) as link:
            info = link.info()
            if info.model_hash != int(meta["hash"], 16):
                raise RuntimeError(f"device runs model {info.model_hash:#010x}, the build is {meta['hash']}")
            spec_in = _input_info(info)
            n_cls = int(np.prod(info.outputs[0].shape)) if info.outputs else None
            train_d = load_dataset(data, spec_in, n_cls)
            eval_d = load_dataset(eval_data, spec_in, n_cls) if eval_data else train_d
            log(f"[3/5] train on the device: {len(train_d)} samples x {epochs} epochs, eval {len(eval_d)}")
            report, g, commits = run_on_device(link, train_d, eval_d, epochs, seed, guard_cfg, progress, spec)
            st = link.stats()
            summary = persist.summary(link)
            digest = persist.read_weights(link)[1]
    reboot = {}
    if reboot_check and session is not None:
        log("[4/5] reboot: the device must come back with the committed weights")
        with QemuSession(elf, board) as q2, Link(q2.url, timeout=10.0) as link2:
            s2 = persist.summary(link2)
            acc2, _, _ = evaluate(lambda x, y: lt.eval_sample(link2, x, y), eval_d)
            reboot = {"generation": s2.generation, "accuracy": acc2,
                      "weights_sha256": persist.read_weights(link2)[1]}
    log("[5/5] report")
    report.update({
        "method": method, "target": board.name, "model": str(model), "model_hash": meta["hash"],
        "train_spec": spec.to_meta(), "memory": meta.get("memory", {}), "firmware": size,
        "interventions": g.events, "commits": commits,
        "committed_generation": summary.generation, "committed_steps": summary.committed_steps,
        "store": {"commits_written": summary.commits_written, "bytes_written": summary.bytes_written,
                  "erases": summary.erases, "slot_states": [s.name for s in summary.slot_states]},
        "flash_bytes_per_commit": summary.bytes_written / max(summary.commits_written, 1),
        "weights_sha256": digest, "device_stats": {"train_steps": st.train_steps, "invokes": st.invokes,
                                                   "stack_high_water": st.stack_high_water},
        "reboot": reboot, "wall_s": time.perf_counter() - t0,
    })
    write_report(report, out_dir)
    return report


def check_data_files(model, *paths) -> None:
    """Validates the data files against the model's input and output."""
    from pytool.compiler import load_graph
    from pytool.data import graph_input_spec, load_xy

    g = load_graph(model)
    spec = graph_input_spec(g)
    n_cls = int(np.prod(g.tensors[g.outputs[0]].shape))
    for p in paths:
        if p:
            load_xy(p, spec, n_cls)


def _input_info(info):
    """TensorInfo-like view of the device's first input (for load_dataset)."""
    from pytool.host import TensorInfo

    t = info.inputs[0]
    return TensorInfo(0, "input", np.dtype(t.dtype).name, tuple(t.shape), t.scale, t.zero_point)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
