/* Fixed-point forward gradient. Per step (seed s, step t, m directions):
 *   L0      = loss at theta (reported; also runs the frozen prefix once)
 *   for k:  z_k = Rademacher signs from odl_prng_key(s, t, k, tensor slot)
 *           d_k = L(theta + eps z_k) - L(theta - eps z_k)     (Q16.16)
 *   theta  -= round(lr * sum_k d_k z_k)     per tensor, clamped to the guard band
 * Perturbations are integer adds inside the guard band, so undoing them is
 * exact; z is regenerated from the key, never stored. */
#include <string.h>

#include "odl/forward_grad.h"
#include "odl/optim.h"
#include "odl/prng.h"

#define BLOCK 32

static const odl_fg_config_t *config_of(const odl_ctx_t *ctx) {
    return (const odl_fg_config_t *)ctx->model->train->method_config;
}

static int32_t kind_min(uint8_t kind) { return kind == ODL_FG_WEIGHT_I16 ? INT16_MIN : INT32_MIN; }
static int32_t kind_max(uint8_t kind) { return kind == ODL_FG_WEIGHT_I16 ? INT16_MAX : INT32_MAX; }

static int32_t get_value(const void *data, uint8_t kind, int32_t e) {
    return kind == ODL_FG_WEIGHT_I16 ? ((const int16_t *)data)[e] : ((const int32_t *)data)[e];
}

static void set_value(void *data, uint8_t kind, int32_t e, int32_t v) {
    if (kind == ODL_FG_WEIGHT_I16)
        ((int16_t *)data)[e] = (int16_t)v;
    else
        ((int32_t *)data)[e] = v;
}

static odl_status_t check_tensor(const odl_ctx_t *ctx, const odl_fg_tensor_t *ft) {
    const odl_tensor_t *t = odl_tensor_info(ctx, ft->tensor);
    if (!t || !(t->flags & ODL_T_ARENA) || !(t->flags & ODL_T_TRAINABLE)) return ODL_ERR_TRAIN;
    if (ft->kind == ODL_FG_WEIGHT_I16) {
        if (t->dtype != ODL_DT_INT16) return ODL_ERR_TRAIN;
    } else if (ft->kind == ODL_FG_BIAS_I32) {
        if (t->dtype != ODL_DT_INT32) return ODL_ERR_TRAIN;
    } else {
        return ODL_ERR_TRAIN;
    }
    if (ft->eps <= 0 || ft->lr_mult <= 0 || ft->lr_shift < 0 || ft->lr_shift > 62) return ODL_ERR_TRAIN;
    if (ft->lo > ft->hi) return ODL_ERR_TRAIN;
    /* value +- eps must stay representable for every value in [lo, hi] */
    if ((int64_t)ft->lo - ft->eps < kind_min(ft->kind) || (int64_t)ft->hi + ft->eps > kind_max(ft->kind))
        return ODL_ERR_TRAIN;
    if (ft->momentum_offset != ODL_FG_NO_MOMENTUM &&
        (uint64_t)ft->momentum_offset + 4u * (uint64_t)odl_tensor_numel(t) > ctx->arena_size)
        return ODL_ERR_TRAIN;
    return ODL_OK;
}

odl_status_t odl_fg_init(odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model->train;
    const odl_fg_config_t *c = config_of(ctx);
    if (!c || c->directions == 0 || c->directions > ODL_FG_MAX_DIRECTIONS || c->n_tensors == 0 || !c->tensors)
        return ODL_ERR_TRAIN;
    if (tc->state_size < ODL_FG_STATE_BYTES(c->directions) || (tc->state_offset & 3u)) return ODL_ERR_TRAIN;
    if (c->first_op > tc->forward_ops || tc->forward_ops > ctx->model->n_ops) return ODL_ERR_TRAIN;
    if (c->momentum_q15 < 0 || c->momentum_q15 >= 32768) return ODL_ERR_TRAIN;
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        const odl_fg_tensor_t *ft = &c->tensors[i];
        odl_status_t s = check_tensor(ctx, ft);
        if (s != ODL_OK) return s;
        const odl_tensor_t *t = odl_tensor_info(ctx, ft->tensor);
        const void *data = odl_tensor_ptr(ctx, ft->tensor);
        const int32_t n = odl_tensor_numel(t);
        for (int32_t e = 0; e < n; ++e) {
            const int32_t v = get_value(data, ft->kind, e);
            if (v < ft->lo || v > ft->hi) return ODL_ERR_TRAIN; /* outside the guard band */
        }
        if (ft->momentum_offset != ODL_FG_NO_MOMENTUM) memset(ctx->arena + ft->momentum_offset, 0, (size_t)n * 4u);
    }
    odl_fg_state_t *st = (odl_fg_state_t *)ctx->train_state;
    memset(st, 0, ODL_FG_STATE_BYTES(c->directions));
    return ODL_OK;
}

