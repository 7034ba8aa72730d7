"""The bound of forward gradient on a task: an ideal float64 estimator.

Trains the last k fully connected layers of a bench task (bench/train_nets.py
TASKS) the way the runtime's forward gradient does, in float64 and without any
quantization: the same units (weights in int8 LSBs, biases in output LSBs
rounded to a power of two, forward_grad._bias_unit_shift), m Rademacher
directions per step applied one after the other (or, with --batched, measured
at one point and summed: much faster for large m), central differences at ±ε
units, lr / m per direction, the rate halved each epoch, the sample order of
`tinyodl finetune --seed`. --exact replaces the estimate by the true gradient
in the same units (m -> infinity). If the ideal estimator cannot reach a
target at the runtime's m, neither can the fixed-point one
(docs/design/train-defaults.md, fourth pass).

    .venv/bin/python bench/fg_ideal.py [--net digits] [--trainable 2] [--directions 32] [--lr 12]
        [--bias-factor 1] [--exact | --batched] [--seeds 0 1 2 3 4] [--out f.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytool.compiler import load_graph  # noqa: E402
from pytool.training.float_baseline import FloatSuffix  # noqa: E402
from pytool.training.forward_grad import _bias_unit_shift  # noqa: E402

TASKS = {"mlp": ("tests/fixtures/train_nets/mlp_int8.tflite", "tests/fixtures/train_nets"),
         "cnn": ("tests/fixtures/train_nets/cnn_int8.tflite", "tests/fixtures/train_nets"),
         "digits": ("examples/digits/digits_int8_tf.tflite", "examples/digits")}
CHUNK = 64  # directions per batched evaluation


class Dense:
    """The trained fully connected suffix in float64: parameters and their units."""

    def __init__(self, net: str, k: int):
        model, folder = TASKS[net]
        self.g = load_graph(ROOT / model)
        fs = FloatSuffix(self.g, f"last:{k}")
        self.layers = [self.g.ops[ly.op_index] for ly in fs.layers]
        bad = [op.type for op in self.layers if op.type != "FULLY_CONNECTED" or len(op.inputs) < 3]
        if bad:
            raise SystemExit(f"fg_ideal: last:{k} of {net} holds {bad[0]}; only FULLY_CONNECTED layers with a bias")
        f, t = np.load(ROOT / folder / "field.npz"), np.load(ROOT / folder / "field_test.npz")
        first = self.layers[0].inputs[0]
        self.x = fs.prefix(f["x"])[first].astype(np.float64).reshape(len(f["y"]), -1)
        self.xt = fs.prefix(t["x"])[first].astype(np.float64).reshape(len(t["y"]), -1)
        self.y, self.yt = f["y"].astype(int), t["y"].astype(int)
        self.init: dict[str, np.ndarray] = {}
        self.unit: dict[str, np.ndarray] = {}
        self.bias: set[str] = set()
        for op in self.layers:
            w, b = op.inputs[1], op.inputs[2]
            sw = np.asarray(self.g.tensors[w].quant.scale, np.float64)
            sx = float(self.g.tensors[op.inputs[0]].quant.scale[0])
            self.unit[w] = sw.reshape(-1, 1)
            self.unit[b] = sx * sw * 2.0 ** _bias_unit_shift(self.g, op.inputs, op.outputs[0])
            self.init[w], self.init[b] = fs.init[w].astype(np.float64), fs.init[b].astype(np.float64)
            self.bias.add(b)
        self.n_values = sum(v.size for v in self.init.values())

    def logits(self, p: dict[str, np.ndarray], x: np.ndarray, z: dict | None = None,
               dy: list[np.ndarray] | None = None) -> np.ndarray:
        """x [B, I]; z: per tensor [B, ...] offsets added to p (one parameter set per row);
        dy: per layer [B, out] offsets added to its pre-activation (activity perturbation)."""
        h = x
        for j, op in enumerate(self.layers):
            w, b = op.inputs[1], op.inputs[2]
            if z is None:
                h = h @ p[w].T + p[b]
            else:
                h = np.einsum("koi,ki->ko", p[w][None] + z[w], h) + p[b][None] + z[b]
            if dy is not None:
                h = h + dy[j]
            if op.attrs.get("activation", "NONE") == "RELU":
                h = np.maximum(h, 0.0)
        return h

    def grad(self, p: dict[str, np.ndarray], x: np.ndarray, y: int) -> dict[str, np.ndarray]:
        hs = [x]
        for op in self.layers:
            h = hs[-1] @ p[op.inputs[1]].T + p[op.inputs[2]]
            hs.append(np.maximum(h, 0.0) if op.attrs.get("activation", "NONE") == "RELU" else h)
        d = np.exp(hs[-1] - hs[-1].max())
        d /= d.sum()
        d[y] -= 1.0
        out = {}
        for j in range(len(self.layers) - 1, -1, -1):
            op = self.layers[j]
            out[op.inputs[1]], out[op.inputs[2]] = np.outer(d, hs[j]), d.copy()
            d = d @ p[op.inputs[1]]
            if j and self.layers[j - 1].attrs.get("activation", "NONE") == "RELU":
                d = d * (hs[j] > 0)
        return out


def ce(logits: np.ndarray, y: int) -> np.ndarray:
    """Cross-entropy of label y for each row of logits [..., classes]."""
    z = logits - logits.max(-1, keepdims=True)
    return np.log(np.exp(z).sum(-1)) - z[..., y]


def batched_estimate(net: Dense, p: dict[str, np.ndarray], x: np.ndarray, y: int, m: int, eps: float,
                     signs: np.random.Generator) -> dict[str, np.ndarray]:
    """The step per unit of rate from m directions measured at p: unit · mean_k (d_k / 2ε) z_k, whose
    expectation is unit² · dL/dθ (the runtime's SGD in quantization units)."""
    upd = {n: np.zeros_like(v) for n, v in p.items()}
    for c0 in range(0, m, CHUNK):
        z = {n: signs.integers(0, 2, (min(CHUNK, m - c0),) + v.shape) * 2.0 - 1.0 for n, v in p.items()}
        xs = np.broadcast_to(x, (min(CHUNK, m - c0), x.size))
        lp = ce(net.logits(p, xs, {n: eps * net.unit[n] * v for n, v in z.items()}), y)
        lm = ce(net.logits(p, xs, {n: -eps * net.unit[n] * v for n, v in z.items()}), y)
        for n in p:
            upd[n] += np.tensordot((lp - lm) / (2 * eps), z[n], axes=(0, 0))
    return {n: net.unit[n] * upd[n] / m for n in p}


def activity_estimate(net: Dense, p: dict[str, np.ndarray], x: np.ndarray, y: int, m: int, eps: float,
                      signs: np.random.Generator) -> dict[str, np.ndarray]:
    """The same step from m directions in the layers' outputs instead of their weights: each layer's
    pre-activation moves by ±ε output LSBs along z, (d / 2ε s_y) z estimates dL/dy, and the weight
    gradient is that times the layer's (unperturbed) input. Its noise grows with the outputs
    (42 on digits last:2), not with the weights (8,554)."""
    ins, h = [], x
    for op in net.layers:  # the clean inputs of every layer
        ins.append(h)
        h = h @ p[op.inputs[1]].T + p[op.inputs[2]]
        if op.attrs.get("activation", "NONE") == "RELU":
            h = np.maximum(h, 0.0)
    sy = [float(net.g.tensors[op.outputs[0]].quant.scale[0]) for op in net.layers]
    gy = [np.zeros(len(p[op.inputs[2]])) for op in net.layers]
    for c0 in range(0, m, CHUNK):
        b = min(CHUNK, m - c0)
        z = [signs.integers(0, 2, (b, len(g))) * 2.0 - 1.0 for g in gy]
        xs = np.broadcast_to(x, (b, x.size))
        lp = ce(net.logits(p, xs, dy=[eps * s * v for s, v in zip(sy, z)]), y)
        lm = ce(net.logits(p, xs, dy=[-eps * s * v for s, v in zip(sy, z)]), y)
        for j in range(len(gy)):
            gy[j] += (lp - lm) / (2 * eps * sy[j]) @ z[j] / m
    out = {}
    for j, op in enumerate(net.layers):
        w, bn = op.inputs[1], op.inputs[2]
        out[w], out[bn] = net.unit[w] ** 2 * np.outer(gy[j], ins[j]), net.unit[bn] ** 2 * gy[j]
    return out


def run(net: Dense, seed: int, m: int, eps: float, lr: float, bias_factor: float, epochs: int,
        exact: bool = False, batched: bool = False, activity: bool = False) -> list[float]:
    """field_test accuracy before and after each epoch."""
    p = {n: v.copy() for n, v in net.init.items()}
    order, signs = np.random.default_rng(seed), np.random.default_rng(seed + 1000)
    rate = {n: bias_factor if n in net.bias else 1.0 for n in p}

    def acc() -> float:
        return float(np.mean(net.logits(p, net.xt).argmax(1) == net.yt))

    curve = [acc()]
    for ep in range(epochs):
        step = lr / 2**ep
        for i in order.permutation(len(net.y)):
            x, y = net.x[i], int(net.y[i])
            if exact:
                gr = net.grad(p, x, y)
                for n in p:
                    p[n] -= step * rate[n] * net.unit[n] ** 2 * gr[n]
            elif batched or activity:
                est = (activity_estimate if activity else batched_estimate)(net, p, x, y, m, eps, signs)
                for n in p:
                    p[n] -= step * rate[n] * est[n]
            else:
                for _ in range(m):
                    z = {n: signs.integers(0, 2, v.shape) * 2.0 - 1.0 for n, v in p.items()}
                    for n in p:
                        p[n] += eps * net.unit[n] * z[n]
                    lp = float(ce(net.logits(p, x[None])[0], y))
                    for n in p:
                        p[n] -= 2 * eps * net.unit[n] * z[n]
                    lm = float(ce(net.logits(p, x[None])[0], y))
                    for n in p:
                        p[n] += (eps - step * rate[n] / m * (lp - lm) / (2 * eps)) * net.unit[n] * z[n]
        curve.append(acc())
    return curve


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", choices=list(TASKS), default="digits")
    ap.add_argument("--trainable", type=int, default=2, help="last:k, fully connected layers only")
    ap.add_argument("--directions", type=int, default=32)
    ap.add_argument("--epsilon", type=float, default=4.0)
    ap.add_argument("--lr", type=float, default=12.0, help="first epoch's rate (halved each epoch)")
    ap.add_argument("--bias-factor", type=float, default=1.0, help="biases train at lr times this")
    ap.add_argument("--epochs", type=int, default=3)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--exact", action="store_true", help="the true gradient in the same units")
    mode.add_argument("--batched", action="store_true", help="a step's directions measured at one point")
    mode.add_argument("--activity", action="store_true", help="perturb the layers' outputs (batched)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    if a.directions < 1 or a.epsilon <= 0 or a.lr <= 0 or not math.isfinite(a.lr):
        raise SystemExit("fg_ideal: --directions >= 1, --epsilon > 0 and --lr > 0")
    net = Dense(a.net, a.trainable)
    rows = []
    for seed in a.seeds:
        curve = run(net, seed, a.directions, a.epsilon, a.lr, a.bias_factor, a.epochs, a.exact, a.batched,
                    a.activity)
        rows.append({"seed": seed, "curve": curve, "accuracy_after": curve[-1]})
        print(f"seed {seed}: " + " → ".join(f"{c:.3f}" for c in curve), flush=True)
    after = [r["accuracy_after"] for r in rows]
    kind = "exact gradient" if a.exact else f"m {a.directions}" + (
        " batched" if a.batched else " activity perturbation" if a.activity else "")
    print(f"{a.net} last:{a.trainable} ({net.n_values} values), {kind}, ε {a.epsilon:g}, lr {a.lr:g} halving, "
          f"bias ×{a.bias_factor:g}: mean {np.mean(after):.3f}, min {min(after):.3f}")
    if a.out:
        Path(a.out).write_text(json.dumps({**vars(a), "n_values": net.n_values, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
