"""A host-emulated fleet device: the generated model + runtime (the firmware's
own C, through cffi), its power-fail-safe weight store on a RAM medium whose
bytes live in Python (so a Flower node can keep its flash image between
rounds), and the forward-gradient replay hook.

One cffi module per build serves every emulated device of a process: a
device is its non-volatile image; `boot(image)` puts it into the shared
context exactly as a board's reset would."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pytool.host import CDEF, PRELUDE, HostModel, OdlError, cbuild

FLEET_C = r"""
#include <string.h>
#include "odl/persist.h"
#include "odl/forward_grad_replay.h"

typedef struct fleet_nv { uint8_t *mem; uint32_t size; } fleet_nv_t;
static odl_status_t fleet_nv_read(void *user, uint32_t off, uint8_t *buf, uint32_t len) {
    fleet_nv_t *nv = (fleet_nv_t *)user;
    if ((uint64_t)off + len > nv->size) return ODL_ERR_STORE;
    memcpy(buf, nv->mem + off, len);
    return ODL_OK;
}
static odl_status_t fleet_nv_write(void *user, uint32_t off, const uint8_t *buf, uint32_t len) {
    fleet_nv_t *nv = (fleet_nv_t *)user;
    if ((uint64_t)off + len > nv->size) return ODL_ERR_STORE;
    for (uint32_t i = 0; i < len; ++i) nv->mem[off + i] &= buf[i]; /* NOR flash: writes only clear bits */
    return ODL_OK;
}
static odl_status_t fleet_nv_erase(void *user, uint32_t off, uint32_t len) {
    fleet_nv_t *nv = (fleet_nv_t *)user;
    if ((uint64_t)off + len > nv->size) return ODL_ERR_STORE;
    memset(nv->mem + off, 0xFF, len);
    return ODL_OK;
}
typedef struct fleet_dev { odl_store_t st; fleet_nv_t nv; } fleet_dev_t;
size_t fleet_dev_size(void) { return sizeof(fleet_dev_t); }
uint32_t fleet_payload_size(void) { return odl_store_payload_size(&odl_model); }
uint32_t fleet_model_hash(void) { return odl_model.hash; }
odl_status_t fleet_boot(fleet_dev_t *d, odl_ctx_t *ctx, uint8_t *mem, uint32_t slot_size) {
    d->nv.mem = mem;
    d->nv.size = 2u * slot_size;
    odl_nv_driver_t drv = {fleet_nv_read, fleet_nv_write, fleet_nv_erase, slot_size, &d->nv};
    odl_status_t s = odl_store_init(&d->st, ctx, &drv);
    return s == ODL_OK ? odl_store_load(&d->st) : s;
}
odl_store_t *fleet_store(fleet_dev_t *d) { return &d->st; }
uint32_t fleet_generation(fleet_dev_t *d) { return d->st.generation; }
/* records: n rows of (step, m diffs) as int32; stops at the first error. */
odl_status_t fleet_fg_replay(odl_ctx_t *ctx, const int32_t *rec, uint32_t n, uint32_t m, uint32_t *clipped) {
    *clipped = 0;
    for (uint32_t r = 0; r < n; ++r) {
        int c = 0;
        odl_status_t s = odl_fg_replay_step(ctx, (uint32_t)rec[r * (m + 1)], rec + r * (m + 1) + 1, m, &c);
        if (s != ODL_OK) return s;
        *clipped += (uint32_t)c;
    }
    return ODL_OK;
}
"""

FLEET_CDEF = """
typedef struct fleet_dev fleet_dev_t;
typedef ... odl_store_t;
size_t fleet_dev_size(void);
uint32_t fleet_payload_size(void);
uint32_t fleet_model_hash(void);
odl_status_t fleet_boot(fleet_dev_t *d, odl_ctx_t *ctx, uint8_t *mem, uint32_t slot_size);
uint32_t fleet_generation(fleet_dev_t *d);
odl_status_t odl_store_commit(odl_store_t *st, uint8_t *wrote);
odl_status_t odl_store_payload_read(const odl_store_t *st, uint32_t offset, uint8_t *buf, uint32_t len);
odl_status_t odl_store_payload_write(odl_store_t *st, uint32_t offset, const uint8_t *buf, uint32_t len);
odl_store_t *fleet_store(fleet_dev_t *d);
odl_status_t odl_fg_replay_step(odl_ctx_t *ctx, uint32_t step, const int32_t *diffs, uint32_t n, int *clipped);
odl_status_t odl_fg_set_step(odl_ctx_t *ctx, uint32_t step);
odl_status_t fleet_fg_replay(odl_ctx_t *ctx, const int32_t *rec, uint32_t n, uint32_t m, uint32_t *clipped);
odl_status_t odl_fg_last_step(const odl_ctx_t *ctx, uint32_t *step, int32_t *diffs, uint32_t n);
"""

HEADER = 32  # ODL_STORE_HEADER_SIZE


@dataclass(frozen=True)
class PayloadTensor:
    """One trainable tensor inside the store payload."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int  # in the payload
    nbytes: int


def payload_layout(meta: dict) -> list[PayloadTensor]:
    """The store payload's tensors, in the train config's order."""
    out, off = [], 0
    for i in meta["trainable_order"]:
        ti = meta["tensor_info"][i]
        n = int(np.prod(ti["shape"])) * np.dtype(ti["dtype"]).itemsize
        out.append(PayloadTensor(ti["name"], ti["dtype"], tuple(ti["shape"]), off, n))
        off += n
    return out


