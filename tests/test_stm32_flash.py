"""The STM32F4 weight-store flash driver (targets/nucleo-f429zi/nv_flash.c),
compiled for the host against a simulated STM32F4 flash interface (RM0090
section 3): the KEYR unlock sequence, CR writes ignored while LOCK is set,
sector erase through SER/SNB/STRT, byte programming only with PG set and
PSIZE x8, bits that program only from 1 to 0, write-1-to-clear SR errors,
and a power cut after any number of byte operations (the byte under way gets
an arbitrary value, the rest of the sector keeps what it had). QEMU does not
model this peripheral, so this is where the real driver is exercised."""

from __future__ import annotations

import random

import pytest
from conftest import ROOT

from pytool.host.cbuild import build, runtime_sources
from pytool.link import persist_sim as ps

SECTOR = 0x20000
STORE_BASE = 0x081C0000
DRIVER = ROOT / "targets" / "nucleo-f429zi" / "nv_flash.c"

SIM_C = r"""
#include <string.h>
#include "odl/persist.h"

#define SIM_BASE 0x081C0000u
#define SIM_SIZE (2u * 0x20000u)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#define SR_WRPERR (1u << 4)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_OPERR (1u << 1)

static struct {
    uint8_t mem[SIM_SIZE];
    uint32_t acr, sr, cr, key_stage;
    int64_t budget;       /* byte operations before the power fails; < 0: never */
    uint8_t cut_value, cut;
    uint32_t ops, violations, cache_flushes, locked_calls;
} F;

void sim_reset_registers(void) { F.cr = CR_LOCK; F.sr = 0; F.key_stage = 0; F.acr = 1u << 10; }
void sim_format(void) { memset(&F, 0, sizeof F); memset(F.mem, 0xFF, sizeof F.mem); F.budget = -1;
                        sim_reset_registers(); }
void sim_arm(int64_t budget, uint8_t value) { F.budget = budget; F.cut_value = value; F.cut = 0; }
uint8_t *sim_mem(void) { return F.mem; }
uint32_t sim_ops(void) { return F.ops; }
uint32_t sim_violations(void) { return F.violations; }
uint32_t sim_cache_flushes(void) { return F.cache_flushes; }
uint32_t sim_cr(void) { return F.cr; }
int sim_was_cut(void) { return F.cut; }

/* One byte changes; 0 when the power failed during it. */
static int byte_op(uint32_t at, uint8_t value, int erase) {
    if (F.cut) return 0;
    if (F.budget == 0) { F.mem[at] = F.cut_value; F.cut = 1; F.sr |= SR_OPERR; return 0; }
    F.mem[at] = erase ? 0xFF : (uint8_t)(F.mem[at] & value);
    F.ops++;
    if (F.budget > 0) F.budget--;
    return 1;
}

uint32_t flash_sim_reg_read(uint32_t off) {
    switch (off) {
    case 0x00: return F.acr;
    case 0x0C: return F.sr; /* never BSY: operations complete at once */
    case 0x10: return F.cr;
    default: return 0;
    }
}

void flash_sim_reg_write(uint32_t off, uint32_t v) {
    switch (off) {
    case 0x00:
        if ((v & (1u << 12)) && !(v & (1u << 10))) F.cache_flushes++; /* DCRST with the cache off */
        F.acr = v;
        break;
    case 0x04: /* KEYR: KEY1 then KEY2 unlocks; anything else locks until reset */
        if (F.key_stage == 0 && v == KEY1) F.key_stage = 1;
        else if (F.key_stage == 1 && v == KEY2) { F.cr &= ~CR_LOCK; F.key_stage = 0; }
        else { F.key_stage = 2; F.violations++; }
        break;
    case 0x0C: F.sr &= ~v; break; /* write 1 to clear */
    case 0x10:
        if (F.cr & CR_LOCK) { F.locked_calls++; break; } /* locked: CR ignores writes */
        F.cr = v;
        if ((v & CR_STRT) && (v & CR_SER)) {
            uint32_t snb = (v >> 3) & 0x1Fu;
            if (snb != 0x1Au && snb != 0x1Bu) /* sectors 22, 23 (RM0090: SNB 16 + n - 12) */ { F.violations++; F.sr |= SR_WRPERR; }
            else {
                uint32_t base = (snb - 0x1Au) * 0x20000u;
                for (uint32_t i = 0; i < 0x20000u; ++i)
                    if (!byte_op(base + i, 0xFF, 1)) break;
            }
            F.cr &= ~CR_STRT;
        }
        break;
    default: F.violations++;
    }
}

void flash_sim_program8(uint32_t addr, uint8_t value) {
    if (addr < SIM_BASE || addr >= SIM_BASE + SIM_SIZE) { F.violations++; F.sr |= SR_WRPERR; return; }
    if ((F.cr & CR_LOCK) || !(F.cr & CR_PG)) { F.violations++; F.sr |= SR_PGSERR; return; }
    if (((F.cr >> 8) & 3u) != 0) { F.violations++; F.sr |= SR_PGPERR; return; } /* byte write needs x8 */
    (void)byte_op(addr - SIM_BASE, value, 0);
}

const uint8_t *flash_sim_memory(uint32_t addr) { return F.mem + (addr - SIM_BASE); }

#define ODL_FLASH_SIM 1
#include "%(driver)s"

typedef struct flash_boot { odl_ctx_t ctx; odl_store_t st; uint8_t arena[%(arena)d]; } flash_boot_t;
size_t flash_boot_size(void) { return sizeof(flash_boot_t); }
odl_store_t *flash_boot_store(flash_boot_t *b) { return &b->st; }
/* Power-on: registers reset, model init, the board's driver, store load. */
int flash_boot(flash_boot_t *b) {
    sim_reset_registers();
    memset(b->arena, 0xA5, sizeof b->arena);
    int s = odl_init(&b->ctx, &odl_model, b->arena, sizeof b->arena);
    if (s != ODL_OK) return s;
    odl_nv_driver_t drv;
    s = board_nv_init(&drv);
    if (s != ODL_OK) return s;
    s = odl_store_init(&b->st, &b->ctx, &drv);
    if (s != ODL_OK) return s;
    return (int)odl_store_load(&b->st);
}
"""

