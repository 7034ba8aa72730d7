"""numpy reference of the sparse-update step, integer operation for integer
operation (runtime_c/src/train/sparse_update.c with the bw_*.c kernels, whose
twins are in sparse_kernels.py). The C must equal it bit for bit: weights,
biases, residuals and stats after every step."""

from __future__ import annotations

import copy

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph
from pytool.reference import run_int8
from pytool.training import sparse_kernels as sk
from pytool.training.fixed_loss import loss_q16
from pytool.training.prng import prng_key, prng_words
from pytool.training.sparse import KINDS, SparseSetup, mask_mode

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def sp_scale(raw: np.ndarray, exp: int, mult: int, shift: int) -> np.ndarray:
    """odl_sp_scale, elementwise."""
    raw = np.asarray(raw, np.int64)
    mag = np.abs(raw)
    m = np.zeros(raw.shape, np.int64)
    for _ in range(33):
        m = np.where((mag >> np.int64(m)) >= (1 << 31), m + 1, m)
    out = np.empty(raw.shape, np.int64)
    for mv in np.unique(m):
        sel = m == mv
        v = sk.round_shift(raw[sel], int(mv))
        out[sel] = sk.round_shift(v * np.int64(mult), 31 - shift - exp - int(mv))
    return np.clip(out, I32_MIN, I32_MAX)


X128_FRAC, ROW_FRAC = 10, 17  # sparse_update.c: ODL_SP_X128_FRAC, ODL_SP_ROW_FRAC


def row_factor(raw: int, exp: int, mult: int, shift: int, frac: int) -> int:
    """odl_sp_row_factor."""
    v = int(sk.round_shift(np.int64(raw) * np.int64(mult), 31 - shift - exp - frac))
    return max(-32767, min(32767, v))


def sum_errors(pending: np.ndarray, pending_exp: int, e: np.ndarray, exp: int) -> tuple[np.ndarray, int]:
    """odl_sp_sum_errors: align both to the larger exponent (rounding shift),
    add, saturate to int32, renormalize."""
    top = max(pending_exp, exp)
    total = sk.round_shift(pending, top - pending_exp) + sk.round_shift(e, top - exp)
    return sk.normalize(np.clip(total, I32_MIN, I32_MAX), top)


