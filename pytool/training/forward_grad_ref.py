"""numpy reference of the fixed-point forward-gradient step, integer
operation for integer operation (runtime_c/src/train/forward_grad.c,
optim.c, loss.c and the int16-weight kernels). The C must equal it bit for
bit: weights, biases, losses and flags after every step."""

from __future__ import annotations

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph
from pytool.ops.conv_2d import _grouped_dot, requantize, windows
from pytool.ops.depthwise_conv_2d import _depthwise
from pytool.training import TrainSpec
from pytool.training.fixed_loss import ce_q16_values, loss_q16
from pytool.training.forward_grad import KIND_W16, W16_SHIFT, FgSetup, FgTensor, setup
from pytool.training.forward_grad_act import MAX_D, NO_BIAS, ActLayer, ActSetup
from pytool.training.prng import prng_key, rademacher

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def round_shift(x: np.ndarray, shift: int) -> np.ndarray:
    """odl_round_shift_i64: half away from zero."""
    x = np.asarray(x, np.int64)
    if shift <= 0:
        return x
    half = np.int64(1) << np.int64(shift - 1)
    return np.where(x >= 0, (x + half) >> shift, -((-x + half) >> shift))


def w16_acc_to_i32(acc: np.ndarray, bias) -> np.ndarray:
    """odl_w16_acc_to_i32: int64 accumulators of int16 weights -> int32 at the int8-weight scale + bias."""
    v = (np.asarray(acc, np.int64) + (1 << (W16_SHIFT - 1))) >> W16_SHIFT
    if bias is not None:
        v = v + np.asarray(bias, np.int64)
    return np.clip(v, I32_MIN, I32_MAX)


def w16_epilogue(acc: np.ndarray, bias, mult, shift, out_off: int, amin: int, amax: int) -> np.ndarray:
    """odl_w16_acc_to_i32 then the int8 requantization."""
    return requantize(w16_acc_to_i32(acc, bias), None, mult, shift, out_off, amin, amax)


def run_w16(g: Graph, op, low, xs: list) -> np.ndarray:
    """A conv / depthwise / FC op whose weight is int16."""
    x, w, bias, mult, shift = xs
    w = np.asarray(w, np.int64)
    if op.type == "FULLY_CONNECTED":
        in_off, w_off, out_off, amin, amax, _ = low.params
        x64 = np.asarray(x, np.int64).reshape(-1, w.shape[1]) + in_off
        acc = x64 @ (w + w_off * (1 << W16_SHIFT)).T
        y = w16_epilogue(acc, bias, mult, shift, out_off, amin, amax)
        return y.reshape(g.tensors[op.outputs[0]].shape)
    in_off, out_off, amin, amax, sh, sw, dh, dw, ph, pw = low.params[:10]
    _, oh, ow, _ = g.tensors[op.outputs[0]].shape
    xi = np.asarray(x, np.int64) + in_off
    win = windows(xi, w.shape[1:3], (sh, sw), (dh, dw), (ph, pw), (oh, ow), fill=0)
    acc = _grouped_dot(win, w) if op.type == "CONV_2D" else _depthwise(win, w, low.params[10])
    return w16_epilogue(acc, bias, mult, shift, out_off, amin, amax)


def direction_step(t: FgTensor, diff: int, extra_shift: int = 0) -> int:
    """odl_fg_direction_step: round(diff * lr_mult / 2^(lr_shift + extra_shift)),
    limited so eps - r stays an int16 lane (weights) / int32 (biases)."""
    lim = (32767 if t.kind == KIND_W16 else I32_MAX) - t.eps
    sh = t.lr_shift + extra_shift
    r = 0 if sh > 62 else int(np.clip(round_shift(np.int64(diff) * t.lr_mult, sh), I32_MIN, I32_MAX))
    return max(-lim, min(lim, r))


