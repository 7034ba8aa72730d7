"""Forward gradient by activity perturbation: compile-time side (its numpy twin is
forward_grad_ref.act_step).

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
