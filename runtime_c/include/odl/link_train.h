/* Training commands of the serial link (method-agnostic):
 *   TRAIN        req: label i32 LE, input bytes     resp: stats (5 x i32/u32 LE:
 *                                                   loss_q16, correct, predicted, step, flags)
 *   EVAL         same payloads, no update
 *   READ_WEIGHTS req: empty                          resp: crc32 u32, total bytes u32, n_trainable u16
 *                req: slot u16, offset u32           resp: up to the payload limit of that tensor's bytes
 *   SET_LR       req: shift u8                       resp: shift u8 now in force
 *                (odl_train_set_lr_shift: the following TRAINs use the
 *                configured rate / 2^shift; an empty request reads it)
 * A repeated seq is answered from the link's replay cache, so a retried
 * TRAIN never applies a step twice. */
#ifndef ODL_LINK_TRAIN_H
#define ODL_LINK_TRAIN_H

#include "odl/link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Registers TRAIN, EVAL, READ_WEIGHTS, TRAIN_STATUS and SET_LR on srv (srv->ctx's model must carry
 * a train config; the handlers answer ODL_ERR_TRAIN otherwise). */
odl_status_t odl_link_train_register(odl_link_server_t *srv);

#ifdef __cplusplus
}
#endif

#endif
