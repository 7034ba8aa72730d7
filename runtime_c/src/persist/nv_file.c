/* Host file as the non-volatile medium (tests, host emulation). Built only
 * with -DODL_NV_FILE_DRIVER: firmware has no stdio file system.
 *
 * Bytes past the end of the file read as 0xFF, like erased flash, so a new
 * file needs no formatting. Every write is flushed before returning, so a
 * process killed after a write call keeps that write. */
#ifdef ODL_NV_FILE_DRIVER

#include <stdio.h>
#include <string.h>

#include "odl/persist.h"
#include "nv_file.h"

static odl_status_t file_read(void *user, uint32_t offset, uint8_t *buf, uint32_t len) {
    FILE *f = ((odl_nv_file_t *)user)->file;
    memset(buf, 0xFF, len);
    if (fseek(f, (long)offset, SEEK_SET) != 0) return ODL_ERR_STORE;
    size_t got = fread(buf, 1, len, f);
    if (got < len && ferror(f)) return ODL_ERR_STORE;
    /* fread may have stored bytes past got before hitting the end. */
    if (got < len) memset(buf + got, 0xFF, len - got);
    clearerr(f);
    return ODL_OK;
}

static odl_status_t file_write(void *user, uint32_t offset, const uint8_t *buf, uint32_t len) {
    FILE *f = ((odl_nv_file_t *)user)->file;
    if (fseek(f, (long)offset, SEEK_SET) != 0) return ODL_ERR_STORE;
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0) return ODL_ERR_STORE;
    return ODL_OK;
}

static odl_status_t file_erase(void *user, uint32_t offset, uint32_t len) {
    uint8_t ff[64];
    memset(ff, 0xFF, sizeof ff);
    while (len > 0) {
        uint32_t n = len < sizeof ff ? len : (uint32_t)sizeof ff;
        odl_status_t s = file_write(user, offset, ff, n);
        if (s != ODL_OK) return s;
        offset += n;
        len -= n;
    }
    return ODL_OK;
}

odl_status_t odl_nv_file_open(odl_nv_file_t *nf, odl_nv_driver_t *nv, const char *path, uint32_t slot_size) {
    if (!nf || !nv || !path || slot_size == 0) return ODL_ERR_ARG;
    nf->file = fopen(path, "r+b");
    if (!nf->file) nf->file = fopen(path, "w+b");
    if (!nf->file) return ODL_ERR_STORE;
    nv->read = file_read;
    nv->write = file_write;
    nv->erase = file_erase;
    nv->slot_size = slot_size;
    nv->user = nf;
    return ODL_OK;
}

void odl_nv_file_close(odl_nv_file_t *nf) {
    if (nf && nf->file) fclose(nf->file);
    if (nf) nf->file = 0;
}

#else
/* ISO C wants at least one declaration per translation unit. */
typedef int odl_nv_file_driver_not_built;
#endif
