/* Replay of forward-gradient updates from (step, diffs) records: the update
 * of one step is odl_fg_apply (odl/forward_grad.h, the same PRNG words,
 * rounding and clamp as odl_fg_step); tests/test_fleet.py checks that a
 * replayed trajectory equals the trained one byte for byte. */
#include "odl/forward_grad_replay.h"

static const odl_fg_config_t *fg_config(const odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model->train;
    if (!tc || tc->method != ODL_TRAIN_FORWARD_GRAD) return 0;
    return (const odl_fg_config_t *)tc->method_config;
}

odl_status_t odl_fg_replay_step(odl_ctx_t *ctx, uint32_t step, const int32_t *diffs, uint32_t n, int *clipped) {
    const odl_fg_config_t *c = fg_config(ctx);
    if (!c || n != c->directions || !diffs) return ODL_ERR_TRAIN;
    if (clipped) *clipped = 0;
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        if (c->tensors[i].momentum_offset != ODL_FG_NO_MOMENTUM) return ODL_ERR_TRAIN;
    }
    uint32_t flags = 0;
    const odl_status_t s = odl_fg_apply(ctx, step, diffs, n, &flags);
    if (s == ODL_OK && clipped) *clipped = (flags & ODL_STEP_CLIPPED) != 0;
    return s == ODL_ERR_ARG ? ODL_ERR_TRAIN : s;
}

odl_status_t odl_fg_set_step(odl_ctx_t *ctx, uint32_t step) {
    if (!fg_config(ctx) || !ctx->train_state) return ODL_ERR_TRAIN;
    ((odl_fg_state_t *)ctx->train_state)->step = step;
    return ODL_OK;
}

odl_status_t odl_fg_last_step(const odl_ctx_t *ctx, uint32_t *step, int32_t *diffs, uint32_t n) {
    const odl_fg_config_t *c = fg_config(ctx);
    if (!c || !ctx->train_state || n != c->directions) return ODL_ERR_TRAIN;
    const odl_fg_state_t *st = (const odl_fg_state_t *)ctx->train_state;
    *step = st->step;
    for (uint32_t k = 0; k < n; ++k) diffs[k] = st->diff[k];
    return ODL_OK;
}
