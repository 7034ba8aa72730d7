/* Weight-store medium on the STM32F429ZI: the last two 128 KB sectors of
 * flash bank 2 (sectors 22 and 23, 0x081C0000..0x081FFFFF), one per slot.
 * The linker must keep code and constants below 0x081C0000.
 *
 * Programs bytewise (PSIZE x8: valid at any supply voltage) with the FLASH
 * interface registers (RM0090 section 3.6). A sector erase takes ~1-2 s, so
 * the host gives COMMIT a long timeout. Reads are plain memory reads.
 *
 * With ODL_FLASH_SIM (host tests only) every register and flash access goes
 * to a simulated STM32F4 flash interface instead: tests/test_stm32_flash.py
 * checks this driver against the sector rules and power cuts there. */
#include <string.h>

#include "nv_board.h"

#define FLASH_R_BASE 0x40023C00u
#define ACR 0x00u
#define KEYR 0x04u
#define SR 0x0Cu
#define CR 0x10u

#ifdef ODL_FLASH_SIM
uint32_t flash_sim_reg_read(uint32_t offset);
void flash_sim_reg_write(uint32_t offset, uint32_t value);
void flash_sim_program8(uint32_t address, uint8_t value);
const uint8_t *flash_sim_memory(uint32_t address);
#define REG_READ(off) flash_sim_reg_read(off)
#define REG_WRITE(off, v) flash_sim_reg_write((off), (v))
#define PROGRAM8(addr, v) flash_sim_program8((addr), (v))
#define MEMORY(addr) flash_sim_memory(addr)
#else
#define REG_READ(off) (*(volatile uint32_t *)(uintptr_t)(FLASH_R_BASE + (off)))
#define REG_WRITE(off, v) (*(volatile uint32_t *)(uintptr_t)(FLASH_R_BASE + (off)) = (v))
#define PROGRAM8(addr, v) (*(volatile uint8_t *)(uintptr_t)(addr) = (v))
#define MEMORY(addr) ((const uint8_t *)(uintptr_t)(addr))
#endif

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu

#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_SNB_SHIFT 3
#define CR_SNB_MASK (0x1Fu << CR_SNB_SHIFT)
#define CR_PSIZE_MASK (3u << 8) /* 00 = x8 */
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#define SR_BSY (1u << 16)
/* RDERR, PGSERR, PGPERR, PGAERR, WRPERR, OPERR: write 1 to clear. */
#define SR_ERRORS ((1u << 8) | (1u << 7) | (1u << 6) | (1u << 5) | (1u << 4) | (1u << 1))
#define ACR_DCEN (1u << 10)
#define ACR_DCRST (1u << 12)

#define STORE_BASE 0x081C0000u
#define SECTOR_SIZE 0x20000u
#define FIRST_SECTOR 22u
/* Bank-2 sectors 12..23 are numbered 0x10 + (n - 12) in CR.SNB (RM0090). */
#define SNB_CODE(n) ((n) >= 12u ? 0x10u + ((n) - 12u) : (n))

static void wait_idle(void) {
    while (REG_READ(SR) & SR_BSY) {
    }
}

static int unlock(void) {
    wait_idle();
    if (REG_READ(CR) & CR_LOCK) {
        REG_WRITE(KEYR, KEY1);
        REG_WRITE(KEYR, KEY2);
    }
    REG_WRITE(SR, SR_ERRORS);
    return (REG_READ(CR) & CR_LOCK) == 0;
}

static void lock(void) { REG_WRITE(CR, REG_READ(CR) | CR_LOCK); }

/* The data cache may still hold the bytes from before an erase or write. */
static void flush_data_cache(void) {
    uint32_t acr = REG_READ(ACR);
    if (acr & ACR_DCEN) {
        REG_WRITE(ACR, acr & ~ACR_DCEN);
        REG_WRITE(ACR, (acr & ~ACR_DCEN) | ACR_DCRST);
        REG_WRITE(ACR, acr & ~(ACR_DCEN | ACR_DCRST));
        REG_WRITE(ACR, acr);
    }
}

static odl_status_t in_range(uint32_t offset, uint32_t len) {
    return offset <= 2u * SECTOR_SIZE && len <= 2u * SECTOR_SIZE - offset ? ODL_OK : ODL_ERR_ARG;
}

static odl_status_t flash_read(void *user, uint32_t offset, uint8_t *buf, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK) return ODL_ERR_ARG;
    memcpy(buf, MEMORY(STORE_BASE + offset), len);
    return ODL_OK;
}

static odl_status_t flash_write(void *user, uint32_t offset, const uint8_t *buf, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK) return ODL_ERR_ARG;
    if (!unlock()) return ODL_ERR_STORE;
    odl_status_t status = ODL_OK;
    REG_WRITE(CR, (REG_READ(CR) & ~(CR_PSIZE_MASK | CR_SER | CR_SNB_MASK)) | CR_PG);
    for (uint32_t i = 0; i < len; ++i) {
        PROGRAM8(STORE_BASE + offset + i, buf[i]);
        wait_idle();
        if (REG_READ(SR) & SR_ERRORS) {
            status = ODL_ERR_STORE;
            break;
        }
    }
    REG_WRITE(CR, REG_READ(CR) & ~CR_PG);
    lock();
    flush_data_cache();
    return status;
}

static odl_status_t flash_erase(void *user, uint32_t offset, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK || offset % SECTOR_SIZE != 0 || len > SECTOR_SIZE) return ODL_ERR_ARG;
    uint32_t sector = FIRST_SECTOR + offset / SECTOR_SIZE;
    if (!unlock()) return ODL_ERR_STORE;
    REG_WRITE(CR, (REG_READ(CR) & ~(CR_PSIZE_MASK | CR_PG | CR_SNB_MASK)) | CR_SER |
                      (SNB_CODE(sector) << CR_SNB_SHIFT));
    REG_WRITE(CR, REG_READ(CR) | CR_STRT);
    wait_idle();
    odl_status_t status = (REG_READ(SR) & SR_ERRORS) ? ODL_ERR_STORE : ODL_OK;
    REG_WRITE(CR, REG_READ(CR) & ~(CR_SER | CR_SNB_MASK));
    lock();
    flush_data_cache();
    return status;
}

odl_status_t board_nv_init(odl_nv_driver_t *nv) {
    if (!nv) return ODL_ERR_ARG;
    nv->read = flash_read;
    nv->write = flash_write;
    nv->erase = flash_erase;
    nv->slot_size = SECTOR_SIZE;
    nv->user = 0;
    return ODL_OK;
}
