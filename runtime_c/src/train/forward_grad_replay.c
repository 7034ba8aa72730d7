/* Replay of forward-gradient updates from (step, diffs) records. The update
 * arithmetic mirrors update() in forward_grad.c (same PRNG words, same
 * rounding, same clamp); tests/test_fleet.py checks that a replayed
 * trajectory equals the trained one byte for byte. */
#include "odl/forward_grad_replay.h"

#include "odl/optim.h"
#include "odl/prng.h"

#define BLOCK 32

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
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        const odl_fg_tensor_t *ft = &c->tensors[i];
        void *data = odl_tensor_ptr(ctx, ft->tensor);
        const int32_t numel = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
        for (int32_t e0 = 0; e0 < numel; e0 += BLOCK) {
            const int32_t end = numel - e0 < BLOCK ? numel - e0 : BLOCK;
            int64_t sum[BLOCK];
            for (int32_t j = 0; j < BLOCK; ++j) sum[j] = 0;
            for (uint32_t k = 0; k < n; ++k) {
                const int32_t d = diffs[k];
                if (d == 0) continue;
                const uint32_t bits = odl_prng_word(odl_prng_key(c->seed, step, k, i), (uint32_t)e0 / BLOCK);
                for (int32_t j = 0; j < end; ++j) sum[j] += ((bits >> j) & 1u) ? -d : d;
            }
            for (int32_t j = 0; j < end; ++j) {
                const int32_t delta = odl_sgd_delta(sum[j], ft->lr_mult, ft->lr_shift);
                int32_t v, nv;
                if (ft->kind == ODL_FG_WEIGHT_I16) {
                    v = ((int16_t *)data)[e0 + j];
                    nv = odl_apply_step(v, delta, ft->lo, ft->hi);
                    ((int16_t *)data)[e0 + j] = (int16_t)nv;
                } else {
                    v = ((int32_t *)data)[e0 + j];
                    nv = odl_apply_step(v, delta, ft->lo, ft->hi);
                    ((int32_t *)data)[e0 + j] = nv;
                }
                if (clipped && (int64_t)nv != (int64_t)v - delta) *clipped = 1;
            }
        }
    }
    return ODL_OK;
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
