/* Fixed-point forward gradient. Per step (seed s, step t, m directions):
 *   L0 = loss at theta (reported; also runs the frozen prefix once)
 *   for k < m:  z_k = Rademacher signs from odl_prng_key(s, t, k, tensor slot)
 *               d_k = L(theta + eps z_k) - L(theta - eps z_k)          (Q16.16)
 *               r_k = round(lr * d_k)  per tensor (a scalar)
 *               theta = clamp(theta - r_k z_k)   (band [lo, hi])
 * Each direction is applied as soon as it is measured, so the restore of
 * direction k, its update and the perturbation of direction k+1 are one pass
 * over the weights; the minus side is a second. z is regenerated from the
 * key (O(1) per 32 elements), never stored. The weight of a linear first
 * layer (config->linear) and its bias are not perturbed in memory (the bias
 * offset enters the layer's epilogue); the weight's updates wait in a list
 * while the band provably cannot clip them (its range widened by the
 * pending |r_k| stays inside [lo, hi]), and one pass applies them: without a
 * clip, sequential clamped updates equal their plain sum. */
#include <string.h>

#include "odl/forward_grad.h"
#include "odl/kernels_s8w16.h"
#include "odl/ops.h"
#include "odl/optim.h"
#include "odl/prng.h"

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

/* The first trained layer as a linear map of its weights (config->linear):
 * a FULLY_CONNECTED, or a CONV_2D whose outputs [pixel * out_c + oc] the
 * fully connected epilogue reads as batches = pixels, out_depth = out_c. */
typedef struct {
    odl_fc_params_t p;
    int conv; /* CONV_2D: cp and the dims below */
    odl_conv_params_t cp;
    odl_dims4_t xd, wd, yd;
    const int8_t *x;
    int8_t *y;
    const int16_t *w;
    const int32_t *mult, *shift, *bias;
    int32_t batches, in_depth, out_depth, per_channel, n;
    uint32_t slot;
    uint32_t bias_slot; /* the trained bias of this layer (never perturbed in memory either), or none */
    int64_t *acc;   /* acc(theta), memcpy'd int64 */
    int32_t *acc_z; /* acc(z_k) */
    int16_t *ztable; /* z tables (FC) or columns (conv) of the input (state), or 0 */
    const odl_tensor_t *logits; /* the loss's tensor and data */
    const int8_t *q;
} lin_t;

/* CONV_2D at the accumulator: the shapes odl_conv2d_s8w16 takes. */
static int lin_conv_of(odl_ctx_t *ctx, const odl_op_t *op, lin_t *L) {
    const odl_tensor_t *tw = odl_op_in_info(ctx, op, 1), *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tw || !tx || !ty || !odl_dims4_of(tx, &L->xd) || !odl_dims4_of(tw, &L->wd) || !odl_dims4_of(ty, &L->yd))
        return 0;
    const odl_dims4_t *xd = &L->xd, *wd = &L->wd, *yd = &L->yd;
    const int32_t k = wd->h * wd->w * wd->c;
    if (wd->c <= 0 || xd->c % wd->c != 0 || wd->n != yd->c || xd->n != yd->n || k <= 0 || k > ODL_CONV_LIN_MAX_K ||
        yd->c % (xd->c / wd->c) != 0)
        return 0;
    const int32_t *q = op->params;
    L->cp = (odl_conv_params_t){
        .input_offset = q[0], .output_offset = q[1], .act_min = q[2], .act_max = q[3],
        .stride_h = q[4], .stride_w = q[5], .dilation_h = q[6], .dilation_w = q[7],
        .pad_h = q[8], .pad_w = q[9], .depth_multiplier = 1,
    };
    if (L->cp.stride_h <= 0 || L->cp.stride_w <= 0 || L->cp.dilation_h <= 0 || L->cp.dilation_w <= 0) return 0;
    L->conv = 1;
    L->p = (odl_fc_params_t){q[0], 0, q[1], q[2], q[3]};
    L->per_channel = 1;
    L->out_depth = yd->c;
    L->in_depth = k;
    L->batches = yd->n * yd->h * yd->w;
    L->n = L->batches * L->out_depth;
    return 1;
}

