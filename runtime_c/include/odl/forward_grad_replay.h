/* Replaying forward-gradient steps from their (step, projected-gradient
 * scalars) records: the update of odl_fg_step without the forward passes.
 * Fleet learning sends only these records; whoever holds the same weights
 * and replays the same records in the same order gets the same bytes.
 * Requires a config without momentum (the velocity is not part of the record). */
#ifndef ODL_FORWARD_GRAD_REPLAY_H
#define ODL_FORWARD_GRAD_REPLAY_H

#include "odl/forward_grad.h"

#ifdef __cplusplus
extern "C" {
#endif

/* odl_fg_apply (odl/forward_grad.h): for k < n in order
 * theta = clamp(theta - r_k z_k), r_k = round(lr * diffs[k]) per tensor, z_k
 * drawn for (config seed, step, k): exactly the update odl_fg_step applied
 * when it measured these diffs.
 * n must equal the config's directions. *clipped (may be NULL) is set to 1
 * when the guard band clamped a value. ODL_ERR_TRAIN: not a forward-gradient
 * model, momentum configured, or n wrong. */
odl_status_t odl_fg_replay_step(odl_ctx_t *ctx, uint32_t step, const int32_t *diffs, uint32_t n, int *clipped);

/* Positions the step counter (the PRNG stream the next odl_fg_step draws). */
odl_status_t odl_fg_set_step(odl_ctx_t *ctx, uint32_t step);

/* The step counter and the diffs the last odl_fg_step measured. */
odl_status_t odl_fg_last_step(const odl_ctx_t *ctx, uint32_t *step, int32_t *diffs, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
