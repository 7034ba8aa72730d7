"""Forward gradient by activity perturbation: compile-time side and numpy twin.

With `fg_perturb = activity` (TrainSpec.extra) the runtime perturbs each
output of the trained fully connected layers instead of their weights
(runtime_c/src/train/forward_grad_act.c). The estimate's noise then grows with
the layers' outputs (42 on the digits net's last two layers), not with their
weights (8,554). The rate is a float-equivalent SGD rate: the per-row
multipliers below convert the measured loss differences into storage units
with each row's own scales, so `--lr 0.01` moves the real weights as float
SGD at 0.01 would. docs/design/forward-grad.md, "Activity perturbation".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pytool.ir import Graph
from pytool.training import TrainSpecError

W16_SHIFT = 7
LOGIT_EPS_Q16 = 4096  # the last layer's perturbation: 1/16 of a logit (real units)
MAX_D = 1 << 24  # ODL_FG_ACT_MAX_D
NO_BIAS = 0xFFFF
PERTURB = ("auto", "weights", "activity")  # auto: the --lr auto sweep decides; without it, weights


@dataclass
class ActLayer:
    op_index: int
    w_slot: int
    b_slot: int  # NO_BIAS: the bias does not train
    eps: int  # hidden: int8 output LSBs; last: Q16.16 logit units
    w_shift: int
    b_shift: int
    w_mult: np.ndarray  # int32 per output row
    b_mult: np.ndarray  # int32 per output row (zeros without a trained bias)


@dataclass
class ActSetup:
    logit_shift: int
    logit_mult: np.ndarray
    layers: list[ActLayer] = field(default_factory=list)

    @property
    def state_bytes(self) -> int:
        """ODL_FG_ACT_STATE_BYTES(n_hidden, n_last)."""
        n = [len(ly.w_mult) for ly in self.layers]
        hidden = n[0] if len(n) == 2 else 0
        return 12 * (hidden + n[-1]) + 8 * n[-1]


def perturb_of(spec) -> str:
    p = str((spec.extra or {}).get("fg_perturb", "auto"))
    if p not in PERTURB:
        raise TrainSpecError(f"--perturb {p!r}: choose one of {', '.join(PERTURB)}")
    return "activity" if p == "activity" else "weights"


def ineligible(g: Graph, op_indices: list[int], logits: str) -> str | None:
    """Why activity perturbation cannot train these layers, or None."""
    if not 1 <= len(op_indices) <= 2:
        return f"it trains one or two layers, not {len(op_indices)}"
    ops = [g.ops[i] for i in sorted(op_indices)]
    for op in ops:
        if op.type != "FULLY_CONNECTED":
            return f"it trains FULLY_CONNECTED layers only, not {op.type}"
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        w = g.tensors[op.inputs[1]]
        if int(np.prod(x.shape)) != int(w.shape[1]) or int(np.prod(y.shape)) != int(w.shape[0]):
            return f"layer '{op.outputs[0]}' runs more than one batch row"
    if ops[-1].outputs[0] != logits:
        return f"the last trained layer must compute the logits '{logits}'"
    if len(ops) == 2 and ops[1].inputs[0] != ops[0].outputs[0]:
        return "the second trained layer must read the first one's output directly"
    return None


def _split(f: np.ndarray, what: str, lr: float) -> tuple[np.ndarray, int]:
    """f = mult / 2^shift with 15-bit multipliers sharing one shift."""
    top = float(np.max(f))
    if top <= 0 or not math.isfinite(top):
        raise TrainSpecError(f"--lr {lr}: gives no update for {what}")
    shift = 14 - math.floor(math.log2(top))
    if shift < 0:
        raise TrainSpecError(f"--lr {lr}: too large for {what} (one loss unit would move it {top:.3g} LSBs)")
    if shift > 62:
        raise TrainSpecError(f"--lr {lr}: too small for {what}: every update would round to zero")
    mult = np.minimum(np.round(f * 2.0**shift), 2**15 - 1).astype(np.int64)
    return mult.astype(np.int32), shift


def setup_activity(g: Graph, spec, st) -> ActSetup:
    """Multipliers of the activity step for the FgSetup st (its tensors set)."""
    op_indices = sorted({t.op_index for t in st.tensors})
    why = ineligible(g, op_indices, st.logits)
    if why:
        raise TrainSpecError(f"--perturb activity: {why}")
    if st.loss != "ce" or st.momentum_q15 or st.sign or st.groups > 1:
        raise TrainSpecError("--perturb activity: needs the ce loss, no momentum, no --sign, no direction groups")
    eps_hidden = max(1, int(round(spec.epsilon)))
    last = g.ops[op_indices[-1]]
    sx_b = float(g.tensors[last.inputs[0]].quant.scale[0])
    sw_b = np.broadcast_to(np.asarray(g.tensors[last.inputs[1]].quant.scale, np.float64),
                           (int(g.tensors[last.inputs[1]].shape[0]),))
    real = sx_b * sw_b * 65536.0
    logit_shift = 30 - math.floor(math.log2(float(real.max())))
    logit_shift = max(0, min(62, logit_shift))
    act = ActSetup(logit_shift, np.round(real * 2.0**logit_shift).astype(np.int64).astype(np.int32))
    for li, oi in enumerate(op_indices):
        op = g.ops[oi]
        slots = {t.name: i for i, t in enumerate(st.tensors) if t.op_index == oi}
        w_slot = slots.get(op.inputs[1])
        if w_slot is None:
            raise TrainSpecError(f"--perturb activity: the weight '{op.inputs[1]}' must train")
        b_slot = slots.get(op.inputs[2], NO_BIAS) if len(op.inputs) > 2 and op.inputs[2] else NO_BIAS
        n_out = int(g.tensors[op.inputs[1]].shape[0])
        sx = float(g.tensors[op.inputs[0]].quant.scale[0])
        sw = np.broadcast_to(np.asarray(g.tensors[op.inputs[1]].quant.scale, np.float64), (n_out,))
        is_last = li == len(op_indices) - 1
        eps = LOGIT_EPS_Q16 if is_last else eps_hidden
        e_real = eps / 65536.0 if is_last else eps * float(g.tensors[op.outputs[0]].quant.scale[0])
        # d / (2 * 65536 * e_real) = dL/dz (real); x_real = (x + off) s_x; w16 unit = s_w / 2^7
        grad_unit = spec.lr / (2.0 * 65536.0 * e_real)
        w_mult, w_shift = _split(grad_unit * sx * 2.0**W16_SHIFT / sw, f"'{op.inputs[1]}'", spec.lr)
        if b_slot != NO_BIAS:
            b_mult, b_shift = _split(grad_unit / (sx * sw), f"'{op.inputs[2]}'", spec.lr)
        else:
            b_mult, b_shift = np.zeros(n_out, np.int32), 0
        act.layers.append(ActLayer(oi, w_slot, b_slot, eps, w_shift, b_shift, w_mult, b_mult))
    return act


def emit_activity_c(act: ActSetup) -> str:
    """The arrays and the odl_fg_activity_t of a generated config."""
    lines = []
    rows = []
    for i, ly in enumerate(act.layers):
        lines.append(f"static const int32_t odl_fg_act_w{i}[] = {{{', '.join(str(int(v)) for v in ly.w_mult)}}};")
        b = "0"
        if ly.b_slot != NO_BIAS:
            lines.append(f"static const int32_t odl_fg_act_b{i}[] = {{{', '.join(str(int(v)) for v in ly.b_mult)}}};")
            b = f"odl_fg_act_b{i}"
        rows.append(f"    {{{ly.op_index}, {ly.w_slot}, {ly.b_slot}, 0, {ly.eps}, {ly.w_shift}, {ly.b_shift}, "
                    f"odl_fg_act_w{i}, {b}}},")
    lines.append(f"static const int32_t odl_fg_act_logit[] = {{{', '.join(str(int(v)) for v in act.logit_mult)}}};")
    lines += ["static const odl_fg_act_layer_t odl_fg_act_layers[] = {", *rows, "};",
              f"static const odl_fg_activity_t odl_fg_activity = {{{len(act.layers)}, {act.logit_shift}, "
              "odl_fg_act_logit, odl_fg_act_layers};"]
    return "\n".join(lines)


# ---- numpy twin ------------------------------------------------------------------------------
def _round_shift(x: int, s: int) -> int:
    """odl_round_shift_i64 on Python ints: half away from zero."""
    if s <= 0:
        return x
    half = 1 << (s - 1)
    return (x + half) >> s if x >= 0 else -((-x + half) >> s)


def _w16_to_i32(acc: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    v = (acc + (1 << (W16_SHIFT - 1))) >> W16_SHIFT
    if bias is not None:
        v = v + bias.astype(np.int64)
    return np.clip(v, -(2**31), 2**31 - 1)


def _fine(act: ActSetup, acc32: np.ndarray) -> list[int]:
    out = []
    for a, m in zip(acc32.tolist(), act.logit_mult.tolist()):
        f = _round_shift(int(a) * int(m), act.logit_shift)
        out.append(max(-(2**31) // 4, min((2**31 - 1) // 4, f)))
    return out


def ce_values(v: list[int], label: int) -> int:
    """odl_ce_q16_values."""
    from pytool.training.fixed_loss import _wrap32, exp_neg_q16, ln_q16

    best = max(range(len(v)), key=lambda k: (v[k], -k))
    s = sum(exp_neg_q16(v[k] - v[best]) for k in range(len(v)))
    return _wrap32(ln_q16(s) - (v[label] - v[best]))


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
    v = _fine(act, _w16_to_i32(acc_b, B["bias"]))
    base = ce_values(v, label)
    e = act.layers[-1].eps
    d_b = []
    for j in range(len(v)):
        vp, vm = list(v), list(v)
        vp[j] += e
        vm[j] -= e
        d_b.append(max(-MAX_D, min(MAX_D, ce_values(vp, label) - ce_values(vm, label))))
    ds = [d_b]
    if len(lay) == 2:
        A = lay[0]
        low = A["low"]
        acc32 = _w16_to_i32(A["wo"] @ A["x"], A["bias"])
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
                    ls.append(ce_values(_fine(act, _w16_to_i32(acc, B["bias"])), label))
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
                dm = dj * int(ly.w_mult[j])
                r = np.array([_round_shift(dm * int(xi), sh) for xi in L["x"].tolist()], np.int64)
                raw = w[j] - r
                new = np.clip(raw, tw.lo, tw.hi)
                clipped |= bool(np.any(new != raw))
                w[j] = new
            else:
                raw = int(b[j]) - _round_shift(dj * int(ly.b_mult[j]), sh)
                new = min(max(raw, tb.lo), tb.hi)
                clipped |= new != raw
                b[j] = new
    ref.params[tw.name] = w.astype(np.int16)
    if tb:
        ref.params[tb.name] = b.astype(np.int32)
    return clipped
