"""The weight store on the host: a simulated non-volatile medium in C (a RAM
image with optional flash semantics and a power cut after N byte
operations), a small model with trainable tensors, and a device that boots
from the medium, for direct C-API use or behind the serial link.

The power cut is byte exact: the byte being written (or erased) when power
fails gets an arbitrary value, nothing after it is stored, and every later
driver call fails, as on a board whose supply has gone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pytool.host.cbuild import INCLUDE, RUNTIME, build, runtime_sources
from pytool.link.hostsim import SimDevice, build_device_module

SLOT_SIZE = 1024
MODEL_HASH = 0x5EED0001
OTHER_MODEL_HASH = 0x5EED0002
ARENA = 256


@dataclass(frozen=True)
class TrainableSpec:
    name: str
    dtype: str  # numpy dtype name
    shape: tuple[int, ...]
    offset: int
    factory: bool  # has init data; without it the factory value is zeros


# Table order = payload order. Sizes are odd on purpose (chunk boundaries).
TRAINABLE = (
    TrainableSpec("w", "int8", (4, 37), 0, True),
    TrainableSpec("b", "int32", (4,), 148, True),
    TrainableSpec("z", "int8", (8,), 164, False),
)
FROZEN_OFFSET = 172  # an ODL_T_INIT tensor that is not trainable: never stored


def factory_arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for spec in TRAINABLE:
        if not spec.factory:
            out.append(np.zeros(spec.shape, spec.dtype))
        elif spec.dtype == "int8":
            out.append(rng.integers(-128, 128, spec.shape).astype(np.int8))
        else:
            out.append(rng.integers(-(2**31), 2**31, spec.shape, dtype=np.int64).astype(np.int32))
    return out


def extra_factory(extra: int) -> bytes:
    """Init data of the optional large trainable tensor (see model_c)."""
    return np.random.default_rng(8).integers(0, 256, extra, dtype=np.uint8).tobytes()


def factory_payload(extra: int = 0) -> bytes:
    small = b"".join(a.astype(a.dtype.newbyteorder("<")).tobytes() for a in factory_arrays())
    return small + extra_factory(extra)


PAYLOAD_SIZE = sum(int(np.prod(s.shape)) * np.dtype(s.dtype).itemsize for s in TRAINABLE)


def _c_array(ctype: str, name: str, values: np.ndarray) -> str:
    return f"static const {ctype} {name}[{values.size}] = {{{', '.join(str(int(v)) for v in values.ravel())}}};"


def model_c(extra: int = 0) -> str:
    """The test model; extra > 0 appends a trainable int8 tensor of that many
    bytes (last in the payload) so a commit takes long enough to be cut on
    an emulator."""
    w, b, _ = factory_arrays()
    n_tensors = 7 if extra else 6
    big = ([_c_array("uint8_t", "factory_big", np.frombuffer(extra_factory(extra), np.uint8)),
            f"#define BIG_TENSOR , {{ODL_DT_INT8, 1, TW, 0, {{{extra}, 0, 0, 0, 0}}, {extra}, {ARENA},"
            " factory_big, 1.0f, 0}"] if extra else ["#define BIG_TENSOR"])
    arena = ARENA + extra
    return "\n".join([
        '#include "odl/ops.h"',
        _c_array("int8_t", "factory_w", w),
        _c_array("int32_t", "factory_b", b),
        "static const int8_t frozen_init[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};",
        "#define TW (ODL_T_ARENA | ODL_T_INIT | ODL_T_TRAINABLE)",
        *big,
        f"static const odl_tensor_t tensors[{n_tensors}] = {{",
        "    {ODL_DT_INT8, 2, ODL_T_ARENA | ODL_T_INPUT, 0, {1, 8, 0, 0, 0}, 8, 192, 0, 0.5f, 0},",
        "    {ODL_DT_INT8, 2, ODL_T_ARENA | ODL_T_OUTPUT, 0, {1, 8, 0, 0, 0}, 8, 200, 0, 0.5f, 0},",
        "    {ODL_DT_INT8, 2, TW, 0, {4, 37, 0, 0, 0}, 148, 0, factory_w, 0.1f, 0},",
        "    {ODL_DT_INT32, 1, TW, 0, {4, 0, 0, 0, 0}, 16, 148, factory_b, 0.01f, 0},",
        "    {ODL_DT_INT8, 1, ODL_T_ARENA | ODL_T_TRAINABLE, 0, {8, 0, 0, 0, 0}, 8, 164, 0, 1.0f, 0},",
        f"    {{ODL_DT_INT8, 1, ODL_T_ARENA | ODL_T_INIT, 0, {{12, 0, 0, 0, 0}}, 12, {FROZEN_OFFSET},"
        " frozen_init, 1.0f, 0} BIG_TENSOR",
        "};",
        "static const int16_t op0_in[1] = {0};",
        "static const int16_t op0_out[1] = {1};",
        "static const odl_op_t ops[1] = {{ODL_OP_RESHAPE, 1, 1, op0_in, op0_out, 0, 0, 0}};",
        "static const odl_decoder_fn decoders[1] = {odl_op_reshape};",
        "static const int16_t model_inputs[1] = {0};",
        "static const int16_t model_outputs[1] = {1};",
        f"const odl_model_t odl_model = {{ODL_MODEL_FORMAT, {MODEL_HASH:#x}u, {n_tensors}, 1, 1, 1, tensors,",
        f"    ops, model_inputs, model_outputs, {arena}, 192, 0, decoders}};",
        f"const odl_model_t odl_model_other = {{ODL_MODEL_FORMAT, {OTHER_MODEL_HASH:#x}u, {n_tensors}, 1, 1, 1,",
        f"    tensors, ops, model_inputs, model_outputs, {arena}, 192, 0, decoders}};",
    ])  # fmt: skip


SIM_NV_C = r"""
#include <string.h>
#include "odl/persist.h"