static int lin_of(odl_ctx_t *ctx, const odl_fg_config_t *c, lin_t *L) {
    if (!c->linear || c->linear > c->n_tensors) return 0;
    const odl_op_t *op = &ctx->model->ops[c->first_op];
    const odl_fg_tensor_t *ft = &c->tensors[c->linear - 1];
    if (op->n_inputs != 5 || op->inputs[1] != ft->tensor || ft->kind != ODL_FG_WEIGHT_I16) return 0;
    L->conv = 0;
    if (op->code == ODL_OP_CONV_2D && op->n_params == 10) {
        if (!lin_conv_of(ctx, op, L)) return 0;
    } else if (op->code == ODL_OP_FULLY_CONNECTED && op->n_params == 6) {
        const odl_tensor_t *tw = odl_op_in_info(ctx, op, 1), *tx = odl_op_in_info(ctx, op, 0);
        const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
        if (!tw || !tx || !ty || tw->rank != 2 || tw->dims[1] <= 0) return 0;
        const int32_t *q = op->params;
        L->p = (odl_fc_params_t){q[0], q[1], q[2], q[3], q[4]};
        L->per_channel = q[5] != 0;
        L->out_depth = tw->dims[0];
        L->in_depth = tw->dims[1];
        L->batches = odl_tensor_numel(tx) / L->in_depth;
        L->n = L->batches * L->out_depth;
        if (L->n != odl_tensor_numel(ty)) return 0;
    } else {
        return 0;
    }
    L->x = (const int8_t *)odl_op_in(ctx, op, 0);
    L->w = (const int16_t *)odl_op_in(ctx, op, 1);
    L->bias = op->inputs[2] >= 0 ? (const int32_t *)odl_op_in(ctx, op, 2) : 0;
    L->mult = (const int32_t *)odl_op_in(ctx, op, 3);
    L->shift = (const int32_t *)odl_op_in(ctx, op, 4);
    L->y = (int8_t *)odl_op_out(ctx, op, 0);
    L->slot = c->linear - 1u;
    L->logits = odl_tensor_info(ctx, ctx->model->train->logits);
    L->q = (const int8_t *)odl_tensor_ptr(ctx, ctx->model->train->logits);
    L->bias_slot = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < c->n_tensors; ++i)
        if (c->tensors[i].tensor == op->inputs[2] && c->tensors[i].kind == ODL_FG_BIAS_I32 &&
            odl_tensor_numel(odl_tensor_info(ctx, c->tensors[i].tensor)) == L->out_depth)
            L->bias_slot = i;
    uint8_t *extra = (uint8_t *)ctx->train_state + ODL_FG_STATE_BYTES(c->directions);
    L->acc = (int64_t *)(void *)extra;
    L->acc_z = (int32_t *)(void *)(extra + 8u * (uint32_t)L->n);
    const uint32_t zt = L->conv ? ODL_CONV_Z_COLS_BYTES(L->batches, L->in_depth)
                                : ODL_FC_Z_TABLE_BYTES(L->batches, L->in_depth);
    L->ztable = zt && ctx->model->train->state_size >= ODL_FG_STATE_BYTES_LIN(c->directions, L->n) + zt
                    ? (int16_t *)(void *)(extra + 12u * (uint32_t)L->n)
                    : 0;
    return 1;
}

/* acc(theta) and acc(z) of the layer */
static void lin_acc(const lin_t *L) {
    if (L->conv)
        odl_conv2d_s8w16_acc(&L->cp, &L->xd, L->x, &L->wd, L->w, &L->yd, L->acc, L->ztable);
    else
        odl_fully_connected_s8w16_acc(&L->p, L->batches, L->in_depth, L->x, L->out_depth, L->w, L->acc);
}

static void lin_z_acc(const lin_t *L, uint32_t key) {
    if (L->conv)
        odl_conv2d_z_acc(&L->cp, &L->xd, L->x, &L->wd, key, &L->yd, L->acc_z, L->ztable);
    else
        odl_fully_connected_z_acc(&L->p, L->batches, L->in_depth, L->x, L->out_depth, key, L->acc_z, L->ztable);
}

