"""Per-layer quantization report: each int8 activation's scale, zero point,
clipping ratio and SQNR against the float graph on the same inputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pytool.ir import Graph
from pytool.reference import run_float, run_int8


@dataclass
class LayerReport:
    tensor: str
    op: str  # producing op type, or "input"
    scale: float
    zero_point: int
    clip_ratio: float  # fraction of float values beyond the int8 range by more than half a step
    sqnr_db: float  # 10 log10(sum f^2 / sum (f - dequant(q))^2); inf when exact


@dataclass
class QuantReport:
    layers: list[LayerReport] = field(default_factory=list)
    inputs: dict[str, tuple[float, int]] = field(default_factory=dict)
    outputs: dict[str, tuple[float, int]] = field(default_factory=dict)
    method: str = "minmax"
    per_channel: bool = True
    calibration_samples: int = 0
    report_samples: int = 0
    quantize_seconds: float = 0.0

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def by_tensor(self, name: str) -> LayerReport:
        for r in self.layers:
            if r.tensor == name:
                return r
        raise KeyError(f"no report row for tensor '{name}'")

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "per_channel": self.per_channel,
            "calibration_samples": self.calibration_samples,
            "report_samples": self.report_samples,
            "quantize_seconds": self.quantize_seconds,
            "inputs": {k: {"scale": s, "zero_point": z} for k, (s, z) in self.inputs.items()},
            "outputs": {k: {"scale": s, "zero_point": z} for k, (s, z) in self.outputs.items()},
            "layers": [
                {
                    "tensor": r.tensor,
                    "op": r.op,
                    "scale": r.scale,
                    "zero_point": r.zero_point,
                    "clip_ratio": r.clip_ratio,
                    "sqnr_db": None if math.isinf(r.sqnr_db) else r.sqnr_db,
                }
                for r in self.layers
            ],
        }


def sqnr_db(signal_power: float, noise_power: float) -> float:
    if noise_power == 0.0:
        return math.inf
    if signal_power == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal_power / noise_power)


def _report_tensors(gq: Graph) -> list[tuple[str, str]]:
    rows = [(n, "input") for n in gq.inputs if gq.tensors[n].dtype == "int8"]
    for op in gq.ops:
        rows += [(n, op.type) for n in op.outputs if gq.tensors[n].dtype == "int8"]
    return rows


def build_report(g_float: Graph, gq: Graph, feeds: list[list[np.ndarray]], progress: bool = False) -> QuantReport:
    """Runs both graphs on the same float inputs (int8 inputs quantized from
    them) and accumulates, per tensor, signal and noise power and clipping."""
    from quantize.ptq import _progress, quantize_inputs

    rows = _report_tensors(gq)
    signal = dict.fromkeys((n for n, _ in rows), 0.0)
    noise = dict.fromkeys(signal, 0.0)
    clipped = dict.fromkeys(signal, 0)
    total = dict.fromkeys(signal, 0)
    for feed in _progress(feeds, "measuring SQNR", progress):
        fvals = run_float(g_float, feed, keep_all=True)
        qvals = run_int8(gq, quantize_inputs(gq, feed), keep_all=True)
        for n, _ in rows:
            qp = gq.tensors[n].quant
            s, z = float(qp.scale[0]), int(qp.zero_point[0])
            f = np.asarray(fvals[n], np.float64)
            dq = (np.asarray(qvals[n], np.float64) - z) * s
            signal[n] += float(np.sum(f * f))
            noise[n] += float(np.sum((f - dq) ** 2))
            # Clipped: moved by the clamp further than rounding alone would.
            lo, hi = (-128 - z - 0.5) * s, (127 - z + 0.5) * s
            clipped[n] += int(np.count_nonzero((f < lo) | (f > hi)))
            total[n] += f.size
    report = QuantReport(report_samples=len(feeds))
    for n, op_type in rows:
        qp = gq.tensors[n].quant
        report.layers.append(
            LayerReport(
                tensor=n,
                op=op_type,
                scale=float(qp.scale[0]),
                zero_point=int(qp.zero_point[0]),
                clip_ratio=clipped[n] / total[n] if total[n] else 0.0,
                sqnr_db=sqnr_db(signal[n], noise[n]),
            )
        )
    for n in gq.inputs:
        qp = gq.tensors[n].quant
        report.inputs[n] = (float(qp.scale[0]), int(qp.zero_point[0]))
    for n in gq.outputs:
        qp = gq.tensors[n].quant
        report.outputs[n] = (float(qp.scale[0]), int(qp.zero_point[0]))
    return report


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def render_report(report: QuantReport, title: str | None = None):
    """A rich Table of the per-layer report."""
    from rich.table import Table

    pc = "per-channel" if report.per_channel else "per-tensor"
    table = Table(title=title or f"int8 quantization ({report.method}, {pc} weights)")
    table.add_column("#", justify="right")
    table.add_column("op")
    table.add_column("tensor")
    table.add_column("scale", justify="right")
    table.add_column("zero point", justify="right")
    table.add_column("clipped", justify="right")
    table.add_column("SQNR dB", justify="right")
    for i, r in enumerate(report.layers):
        sq = "exact" if math.isinf(r.sqnr_db) and r.sqnr_db > 0 else f"{r.sqnr_db:.1f}"
        table.add_row(
            str(i), r.op, _short(r.tensor), f"{r.scale:.4g}", str(r.zero_point), f"{100 * r.clip_ratio:.3f}%", sq
        )
    return table


# The name the CLI uses for the same table.
render_table = render_report