class ForwardGradReference:
    """Holds the trainable tensors and the step counter, like the device."""

    def __init__(self, g: Graph, spec: TrainSpec):
        self.g = g
        self.setup: FgSetup = setup(g, spec)
        self.lowered = [opreg.get(op.type).lower(g, op) for op in g.ops[: self.setup.forward_ops]]
        self.reset()

    def reset(self) -> None:
        self.params = {t.name: t.init.copy() for t in self.setup.tensors}
        self.velocity = {t.name: np.zeros(t.init.size, np.int64) for t in self.setup.tensors}
        self.step_count = 0
        self.lr_shift = 0  # odl_train_set_lr_shift

    # forward -----------------------------------------------------------------
    def _run(self, vals: dict, first: int) -> None:
        g = self.g
        for i in range(first, self.setup.forward_ops):
            op, low = g.ops[i], self.lowered[i]
            xs = []
            for a in low.inputs:
                if a is None:
                    xs.append(None)
                elif isinstance(a, np.ndarray):
                    xs.append(a)
                elif a in self.params:
                    xs.append(self.params[a])
                elif a in vals:
                    xs.append(vals[a])
                else:
                    xs.append(g.tensors[a].data)
            wname = low.inputs[1] if len(low.inputs) > 1 else None
            if isinstance(wname, str) and wname in self.params and self.params[wname].dtype == np.int16:
                outs = [run_w16(g, op, low, xs)]
            else:
                outs = opreg.get(op.type).ref_int8(g, op, low, xs)
            for n, v in zip(op.outputs, outs):
                vals[n] = np.asarray(v).astype(g.tensors[n].np_dtype).reshape(g.tensors[n].shape)

    def _loss(self, vals: dict, label: int) -> tuple[int, int]:
        s = self.setup
        return loss_q16(vals[s.logits], s.logit_zero_point, s.logit_scale_q16, label, s.loss)

    def eval_sample(self, x: np.ndarray, label: int) -> dict:
        vals = {self.g.inputs[0]: np.asarray(x).reshape(self.g.tensors[self.g.inputs[0]].shape)}
        self._run(vals, 0)
        loss, pred = self._loss(vals, label)
        return {"loss_q16": loss, "predicted": pred, "correct": pred == label}

    # training ----------------------------------------------------------------
    def _z(self, k: int, i: int) -> np.ndarray:
        t = self.setup.tensors[i]
        return rademacher(prng_key(self.setup.seed, self.step_count, k, i), t.init.size).reshape(t.init.shape)

    def _pass(self, i: int, k_a: int | None, a: int, clamp: bool, k_b: int | None, b: int) -> bool:
        """odl_perturb_w16 / pass_i32: v += a z_a; clamp; v += b z_b."""
        t = self.setup.tensors[i]
        p = self.params[t.name]
        v = p.reshape(-1).astype(np.int64)
        if a:
            v = v + a * self._z(k_a, i).reshape(-1)
        clipped = False
        if clamp:
            c = np.clip(v, t.lo, t.hi)
            clipped = bool(np.any(c != v))
            v = c
        if b:
            v = v + b * self._z(k_b, i).reshape(-1)
        self.params[t.name] = v.astype(p.dtype).reshape(p.shape)
        return clipped

    def _momentum_decay(self, i: int) -> bool:
        t = self.setup.tensors[i]
        vel = round_shift(self.velocity[t.name] * self.setup.momentum_q15, 15)
        self.velocity[t.name] = vel
        p = self.params[t.name]
        raw = p.reshape(-1).astype(np.int64) - vel
        new = np.clip(raw, t.lo, t.hi)
        self.params[t.name] = new.astype(p.dtype).reshape(p.shape)
        return bool(np.any(new != raw))

    def _momentum_add(self, i: int, k: int, r: int) -> None:
        t = self.setup.tensors[i]
        v = self.velocity[t.name] + r * self._z(k, i).reshape(-1)
        self.velocity[t.name] = np.clip(v, I32_MIN, I32_MAX)

    def apply(self, step: int, diffs: list[int]) -> bool:
        """odl_fg_apply: replay one step's update from its scalars."""
        s, saved = self.setup, self.step_count
        self.step_count = step
        clipped = False
        for i in range(len(s.tensors)):
            if s.momentum_q15:
                clipped |= self._momentum_decay(i)
        for k, d in enumerate(diffs):
            for i, t in enumerate(s.tensors):
                r = direction_step(t, d, self.lr_shift) if s.in_dir(t, k) else 0
                if r:
                    clipped |= self._pass(i, k, -r, True, None, 0)
                    if s.momentum_q15:
                        self._momentum_add(i, k, r)
        self.step_count = saved
        return clipped

    def train_step(self, x: np.ndarray, label: int) -> dict:
        s = self.setup
        vals = {self.g.inputs[0]: np.asarray(x).reshape(self.g.tensors[self.g.inputs[0]].shape)}
        self._run(vals, 0)
        loss0, pred = self._loss(vals, label)
        if s.activity:
            clipped = act_step(self, vals, label)
            self.diffs = [0]
            self.step_count += 1
            return {"loss_q16": loss0, "predicted": pred, "correct": pred == label,
                    "flags": 2 if clipped else 0, "step": self.step_count}
        clipped = False
        for i, t in enumerate(s.tensors):
            if s.momentum_q15:
                clipped |= self._momentum_decay(i)
            if s.in_dir(t, 0):
                self._pass(i, None, 0, False, 0, t.eps)
        self.diffs = []
        for k in range(s.directions):
            self._run(vals, s.first_op)
            lp, _ = self._loss(vals, label)
            for i, t in enumerate(s.tensors):
                if s.in_dir(t, k):
                    self._pass(i, None, 0, False, k, -2 * t.eps)
            self._run(vals, s.first_op)
            lm, _ = self._loss(vals, label)
            d = lp - lm
            if s.sign:
                d = 65536 * int(np.sign(d))
            self.diffs.append(d)
            nxt = k + 1 < s.directions
            for i, t in enumerate(s.tensors):
                now, then = s.in_dir(t, k), nxt and s.in_dir(t, k + 1)
                if not (now or then):
                    continue
                r = direction_step(t, d, self.lr_shift) if now else 0
                clipped |= self._pass(i, k, t.eps - r if now else 0, r != 0, k + 1 if then else None,
                                      t.eps if then else 0)
                if r and s.momentum_q15:
                    self._momentum_add(i, k, r)
        self.step_count += 1
        return {"loss_q16": loss0, "predicted": pred, "correct": pred == label,
                "flags": 2 if clipped else 0, "step": self.step_count}

    def weights_int8_scale(self) -> dict[str, np.ndarray]:
        """Trainable tensors at their deployed scale (int16 weights / 2^7, as floats)."""
        return {t.name: (self.params[t.name] / (1 << W16_SHIFT) if t.kind == KIND_W16 else self.params[t.name])
                for t in self.setup.tensors}