/* Loss with the first trained layer at acc(theta) + scale acc(z_k) and its
 * bias at bias + bias_scale z_b (key bias_key). */
static odl_status_t lin_loss(odl_ctx_t *ctx, const lin_t *L, int32_t scale, uint32_t bias_key, int32_t bias_scale,
                             int32_t label, int32_t *loss, int32_t *predicted) {
    odl_fully_connected_s8w16_out(&L->p, L->mult, L->shift, L->per_channel, L->batches, L->out_depth, L->acc,
                                  L->acc_z, scale, L->bias, bias_key, bias_scale, L->y);
    const uint32_t next = config_of(ctx)->first_op + 1u, end = ctx->model->train->forward_ops;
    const odl_status_t s = next < end ? odl_invoke_range(ctx, next, end) : ODL_OK;
    return s != ODL_OK ? s : odl_loss_q16_of(ctx, L->logits, L->q, label, loss, predicted);
}

odl_status_t odl_fg_init(odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model->train;
    const odl_fg_config_t *c = config_of(ctx);
    if (!c || c->directions == 0 || c->directions > ODL_FG_MAX_DIRECTIONS || c->n_tensors == 0 || !c->tensors)
        return ODL_ERR_TRAIN;
    if (tc->state_size < ODL_FG_STATE_BYTES(c->directions) || (tc->state_offset & 3u)) return ODL_ERR_TRAIN;
    if (c->first_op >= tc->forward_ops || tc->forward_ops > ctx->model->n_ops) return ODL_ERR_TRAIN;
    if (c->linear) {
        lin_t L;
        if (!lin_of(ctx, c, &L) || tc->state_size < ODL_FG_STATE_BYTES_LIN(c->directions, L.n)) return ODL_ERR_TRAIN;
    }
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
    if (c->activity) {
        const odl_status_t s = odl_fg_act_init(ctx);
        if (s != ODL_OK) return s;
    }
    odl_fg_state_t *st = (odl_fg_state_t *)ctx->train_state;
    memset(st, 0, ODL_FG_STATE_BYTES(c->directions));
    return ODL_OK;
}

/* Largest |r_k| of a tensor: keeps eps - r_k an int16 lane for weights. */
static int32_t step_limit(const odl_fg_tensor_t *ft) {
    return ft->kind == ODL_FG_WEIGHT_I16 ? 32767 - ft->eps : INT32_MAX - ft->eps;
}

int32_t odl_fg_direction_step(const odl_fg_tensor_t *ft, int32_t diff, uint32_t extra_shift) {
    const int32_t lim = step_limit(ft);
    /* |diff * lr_mult| < 2^47: a total shift past 62 rounds to 0 (and would
     * overflow the int64 shift) */
    const int32_t sh = ft->lr_shift + (int32_t)extra_shift;
    const int32_t r = sh > 62 ? 0 : odl_sgd_delta(diff, ft->lr_mult, sh);
    return r > lim ? lim : (r < -lim ? -lim : r);
}

/* int32 values (biases): odl_perturb_i32 (the caller keeps the sums in
 * range: guard band, |r| <= INT32_MAX - eps) */
static int32_t pass_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    return odl_perturb_i32(v, n, key_a, a, clamp, lo, hi, key_b, b);
}

/* Updates of the linear layer's weight not yet written (see the top); a
 * full list is written out and the next one starts (same values). */
#define PENDING_MAX 8
typedef struct {
    uint32_t keys[PENDING_MAX];
    int32_t a[PENDING_MAX];
    int32_t count;
    int32_t mn, mx; /* bounds of the values with the pending updates applied */
} pending_t;

static void pending_flush(odl_ctx_t *ctx, const odl_fg_tensor_t *ft, pending_t *pd) {
    if (!pd->count) return;
    int16_t *w = (int16_t *)odl_tensor_ptr(ctx, ft->tensor);
    odl_perturb_sum_w16(w, odl_tensor_numel(odl_tensor_info(ctx, ft->tensor)), pd->keys, pd->a, pd->count);
    pd->count = 0;
}

