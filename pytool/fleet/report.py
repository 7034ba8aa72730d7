"""The fleet report: the global model's accuracy on --eval after every round,
bytes up/down per round (summed over devices), exclusions, timing; written as
OUT/report.json + PNG plots, with a rich progress bar while rounds run."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pytool.fleet.server import FleetServer, RoundLog


class Reporter:
    def __init__(self, cfg, fleet: FleetServer):
        self.cfg, self.fleet = cfg, fleet
        self.eval = None
        if cfg.eval:
            from pytool.training.loop import load_dataset

            self.eval = load_dataset(cfg.eval, fleet.dev.inputs[0])
        self.accuracy = [self._acc()]
        self._prog = None
        self._task = None

    def _acc(self) -> float | None:
        return None if self.eval is None else self.fleet.dev.accuracy(self.eval.x, self.eval.y)

    @contextlib.contextmanager
    def progress(self):
        cols = [TextColumn("[bold]fleet {task.fields[method]}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("acc {task.fields[acc]}  up {task.fields[up]} B  down {task.fields[down]} B  "
                           "excluded {task.fields[excl]}"), TimeElapsedColumn()]
        with Progress(*cols, disable=not self.cfg.progress) as prog:
            self._prog = prog
            self._task = prog.add_task("rounds", total=self.cfg.rounds, method=self.fleet.method.name,
                                       acc=_fmt(self.accuracy[0]), up=0, down=0, excl=0)
            yield
        self._prog = None

    def on_round(self, log: RoundLog) -> None:
        acc = self._acc()
        self.accuracy.append(acc)
        if self._prog is not None:
            self._prog.update(self._task, advance=1, acc=_fmt(acc), up=log.bytes_up, down=log.bytes_down,
                              excl=len(log.excluded))

    def finish(self, sync: dict) -> dict:
        rounds = self.fleet.rounds
        # Round r's merge reaches the devices with round r+1's orders (the last with the final sync).
        down = [r.bytes_down for r in rounds[1:]] + [sync["bytes_down"]]
        if rounds:
            down[0] += rounds[0].bytes_down
        n_dev = max(self.cfg.clients, 1)
        report = {
            "method": self.fleet.method.name,
            "clients": self.cfg.clients,
            "rounds": self.cfg.rounds,
            "partition": self.cfg.partition,
            "server_lr": self.fleet.server_lr,
            "max_steps": self.fleet.max_steps,
            "weights_bytes": self.fleet.dev.payload_size,
            "accuracy_per_round": self.accuracy,
            "bytes_up_per_round": [r.bytes_up for r in rounds],
            "bytes_down_per_round": down,
            "bytes_up_per_device_per_round": [r.bytes_up / n_dev for r in rounds],
            "bytes_down_per_device_per_round": [d / n_dev for d in down],
            "samples_per_round": [r.samples for r in rounds],
            "seconds_per_round": [r.seconds for r in rounds],
            "excluded": [dict(e, round=r.round) for r in rounds for e in r.excluded],
            "weights_sent": [r.weights_sent for r in rounds[1:]] + [sync["weights_sent"]],
            "final_generation": self.fleet.generation,
            "final_sync": sync,
            "round_logs": [asdict(r) for r in rounds],
            "global_crc": f"{self.fleet.crc:08x}",
        }
        if self.cfg.report:
            write(report, self.cfg.report)
        return report


def _fmt(a) -> str:
    return "-" if a is None else f"{a:.3f}"


def write(report: dict, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "report.json.part"
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    tmp.replace(out / "report.json")
    plot(report, out)
    return out / "report.json"


def plot(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acc = report["accuracy_per_round"]
    if any(a is not None for a in acc):
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(range(len(acc)), [float("nan") if a is None else a for a in acc], marker="o", label="federated")
        if report.get("centralised_accuracy_per_epoch"):
            c = report["centralised_accuracy_per_epoch"]
            ax.plot(range(len(c)), c, marker="s", label="centralised")
        ax.set_xlabel("round")
        ax.set_ylabel("global accuracy (--eval)")
        ax.set_title(f"{report['method']}, {report['clients']} devices, {report['partition']}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "accuracy.png", dpi=100)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    r = range(1, len(report["bytes_up_per_round"]) + 1)
    ax.bar([x - 0.2 for x in r], report["bytes_up_per_device_per_round"], width=0.4, label="up")
    ax.bar([x + 0.2 for x in r], report["bytes_down_per_device_per_round"], width=0.4, label="down")
    ax.axhline(report["weights_bytes"], color="k", ls="--", lw=1, label="trainable weights")
    ax.set_xlabel("round")
    ax.set_ylabel("bytes per device")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "bytes.png", dpi=100)
    plt.close(fig)