#define SIM_NV_SIZE (2u * SIM_SLOT_SIZE)
typedef struct sim_nv {
    uint8_t mem[SIM_NV_SIZE];
    int64_t budget;       /* byte operations left before the cut; < 0: never cut */
    uint8_t cut_value;    /* what the byte under way holds when power fails */
    uint8_t flash;        /* 1: a write can only clear bits (NOR flash) */
    uint8_t cut;          /* power has failed: every call fails */
    uint32_t ops;         /* byte writes + byte erases done */
    uint32_t writes;      /* write calls */
    uint32_t overwrites;  /* bytes written without an erase since their last write */
    uint8_t dirty[SIM_NV_SIZE];
} sim_nv_t;

size_t sim_nv_size(void) { return sizeof(sim_nv_t); }
void sim_nv_format(sim_nv_t *nv, int flash) {
    memset(nv, 0, sizeof(*nv));
    memset(nv->mem, 0xFF, sizeof nv->mem);
    nv->budget = -1;
    nv->flash = (uint8_t)flash;
}
void sim_nv_arm(sim_nv_t *nv, int64_t budget, uint8_t cut_value) {
    nv->budget = budget;
    nv->cut_value = cut_value;
    nv->cut = 0;
}
uint8_t *sim_nv_mem(sim_nv_t *nv) { return nv->mem; }
uint32_t sim_nv_ops(const sim_nv_t *nv) { return nv->ops; }
uint32_t sim_nv_writes(const sim_nv_t *nv) { return nv->writes; }
uint32_t sim_nv_overwrites(const sim_nv_t *nv) { return nv->overwrites; }

/* One byte operation; 0 when power failed during it. */
static int sim_nv_step(sim_nv_t *nv, uint32_t at, uint8_t value, int erase) {
    if (nv->cut) return 0;
    uint8_t v = value;
    int dies = nv->budget == 0;
    if (dies) v = nv->cut_value;
    if (erase) {
        nv->mem[at] = v;
        nv->dirty[at] = 0;
    } else {
        if (nv->dirty[at]) nv->overwrites++;
        nv->mem[at] = nv->flash ? (uint8_t)(nv->mem[at] & v) : v;
        nv->dirty[at] = 1;
    }
    nv->ops++;
    if (dies) { nv->cut = 1; return 0; }
    if (nv->budget > 0) nv->budget--;
    return 1;
}