static void pending_range(odl_ctx_t *ctx, const odl_fg_tensor_t *ft, pending_t *pd) {
    odl_range_w16((const int16_t *)odl_tensor_ptr(ctx, ft->tensor),
                  odl_tensor_numel(odl_tensor_info(ctx, ft->tensor)), &pd->mn, &pd->mx);
}

static int32_t pass(odl_ctx_t *ctx, const odl_fg_tensor_t *ft, uint32_t key_a, int32_t a, int32_t clamp,
                    uint32_t key_b, int32_t b) {
    void *data = odl_tensor_ptr(ctx, ft->tensor);
    const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
    if (ft->kind == ODL_FG_WEIGHT_I16)
        return odl_perturb_w16((int16_t *)data, n, key_a, a, clamp, ft->lo, ft->hi, key_b, b);
    return pass_i32((int32_t *)data, n, key_a, a, clamp, ft->lo, ft->hi, key_b, b);
}

/* The linear layer's update of direction k, theta -= r z (key): deferred
 * when no element can leave [lo, hi], else flush + clamped pass. */
static int32_t pending_update(odl_ctx_t *ctx, const odl_fg_tensor_t *ft, pending_t *pd, uint32_t key, int32_t r) {
    const int32_t ar = r < 0 ? -r : r; /* <= 32767 */
    if (pd->mn - ar >= ft->lo && pd->mx + ar <= ft->hi) {
        if (pd->count == PENDING_MAX) pending_flush(ctx, ft, pd);
        pd->keys[pd->count] = key;
        pd->a[pd->count++] = -r;
        pd->mn -= ar;
        pd->mx += ar;
        return 0;
    }
    pending_flush(ctx, ft, pd);
    const int32_t cl = pass(ctx, ft, key, -r, 1, 0u, 0);
    pending_range(ctx, ft, pd);
    return cl;
}

/* Momentum (slow path, one extra pass per direction): the velocity collects
 * r_k z_k; at the start of a step theta -= round(beta v) and v = round(beta v). */
static int32_t momentum_decay(odl_ctx_t *ctx, const odl_fg_config_t *c, const odl_fg_tensor_t *ft) {
    void *data = odl_tensor_ptr(ctx, ft->tensor);
    const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
    int32_t *vel = (int32_t *)(ctx->arena + ft->momentum_offset);
    int32_t clipped = 0;
    for (int32_t e = 0; e < n; ++e) {
        const int32_t v = (int32_t)odl_round_shift_i64((int64_t)vel[e] * c->momentum_q15, 15);
        vel[e] = v;
        const int32_t old = get_value(data, ft->kind, e);
        const int32_t nv = odl_apply_step(old, v, ft->lo, ft->hi);
        clipped |= (int64_t)nv != (int64_t)old - v;
        set_value(data, ft->kind, e, nv);
    }
    return clipped;
}

static void momentum_add(odl_ctx_t *ctx, const odl_fg_tensor_t *ft, uint32_t key, int32_t r) {
    const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, ft->tensor));
    int32_t *vel = (int32_t *)(ctx->arena + ft->momentum_offset);
    for (int32_t e = 0; e < n; ++e) {
        const int64_t v = (int64_t)vel[e] + (int64_t)odl_prng_sign(key, (uint32_t)e) * r;
        vel[e] = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
    }
}

static int in_dir(const odl_fg_config_t *c, const odl_fg_tensor_t *ft, uint32_t k) {
    return c->groups <= 1 || k % c->groups == ft->group;
}

static int has_momentum(const odl_fg_config_t *c, const odl_fg_tensor_t *ft) {
    return c->momentum_q15 && ft->momentum_offset != ODL_FG_NO_MOMENTUM;
}

static odl_status_t loss_of(odl_ctx_t *ctx, uint32_t first, int32_t label, int32_t *loss, int32_t *predicted) {
    odl_status_t s = odl_invoke_range(ctx, first, ctx->model->train->forward_ops);
    if (s != ODL_OK) return s;
    return odl_loss_q16(ctx, label, loss, predicted);
}