# ---- activity perturbation (odl_fg_act_step, forward_grad_act.c) --------------------------------
def _fine(act: ActSetup, acc32: np.ndarray) -> list[int]:
    """Q16.16 fine logits of the last layer (fine_logits)."""
    f = round_shift(acc32.astype(np.int64) * act.logit_mult.astype(np.int64), act.logit_shift)
    return np.clip(f, I32_MIN // 4, I32_MAX // 4).tolist()


def _requant(acc32: np.ndarray, mult, shift) -> np.ndarray:
    """odl_mul_by_quantized_multiplier per row (the epilogue before offset and clamp)."""
    from pytool.ops.conv_2d import multiply_by_quantized_multiplier

    n = len(acc32)
    m = np.broadcast_to(np.asarray(mult, np.int64).reshape(-1), (n,))
    s = np.broadcast_to(np.asarray(shift, np.int64).reshape(-1), (n,))
    return multiply_by_quantized_multiplier(acc32.astype(np.int64), m, s).astype(np.int64)


def act_step(ref, vals: dict, label: int) -> bool:
    """The update of odl_fg_act_step on the reference's params (vals: the clean
    forward); returns whether the band clipped."""
    s, g = ref.setup, ref.g
    act: ActSetup = s.activity
    lay = []
    for ly in act.layers:
        op, low = g.ops[ly.op_index], ref.lowered[ly.op_index]
        in_off, w_off, out_off, amin, amax, _ = low.params
        w = ref.params[s.tensors[ly.w_slot].name].astype(np.int64)
        bname = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] else None
        bias = None
        if bname:
            bias = ref.params[bname] if bname in ref.params else np.asarray(g.tensors[bname].data)
            bias = np.asarray(bias, np.int64)
        x = np.asarray(vals[op.inputs[0]], np.int64).reshape(-1) + in_off
        lay.append(dict(op=op, low=low, w=w, wo=w + (w_off << W16_SHIFT), bias=bias, x=x, out_off=out_off,
                        amin=amin, amax=amax))
    B = lay[-1]
    acc_b = B["wo"] @ B["x"]
    v = _fine(act, w16_acc_to_i32(acc_b, B["bias"]))
    base = ce_q16_values(v, label)
    e = act.layers[-1].eps
    d_b = []
    for j in range(len(v)):
        vp, vm = list(v), list(v)
        vp[j] += e
        vm[j] -= e
        d_b.append(max(-MAX_D, min(MAX_D, ce_q16_values(vp, label) - ce_q16_values(vm, label))))
    ds = [d_b]
    if len(lay) == 2:
        A = lay[0]
        low = A["low"]
        acc32 = w16_acc_to_i32(A["wo"] @ A["x"], A["bias"])
        mult, shift = low.inputs[3], low.inputs[4]
        mult = np.asarray(mult if isinstance(mult, np.ndarray) else g.tensors[mult].data)
        shift = np.asarray(shift if isinstance(shift, np.ndarray) else g.tensors[shift].data)
        z = _requant(acc32, mult, shift) + A["out_off"]
        eps = act.layers[0].eps
        d_a = []
        for j in range(len(z)):
            y = int(np.clip(z[j], A["amin"], A["amax"]))
            ls = []
            for zp in (int(z[j]) + eps, int(z[j]) - eps):
                yp = min(max(zp, A["amin"]), A["amax"])
                if yp == y:
                    ls.append(base)
                else:
                    acc = acc_b + (yp - y) * B["wo"][:, j]
                    ls.append(ce_q16_values(_fine(act, w16_acc_to_i32(acc, B["bias"])), label))
            d_a.append(max(-MAX_D, min(MAX_D, ls[0] - ls[1])))
        ds = [d_a, d_b]
    clipped = False
    for ly, L, d in zip(act.layers, lay, ds):
        clipped |= _update(ref, ly, L, d)
    return clipped


def _update(ref, ly: ActLayer, L: dict, d: list[int]) -> bool:
    s = ref.setup
    tw = s.tensors[ly.w_slot]
    w = ref.params[tw.name].astype(np.int64)
    tb = s.tensors[ly.b_slot] if ly.b_slot != NO_BIAS else None
    b = ref.params[tb.name].astype(np.int64) if tb else None
    clipped = False
    for sh, is_w in ((ly.w_shift + ref.lr_shift, True), (ly.b_shift + ref.lr_shift, False)):
        if sh > 62 or (not is_w and tb is None):
            continue
        for j, dj in enumerate(d):
            if dj == 0:
                continue
            if is_w:
                raw = w[j] - round_shift(np.int64(dj * int(ly.w_mult[j])) * L["x"], sh)
                new = np.clip(raw, tw.lo, tw.hi)
                clipped |= bool(np.any(new != raw))
                w[j] = new
            else:
                raw = int(b[j]) - int(round_shift(np.int64(dj * int(ly.b_mult[j])), sh))
                new = min(max(raw, tb.lo), tb.hi)
                clipped |= new != raw
                b[j] = new
    ref.params[tw.name] = w.astype(np.int16)
    if tb:
        ref.params[tb.name] = b.astype(np.int32)
    return clipped