static odl_status_t sim_nv_read(void *user, uint32_t offset, uint8_t *buf, uint32_t len) {
    sim_nv_t *nv = (sim_nv_t *)user;
    if (nv->cut || offset > SIM_NV_SIZE || len > SIM_NV_SIZE - offset) return ODL_ERR_STORE;
    memcpy(buf, nv->mem + offset, len);
    return ODL_OK;
}
static odl_status_t sim_nv_write(void *user, uint32_t offset, const uint8_t *buf, uint32_t len) {
    sim_nv_t *nv = (sim_nv_t *)user;
    if (offset > SIM_NV_SIZE || len > SIM_NV_SIZE - offset) return ODL_ERR_STORE;
    nv->writes++;
    for (uint32_t i = 0; i < len; ++i)
        if (!sim_nv_step(nv, offset + i, buf[i], 0)) return ODL_ERR_STORE;
    return ODL_OK;
}
static odl_status_t sim_nv_erase(void *user, uint32_t offset, uint32_t len) {
    sim_nv_t *nv = (sim_nv_t *)user;
    if (offset % SIM_SLOT_SIZE || len > SIM_SLOT_SIZE) return ODL_ERR_STORE;
    /* Flash erases a whole sector. */
    for (uint32_t i = 0; i < SIM_SLOT_SIZE; ++i)
        if (!sim_nv_step(nv, offset + i, 0xFF, 1)) return ODL_ERR_STORE;
    return ODL_OK;
}
void sim_nv_driver(sim_nv_t *nv, odl_nv_driver_t *drv) {
    drv->read = sim_nv_read;
    drv->write = sim_nv_write;
    drv->erase = sim_nv_erase;
    drv->slot_size = SIM_SLOT_SIZE;
    drv->user = nv;
}
"""

SIM_NV_CDEF = """
typedef struct sim_nv sim_nv_t;
size_t sim_nv_size(void);
void sim_nv_format(sim_nv_t *nv, int flash);
void sim_nv_arm(sim_nv_t *nv, int64_t budget, uint8_t cut_value);
uint8_t *sim_nv_mem(sim_nv_t *nv);
uint32_t sim_nv_ops(const sim_nv_t *nv);
uint32_t sim_nv_writes(const sim_nv_t *nv);
uint32_t sim_nv_overwrites(const sim_nv_t *nv);
"""

STORE_CDEF = """
typedef struct {
    int8_t active;
    uint8_t slot_state[2];
    uint32_t payload_len;
    uint32_t generation;
    uint32_t next_generation;
    uint32_t committed_crc;
    uint32_t committed_steps;
    uint32_t commits_written;
    uint32_t nv_write_calls;
    uint32_t nv_bytes_written;
    uint32_t nv_erases;
    ...;
} odl_store_t;
int odl_store_load(odl_store_t *st);
int odl_store_commit(odl_store_t *st, uint8_t *wrote);
int odl_store_erase_all(odl_store_t *st);
uint32_t odl_store_ram_crc(const odl_store_t *st);
int odl_store_payload_read(const odl_store_t *st, uint32_t offset, uint8_t *buf, uint32_t len);
int odl_store_payload_write(odl_store_t *st, uint32_t offset, const uint8_t *buf, uint32_t len);
"""

# Direct C-API device: context + arena + store over a sim_nv.
BOOT_C = r"""
extern const odl_model_t odl_model_other;
typedef struct sim_boot { odl_ctx_t ctx; odl_store_t st; uint8_t arena[%(arena)d]; } sim_boot_t;
size_t sim_boot_size(void) { return sizeof(sim_boot_t); }
odl_store_t *sim_boot_store(sim_boot_t *b) { return &b->st; }
uint8_t *sim_boot_arena(sim_boot_t *b) { return b->arena; }
/* Power-on: init the model, bind the store, load. Returns the first error. */
int sim_boot(sim_boot_t *b, sim_nv_t *nv, int other_model) {
    memset(b->arena, 0xA5, sizeof b->arena); /* RAM holds junk at power-on */
    int s = odl_init(&b->ctx, other_model ? &odl_model_other : &odl_model, b->arena, sizeof b->arena);
    if (s != ODL_OK) return s;
    odl_nv_driver_t drv;
    sim_nv_driver(nv, &drv);
    s = odl_store_init(&b->st, &b->ctx, &drv);
    if (s != ODL_OK) return s;
    return odl_store_load(&b->st);
}
"""

BOOT_CDEF = """
typedef struct sim_boot sim_boot_t;
size_t sim_boot_size(void);
odl_store_t *sim_boot_store(sim_boot_t *b);
uint8_t *sim_boot_arena(sim_boot_t *b);
int sim_boot(sim_boot_t *b, sim_nv_t *nv, int other_model);
"""

# Link device: the hostsim server plus the store commands.
LINK_C = r"""
typedef struct persist_att { odl_store_t st; } persist_att_t;
size_t persist_att_size(void) { return sizeof(persist_att_t); }
odl_store_t *persist_att_store(persist_att_t *p) { return &p->st; }
int persist_attach(sim_device_t *d, persist_att_t *p, sim_nv_t *nv) {
    odl_nv_driver_t drv;
    sim_nv_driver(nv, &drv);
    int s = odl_store_init(&p->st, sim_ctx(d), &drv);
    if (s == ODL_OK) s = odl_store_load(&p->st);
    if (s == ODL_OK) s = odl_persist_register(sim_server(d), &p->st);
    return s;
}
"""

LINK_CDEF = """
typedef struct persist_att persist_att_t;
size_t persist_att_size(void);
odl_store_t *persist_att_store(persist_att_t *p);
int persist_attach(sim_device_t *d, persist_att_t *p, sim_nv_t *nv);
"""


def write_model_dir(path: Path, extra: int = 0) -> Path:
    """model.c / model.h of the test model, for a firmware build."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "model.c").write_text('#include "odl/odl.h"\n' + model_c(extra) + "\n")
    (path / "model.h").write_text(f"#ifndef MODEL_H\n#define MODEL_H\n#define ODL_MODEL_ARENA_SIZE {ARENA + extra}u\n"
                                  "#endif\n")
    return path