odl_status_t odl_fg_apply(odl_ctx_t *ctx, uint32_t step, const int32_t *diff, uint32_t n_diff, uint32_t *flags) {
    if (!ctx || !ctx->model || !ctx->model->train || !diff || !flags) return ODL_ERR_ARG;
    const odl_fg_config_t *c = config_of(ctx);
    if (!c || n_diff != c->directions) return ODL_ERR_ARG;
    if (c->activity) return ODL_ERR_TRAIN; /* its update needs the layers' inputs, not only scalars */
    int32_t clipped = 0;
    for (uint32_t i = 0; i < c->n_tensors; ++i)
        if (has_momentum(c, &c->tensors[i])) clipped |= momentum_decay(ctx, c, &c->tensors[i]);
    for (uint32_t k = 0; k < n_diff; ++k) {
        for (uint32_t i = 0; i < c->n_tensors; ++i) {
            const odl_fg_tensor_t *ft = &c->tensors[i];
            const int32_t r = in_dir(c, ft, k) ? odl_fg_direction_step(ft, diff[k], ctx->lr_shift) : 0;
            if (r == 0) continue;
            const uint32_t key = odl_prng_key(c->seed, step, k, i);
            clipped |= pass(ctx, ft, key, -r, 1, 0u, 0);
            if (has_momentum(c, ft)) momentum_add(ctx, ft, key, r);
        }
    }
    *flags = clipped ? ODL_STEP_CLIPPED : 0u;
    return ODL_OK;
}

int odl_fg_report_loss(odl_ctx_t *ctx, odl_train_stats_t *stats, int32_t loss, int32_t predicted, int32_t label) {
    stats->loss_q16 = loss;
    stats->predicted = predicted;
    stats->correct = predicted == label;
    if (!odl_train_guard(ctx, loss)) return 0;
    stats->flags |= ODL_STEP_SKIPPED;
    return 1;
}