def split_payload(layout: list[PayloadTensor], data: bytes) -> list[np.ndarray]:
    return [np.frombuffer(data, t.dtype, int(np.prod(t.shape)), t.offset).reshape(t.shape) for t in layout]


def join_payload(arrays: list[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)


_MODULES: dict[str, tuple] = {}


def _module(build_dir: Path):
    key = str(build_dir.resolve())
    if key not in _MODULES:
        meta = json.loads((build_dir / "model.json").read_text())
        ffi, lib = cbuild.build(
            "fleet", CDEF + FLEET_CDEF, PRELUDE + FLEET_C, [build_dir / "model.c"],
            extra_include=[build_dir], extra_objects=[cbuild.runtime_archive()],
        )
        _MODULES[key] = (ffi, lib, meta)
    return _MODULES[key]


class EmulatedDevice(HostModel):
    """The runtime of one board, host-compiled; `boot(image)` loads a device."""

    def __init__(self, build_dir: str | Path):
        ffi, lib, meta = _module(Path(build_dir))
        super().__init__(Path(build_dir), ffi, lib, meta)
        self.method = meta["train"]["method"]
        self.directions = int(meta["train"]["directions"])
        self.layout = payload_layout(meta)
        self.payload_size = int(lib.fleet_payload_size())
        self.model_hash = int(lib.fleet_model_hash())
        self.slot_size = (HEADER + self.payload_size + 255) // 256 * 256
        self._dev_mem = ffi.new("uint8_t[]", lib.fleet_dev_size())  # owns the memory the cast points at
        self._dev = ffi.cast("fleet_dev_t *", self._dev_mem)
        self._nv = None
        self._store = None
        self.boot(None)

    # ---- non-volatile store -------------------------------------------------
    def blank_image(self) -> bytes:
        return b"\xff" * (2 * self.slot_size)

    def boot(self, image: bytes | None) -> int:
        """Power-on with this flash image (None: erased = factory weights):
        runtime init, then the store loads the newest valid slot. Returns the
        store generation in use (0 = factory)."""
        image = self.blank_image() if image is None else image
        if len(image) != 2 * self.slot_size:
            raise ValueError(f"device image is {len(image)} bytes, the store needs {2 * self.slot_size}")
        self.reset()
        self._nv = self.ffi.new("uint8_t[]", image)
        self.check(self.lib.fleet_boot(self._dev, self.ctx, self._nv, self.slot_size), "odl_store_load")
        self._store = self.lib.fleet_store(self._dev)
        return int(self.lib.fleet_generation(self._dev))

    def image(self) -> bytes:
        return bytes(self.ffi.buffer(self._nv, 2 * self.slot_size))

    @property
    def generation(self) -> int:
        return int(self.lib.fleet_generation(self._dev))

    def commit(self) -> int:
        """Commits the RAM weights as a new store generation (power-fail safe)."""
        wrote = self.ffi.new("uint8_t *")
        self.check(self.lib.odl_store_commit(self._store, wrote), "odl_store_commit")
        return self.generation

    def payload(self) -> bytes:
        buf = self.ffi.new("uint8_t[]", self.payload_size)
        self.check(self.lib.odl_store_payload_read(self._store, 0, buf, self.payload_size), "payload read")
        return bytes(self.ffi.buffer(buf, self.payload_size))

    def set_payload(self, data: bytes) -> None:
        if len(data) != self.payload_size:
            raise ValueError(f"weights are {len(data)} bytes, the model's are {self.payload_size}")
        self.check(self.lib.odl_store_payload_write(self._store, 0, data, len(data)), "payload write")

    def payload_crc(self) -> int:
        return zlib.crc32(self.payload())

    # ---- forward gradient ---------------------------------------------------
    def _i32(self, a: np.ndarray):
        return self.ffi.cast("int32_t *", self.ffi.from_buffer(a))

    def fg_set_step(self, step: int) -> None:
        self.check(self.lib.odl_fg_set_step(self.ctx, step & 0xFFFFFFFF), "odl_fg_set_step")

    def fg_last(self) -> tuple[int, np.ndarray]:
        step = self.ffi.new("uint32_t *")
        d = np.zeros(self.directions, np.int32)
        self.check(self.lib.odl_fg_last_step(self.ctx, step, self._i32(d), self.directions),
                   "odl_fg_last_step")
        return int(step[0]), d

    def fg_replay(self, records: list[tuple[int, np.ndarray]]) -> int:
        """Applies (step, diffs) records in order; returns how many clamped."""
        if not records:
            return 0
        rec = np.empty((len(records), self.directions + 1), np.int64)
        for i, (step, diffs) in enumerate(records):
            rec[i, 0] = step
            rec[i, 1:] = diffs
        rec32 = np.ascontiguousarray(rec.astype(np.uint32).view(np.int32))
        clipped = self.ffi.new("uint32_t *")
        s = self.lib.fleet_fg_replay(self.ctx, self._i32(rec32), len(records), self.directions, clipped)
        self.check(s, "odl_fg_replay_step")
        return int(clipped[0])

    # ---- whole datasets -----------------------------------------------------
    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        if len(y) == 0:
            return float("nan")
        ok = 0
        for i in range(len(y)):
            ok += self.eval_sample(x[i], int(y[i]))["correct"]
        return ok / len(y)


__all__ = ["EmulatedDevice", "OdlError", "PayloadTensor", "payload_layout", "split_payload", "join_payload"]