def _defines() -> str:
    return f"#define SIM_SLOT_SIZE {SLOT_SIZE}u\n"


def boot_module():
    """(ffi, lib) with the store, the sim medium and the test model."""
    prelude = ("#include \"odl/odl.h\"\n" + _defines() + model_c() + "\n" + SIM_NV_C
               + BOOT_C % {"arena": ARENA})
    return build("persist_boot", SIM_NV_CDEF + STORE_CDEF + BOOT_CDEF, prelude, runtime_sources())


def link_module():
    """(ffi, lib) of a hostsim link device with the store commands."""
    extra = "#include \"odl/persist.h\"\n" + _defines() + SIM_NV_C + LINK_C
    return build_device_module("persist_link", model_c(), extra, SIM_NV_CDEF + STORE_CDEF + LINK_CDEF)


def file_module():
    """(ffi, lib) exposing the host file driver (nv_file.c) with the store."""
    src = RUNTIME / "src" / "persist" / "nv_file.c"
    prelude = ("#define ODL_NV_FILE_DRIVER 1\n#include \"odl/odl.h\"\n" + model_c() + "\n"
               + f'#include "{src}"\n' + FILE_C % {"arena": ARENA})
    return build("persist_file", STORE_CDEF + FILE_CDEF, prelude, runtime_sources(),
                 extra_include=[INCLUDE, RUNTIME / "src" / "persist"])