/* theta += sign_scale * eps * z_k for every trainable tensor. */
static void perturb(odl_ctx_t *ctx, const odl_fg_config_t *c, uint32_t step, uint32_t k, int32_t sign_scale) {
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        const odl_fg_tensor_t *ft = &c->tensors[i];
        void *data = odl_tensor_ptr(ctx, ft->tensor);
        const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
        const uint32_t key = odl_prng_key(c->seed, step, k, i);
        const int32_t delta = sign_scale * ft->eps;
        for (int32_t e0 = 0; e0 < n; e0 += BLOCK) {
            const uint32_t bits = odl_prng_word(key, (uint32_t)e0 / BLOCK);
            const int32_t end = n - e0 < BLOCK ? n - e0 : BLOCK;
            for (int32_t j = 0; j < end; ++j) {
                const int32_t v = get_value(data, ft->kind, e0 + j);
                set_value(data, ft->kind, e0 + j, ((bits >> j) & 1u) ? v - delta : v + delta);
            }
        }
    }
}

static odl_status_t loss_of(odl_ctx_t *ctx, uint32_t first, int32_t label, int32_t *loss, int32_t *predicted) {
    odl_status_t s = odl_invoke_range(ctx, first, ctx->model->train->forward_ops);
    if (s != ODL_OK) return s;
    return odl_loss_q16(ctx, label, loss, predicted);
}

/* theta -= lr * sum_k d_k z_k; returns 1 when the guard band clipped a value. */
static int update(odl_ctx_t *ctx, const odl_fg_config_t *c, const odl_fg_state_t *st) {
    int clipped = 0;
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        const odl_fg_tensor_t *ft = &c->tensors[i];
        void *data = odl_tensor_ptr(ctx, ft->tensor);
        const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
        int32_t *vel = ft->momentum_offset != ODL_FG_NO_MOMENTUM ? (int32_t *)(ctx->arena + ft->momentum_offset) : 0;
        for (int32_t e0 = 0; e0 < n; e0 += BLOCK) {
            const int32_t end = n - e0 < BLOCK ? n - e0 : BLOCK;
            int64_t sum[BLOCK];
            for (int32_t j = 0; j < BLOCK; ++j) sum[j] = 0;
            for (uint32_t k = 0; k < c->directions; ++k) {
                const int32_t d = st->diff[k];
                if (d == 0) continue;
                const uint32_t bits = odl_prng_word(odl_prng_key(c->seed, st->step, k, i), (uint32_t)e0 / BLOCK);
                for (int32_t j = 0; j < end; ++j) sum[j] += ((bits >> j) & 1u) ? -d : d;
            }
            for (int32_t j = 0; j < end; ++j) {
                int32_t step = odl_sgd_delta(sum[j], ft->lr_mult, ft->lr_shift);
                if (vel) step = odl_momentum(&vel[e0 + j], step, c->momentum_q15);
                const int32_t v = get_value(data, ft->kind, e0 + j);
                const int32_t nv = odl_apply_step(v, step, ft->lo, ft->hi);
                if ((int64_t)nv != (int64_t)v - step) clipped = 1;
                set_value(data, ft->kind, e0 + j, nv);
            }
        }
    }
    return clipped;
}

odl_status_t odl_fg_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_fg_config_t *c = config_of(ctx);
    odl_fg_state_t *st = (odl_fg_state_t *)ctx->train_state;
    int32_t loss0, pred;
    odl_status_t s = loss_of(ctx, 0, label, &loss0, &pred);
    if (s != ODL_OK) return s;
    stats->loss_q16 = loss0;
    stats->predicted = pred;
    stats->correct = pred == label;
    if (odl_train_guard(ctx, loss0)) {
        stats->flags |= ODL_STEP_SKIPPED;
        return ODL_OK;
    }
    for (uint32_t k = 0; k < c->directions; ++k) {
        int32_t lp, lm, unused;
        perturb(ctx, c, st->step, k, 1);
        s = loss_of(ctx, c->first_op, label, &lp, &unused);
        if (s == ODL_OK) {
            perturb(ctx, c, st->step, k, -2);
            s = loss_of(ctx, c->first_op, label, &lm, &unused);
            perturb(ctx, c, st->step, k, 1);
        } else {
            perturb(ctx, c, st->step, k, -1);
        }
        if (s != ODL_OK) return s;
        int32_t d = lp - lm;
        if (c->sign) d = d > 0 ? 65536 : (d < 0 ? -65536 : 0);
        st->diff[k] = d;
    }
    if (update(ctx, c, st)) stats->flags |= ODL_STEP_CLIPPED;
    st->step++;
    return ODL_OK;
}

const odl_train_hooks_t odl_fg_hooks = {odl_fg_init, odl_fg_step, 0, 0};
