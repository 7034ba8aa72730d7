"""Per training method: a device's local round, the server's checks and
aggregation, and applying a merged round to weights.

`apply` is the one function both the server (on the global model) and every
device (to follow the global model) run on a merged round, so all of them
hold the same bytes afterwards:
- forward-grad: replay the merged (step, scalars) records with the runtime's
  own integer update (odl_fg_replay_step);
- sparse: integer deltas added, saturated to the storage type;
- fp16: FP16 deltas added in FP32 and rounded to FP16 (numpy, IEEE RNE).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from pytool.fleet.device import EmulatedDevice, PayloadTensor, join_payload, split_payload
from pytool.fleet.wire import Reader, WireError, decode_varints, put_varints

SKIPPED = 0x01
MAX_DIFF = 1 << 30  # |L+ - L-| in Q16.16 is far below this for any real loss


@dataclass
class Contribution:
    samples: int
    data: object  # method-specific decoded round


def _div_round(num: np.ndarray, den: int) -> np.ndarray:
    """Integer num / den rounded half away from zero (den > 0)."""
    num = np.asarray(num, np.int64)
    q = (np.abs(num) * 2 + den) // (2 * den)
    return np.sign(num) * q


# ---- forward gradient ---------------------------------------------------------
def fg_encode(base: int, m: int, records: list[tuple[int, np.ndarray]]) -> bytes:
    out = [struct.pack("<IB", base & 0xFFFFFFFF, m), put_varints([len(records)])]
    prev = base
    for step, d in records:
        out.append(put_varints([step - prev]))
        out.append(put_varints(d))
        prev = step
    return b"".join(out)


def fg_decode(body: bytes, m: int, lo: int | None = None, hi: int | None = None) -> list[tuple[int, np.ndarray]]:
    """Records with strictly increasing steps; lo/hi bound them when given."""
    if len(body) < 5:
        raise WireError(f"forward-gradient body of {len(body)} bytes")
    base, mm = struct.unpack_from("<IB", body)
    if mm != m:
        raise WireError(f"{mm} directions per step, the model uses {m}")
    v = decode_varints(body[5:])
    if v.size == 0:
        raise WireError("no record count")
    n = int(v[0])
    if n < 0 or (hi is not None and n > hi - lo):
        raise WireError(f"{n} steps, at most {0 if hi is None else hi - lo} were assigned")
    if v.size != 1 + n * (m + 1):
        raise WireError(f"{v.size - 1} numbers for {n} records of {m + 1}")
    rec = v[1:].reshape(n, m + 1)
    if n and (rec[0, 0] < 0 or np.any(rec[1:, 0] < 1)):
        raise WireError("steps must increase")
    if np.any(np.abs(rec[:, 1:]) >= MAX_DIFF):
        raise WireError("a scalar is out of range")
    steps = base + np.cumsum(rec[:, 0])
    if lo is not None and n and (steps[0] < lo or steps[-1] >= hi):
        raise WireError(f"steps {steps[0]}..{steps[-1]} outside the assigned {lo}..{hi - 1}")
    if n and steps[-1] > 0xFFFFFFFF:
        raise WireError("step counter past 2^32")
    diffs = rec[:, 1:].astype(np.int32)
    return [(int(s), diffs[i]) for i, s in enumerate(steps)]


# ---- the three methods --------------------------------------------------------
class Method:
    name = ""

    def __init__(self, dev: EmulatedDevice):
        self.dev = dev
        self.layout: list[PayloadTensor] = dev.layout

    def local_round(self, x: np.ndarray, y: np.ndarray, step_base: int, max_steps: int) -> tuple[bytes, int, float]:
        """Trains the device (starting from its RAM weights) on up to
        max_steps samples; returns (round body, samples used, train accuracy)."""
        raise NotImplementedError

    def decode(self, body: bytes, step_base: int, max_steps: int):
        raise NotImplementedError

    def aggregate(self, parts: list[Contribution], server_lr: str) -> bytes:
        raise NotImplementedError

    def apply(self, dev: EmulatedDevice, merged: bytes) -> None:
        raise NotImplementedError

    def _train(self, x, y, max_steps, before_step=None) -> tuple[int, float, list]:
        n = min(len(y), max_steps)
        ok, rec = 0, []
        for i in range(n):
            r = self.dev.train_step(x[i], int(y[i]))
            ok += r["correct"]
            if before_step is not None and not r["flags"] & SKIPPED:
                rec.append(before_step())
        return n, ok / max(n, 1), rec

    @staticmethod
    def _server_scale(parts: list[Contribution], server_lr: str) -> tuple[int, int]:
        """(numerator factor, total samples): aggregate = sum n_i d_i * k / N."""
        total = sum(p.samples for p in parts)
        k = len(parts) if server_lr == "sum" else 1
        return k, max(total, 1)


class ForwardGrad(Method):
    name = "forward-grad"

    def local_round(self, x, y, step_base, max_steps):
        self.dev.fg_set_step(step_base)

        def last():
            s, d = self.dev.fg_last()
            return s - 1, d.copy()

        n, acc, rec = self._train(x, y, max_steps, last)
        return fg_encode(step_base, self.dev.directions, rec), n, acc

    def decode(self, body, step_base, max_steps):
        return fg_decode(body, self.dev.directions, step_base, step_base + max_steps)

    def aggregate(self, parts, server_lr):
        records = sorted((r for p in parts for r in p.data), key=lambda r: r[0])
        if server_lr == "mean" and parts:
            records = [(s, _div_round(d, len(parts)).astype(np.int32)) for s, d in records]
        base = records[0][0] if records else 0
        return fg_encode(base, self.dev.directions, records)

    def apply(self, dev, merged):
        dev.fg_replay(fg_decode(merged, dev.directions))


def _limits(dtype: str) -> tuple[int, int]:
    if dtype == "int8":
        return -127, 127  # symmetric int8 weights
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


class Sparse(Method):
    """Only channels whose values changed travel: (index, integer deltas)."""

    name = "sparse"

    def local_round(self, x, y, step_base, max_steps):
        before = [a.astype(np.int64) for a in split_payload(self.layout, self.dev.payload())]
        n, acc, _ = self._train(x, y, max_steps)
        after = [a.astype(np.int64) for a in split_payload(self.layout, self.dev.payload())]
        return self.encode([b - a for a, b in zip(before, after)]), n, acc

    def encode(self, deltas: list[np.ndarray]) -> bytes:
        out = []
        for d in deltas:
            rows = d.reshape(d.shape[0], -1) if d.ndim > 1 else d.reshape(-1, 1)
            changed = np.flatnonzero(np.any(rows != 0, axis=1))
            out.append(put_varints([len(changed)]))
            for c in changed:
                out.append(put_varints([c]))
                out.append(put_varints(rows[c]))
        return b"".join(out)

    def decode(self, body, step_base=0, max_steps=0):
        r = Reader(body)
        deltas = []
        for t in self.layout:
            rows_n = t.shape[0]
            per = int(np.prod(t.shape[1:])) if len(t.shape) > 1 else 1
            lo, hi = _limits(t.dtype)
            d = np.zeros((rows_n, per), np.int64)
            n = r.varint()
            if not 0 <= n <= rows_n:
                raise WireError(f"'{t.name}': {n} channels, the tensor has {rows_n}")
            prev = -1
            for _ in range(n):
                c = r.varint()
                if not prev < c < rows_n:
                    raise WireError(f"'{t.name}': channel {c} out of order or range")
                v = r.varints(per)
                if np.any(np.abs(v) > hi - lo):
                    raise WireError(f"'{t.name}': a delta exceeds the {t.dtype} range")
                d[c] = v
                prev = c
            deltas.append(d.reshape(t.shape))
        r.done()
        return deltas

    FRAC = 16  # server residual: Q16 fractions of an LSB

    def aggregate(self, parts, server_lr):
        """Weighted mean (x k) of the integer deltas. Devices only move whole
        LSBs per round (their sub-LSB residuals stay on the device), so the
        mean of many 0 / ±1 deltas would round to nothing: the fraction is
        kept on the server in Q16 and carried into the next round."""
        k, total = self._server_scale(parts, server_lr)
        if not hasattr(self, "residual"):
            self.residual = [np.zeros(t.shape, np.int64) for t in self.layout]
        merged = []
        for i, t in enumerate(self.layout):
            acc = np.zeros(t.shape, np.int64)
            for p in parts:
                acc += np.int64(p.samples) * p.data[i]
            r = self.residual[i] + _div_round(acc * (k << self.FRAC), total)
            step = _div_round(r, 1 << self.FRAC)
            lo, hi = _limits(t.dtype)
            step = np.clip(step, lo - hi, hi - lo)
            self.residual[i] = r - (step << self.FRAC)
            merged.append(step)
        return self.encode(merged)

    def apply(self, dev, merged):
        deltas = self.decode(merged)
        arrs = split_payload(self.layout, dev.payload())
        out = []
        for t, a, d in zip(self.layout, arrs, deltas):
            lo, hi = _limits(t.dtype)
            out.append(np.clip(a.astype(np.int64) + d, lo, hi).astype(t.dtype))
        dev.set_payload(join_payload(out))


class Fp16(Method):
    """FP16 deltas of every trained value (the head), dense."""

    name = "fp16"

    def local_round(self, x, y, step_base, max_steps):
        before = [a.astype(np.float32) for a in split_payload(self.layout, self.dev.payload())]
        n, acc, _ = self._train(x, y, max_steps)
        after = [a.astype(np.float32) for a in split_payload(self.layout, self.dev.payload())]
        return join_payload([(b - a).astype(np.float16) for a, b in zip(before, after)]), n, acc

    def decode(self, body, step_base=0, max_steps=0):
        size = sum(t.nbytes for t in self.layout)
        if len(body) != size:
            raise WireError(f"FP16 deltas are {len(body)} bytes, the trained head holds {size}")
        arrs = [np.frombuffer(body, np.float16, int(np.prod(t.shape)), t.offset).reshape(t.shape)
                for t in self.layout]
        if not all(np.all(np.isfinite(a)) for a in arrs):
            raise WireError("an FP16 delta is not finite")
        return arrs

    def aggregate(self, parts, server_lr):
        k, total = self._server_scale(parts, server_lr)
        merged = []
        for i, t in enumerate(self.layout):
            acc = np.zeros(t.shape, np.float32)
            for p in parts:
                acc += np.float32(p.samples) * p.data[i].astype(np.float32)
            merged.append((acc * np.float32(k) / np.float32(total)).astype(np.float16))
        return join_payload(merged)

    def apply(self, dev, merged):
        deltas = self.decode(merged)
        arrs = split_payload(self.layout, dev.payload())
        out = [(a.astype(np.float32) + d.astype(np.float32)).astype(np.float16) for a, d in zip(arrs, deltas)]
        dev.set_payload(join_payload(out))


METHODS = {c.name: c for c in (ForwardGrad, Sparse, Fp16)}
# Server step per method: forward-grad records are replayed one after another
# (every sample is one SGD step, as in centralised training); weight deltas
# are averaged by sample count (FedAvg): summing stale deltas overshoots.
DEFAULT_SERVER_LR = {"forward-grad": "sum", "sparse": "mean", "fp16": "mean"}


def method_for(dev: EmulatedDevice) -> Method:
    return METHODS[dev.method](dev)
