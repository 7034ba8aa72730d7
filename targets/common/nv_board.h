/* Board hook of the weight store: the non-volatile medium of this target.
 * Implemented by targets/common/nv_semihost.c (QEMU boards: a host file
 * through semihosting) or by a board's own nv_flash.c (flash sectors). */
#ifndef ODL_NV_BOARD_H
#define ODL_NV_BOARD_H

#include "odl/persist.h"

/* Fills nv with the board's driver; ODL_ERR_STORE when the medium is not
 * available (the firmware then runs without persistence). */
odl_status_t board_nv_init(odl_nv_driver_t *nv);

#endif
