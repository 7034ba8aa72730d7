"""Automatic sparse-update scheme: which layers update their bias, which the
weights of which output channels, under a RAM budget.

Contribution: a Fisher estimate, the mean over a few field samples of the
squared float64 gradient of the cross-entropy with respect to each parameter
of the dequantized model (summed per output channel), from FloatChain below.
Bytes: the exact training arena of the whole scheme from the planner
(sparse.scheme_bytes), so buffers that reuse dead activation memory cost
nothing. Search: greedy by added score per added byte over the options
nothing < bias < weights of the top 1/4, 1/2, all channels (each with the
int16 master copy, or with stochastic rounding, which needs no residuals and
counts 0.9 of the score); a step is taken only if the whole scheme fits.
FloatChain also trains the same parameters in float64 (the upper bound the
acceptance test compares against).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pytool import ops as opreg
from pytool.codegen import Program, lower_graph
from pytool.ir import Graph
from pytool.reference import _dequant_const, run_float
from pytool.training import TrainSpec, TrainSpecError
from pytool.training import sparse as sp
from pytool.training.sparse_kernels import _taps
from pytool.training.sparse_ops import MOVE_OPS, TABLE_OPS, float_deriv, move_map

FRACTIONS = (0.25, 0.5, 1.0)
# Default budget without --ram: the inference arena plus the larger of half
# of it and DEFAULT_EXTRA bytes. On small models 1.5x the inference arena
# leaves room for a lone bias, which barely learns (MLP 64-32-10: 0.40 ->
# 0.65 after 3 epochs); with 8 KiB every weight of the MLP and of the CNN of
# tests/fixtures/train_nets fits (0.87 / 0.89), still a quarter of AIfES.
DEFAULT_EXTRA = 8 * 1024
SR_WEIGHT = 0.9
MAX_SAMPLES = 32


def path_layers(g: Graph) -> list[int]:
    """Weighted layers the backward can reach (through residual forks), deepest last."""
    out = []
    for k in sorted((i for i, op in enumerate(g.ops) if op.type in sp.WEIGHTED), reverse=True):
        try:
            sp.backward_chain(g, {k: sp.Choice("bias")} if len(g.ops[k].inputs) > 2 else {k: sp.Choice("weights")})
        except TrainSpecError:
            break
        out.append(k)
    return out


def _mask(y: np.ndarray, act: str) -> np.ndarray:
    if act == "RELU":
        return (y > 0).astype(np.float64)
    if act == "RELU6":
        return ((y > 0) & (y < 6)).astype(np.float64)
    return np.ones_like(y)


class FloatChain:
    """float64 forward/backward of the ops between the deepest layer and the
    logits on the dequantized model (the same steps as the int8 backward)."""

    def __init__(self, g: Graph, deepest: int):
        self.g = g
        self.steps, self.logits, self.forward_ops = sp.backward_chain(g, {deepest: sp.Choice("weights")})
        self.first = deepest
        self.params: dict[str, np.ndarray] = {}
        for s in self.steps:
            op = g.ops[s.op]
            if op.type in sp.WEIGHTED:
                for n in op.inputs[1:3]:
                    self.params[n] = _dequant_const(g.tensors[n]).astype(np.float64)
        self.low = {s.op: opreg.get(g.ops[s.op].type).lower(g, g.ops[s.op]) for s in self.steps}
        self._move_maps: dict[int, np.ndarray] = {}
        self._vals: dict[str, np.ndarray] = {}
        made = {g.ops[s.op].outputs[0] for s in self.steps}
        # tensors the chain reads but does not compute (the deepest layer's input, a skip input)
        self.ext = sorted({n for s in self.steps for n in g.ops[s.op].inputs
                           if n not in made and not g.tensors[n].is_const})

    def entry(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Float values the chain reads from below, for one float model input."""
        g = self.g
        vals = run_float(g, [x.reshape(g.tensors[g.inputs[0]].shape)], keep_all=True)
        return {n: np.asarray(vals[n], np.float64) for n in self.ext}

    def forward(self, ext: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        g, vals = self.g, dict(ext)
        for s in reversed(self.steps):
            op = g.ops[s.op]
            xs = [vals[n] if n in vals else self.params[n] if n in self.params else _dequant_const(g.tensors[n])
                  for n in op.inputs]
            vals[op.outputs[0]] = np.asarray(opreg.get(op.type).ref_float(g, op, xs)[0], np.float64)
        return vals

    def grads(self, vals: dict[str, np.ndarray], label: int,
              masks: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None) -> dict[str, np.ndarray]:
        """Parameter gradients; self.errors keeps dL/dt of every tensor the
        backward reaches (a fork's is the sum over its consumers). masks:
        optional per op output, error -> masked error, replacing the float
        activation masks (e.g. the int8 rules)."""
        g = self.g
        z = vals[self.logits].reshape(-1)
        p = np.exp(z - z.max())
        p /= p.sum()
        p[label] -= 1.0
        errs = {self.logits: p.reshape(vals[self.logits].shape)}
        self._vals = vals
        out: dict[str, np.ndarray] = {}
        for s in self.steps:
            op = g.ops[s.op]
            y, x = vals[op.outputs[0]], vals[op.inputs[0]]
            d = errs[s.out_t].reshape(y.shape)
            if masks is not None:
                d = masks[s.out_t](d)
            else:
                d = d * _mask(y, op.attrs.get("activation", op.type if "RELU" in op.type else "NONE"))
            dx = d if op.type == "ADD" else self._step(s, op, x, d, out)
            for n in (s.in_t, s.side_t):
                if n is not None:
                    errs[n] = errs[n] + dx.reshape(errs[n].shape) if n in errs else dx.reshape(vals[n].shape)
        self.errors = errs
        return out

    def _step(self, s, op, x, d, out):
        t = op.type
        if t == "FULLY_CONNECTED":
            w = self.params[op.inputs[1]]
            x2, d2 = x.reshape(-1, w.shape[1]), d.reshape(-1, w.shape[0])
            out[op.inputs[1]] = d2.T @ x2
            if len(op.inputs) > 2:
                out[op.inputs[2]] = d2.sum(0)
            return (d2 @ w).reshape(x.shape)
        p = self.low[s.op].params
        if t in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = self.params[op.inputs[1]]
            stride, dil, pad = (p[4], p[5]), (p[6], p[7]), (p[8], p[9])
            dx, gw = np.zeros_like(x), np.zeros_like(w)
            m = p[10] if t == "DEPTHWISE_CONV_2D" else 1
            for ky in range(w.shape[1]):
                oy, iy = _taps(d.shape[1], x.shape[1], stride[0], pad[0], ky, dil[0])
                for kx in range(w.shape[2]):
                    ox, ix = _taps(d.shape[2], x.shape[2], stride[1], pad[1], kx, dil[1])
                    if not (oy.size and ox.size):
                        continue
                    dd = d[:, oy[:, None], ox[None, :], :]
                    xx = x[:, iy[:, None], ix[None, :], :]
                    if t == "CONV_2D":
                        dx[:, iy[:, None], ix[None, :], :] += dd @ w[:, ky, kx, :]
                        gw[:, ky, kx, :] += np.einsum("byxo,byxc->oc", dd, xx)
                    else:
                        dx[:, iy[:, None], ix[None, :], :] += (dd * w[0, ky, kx]).reshape(
                            *dd.shape[:3], x.shape[3], m).sum(-1)
                        gw[0, ky, kx] += (dd * np.repeat(xx, m, axis=-1)).sum((0, 1, 2))
            out[op.inputs[1]] = gw
            if len(op.inputs) > 2:
                out[op.inputs[2]] = d.sum((0, 1, 2))
            return dx
        if t == "AVERAGE_POOL_2D":
            dx = np.zeros_like(x)
            H, W = x.shape[1:3]
            for oy in range(d.shape[1]):
                y0 = oy * p[0] - p[4]
                for ox in range(d.shape[2]):
                    x0 = ox * p[1] - p[5]
                    ys, xs_ = slice(max(0, y0), min(H, y0 + p[2])), slice(max(0, x0), min(W, x0 + p[3]))
                    cnt = (ys.stop - ys.start) * (xs_.stop - xs_.start)
                    dx[:, ys, xs_, :] += d[:, oy, ox, None, None, :] / cnt
            return dx
        if t in MOVE_OPS:
            if s.op not in self._move_maps:
                self._move_maps[s.op] = move_map(self.g, s.op, s.in_t)
            src = self._move_maps[s.op]
            dx = np.zeros(int(np.prod(self.g.tensors[s.in_t].shape)))
            np.add.at(dx, src[src >= 0], d.reshape(-1)[src >= 0])
            return dx.reshape(self.g.tensors[s.in_t].shape)
        if t in TABLE_OPS:
            return d * float_deriv(self.g, s.op, x)
        if t == "MUL":
            n = op.inputs[1 - s.arg]
            other = self._vals[n] if n in self._vals else _dequant_const(self.g.tensors[n])
            return (d * np.broadcast_to(np.asarray(other, np.float64), d.shape)).reshape(self.g.tensors[s.in_t].shape)
        if t == "MAX_POOL_2D":
            dx = np.zeros_like(x)
            H, W = x.shape[1:3]
            for oy in range(d.shape[1]):
                y0 = oy * p[0] - p[4]
                for ox in range(d.shape[2]):
                    x0 = ox * p[1] - p[5]
                    ya, xa = max(0, y0), max(0, x0)
                    win = x[:, ya:min(H, y0 + p[2]), xa:min(W, x0 + p[3]), :]
                    if win.size == 0:
                        continue
                    k = win.reshape(win.shape[0], -1, win.shape[3]).argmax(1)
                    wy, wx = np.divmod(k, win.shape[2])
                    bi, ci = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[3]), indexing="ij")
                    np.add.at(dx, (bi, ya + wy, xa + wx, ci), d[:, oy, ox, :])
            return dx
        if t == "MEAN":
            outer, reduce, inner = p[0], p[1], p[2]
            return np.broadcast_to(d.reshape(outer, 1, inner) / reduce, (outer, reduce, inner)).reshape(x.shape)
        return d.reshape(x.shape)  # RESHAPE, RELU, RELU6


