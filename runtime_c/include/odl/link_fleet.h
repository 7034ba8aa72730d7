/* Fleet-learning command of the serial link, for forward-gradient models:
 *   FLEET_FG  req: op u8, then
 *     op 0 (last)     -                      resp: step counter u32, m diffs i32 (of the last step)
 *     op 1 (set step) step u32               resp: step counter u32
 *     op 2 (replay)   n u16, n x (step u32, m x diff i32)
 *                                            resp: records applied u16, clipped u16
 * Replay applies the records in order with odl_fg_replay_step, so a board
 * follows the fleet's global weights from the merged (step, scalars) list
 * without a weight download. All integers little endian. */
#ifndef ODL_LINK_FLEET_H
#define ODL_LINK_FLEET_H

#include "odl/link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ODL_LINK_CMD_FLEET_FG 0x40 /* application range of odl_link_cmd_t */

/* Registers FLEET_FG on srv (answers ODL_ERR_TRAIN for other methods). */
odl_status_t odl_link_fleet_register(odl_link_server_t *srv);

#ifdef __cplusplus
}
#endif

#endif