FILE_C = r"""
typedef struct file_boot { odl_ctx_t ctx; odl_store_t st; odl_nv_file_t nf; uint8_t arena[%(arena)d]; } file_boot_t;
size_t file_boot_size(void) { return sizeof(file_boot_t); }
odl_store_t *file_boot_store(file_boot_t *b) { return &b->st; }
int file_boot(file_boot_t *b, const char *path, uint32_t slot_size) {
    int s = odl_init(&b->ctx, &odl_model, b->arena, sizeof b->arena);
    if (s != ODL_OK) return s;
    odl_nv_driver_t drv;
    s = odl_nv_file_open(&b->nf, &drv, path, slot_size);
    if (s == ODL_OK) s = odl_store_init(&b->st, &b->ctx, &drv);
    if (s == ODL_OK) s = odl_store_load(&b->st);
    return s;
}
void file_close(file_boot_t *b) { odl_nv_file_close(&b->nf); }
"""

FILE_CDEF = """
typedef struct file_boot file_boot_t;
size_t file_boot_size(void);
odl_store_t *file_boot_store(file_boot_t *b);
int file_boot(file_boot_t *b, const char *path, uint32_t slot_size);
void file_close(file_boot_t *b);
"""


class SimNV:
    """A simulated two-slot medium that outlives device 'reboots'."""

    def __init__(self, ffi, lib, flash: bool = True) -> None:
        self.ffi, self.lib = ffi, lib
        self._mem = ffi.new("char[]", lib.sim_nv_size())
        self.ptr = ffi.cast("sim_nv_t *", self._mem)
        lib.sim_nv_format(self.ptr, int(flash))

    def cut_after(self, n_ops: int, cut_value: int = 0) -> None:
        """Power fails during byte operation number n_ops (0-based)."""
        self.lib.sim_nv_arm(self.ptr, n_ops, cut_value & 0xFF)

    def power_on(self) -> None:
        self.lib.sim_nv_arm(self.ptr, -1, 0)

    @property
    def ops(self) -> int:
        return self.lib.sim_nv_ops(self.ptr)

    @property
    def writes(self) -> int:
        return self.lib.sim_nv_writes(self.ptr)

    @property
    def overwrites(self) -> int:
        return self.lib.sim_nv_overwrites(self.ptr)

    def image(self) -> bytes:
        return bytes(self.ffi.buffer(self.lib.sim_nv_mem(self.ptr), 2 * SLOT_SIZE))

    def poke(self, offset: int, value: int) -> None:
        self.lib.sim_nv_mem(self.ptr)[offset] = value & 0xFF


class BootedDevice:
    """One power-on of the C-API device over a SimNV."""

    def __init__(self, ffi, lib, nv: SimNV, other_model: bool = False) -> None:
        self.ffi, self.lib = ffi, lib
        self._mem = ffi.new("char[]", lib.sim_boot_size())
        self.ptr = ffi.cast("sim_boot_t *", self._mem)
        self.status = lib.sim_boot(self.ptr, nv.ptr, int(other_model))
        self.store = lib.sim_boot_store(self.ptr)

    def weights(self) -> bytes:
        buf = self.ffi.new("uint8_t[]", PAYLOAD_SIZE)
        assert self.lib.odl_store_payload_read(self.store, 0, buf, PAYLOAD_SIZE) == 0
        return bytes(buf)

    def set_weights(self, data: bytes) -> None:
        assert len(data) == PAYLOAD_SIZE
        assert self.lib.odl_store_payload_write(self.store, 0, data, len(data)) == 0

    def commit(self) -> tuple[int, bool]:
        """(status, wrote)."""
        wrote = self.ffi.new("uint8_t *")
        s = self.lib.odl_store_commit(self.store, wrote)
        return s, bool(wrote[0])

    def arena(self, offset: int, n: int) -> bytes:
        return bytes(self.ffi.buffer(self.lib.sim_boot_arena(self.ptr) + offset, n))


class StoreLinkDevice(SimDevice):
    """A hostsim link device whose store lives on `nv` (re-create it to reboot)."""

    def __init__(self, ffi, lib, nv: SimNV, **kw) -> None:
        super().__init__(ffi, lib, **kw)
        self._att = ffi.new("char[]", lib.persist_att_size())
        status = lib.persist_attach(self.dev, ffi.cast("persist_att_t *", self._att), nv.ptr)
        if status != 0:
            raise RuntimeError(f"store attach failed with status {status}")
        self.store = lib.persist_att_store(ffi.cast("persist_att_t *", self._att))