odl_status_t odl_fg_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_fg_config_t *c = config_of(ctx);
    if (c->activity) return odl_fg_act_step(ctx, label, stats);
    odl_fg_state_t *st = (odl_fg_state_t *)ctx->train_state;
    lin_t L;
    const int lin = lin_of(ctx, c, &L);
    int32_t loss0, pred;
    odl_status_t s;
    if (lin) { /* the loss at theta through the accumulator path: the same bytes as the layer */
        s = odl_invoke_range(ctx, 0, c->first_op);
        if (s != ODL_OK) return s;
        /* the conv's input is fixed from here on: its columns serve every sum of the step */
        if (L.conv && L.ztable) odl_conv2d_z_cols(&L.cp, &L.xd, L.x, &L.wd, &L.yd, L.ztable);
        lin_acc(&L);
        s = lin_loss(ctx, &L, 0, 0u, 0, label, &loss0, &pred);
    } else {
        s = loss_of(ctx, 0, label, &loss0, &pred);
    }
    if (s != ODL_OK) return s;
    if (odl_fg_report_loss(ctx, stats, loss0, pred, label)) return ODL_OK;
    const uint32_t step = st->step, m = c->directions;
    /* the linear layer's weight and bias are never perturbed in memory */
    const uint32_t skip = lin ? L.slot : 0xFFFFFFFFu, skip_b = lin ? L.bias_slot : 0xFFFFFFFFu;
    if (lin && L.ztable && !L.conv) odl_fully_connected_z_table(&L.p, L.in_depth, L.x, L.ztable);
    int32_t clipped = 0;
    for (uint32_t i = 0; i < c->n_tensors; ++i) {
        const odl_fg_tensor_t *ft = &c->tensors[i];
        if (has_momentum(c, ft)) clipped |= momentum_decay(ctx, c, ft);
        if (i != skip && i != skip_b && in_dir(c, ft, 0))
            pass(ctx, ft, 0u, 0, 0, odl_prng_key(c->seed, step, 0, i), ft->eps);
    }
    pending_t pd; /* the linear layer's weight */
    pd.count = 0;
    if (lin) {
        if (has_momentum(c, &c->tensors[skip])) /* the decay moved the weights */
            lin_acc(&L);
        pending_range(ctx, &c->tensors[skip], &pd);
    }
    for (uint32_t k = 0; k < m; ++k) {
        int32_t lp, lm = 0, unused;
        int32_t side = 1; /* theta + side * eps z_k is applied now */
        const int lin_k = lin && in_dir(c, &c->tensors[skip], k);
        const int32_t lin_eps = lin_k ? c->tensors[skip].eps : 0;
        const int lin_bk = lin && skip_b != 0xFFFFFFFFu && in_dir(c, &c->tensors[skip_b], k);
        const int32_t bias_eps = lin_bk ? c->tensors[skip_b].eps : 0;
        const uint32_t bias_key = lin_bk ? odl_prng_key(c->seed, step, k, skip_b) : 0u;
        const uint32_t lin_key = lin_k ? odl_prng_key(c->seed, step, k, skip) : 0u;
        if (lin_k) lin_z_acc(&L, lin_key);
        s = lin ? lin_loss(ctx, &L, lin_eps, bias_key, bias_eps, label, &lp, &unused)
                : loss_of(ctx, c->first_op, label, &lp, &unused);
        if (s == ODL_OK) {
            for (uint32_t i = 0; i < c->n_tensors; ++i)
                if (i != skip && i != skip_b && in_dir(c, &c->tensors[i], k))
                    pass(ctx, &c->tensors[i], 0u, 0, 0, odl_prng_key(c->seed, step, k, i), -2 * c->tensors[i].eps);
            side = -1;
            s = lin ? lin_loss(ctx, &L, -lin_eps, bias_key, -bias_eps, label, &lm, &unused)
                    : loss_of(ctx, c->first_op, label, &lm, &unused);
        }
        int32_t d = lp - lm;
        if (c->sign) d = d > 0 ? 65536 : (d < 0 ? -65536 : 0);
        st->diff[k] = s == ODL_OK ? d : 0;
        /* restore, apply r_k, perturb along direction k+1: one pass (on an
         * error only the restore); the linear layer only takes r_k */
        const int next = s == ODL_OK && k + 1 < m;
        for (uint32_t i = 0; i < c->n_tensors; ++i) {
            const odl_fg_tensor_t *ft = &c->tensors[i];
            const int now = in_dir(c, ft, k), then = next && in_dir(c, ft, k + 1);
            if (!now && !then) continue;
            const int32_t r = now && s == ODL_OK ? odl_fg_direction_step(ft, d, ctx->lr_shift) : 0;
            const uint32_t key = i == skip ? lin_key : (i == skip_b ? bias_key : odl_prng_key(c->seed, step, k, i));
            if (i == skip) {
                if (r == 0) continue;
                const int32_t cl = pending_update(ctx, ft, &pd, key, r);
                clipped |= cl;
                /* acc(theta - r z) = acc(theta) - r acc(z), unless the band clipped */
                if (cl)
                    lin_acc(&L);
                else
                    odl_fully_connected_acc_axpy(L.n, L.acc, -r, L.acc_z);
            } else if (i == skip_b) {
                /* read by every later perturbed pass: updated in memory now */
                if (r != 0)
                    clipped |= pass_i32((int32_t *)(uintptr_t)L.bias, L.out_depth, key, -r, 1, ft->lo, ft->hi, 0u, 0);
            } else {
                clipped |= pass(ctx, ft, key, now ? -side * ft->eps - r : 0, r != 0,
                                then ? odl_prng_key(c->seed, step, k + 1, i) : 0u, then ? ft->eps : 0);
            }
            if (r != 0 && has_momentum(c, ft)) momentum_add(ctx, ft, key, r);
        }
        if (s != ODL_OK) break;
    }
    if (lin) pending_flush(ctx, &c->tensors[skip], &pd);
    if (s != ODL_OK) return s;
    if (clipped) stats->flags |= ODL_STEP_CLIPPED;
    st->step++;
    return ODL_OK;
}

const odl_train_hooks_t odl_fg_hooks = {odl_fg_init, odl_fg_step, 0, 0};
