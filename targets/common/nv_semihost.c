/* Weight-store medium on emulated boards: a file on the host, reached with
 * semihosting file calls (Arm `bkpt 0xab`; RISC-V `slli/ebreak/srai`).
 * QEMU opens the path relative to its working directory and needs
 * `-semihosting-config enable=on,target=native`.
 *
 * Each SYS_WRITE reaches the host file before the guest runs on, so killing
 * QEMU behaves like a power cut between two write calls. Bytes past the end
 * of the file read as 0xFF, like erased flash. */
#include <string.h>

#include "nv_board.h"

#ifndef ODL_NV_FILE
#define ODL_NV_FILE "odl_store.bin"
#endif
/* Slot size on the host file; slot 1 starts here (the file stays sparse). */
#ifndef ODL_NV_SLOT_SIZE
#define ODL_NV_SLOT_SIZE 0x100000u
#endif
/* Bytes per SYS_WRITE: a flash page's worth, so a cut can fall between the
 * pages of a large tensor as it would on a board. */
#ifndef ODL_NV_WRITE_CHUNK
#define ODL_NV_WRITE_CHUNK 1024u
#endif

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C
#define MODE_RPLUS_B 3 /* "r+b" */
#define MODE_WPLUS_B 7 /* "w+b" */

static int32_t semihost_call(uint32_t op, void *args) {
#if defined(__arm__)
    register uint32_t r0 __asm__("r0") = op;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)args;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
#elif defined(__riscv)
    register uint32_t a0 __asm__("a0") = op;
    register uint32_t a1 __asm__("a1") = (uint32_t)(uintptr_t)args;
    /* The three uncompressed instructions must not straddle a page. */
    __asm__ volatile(".balign 16\n\t.option push\n\t.option norvc\n\t"
                     "slli zero, zero, 0x1f\n\tebreak\n\tsrai zero, zero, 7\n\t.option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return (int32_t)a0;
#else
#error "nv_semihost.c: semihosting is implemented for Arm and RISC-V only"
#endif
}

typedef struct {
    int32_t handle;
} nv_semihost_t;

static nv_semihost_t nv_file = {-1};

static int seek(int32_t handle, uint32_t offset) {
    uint32_t args[2] = {(uint32_t)handle, offset};
    return semihost_call(SYS_SEEK, args) == 0;
}

static odl_status_t sh_read(void *user, uint32_t offset, uint8_t *buf, uint32_t len) {
    nv_semihost_t *f = (nv_semihost_t *)user;
    if (len == 0) return ODL_OK;
    uint32_t flen_args[1] = {(uint32_t)f->handle};
    int32_t size = semihost_call(SYS_FLEN, flen_args);
    if (size < 0) return ODL_ERR_STORE;
    uint32_t have = offset < (uint32_t)size ? (uint32_t)size - offset : 0;
    if (have > len) have = len;
    if (have) {
        if (!seek(f->handle, offset)) return ODL_ERR_STORE;
        uint32_t args[3] = {(uint32_t)f->handle, (uint32_t)(uintptr_t)buf, have};
        int32_t left = semihost_call(SYS_READ, args); /* bytes NOT read */
        if (left < 0 || (uint32_t)left > have) return ODL_ERR_STORE;
        have -= (uint32_t)left;
    }
    memset(buf + have, 0xFF, len - have);
    return ODL_OK;
}

static odl_status_t sh_write(void *user, uint32_t offset, const uint8_t *buf, uint32_t len) {
    nv_semihost_t *f = (nv_semihost_t *)user;
    if (len == 0) return ODL_OK;
    if (!seek(f->handle, offset)) return ODL_ERR_STORE;
    while (len > 0) { /* the file position advances with each write */
        uint32_t n = len < ODL_NV_WRITE_CHUNK ? len : ODL_NV_WRITE_CHUNK;
        uint32_t args[3] = {(uint32_t)f->handle, (uint32_t)(uintptr_t)buf, n};
        if (semihost_call(SYS_WRITE, args) != 0) return ODL_ERR_STORE;
        buf += n;
        len -= n;
    }
    return ODL_OK;
}

static odl_status_t sh_erase(void *user, uint32_t offset, uint32_t len) {
    uint8_t ff[256];
    memset(ff, 0xFF, sizeof ff);
    while (len > 0) {
        uint32_t n = len < sizeof ff ? len : (uint32_t)sizeof ff;
        odl_status_t s = sh_write(user, offset, ff, n);
        if (s != ODL_OK) return s;
        offset += n;
        len -= n;
    }
    return ODL_OK;
}

static int32_t open_file(const char *path, uint32_t mode) {
    uint32_t args[3] = {(uint32_t)(uintptr_t)path, mode, (uint32_t)strlen(path)};
    return semihost_call(SYS_OPEN, args);
}

odl_status_t board_nv_init(odl_nv_driver_t *nv) {
    if (!nv) return ODL_ERR_ARG;
    if (nv_file.handle < 0) {
        nv_file.handle = open_file(ODL_NV_FILE, MODE_RPLUS_B);
        if (nv_file.handle < 0) nv_file.handle = open_file(ODL_NV_FILE, MODE_WPLUS_B);
        if (nv_file.handle < 0) return ODL_ERR_STORE;
    }
    nv->read = sh_read;
    nv->write = sh_write;
    nv->erase = sh_erase;
    nv->slot_size = ODL_NV_SLOT_SIZE;
    nv->user = &nv_file;
    return ODL_OK;
}
