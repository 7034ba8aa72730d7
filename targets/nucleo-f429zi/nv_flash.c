/* Weight-store medium on the STM32F429ZI: the last two 128 KB sectors of
 * flash bank 2 (sectors 22 and 23, 0x081C0000..0x081FFFFF), one per slot.
 * The linker must keep code and constants below 0x081C0000.
 *
 * Programs bytewise (PSIZE x8: valid at any supply voltage) with the FLASH
 * interface registers (RM0090 section 3.6). A sector erase takes ~1-2 s, so
 * the host gives COMMIT a long timeout. Reads are plain memory reads. */
#include <string.h>

#include "nv_board.h"

#define FLASH_R_BASE 0x40023C00u
#define FLASH_ACR (*(volatile uint32_t *)(FLASH_R_BASE + 0x00u))
#define FLASH_KEYR (*(volatile uint32_t *)(FLASH_R_BASE + 0x04u))
#define FLASH_SR (*(volatile uint32_t *)(FLASH_R_BASE + 0x0Cu))
#define FLASH_CR (*(volatile uint32_t *)(FLASH_R_BASE + 0x10u))

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
    while (FLASH_SR & SR_BSY) {
    }
}

static int unlock(void) {
    wait_idle();
    if (FLASH_CR & CR_LOCK) {
        FLASH_KEYR = KEY1;
        FLASH_KEYR = KEY2;
    }
    FLASH_SR = SR_ERRORS;
    return (FLASH_CR & CR_LOCK) == 0;
}

static void lock(void) { FLASH_CR |= CR_LOCK; }

/* The data cache may still hold the bytes from before an erase or write. */
static void flush_data_cache(void) {
    uint32_t acr = FLASH_ACR;
    if (acr & ACR_DCEN) {
        FLASH_ACR = acr & ~ACR_DCEN;
        FLASH_ACR = (acr & ~ACR_DCEN) | ACR_DCRST;
        FLASH_ACR = acr & ~(ACR_DCEN | ACR_DCRST);
        FLASH_ACR = acr;
    }
}

static odl_status_t in_range(uint32_t offset, uint32_t len) {
    return offset <= 2u * SECTOR_SIZE && len <= 2u * SECTOR_SIZE - offset ? ODL_OK : ODL_ERR_ARG;
}

static odl_status_t flash_read(void *user, uint32_t offset, uint8_t *buf, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK) return ODL_ERR_ARG;
    memcpy(buf, (const void *)(uintptr_t)(STORE_BASE + offset), len);
    return ODL_OK;
}

static odl_status_t flash_write(void *user, uint32_t offset, const uint8_t *buf, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK) return ODL_ERR_ARG;
    if (!unlock()) return ODL_ERR_STORE;
    odl_status_t status = ODL_OK;
    FLASH_CR = (FLASH_CR & ~(CR_PSIZE_MASK | CR_SER | CR_SNB_MASK)) | CR_PG;
    for (uint32_t i = 0; i < len; ++i) {
        *(volatile uint8_t *)(uintptr_t)(STORE_BASE + offset + i) = buf[i];
        wait_idle();
        if (FLASH_SR & SR_ERRORS) {
            status = ODL_ERR_STORE;
            break;
        }
    }
    FLASH_CR &= ~CR_PG;
    lock();
    flush_data_cache();
    return status;
}

static odl_status_t flash_erase(void *user, uint32_t offset, uint32_t len) {
    (void)user;
    if (in_range(offset, len) != ODL_OK || offset % SECTOR_SIZE != 0 || len > SECTOR_SIZE) return ODL_ERR_ARG;
    uint32_t sector = FIRST_SECTOR + offset / SECTOR_SIZE;
    if (!unlock()) return ODL_ERR_STORE;
    FLASH_CR = (FLASH_CR & ~(CR_PSIZE_MASK | CR_PG | CR_SNB_MASK)) | CR_SER | (SNB_CODE(sector) << CR_SNB_SHIFT);
    FLASH_CR |= CR_STRT;
    wait_idle();
    odl_status_t status = (FLASH_SR & SR_ERRORS) ? ODL_ERR_STORE : ODL_OK;
    FLASH_CR &= ~(CR_SER | CR_SNB_MASK);
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