class SparseRef:
    def __init__(self, g: Graph, st: SparseSetup):
        self.g = copy.copy(g)
        self.g.tensors = dict(g.tensors)
        self.st = st
        self.steps_done = 0
        self.lr_shift = 0  # odl_train_set_lr_shift: rate / 2^lr_shift
        self.errors: dict[str, tuple[np.ndarray, int]] = {}  # last step: error (mantissas, exp) per tensor
        self.residual: dict[int, np.ndarray] = {}
        for ly in st.layers:
            for n in (ly.weight, ly.bias):
                if n:
                    t = copy.copy(g.tensors[n])
                    t.data = np.array(g.tensors[n].data, copy=True)
                    self.g.tensors[n] = t
            if ly.weight and ly.rounding == "master":
                self.residual[ly.op] = np.full((len(ly.channels), ly.row), 128, np.int64)
        self.low = {s.op: opreg.get(self.g.ops[s.op].type).lower(self.g, self.g.ops[s.op]) for s in st.steps}

    def tensor(self, name: str) -> np.ndarray:
        return self.g.tensors[name].data

    def eval_sample(self, xq: np.ndarray, label: int) -> dict:
        xq = np.asarray(xq).reshape(self.g.tensors[self.g.inputs[0]].shape)
        vals = run_int8(self.g, [xq], keep_all=True)
        lq = self.g.tensors[self.st.logits].quant
        loss, pred = loss_q16(vals[self.st.logits], int(lq.zero_point[0]), self.st.logit_scale_q16, label)
        return {"loss_q16": loss, "predicted": pred, "correct": int(pred == label), "vals": vals}

    def train_step(self, xq: np.ndarray, label: int) -> dict:
        st, g = self.st, self.g
        r = self.eval_sample(xq, label)
        vals = r.pop("vals")
        e, exp = sk.softmax_ce_bw(vals[st.logits], st.logit_scale_q16, label)
        layer_of = {ly.op: ly for ly in st.layers}
        pending: dict[str, tuple[np.ndarray, int]] = {}
        self.errors = {}
        for s in st.steps:
            op = g.ops[s.op]
            y = np.asarray(vals[op.outputs[0]], np.int64)
            e = e.reshape(y.shape)
            mode = mask_mode(s)
            if mode == 2:
                e = sk.sat_bw(y, e)
            elif mode == 1:
                e = sk.act_bw(y, s.mask[0], s.mask[1], e)
            e_in, exp_in = None, exp
            if s.in_t is not None:
                e_in, exp_in = self._bw_input(s, op, e, exp, vals)
            if s.side_t is not None:  # ADD: the fork input's copy waits for the other branch
                pending[s.side_t] = (e.reshape(-1).copy(), exp)
            if s.acc and e_in is not None:
                e_in, exp_in = sum_errors(*pending.pop(s.in_t), e_in.reshape(-1), exp_in)
            if s.in_t is not None:
                self.errors[s.in_t] = (e_in.copy(), exp_in)
            if s.op in layer_of:
                self._update(s, op, layer_of[s.op], e, exp, vals)
            e, exp = e_in, exp_in
        self.steps_done += 1
        return r

    def _value(self, name: str, vals: dict) -> np.ndarray:
        return vals[name] if name in vals else self.g.tensors[name].data

    def _geo(self, s):
        p = self.low[s.op].params
        return (p[4], p[5]), (p[6], p[7]), (p[8], p[9])

    def _bw_input(self, s, op, e, exp, vals):
        g = self.g
        xshape = g.tensors[op.inputs[0]].shape
        kind = s.kind
        if kind in (KINDS["FULLY_CONNECTED"], KINDS["CONV_2D"], KINDS["DEPTHWISE_CONV_2D"]):
            w = self.tensor(op.inputs[1])
            mult = np.array([m for m, _ in self.st.wscale[s.op]], np.int64)
            shift = np.array([k for _, k in self.st.wscale[s.op]], np.int64)
            if kind == KINDS["FULLY_CONNECTED"]:
                return sk.fc_bw_input(e.reshape(-1, w.shape[0]), exp, w, mult, shift)
            if kind == KINDS["CONV_2D"]:
                return sk.conv_bw_input(e, exp, w, mult, shift, xshape, *self._geo(s))
            return sk.dw_bw_input(e, exp, w, mult, shift, xshape, *self._geo(s), self.low[s.op].params[10])
        p = self.low[s.op].params
        if kind == KINDS["AVERAGE_POOL_2D"]:
            return sk.avgpool_bw_input(e, exp, xshape, (p[0], p[1]), (p[2], p[3]), (p[4], p[5]))
        if kind == KINDS["PAD"]:  # every data-movement op
            n_in = int(np.prod(g.tensors[op.inputs[s.arg]].shape))
            return sk.move_bw_input(e, exp, self.st.maps[s.op], n_in)
        if kind == KINDS["LOGISTIC"]:  # every element-wise table op
            table, frac = self.st.tables[s.op]
            return sk.table_bw_input(e, exp, vals[op.inputs[0]], table, frac)
        if kind == KINDS["MUL"]:
            (m, sh), = self.st.wscale[s.op]
            return sk.mul_bw_input(e, exp, self._value(op.inputs[1 - s.arg], vals), self.st.maps[s.op],
                                   self.st.zps[s.op], m, sh)
        if kind == KINDS["MAX_POOL_2D"]:
            return sk.maxpool_bw_input(e, exp, vals[op.inputs[0]], (p[0], p[1]), (p[2], p[3]), (p[4], p[5]))
        if kind == KINDS["MEAN"]:
            return sk.mean_bw_input(e.reshape(-1), exp, p[0], p[1], p[2])
        return e.reshape(-1).copy(), exp  # RESHAPE, RELU, RELU6: the mask was applied already

    def _update(self, s, op, ly, e, exp, vals):
        x = np.asarray(vals[op.inputs[0]], np.int64)
        off = int(self.low[s.op].params[0])
        n_out = len(ly.lrb)
        train_w = {c: i for i, c in enumerate(ly.channels)}
        w = self.tensor(op.inputs[1]).astype(np.int64)
        slot = self.st.layers.index(ly)
        outer = s.kind == KINDS["FULLY_CONNECTED"] and x.size == w.shape[1]
        xg = sk.input_x128(x, off) if outer and ly.weight else None
        for ch in range(n_out):
            if outer:
                gw, gb = None, int(e.reshape(-1)[ch])
            elif s.kind == KINDS["FULLY_CONNECTED"]:
                gw, gb = sk.fc_bw_weight(e.reshape(-1, n_out), x, off, ch)
            elif s.kind == KINDS["CONV_2D"]:
                gw, gb = sk.conv_bw_weight(e, x, off, w.shape, *self._geo(s), ch)
            else:
                gw, gb = sk.dw_bw_weight(e, x, off, w.shape, *self._geo(s), self.low[s.op].params[10], ch)
            if ly.weight and ch in train_w:
                if outer:
                    g, c = xg, row_factor(gb, exp, ly.lrw[ch][0], ly.lrw[ch][1] - self.lr_shift, X128_FRAC)
                else:
                    g, sg = sk.row_to_s16(gw)
                    c = row_factor(1, exp, ly.lrw[ch][0], ly.lrw[ch][1] - self.lr_shift, ROW_FRAC + sg)
                if c != 0:
                    self._apply_row(ly, slot, train_w[ch], ch, g, c)
            if ly.bias:
                b = self.g.tensors[ly.bias].data
                d = int(sp_scale(np.array([gb]), exp, ly.lrb[ch][0], ly.lrb[ch][1] - self.lr_shift)[0])
                b[ch] = np.int32(min(I32_MAX, max(I32_MIN, int(b[ch]) - d)))

    def _apply_row(self, ly, slot: int, ci: int, ch: int, g: np.ndarray, c: int) -> None:
        wt = self.g.tensors[ly.weight].data
        flat = wt.reshape(-1)[ch * ly.row : (ch + 1) * ly.row].astype(np.int64)
        if ly.rounding == "master":
            new, self.residual[ly.op][ci] = sk.update_master(flat, self.residual[ly.op][ci], g, c)
        elif ly.rounding == "round":
            new = sk.update_round(flat, g, c)
        else:
            key = prng_key(self.st.seed, self.steps_done, 1 + slot, ch)
            new = sk.update_stochastic(flat, g, c, prng_words(key, ly.row))
        wt.reshape(-1)[ch * ly.row : (ch + 1) * ly.row] = new.astype(wt.dtype)