def _samples(g: Graph, spec: TrainSpec) -> tuple[np.ndarray, np.ndarray]:
    path = spec.extra.get("data")
    if path:
        from pytool.data import check_labels, check_samples, graph_input_spec, read_arrays

        d = read_arrays(path, ("x", "y"), "--data")
        check_samples(d["x"], graph_input_spec(g), f"{path}: x")  # rejects NaN/inf, bad shapes and dtypes
        n_cls = int(np.prod(g.tensors[sp.logits_of(g)[0]].shape))
        y = check_labels(d["y"], f"{path}: y", len(d["x"]), n_cls)
        n = min(MAX_SAMPLES, len(y))
        idx = np.random.default_rng(spec.seed).permutation(len(y))[:n]
        return d["x"][idx].astype(np.float32), y[idx]
    # no data: random inputs in the input's range and random labels (a generic sensitivity)
    t = g.tensors[g.inputs[0]]
    rng = np.random.default_rng(spec.seed)
    lo, hi = (-1.0, 1.0)
    if t.quant is not None:
        s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
        lo, hi = s * (-128 - z), s * (127 - z)
    n_cls = int(np.prod(g.tensors[sp.logits_of(g)[0]].shape))
    x = rng.uniform(lo, hi, (MAX_SAMPLES // 2, *t.shape[1:])).astype(np.float32)
    return x, rng.integers(0, n_cls, len(x))


def fisher(g: Graph, x: np.ndarray, y: np.ndarray, deepest: int) -> dict[str, np.ndarray]:
    fc = FloatChain(g, deepest)
    acc: dict[str, np.ndarray] = {}
    for xi, yi in zip(x, y):
        for n, gr in fc.grads(fc.forward(fc.entry(xi)), int(yi)).items():
            acc[n] = acc.get(n, 0) + gr**2
    return {n: v / len(x) for n, v in acc.items()}


@dataclass
class Row:
    op: int
    layer: str
    choice: str
    bytes: int
    score: float
    why: str


@dataclass
class SearchResult:
    scheme: sp.Scheme
    budget: int
    inference: int
    training: int  # training arena
    stack: int  # stack reserved for the training call beyond inference
    rows: list[Row] = field(default_factory=list)


def _options(g: Graph, k: int, fi: dict[str, np.ndarray]) -> list[tuple[sp.Choice, float]]:
    op = g.ops[k]
    has_b = len(op.inputs) > 2
    sb = float(fi[op.inputs[2]].sum()) if has_b else 0.0
    wf = fi[op.inputs[1]]
    per_ch = wf.reshape(-1, wf.shape[-1]).sum(0) if op.type == "DEPTHWISE_CONV_2D" else wf.reshape(wf.shape[0], -1).sum(1)
    order = [int(c) for c in np.argsort(-per_ch, kind="stable")]
    opts = [(sp.Choice("bias"), sb)] if has_b else []
    n = len(order)
    for f in FRACTIONS:
        chans = sorted(order[: max(1, math.ceil(f * n))])
        s = sb + float(per_ch[chans].sum())
        c = None if len(chans) == n else chans
        opts.append((sp.Choice("weights", c, "master"), s))
        opts.append((sp.Choice("weights", c, "stochastic"), SR_WEIGHT * s))
    return opts


def default_budget(inference: int) -> int:
    """--ram when none is given: arena up to inference + max(inference / 2,
    DEFAULT_EXTRA), the training stack on top."""
    return inference + max(inference // 2, DEFAULT_EXTRA) + sp.TRAIN_STACK_BYTES


def search(g: Graph, spec: TrainSpec, base: Program | None = None) -> SearchResult:
    base = base or lower_graph(g)
    inference = base.plan.arena_size
    budget = spec.ram if spec.ram is not None else default_budget(inference)
    sp.check_ram(budget, inference)
    arena_budget = sp.arena_budget(budget)  # the rest is the training call's stack
    layers = path_layers(g)
    if not layers:
        raise TrainSpecError("sparse update: no CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layer below the logits")
    x, y = _samples(g, spec)
    fi = fisher(g, x, y, layers[-1])
    opts = {k: _options(g, k, fi) for k in layers}
    scheme: sp.Scheme = {}
    score: dict[int, float] = {}
    cur_bytes = inference
    while True:
        best = None
        for k in layers:
            for ch, s in opts[k]:
                gain = s - score.get(k, 0.0)
                if gain <= 0:
                    continue
                trial = dict(scheme)
                trial[k] = ch
                b = sp.scheme_bytes(g, base, trial)
                if b > arena_budget:
                    continue
                ratio = gain / max(16, b - cur_bytes)
                if best is None or ratio > best[0]:
                    best = (ratio, k, ch, s, b)
        if best is None:
            break
        _, k, ch, s, b = best
        scheme[k], score[k], cur_bytes = ch, s, b
    if not scheme:
        cheapest = min(sp.scheme_bytes(g, base, {k: opts[k][0][0]}) for k in layers)
        raise TrainSpecError(
            f"--ram {budget:,d} B: no sparse-update scheme fits (inference needs {inference:,d} B, the cheapest "
            f"update {cheapest:,d} B of arena + {sp.TRAIN_STACK_BYTES} B of stack)"
        )
    res = SearchResult(scheme, budget, inference, cur_bytes, sp.TRAIN_STACK_BYTES)
    for k in layers:
        op = g.ops[k]
        n_out = sp.n_out_of(g, k)
        if k in scheme:
            rest = {j: c for j, c in scheme.items() if j != k}
            without = sp.scheme_bytes(g, base, rest) if rest else inference
            res.rows.append(Row(k, op.type, scheme[k].label(n_out), cur_bytes - without, score[k],
                                "best score per byte that fits"))
        else:
            ch0, s0 = opts[k][0]
            need = sp.scheme_bytes(g, base, {**scheme, k: ch0})
            why = f"smallest option ({ch0.label(n_out)}) would need {need:,d} B > {arena_budget:,d} B" \
                if need > arena_budget else \
                "no score gain"
            res.rows.append(Row(k, op.type, "frozen", 0, s0, why))
    return res


def float_train(g: Graph, scheme: sp.Scheme, x, y, xt, yt, epochs: int, lr: float, seed: int = 0):
    """float64 SGD (batch 1) of exactly the scheme's parameters: (acc before, acc after)."""
    fc = FloatChain(g, min(scheme))
    masks: dict[str, np.ndarray] = {}
    for k, ch in scheme.items():
        op = g.ops[k]
        if len(op.inputs) > 2:
            masks[op.inputs[2]] = np.ones_like(fc.params[op.inputs[2]])
        if ch.update == "weights":
            w = fc.params[op.inputs[1]]
            m = np.zeros_like(w)
            chans = sp.channels_of(g, k, ch)
            if op.type == "DEPTHWISE_CONV_2D":
                m[..., chans] = 1
            else:
                m[chans] = 1
            masks[op.inputs[1]] = m
    ex, ext = [fc.entry(v) for v in x], [fc.entry(v) for v in xt]

    def acc() -> float:
        return float(np.mean([np.argmax(fc.forward(e)[fc.logits]) == t for e, t in zip(ext, yt)]))

    before = acc()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for i in rng.permutation(len(ex)):
            gr = fc.grads(fc.forward(ex[i]), int(y[i]))
            for n, m in masks.items():
                fc.params[n] -= lr * m * gr[n].reshape(m.shape)
    return before, acc()
