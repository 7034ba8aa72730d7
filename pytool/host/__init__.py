"""Host bindings: the generated model + the runtime, compiled with cffi, so the
host runs exactly the C the firmware runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pytool.host import cbuild

CDEF = """
typedef int odl_status_t;
typedef struct odl_ctx odl_ctx_t;
typedef struct odl_model odl_model_t;
const char *odl_status_name(odl_status_t s);
odl_status_t odl_init(odl_ctx_t *ctx, const odl_model_t *model, uint8_t *arena, uint32_t arena_size);
odl_status_t odl_invoke(odl_ctx_t *ctx);
odl_status_t odl_reset_state(odl_ctx_t *ctx);
odl_status_t odl_invoke_range(odl_ctx_t *ctx, uint32_t first, uint32_t last);
void *odl_tensor_ptr(const odl_ctx_t *ctx, int32_t index);
void *odl_input_ptr(const odl_ctx_t *ctx, uint32_t i);
void *odl_output_ptr(const odl_ctx_t *ctx, uint32_t i);
typedef struct {
    int32_t loss_q16; int32_t correct; int32_t predicted; uint32_t step; uint32_t flags;
} odl_train_stats_t;
odl_status_t odl_train_step(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats);
odl_status_t odl_eval_sample(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats);
odl_status_t odl_train_set_lr_shift(odl_ctx_t *ctx, uint32_t shift);
size_t odl_host_ctx_size(void);
const odl_model_t *odl_host_model(void);
uint32_t odl_host_last_op(const odl_ctx_t *ctx);
uint32_t odl_host_stopped(const odl_ctx_t *ctx);
"""

PRELUDE = """
#include "odl/odl.h"
#include "odl/train.h"
extern const odl_model_t odl_model;
size_t odl_host_ctx_size(void) { return sizeof(odl_ctx_t); }
const odl_model_t *odl_host_model(void) { return &odl_model; }
uint32_t odl_host_last_op(const odl_ctx_t *ctx) { return ctx->stats.last_op; }
uint32_t odl_host_stopped(const odl_ctx_t *ctx) { return ctx->stats.stopped; }
"""

# Extra cdef/prelude blocks registered by training methods (kept here so one
# module per model holds every entry point).
EXTENSIONS: list[tuple[str, str]] = []


class OdlError(RuntimeError):
    """A C call returned a non-OK odl_status_t; .status holds its name."""

    def __init__(self, status: str, what: str):
        super().__init__(f"{what}: {status}")
        self.status = status


@dataclass
class TensorInfo:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int


def _infos(items: list[dict]) -> list[TensorInfo]:
    return [
        TensorInfo(d["index"], d["name"], d["dtype"], tuple(d["shape"]), d["scale"], d["zero_point"])
        for d in items
    ]


class HostModel:
    """One context + arena over the compiled model."""

    def __init__(self, build_dir: Path, ffi, lib, meta: dict):
        self.dir = Path(build_dir)
        self.ffi, self.lib, self.meta = ffi, lib, meta
        self.inputs = _infos(meta["inputs"])
        self.outputs = _infos(meta["outputs"])
        self.arena_size = int(meta["arena_size"])
        self._ctx_mem = ffi.new("uint8_t[]", lib.odl_host_ctx_size())
        self.ctx = ffi.cast("odl_ctx_t *", self._ctx_mem)
        self.arena = ffi.new("uint8_t[]", max(self.arena_size, 1))
        self.reset()

    def check(self, status: int, what: str) -> None:
        if status != 0:
            name = self.ffi.string(self.lib.odl_status_name(status)).decode()
            if what == "odl_invoke":
                k = self.lib.odl_host_last_op(self.ctx)
                ops = self.meta.get("ops", [])
                if k < len(ops):
                    what = f"odl_invoke (op #{k} {ops[k]['type']} '{ops[k]['name']}')"
            raise OdlError(name, what)

    def reset(self) -> None:
        """Re-initialises the context (trainable tensors back to their initial values)."""
        self.check(self.lib.odl_init(self.ctx, self.lib.odl_host_model(), self.arena, self.arena_size), "odl_init")

    def reset_state(self) -> None:
        """Op state kept across invokes (LSTM, SVDF variables) back to its initial value."""
        self.check(self.lib.odl_reset_state(self.ctx), "odl_reset_state")

    def _write(self, ptr, arr: np.ndarray) -> None:
        self.ffi.memmove(ptr, np.ascontiguousarray(arr).tobytes(), arr.nbytes)

    def set_input(self, x: np.ndarray, i: int = 0) -> None:
        info = self.inputs[i]
        x = np.asarray(x)
        if x.dtype != np.dtype(info.dtype):
            raise TypeError(f"input {i} ('{info.name}') must be {info.dtype}, got {x.dtype}")
        if x.size != int(np.prod(info.shape)):
            raise ValueError(f"input {i} ('{info.name}') must have shape {info.shape}, got {x.shape}")
        self._write(self.lib.odl_input_ptr(self.ctx, i), x)

    def get_output(self, i: int = 0) -> np.ndarray:
        info = self.outputs[i]
        n = int(np.prod(info.shape)) * np.dtype(info.dtype).itemsize
        buf = self.ffi.buffer(self.lib.odl_output_ptr(self.ctx, i), n)
        return np.frombuffer(bytes(buf), dtype=info.dtype).reshape(info.shape)

    def tensor(self, name_or_index) -> np.ndarray:
        """Current bytes of any tensor (arena or const), e.g. an intermediate."""
        idx = self.meta["tensors"][name_or_index] if isinstance(name_or_index, str) else int(name_or_index)
        ti = self.meta["tensor_info"][idx]
        n = int(np.prod(ti["shape"])) * np.dtype(ti["dtype"]).itemsize
        buf = self.ffi.buffer(self.lib.odl_tensor_ptr(self.ctx, idx), n)
        return np.frombuffer(bytes(buf), dtype=ti["dtype"]).reshape(ti["shape"])

    @property
    def stopped(self) -> bool:
        """The last invoke stopped early by design (a CIRCULAR_BUFFER not due
        to run yet): the outputs of the ops after it are stale."""
        return bool(self.lib.odl_host_stopped(self.ctx))

    @property
    def trainable(self) -> bool:
        return "train" in self.meta

    def train_step(self, x: np.ndarray, label: int) -> dict:
        """One on-device training step (the firmware's own C)."""
        return self._train_call(self.lib.odl_train_step, x, label, "odl_train_step")

    def set_lr_shift(self, shift: int) -> None:
        """Rate of the following steps: the configured rate / 2^shift (the link's SET_LR)."""
        if not 0 <= int(shift) <= 15:
            raise ValueError(f"lr shift {shift}: must be 0..15")
        self.check(self.lib.odl_train_set_lr_shift(self.ctx, int(shift)), "odl_train_set_lr_shift")

    def eval_sample(self, x: np.ndarray, label: int) -> dict:
        return self._train_call(self.lib.odl_eval_sample, x, label, "odl_eval_sample")

    def _train_call(self, fn, x, label, what) -> dict:
        info = self.inputs[0]
        x = np.ascontiguousarray(x)
        if x.dtype != np.dtype(info.dtype) or x.size != int(np.prod(info.shape)):
            raise ValueError(f"{what}: input must be {info.dtype} {info.shape}, got {x.dtype} {x.shape}")
        st = self.ffi.new("odl_train_stats_t *")
        buf = self.ffi.from_buffer(x)
        self.check(fn(self.ctx, buf, int(label), st), what)
        return {
            "loss": st.loss_q16 / 65536.0, "loss_q16": st.loss_q16, "correct": bool(st.correct),
            "predicted": st.predicted, "step": st.step, "flags": st.flags,
        }

    def invoke(self, *xs: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """Runs one sample (or a batch along a leading axis when the model's
        batch is 1 and x has one more dimension)."""
        if len(xs) == 1 and len(self.inputs) == 1:
            x = np.asarray(xs[0])
            if x.ndim == len(self.inputs[0].shape) + 1 or (
                x.ndim == len(self.inputs[0].shape) and x.shape[0] > 1 and self.inputs[0].shape[0] == 1
            ):
                return np.stack([self.invoke(s) for s in x])
        for i, x in enumerate(xs):
            self.set_input(x, i)
        self.check(self.lib.odl_invoke(self.ctx), "odl_invoke")
        outs = [self.get_output(i) for i in range(len(self.outputs))]
        return outs[0] if len(outs) == 1 else outs


def load_host(artifact, name: str = "model") -> HostModel:
    """Compiles (or loads from cache) the artifact's model.c with the runtime."""
    build_dir = Path(getattr(artifact, "dir", artifact)).resolve()
    meta = json.loads((build_dir / "model.json").read_text())
    cdef = CDEF + "".join(c for c, _ in EXTENSIONS)
    prelude = PRELUDE + "".join(p for _, p in EXTENSIONS)
    ffi, lib = cbuild.build(
        name,
        cdef,
        prelude,
        [build_dir / "model.c"],
        extra_include=[build_dir],
        extra_objects=[cbuild.runtime_archive()],
    )
    return HostModel(build_dir, ffi, lib, meta)
