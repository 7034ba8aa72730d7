/* Host file driver for the weight store (runtime_c/src/persist/nv_file.c,
 * compiled only with -DODL_NV_FILE_DRIVER). */
#ifndef ODL_NV_FILE_H
#define ODL_NV_FILE_H

#include <stdio.h>

#include "odl/persist.h"

typedef struct {
    FILE *file;
} odl_nv_file_t;

/* Opens (creating when missing) path as a two-slot medium of slot_size
 * bytes per slot and fills nv. */
odl_status_t odl_nv_file_open(odl_nv_file_t *nf, odl_nv_driver_t *nv, const char *path, uint32_t slot_size);
void odl_nv_file_close(odl_nv_file_t *nf);

#endif
