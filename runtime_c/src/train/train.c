/* Method dispatch and the parts every method shares: input copy, forward to
 * the logits, argmax. */
#include <string.h>

#include "odl/train.h"

static odl_status_t load_input(odl_ctx_t *ctx, const void *input) {
    const odl_tensor_t *t = odl_tensor_info(ctx, ctx->model->inputs[0]);
    void *dst = odl_input_ptr(ctx, 0);
    if (!t || !dst || !input) return ODL_ERR_ARG;
    memcpy(dst, input, (size_t)t->bytes);
    return ODL_OK;
}

odl_status_t odl_train_step(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats) {
    if (!ctx || !stats) return ODL_ERR_ARG;
    if (!ctx->ready) return ODL_ERR_STATE;
    const odl_train_config_t *tc = ctx->model->train;
    if (!tc) return ODL_ERR_TRAIN;
    if (!tc->hooks || !tc->hooks->step) return ODL_ERR_MODEL;
    odl_status_t s = load_input(ctx, input);
    if (s != ODL_OK) return s;
    memset(stats, 0, sizeof(*stats));
    s = tc->hooks->step(ctx, label, stats);
    if (s == ODL_OK) {
        ctx->stats.train_steps++;
        stats->step = ctx->stats.train_steps;
        /* a new training phase starts a new evaluation tally */
        ctx->stats.eval_samples = 0;
        ctx->stats.eval_correct = 0;
    }
    return s;
}

odl_status_t odl_train_set_lr_shift(odl_ctx_t *ctx, uint32_t shift) {
    if (!ctx) return ODL_ERR_ARG;
    if (!ctx->ready) return ODL_ERR_STATE;
    const odl_train_config_t *tc = ctx->model->train;
    if (!tc) return ODL_ERR_TRAIN;
    if (shift > ODL_TRAIN_MAX_LR_SHIFT) return ODL_ERR_ARG;
    ctx->lr_shift = shift;
    return ODL_OK;
}

odl_status_t odl_eval_sample(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats) {
    if (!ctx || !stats) return ODL_ERR_ARG;
    if (!ctx->ready) return ODL_ERR_STATE;
    const odl_train_config_t *tc = ctx->model->train;
    if (!tc) return ODL_ERR_TRAIN;
    odl_status_t s = load_input(ctx, input);
    if (s != ODL_OK) return s;
    memset(stats, 0, sizeof(*stats));
    if (tc->hooks && tc->hooks->eval) {
        /* e.g. FP16 backprop: the logits come from its FP16 head, not from an op */
        s = tc->hooks->eval(ctx, label, stats);
        stats->step = ctx->stats.train_steps;
        return s;
    }
    s = odl_invoke_range(ctx, 0, tc->forward_ops);
    if (s != ODL_OK) return s;
    s = odl_loss_q16(ctx, label, &stats->loss_q16, &stats->predicted);
    stats->correct = stats->predicted == label;
    stats->step = ctx->stats.train_steps;
    if (s == ODL_OK) {
        ctx->stats.eval_samples++;
        ctx->stats.eval_correct += (uint32_t)stats->correct;
    }
    return s;
}

/* Warm-up steps before spikes are judged; then an exponential average with
 * weight 1/32. Integer-only so every target takes the same decisions. */
#define ODL_GUARD_WARMUP 32u
#define ODL_GUARD_EMA_SHIFT 5

int odl_train_guard(odl_ctx_t *ctx, int32_t loss_q16) {
    const odl_train_config_t *tc = ctx->model->train;
    odl_loss_guard_t *g = &ctx->loss_guard;
    if (!tc || !tc->guard_sigma_q8) return 0;
    const int64_t d = (int64_t)loss_q16 - g->mean_q16;
    const int64_t d2 = (d * d) >> 16; /* Q16 */
    if (g->n >= ODL_GUARD_WARMUP && d > 0 && (int64_t)loss_q16 > 2 * (int64_t)g->mean_q16) {
        const int64_t k = tc->guard_sigma_q8;
        if (d2 > ((k * k * (int64_t)g->var_q16) >> 16)) {
            g->skipped++;
            return 1; /* a spike does not enter the statistics */
        }
    }
    const int64_t div = g->n < ODL_GUARD_WARMUP ? (int64_t)g->n + 1 : (int64_t)1 << ODL_GUARD_EMA_SHIFT;
    int64_t mean = g->mean_q16 + d / div;
    int64_t var = g->var_q16 + (d2 - g->var_q16) / div;
    g->mean_q16 = (int32_t)(mean > INT32_MAX ? INT32_MAX : mean);
    g->var_q16 = (int32_t)(var > INT32_MAX ? INT32_MAX : (var < 0 ? 0 : var));
    g->n++;
    return 0;
}
