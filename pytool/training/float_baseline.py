"""Float32 backprop of the same trainable subset: the upper bound every
fixed-point method is compared against.

The int8 model is dequantized; the frozen prefix (ops before the first
trainable layer) runs once per sample through the float reference executor,
and the suffix up to the logits (CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED with fused NONE/RELU/RELU6, RESHAPE, MAX_POOL_2D) is trained with
mini-batch SGD + momentum on softmax cross-entropy, in float32 numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytool.ir import Graph
from pytool.ops.common import conv_pad
from pytool.ops.conv_2d import pair, windows
from pytool.reference import _dequant_const, run_float
from pytool.training import TrainSpecError, resolve_trainable
from pytool.training.forward_grad import logits_of

SUPPORTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "MAX_POOL_2D")


@dataclass
class FloatResult:
    accuracy_before: float
    accuracy_after: float
    curve: list[float]


def _act_grad(y: np.ndarray, act: str) -> np.ndarray:
    if act == "RELU":
        return (y > 0).astype(np.float32)
    if act == "RELU6":
        return ((y > 0) & (y < 6)).astype(np.float32)
    if act == "NONE":
        return np.ones_like(y)
    raise TrainSpecError(f"float baseline: activation {act} has no gradient here")


def _act(x: np.ndarray, act: str) -> np.ndarray:
    return np.maximum(x, 0) if act == "RELU" else (np.clip(x, 0, 6) if act == "RELU6" else x)


class FloatSuffix:
    """The ops [first_op, forward_ops) in float32 with trainable parameters."""

    def __init__(self, g: Graph, trainable: str):
        self.g = g
        self.logits, self.forward_ops = logits_of(g)
        self.layers = resolve_trainable(g, trainable)
        self.first_op = min(ly.op_index for ly in self.layers)
        self.params: dict[str, np.ndarray] = {}
        self.trainable: set[str] = set()
        for i in range(self.first_op, self.forward_ops):
            op = g.ops[i]
            if op.type not in SUPPORTED:
                raise TrainSpecError(f"float baseline: {op.label(i)} is not supported ({', '.join(SUPPORTED)})")
            for n in op.inputs[1:]:
                if op.type not in ("RESHAPE", "MAX_POOL_2D") and g.tensors[n].is_const:
                    self.params[n] = _dequant_const(g.tensors[n]).astype(np.float32)
        for ly in self.layers:
            self.trainable.update(n for n in (ly.weight, ly.bias) if n is not None)
        self.init = {k: v.copy() for k, v in self.params.items()}

    def prefix(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Float values entering the suffix for a batch of float inputs."""
        g = self.g
        need = {n for op in g.ops[self.first_op : self.forward_ops] for n in op.inputs}
        outs: dict[str, list] = {}
        for s in x:
            vals = run_float(g, [s.reshape(g.tensors[g.inputs[0]].shape)], keep_all=True)
            for n in need:
                if n in vals and not g.tensors[n].is_const:
                    outs.setdefault(n, []).append(vals[n][0] if vals[n].shape[0] == 1 else vals[n])
        return {n: np.stack(v).astype(np.float32) for n, v in outs.items()}

    def forward(self, feeds: dict[str, np.ndarray]):
        vals = dict(feeds)
        tape = []
        for i in range(self.first_op, self.forward_ops):
            op = self.g.ops[i]
            x = vals[op.inputs[0]]
            nb = x.shape[0]
            if op.type == "RESHAPE":
                y = x.reshape((nb,) + tuple(self.g.tensors[op.outputs[0]].shape[1:]))
                tape.append((op, x, None, y))
            elif op.type == "MAX_POOL_2D":
                y, ctx = self._maxpool(op, x)
                tape.append((op, x, ctx, y))
            else:
                w = self.params[op.inputs[1]]
                b = self.params.get(op.inputs[2]) if len(op.inputs) > 2 else None
                pre, ctx = self._lin(op, x, w)
                if b is not None:
                    pre = pre + b
                y = _act(pre, op.attrs.get("activation", "NONE"))
                tape.append((op, x, ctx, y))
            vals[op.outputs[0]] = y
        return vals[self.logits], tape

    def _maxpool(self, op, x):
        """Max over each window (padding never wins) and the flat index of its first maximum."""
        k, stride = pair(op, "filter"), pair(op, "stride")
        oh, ow = self.g.tensors[op.outputs[0]].shape[1:3]
        pad = tuple(conv_pad(x.shape[1 + a], k[a], stride[a], 1, op.attrs.get("padding", "VALID")) for a in range(2))
        win = windows(x, k, stride, (1, 1), pad, (oh, ow), fill=-np.inf)
        flat = win.reshape(win.shape[:3] + (-1, win.shape[-1]))
        arg = flat.argmax(3)
        y = np.take_along_axis(flat, arg[:, :, :, None, :], 3)[:, :, :, 0, :]
        return _act(y, op.attrs.get("activation", "NONE")), (arg, k, pad, stride, x.shape)

    def _lin(self, op, x, w):
        if op.type == "FULLY_CONNECTED":
            x2 = x.reshape(x.shape[0], -1)
            return x2 @ w.T, x2
        dil, stride = pair(op, "dilation"), pair(op, "stride")
        oh, ow = self.g.tensors[op.outputs[0]].shape[1:3]
        pad = tuple(conv_pad(x.shape[1 + a], w.shape[1 + a], stride[a], dil[a], op.attrs.get("padding", "VALID"))
                    for a in range(2))
        win = windows(x, w.shape[1:3], stride, dil, pad, (oh, ow))
        if op.type == "CONV_2D":
            if w.shape[3] != x.shape[3]:
                raise TrainSpecError(f"float baseline: grouped CONV_2D '{op.name}' is not supported")
            return np.tensordot(win, w, axes=([3, 4, 5], [1, 2, 3])), (win, pad, stride, dil, x.shape)
        m = w.shape[3] // x.shape[3]
        winr = np.repeat(win, m, axis=-1)
        return np.einsum("nyxhwc,hwc->nyxc", winr, w[0]), (winr, pad, stride, dil, x.shape)

    def backward(self, tape, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        grads: dict[str, np.ndarray] = {}
        dy = dlogits
        for op, x, ctx, y in reversed(tape):
            if op.type == "RESHAPE":
                dy = dy.reshape(x.shape)
                continue
            if op.type == "MAX_POOL_2D":
                arg, k, pad, stride, xshape = ctx
                dpre = dy * _act_grad(y, op.attrs.get("activation", "NONE"))
                dwin = np.zeros(arg.shape[:3] + (k[0] * k[1], arg.shape[-1]), np.float32)
                np.put_along_axis(dwin, arg[:, :, :, None, :], dpre[:, :, :, None, :], 3)
                dy = _col2im(dwin.reshape(arg.shape[:3] + (k[0], k[1], arg.shape[-1])), xshape, pad, stride, (1, 1))
                continue
            dpre = dy * _act_grad(y, op.attrs.get("activation", "NONE"))
            if len(op.inputs) > 2:
                grads[op.inputs[2]] = dpre.reshape(-1, dpre.shape[-1]).sum(0)
            w = self.params[op.inputs[1]]
            if op.type == "FULLY_CONNECTED":
                grads[op.inputs[1]] = dpre.T @ ctx
                dy = (dpre @ w).reshape(x.shape)
                continue
            win, pad, stride, dil, xshape = ctx
            if op.type == "CONV_2D":
                grads[op.inputs[1]] = np.tensordot(dpre, win, axes=([0, 1, 2], [0, 1, 2]))
                dwin = np.tensordot(dpre, w, axes=([3], [0]))
            else:
                m = w.shape[3] // xshape[3]
                grads[op.inputs[1]] = np.einsum("nyxhwc,nyxc->hwc", win, dpre)[None]
                dwin = np.einsum("nyxc,hwc->nyxhwc", dpre, w[0])
                dwin = dwin.reshape(dwin.shape[:-1] + (xshape[3], m)).sum(-1)
            dy = _col2im(dwin, xshape, pad, stride, dil)
        return grads


def _col2im(dwin, xshape, pad, stride, dil) -> np.ndarray:
    n, oh, ow, kh, kw, c = dwin.shape
    hp = max(xshape[1] + pad[0], (oh - 1) * stride[0] + (kh - 1) * dil[0] + 1)
    wp = max(xshape[2] + pad[1], (ow - 1) * stride[1] + (kw - 1) * dil[1] + 1)
    dx = np.zeros((n, hp, wp, c), np.float32)
    for a in range(kh):
        for b in range(kw):
            ys = a * dil[0] + np.arange(oh) * stride[0]
            xs = b * dil[1] + np.arange(ow) * stride[1]
            dx[:, ys[:, None], xs[None, :], :] += dwin[:, :, :, a, b, :]
    return dx[:, pad[0] : pad[0] + xshape[1], pad[1] : pad[1] + xshape[2], :]


def softmax_ce_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    loss = float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
    p[np.arange(len(y)), y] -= 1
    return loss, p / len(y)


def train_float(g: Graph, trainable: str, x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
                epochs: int = 40, lr: float = 0.05, momentum: float = 0.9, batch: int = 16,
                seed: int = 0) -> FloatResult:
    """Mini-batch SGD on the trainable subset; x are float inputs."""
    net = FloatSuffix(g, trainable)
    feeds, feeds_eval = net.prefix(x), net.prefix(x_eval)

    def accuracy() -> float:
        logits, _ = net.forward(feeds_eval)
        return float(np.mean(logits.reshape(len(y_eval), -1).argmax(1) == y_eval))

    rng = np.random.default_rng(seed)
    vel = {k: np.zeros_like(v) for k, v in net.params.items() if k in net.trainable}
    before = accuracy()
    curve = [before]
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for s in range(0, len(y), batch):
            idx = order[s : s + batch]
            logits, tape = net.forward({k: v[idx] for k, v in feeds.items()})
            _, dl = softmax_ce_grad(logits.reshape(len(idx), -1), y[idx])
            grads = net.backward(tape, dl.reshape(logits.shape))
            for k in vel:
                vel[k] = momentum * vel[k] - lr * grads[k].astype(np.float32)
                net.params[k] += vel[k]
        curve.append(accuracy())
    return FloatResult(before, curve[-1], curve)