CDEF = """
void sim_format(void);
void sim_arm(int64_t budget, uint8_t value);
uint8_t *sim_mem(void);
uint32_t sim_ops(void);
uint32_t sim_violations(void);
uint32_t sim_cache_flushes(void);
uint32_t sim_cr(void);
int sim_was_cut(void);
typedef struct flash_boot flash_boot_t;
size_t flash_boot_size(void);
odl_store_t *flash_boot_store(flash_boot_t *b);
int flash_boot(flash_boot_t *b);
"""


@pytest.fixture(scope="module")
def sim():
    prelude = ('#include "odl/odl.h"\n' + model_prelude() + SIM_C % {"driver": DRIVER, "arena": ps.ARENA})
    return build("stm32_flash", ps.STORE_CDEF + CDEF, prelude, runtime_sources(),
                 extra_include=[ROOT / "targets" / "common"])


def model_prelude() -> str:
    return ps.model_c() + "\n"


class Board:
    """One power-on of the device over the simulated flash."""

    def __init__(self, sim) -> None:
        self.ffi, self.lib = sim
        self._mem = self.ffi.new("char[]", self.lib.flash_boot_size())
        self.ptr = self.ffi.cast("flash_boot_t *", self._mem)
        self.status = self.lib.flash_boot(self.ptr)
        self.store = self.lib.flash_boot_store(self.ptr)

    def weights(self) -> bytes:
        buf = self.ffi.new("uint8_t[]", ps.PAYLOAD_SIZE)
        assert self.lib.odl_store_payload_read(self.store, 0, buf, ps.PAYLOAD_SIZE) == 0
        return bytes(buf)

    def set_weights(self, data: bytes) -> None:
        assert self.lib.odl_store_payload_write(self.store, 0, data, len(data)) == 0

    def commit(self) -> int:
        wrote = self.ffi.new("uint8_t *")
        return self.lib.odl_store_commit(self.store, wrote)


def _patched(data: bytes, rng: random.Random) -> bytes:
    off = rng.randrange(0, len(data) - 16)
    return data[:off] + rng.randbytes(16) + data[off + 16 :]


def test_commit_and_reboot_through_the_real_driver(sim):
    ffi, lib = sim
    lib.sim_format()
    b = Board(sim)
    assert b.status == 0 and b.weights() == ps.factory_payload()
    new = _patched(ps.factory_payload(), random.Random(1))
    b.set_weights(new)
    assert b.commit() == 0
    assert lib.sim_violations() == 0, "the driver broke a flash rule"
    assert lib.sim_cr() & (1 << 31), "the driver left the flash unlocked"
    assert lib.sim_cache_flushes() >= 1, "the data cache was not reset after writing"
    # Only the store's sectors changed: one slot erased and programmed.
    image = bytes(ffi.buffer(lib.sim_mem(), 2 * SECTOR))
    assert image.count(b"\xff") < len(image)
    again = Board(sim)
    assert again.status == 0 and again.weights() == new
    assert again.store.generation == b.store.generation


def test_power_cut_at_sampled_byte_operations(sim):
    """A full commit (erase 128 KB + program the slot) is cut at 120 sampled
    byte operations, always including the first and last few; after every
    reboot the weights are exactly the previous or the new committed set."""
    ffi, lib = sim
    rng = random.Random(20261203)
    lib.sim_format()
    b = Board(sim)
    previous = b.weights()
    new = _patched(previous, rng)
    b.set_weights(new)
    before = lib.sim_ops()
    assert b.commit() == 0
    span = lib.sim_ops() - before
    assert span > SECTOR  # an erase of the whole sector, then the programming
    # A cut at op `span` never comes: that commit completes.
    cuts = sorted({0, 1, 2, span - 2, span - 1, span} | {rng.randrange(span) for _ in range(114)})
    outcomes = {"previous": 0, "new": 0}
    for n in cuts:
        b = Board(sim)
        assert b.status == 0
        previous = b.weights()
        new = _patched(previous, rng)
        b.set_weights(new)
        lib.sim_arm(n, rng.randrange(256))
        status = b.commit()
        assert lib.sim_was_cut() or status == 0
        lib.sim_arm(-1, 0)
        after = Board(sim)
        assert after.status == 0, f"cut at byte op {n}: the store did not load ({after.status})"
        got = after.weights()
        assert got in (previous, new), f"cut at byte op {n}: the weights are a mix"
        outcomes["new" if got == new else "previous"] += 1
    assert lib.sim_violations() == 0
    assert outcomes["previous"] > 10 and outcomes["new"] >= 1, outcomes
