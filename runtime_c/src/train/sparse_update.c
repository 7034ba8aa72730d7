/* Sparse update step: int8 forward, softmax-CE error at the logits, then one
 * backward step per op down to the deepest updated layer. At each step the
 * incoming error is masked by the op's activation, propagated to the input
 * (with the weights as they were in the forward pass), and only then the
 * layer's chosen channels and bias are updated, one channel row at a time. */
#include <string.h>

#include "odl/prng.h"
#include "odl/ops.h"
#include "odl/sparse_update.h"

/* The backward helpers keep their own frames: inlined into odl_sparse_step
 * they would sit under the whole forward pass and deepen its stack. */
#if defined(__GNUC__)
#define SP_NOINLINE __attribute__((noinline))
#else
#define SP_NOINLINE
#endif

/* lrw (mult, shift) is lr * 128 * s_x / s_w: the update in 1/128 LSB per
 * unit of raw gradient. d = c * g / 2^16 is in 1/256 LSB, so the row factor
 * takes 2^(16 + 1 - 7) = 2^10 for g = 128 * (x + z) (batch-1 FC) and
 * 2^(16 + 1 + sg) for g = grad / 2^sg. */
#define ODL_SP_X128_FRAC 10
#define ODL_SP_ROW_FRAC 17

static const odl_sp_config_t *config_of(const odl_ctx_t *ctx) {
    return (const odl_sp_config_t *)ctx->model->train->method_config;
}

static int32_t sat32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v); }

int32_t odl_sp_scale(int64_t raw, int32_t exp, int32_t mult, int32_t shift) {
    int32_t m = 0;
    const int64_t mag = raw < 0 ? -raw : raw;
    while ((mag >> m) >= ((int64_t)1 << 31)) m++;
    const int64_t v = odl_bw_round_shift(raw, m);
    return sat32(odl_bw_round_shift(v * mult, 31 - shift - exp - m));
}

void odl_sp_sum_errors(int32_t n, const int32_t *pending, int32_t pending_exp, int32_t *e, int32_t *exp) {
    const int32_t top = pending_exp > *exp ? pending_exp : *exp;
    const int32_t sp = top - pending_exp, se = top - *exp;
    for (int32_t i = 0; i < n; ++i)
        e[i] = sat32(odl_bw_round_shift(pending[i], sp) + odl_bw_round_shift(e[i], se));
    *exp = top;
    odl_bw_normalize(e, n, exp);
}

static int32_t *err_at(odl_ctx_t *ctx, int32_t offset) { return (int32_t *)(void *)(ctx->arena + offset); }

static odl_status_t check_layer(const odl_ctx_t *ctx, const odl_sp_layer_t *ly) {
    if (ly->weight != ODL_SP_NONE) {
        const odl_tensor_t *t = odl_tensor_info(ctx, ly->weight);
        if (!t || t->dtype != ODL_DT_INT8 || !(t->flags & ODL_T_ARENA)) return ODL_ERR_TRAIN;
        if (ly->row <= 0 || ly->row_offset < 0 || ly->rounding > ODL_SP_STOCHASTIC || !ly->channels) return ODL_ERR_TRAIN;
        if (ly->row_bytes < 2 * ly->row || (ly->row_offset & 7) ||
            (uint64_t)ly->row_offset + (uint64_t)ly->row_bytes > ctx->arena_size)
            return ODL_ERR_TRAIN;
        const int32_t n_out = odl_tensor_numel(t) / ly->row;
        for (uint32_t k = 0; k < ly->n_channels; ++k)
            if (ly->channels[k] >= n_out) return ODL_ERR_TRAIN;
        if (ly->rounding == ODL_SP_MASTER &&
            (ly->residual_offset < 0 ||
             (uint64_t)ly->residual_offset + (uint64_t)ly->n_channels * (uint64_t)ly->row > ctx->arena_size))
            return ODL_ERR_TRAIN;
    }
    if (ly->bias != ODL_SP_NONE) {
        const odl_tensor_t *t = odl_tensor_info(ctx, ly->bias);
        if (!t || t->dtype != ODL_DT_INT32 || !(t->flags & ODL_T_ARENA)) return ODL_ERR_TRAIN;
    }
    return ODL_OK;
}

odl_status_t odl_sparse_init(odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model->train;
    const odl_sp_config_t *c = config_of(ctx);
    if (!c || !c->steps || c->n_steps == 0 || (c->n_layers && !c->layers)) return ODL_ERR_TRAIN;
    if (tc->loss != ODL_LOSS_SOFTMAX_CE || tc->forward_ops > ctx->model->n_ops) return ODL_ERR_TRAIN;
    for (uint32_t i = 0; i < c->n_steps; ++i) {
        const odl_sp_step_t *s = &c->steps[i];
        if (s->op >= tc->forward_ops || s->err_out < 0 || (s->err_out & 3)) return ODL_ERR_TRAIN;
        if (s->kind == ODL_SP_CONV_POOL &&
            (s->arg >= tc->forward_ops || ctx->model->ops[s->arg].code != ODL_OP_MAX_POOL_2D ||
             s->err_in != ODL_SP_NONE || s->layer == ODL_SP_NONE))
            return ODL_ERR_TRAIN;
        if (s->layer != ODL_SP_NONE && s->layer >= (int32_t)c->n_layers) return ODL_ERR_TRAIN;
        if ((s->err_side != ODL_SP_NONE && (s->err_side < 0 || (s->err_side & 3) || s->kind != ODL_SP_ADD)) ||
            (s->err_acc != ODL_SP_NONE && (s->err_acc < 0 || (s->err_acc & 3))))
            return ODL_ERR_TRAIN;
    }
    for (uint32_t i = 0; i < c->n_layers; ++i) {
        const odl_sp_layer_t *ly = &c->layers[i];
        odl_status_t s = check_layer(ctx, ly);
        if (s != ODL_OK) return s;
        if (ly->weight != ODL_SP_NONE && ly->rounding == ODL_SP_MASTER)
            memset(ctx->arena + ly->residual_offset, 128, (size_t)ly->n_channels * (size_t)ly->row);
    }
    return ODL_OK;
}

int32_t odl_sp_row_factor(int64_t raw, int32_t exp, int32_t mult, int32_t shift, int32_t frac) {
    const int64_t v = odl_bw_round_shift(raw * mult, 31 - shift - exp - frac);
    return v > 32767 ? 32767 : (v < -32767 ? -32767 : (int32_t)v);
}

/* One channel's weights: w -= lr * dL/dW_real / s_w in 1/256 LSB units,
 * d = (c * g + 2^15) >> 16 with the int16 row g and the row factor c. */
static void apply_row(odl_ctx_t *ctx, const odl_sp_layer_t *ly, uint32_t slot, uint32_t ch_index, int8_t *w,
                      const int16_t *g, int32_t c, uint32_t step) {
    const int32_t ch = ly->channels[ch_index];
    int8_t *wr = w + (int64_t)ch * ly->row;
    if (ly->rounding == ODL_SP_MASTER)
        odl_update_master_s8(ly->row, wr, ctx->arena + ly->residual_offset + (int64_t)ch_index * ly->row, g, c);
    else if (ly->rounding == ODL_SP_ROUND)
        odl_update_round_s8(ly->row, wr, g, c);
    else
        odl_update_stochastic_s8(ly->row, wr, g, c, odl_prng_key(config_of(ctx)->seed, step, 1u + slot, (uint32_t)ch));
}

/* CONV_POOL: e is the max-pool's output error (op s->arg); y, the conv
 * output, routes it and carries the conv's mask. Its own frame, off the
 * path of the other layer kinds. */
static SP_NOINLINE odl_status_t pooled_bw_weight(odl_ctx_t *ctx, const odl_sp_step_t *s, const odl_op_t *op,
                                                 const odl_conv_params_t *p, const odl_dims4_t *xd, const int8_t *x,
                                                 const odl_dims4_t *wd, const odl_dims4_t *yd, const int32_t *e,
                                                 int32_t ch, int64_t *grad, int64_t *gb) {
    const odl_op_t *pool = &ctx->model->ops[s->arg];
    const int32_t *r = pool->params;
    odl_dims4_t pd;
    if (pool->n_params < 8 || !odl_dims4_of(odl_tensor_info(ctx, pool->outputs[0]), &pd)) return ODL_ERR_SHAPE;
    const odl_pool_params_t pq = {r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]};
    const odl_bw_pool_mask_t pm = {&pq, s->has_mask, s->act_min, s->act_max};
    const int8_t *y = (const int8_t *)odl_tensor_ptr(ctx, op->outputs[0]);
    return odl_conv2d_s8_bw_weight_pooled(p, xd, x, wd, yd, y, &pm, &pd, e, ch, grad, gb);
}

/* Updates of a layer's chosen channels and bias. A batch-1 fully connected
 * layer needs no gradient row: its row is e[o] * (x + z), so the int16 row
 * is the input (times 128) for every channel and e[o] goes into the row
 * factor. Other layers take each channel's raw int64 gradient row from the
 * bw_weight kernel and scale it into int16 first. */
static SP_NOINLINE odl_status_t update_layer(odl_ctx_t *ctx, const odl_sp_step_t *s, const odl_op_t *op, const int32_t *e,
                                 int32_t exp, uint32_t step) {
    const odl_sp_config_t *c = config_of(ctx);
    const odl_sp_layer_t *ly = &c->layers[s->layer];
    const odl_tensor_t *tx = odl_tensor_info(ctx, op->inputs[0]), *ty = odl_tensor_info(ctx, op->outputs[0]);
    const odl_tensor_t *tw = odl_tensor_info(ctx, op->inputs[1]);
    const int8_t *x = (const int8_t *)odl_tensor_ptr(ctx, op->inputs[0]);
    const int32_t *q = op->params;
    odl_conv_params_t p;
    memset(&p, 0, sizeof(p));
    odl_dims4_t xd, wd, yd;
    int32_t n_out = 0, in_depth = 0, batches = 0;
    if (s->kind == ODL_SP_FC) {
        n_out = tw->dims[0];
        in_depth = tw->dims[1];
        batches = odl_tensor_numel(tx) / in_depth;
    } else {
        if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(tw, &wd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
        p = (odl_conv_params_t){q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9],
                                s->kind == ODL_SP_DW ? q[10] : 1};
        n_out = yd.c;
    }
    const int outer = s->kind == ODL_SP_FC && batches == 1;
    int32_t *bias = ly->bias != ODL_SP_NONE ? (int32_t *)odl_tensor_ptr(ctx, ly->bias) : 0;
    int8_t *w = ly->weight != ODL_SP_NONE ? (int8_t *)odl_tensor_ptr(ctx, ly->weight) : 0;
    int64_t *grad = 0;
    int16_t *g = 0;
    if (w) {
        if (ly->row_bytes < (outer ? 2 : 10) * ly->row) return ODL_ERR_TRAIN;
        grad = outer ? 0 : (int64_t *)(void *)(ctx->arena + ly->row_offset);
        g = (int16_t *)(void *)(ctx->arena + ly->row_offset + (outer ? 0 : 8 * ly->row));
        if (outer) odl_bw_input_x128_s8(in_depth, x, q[0], g);
    }
    uint32_t next = 0; /* position in the sorted channel list */
    for (int32_t ch = 0; ch < n_out; ++ch) {
        const int train_w = w && next < ly->n_channels && ly->channels[next] == ch;
        int64_t gb = 0;
        odl_status_t st = ODL_OK;
        int64_t *gr = train_w ? grad : 0;
        if (outer)
            gb = e[ch];
        else if (s->kind == ODL_SP_FC)
            st = odl_fully_connected_s8_bw_weight(batches, in_depth, n_out, x, q[0], e, ch, gr, &gb);
        else if (s->kind == ODL_SP_CONV)
            st = odl_conv2d_s8_bw_weight(&p, &xd, x, &wd, &yd, e, ch, gr, &gb);
        else if (s->kind == ODL_SP_CONV_POOL)
            st = pooled_bw_weight(ctx, s, op, &p, &xd, x, &wd, &yd, e, ch, gr, &gb);
        else
            st = odl_depthwise_conv2d_s8_bw_weight(&p, &xd, x, &wd, &yd, e, ch, gr, &gb);
        if (st != ODL_OK) return st;
        if (train_w) {
            int32_t f;
            if (outer) {
                f = odl_sp_row_factor(gb, exp, ly->lrw_mult[ch], ly->lrw_shift[ch] - (int32_t)ctx->lr_shift, ODL_SP_X128_FRAC);
            } else {
                const int32_t sg = odl_bw_row_to_s16(ly->row, grad, g);
                f = odl_sp_row_factor(1, exp, ly->lrw_mult[ch], ly->lrw_shift[ch] - (int32_t)ctx->lr_shift, ODL_SP_ROW_FRAC + sg);
            }
            if (f != 0) apply_row(ctx, ly, (uint32_t)s->layer, next, w, g, f, step);
            next++;
        }
        if (bias) bias[ch] = sat32((int64_t)bias[ch] - odl_sp_scale(gb, exp, ly->lrb_mult[ch], ly->lrb_shift[ch] - (int32_t)ctx->lr_shift));
    }
    return ODL_OK;
}

static SP_NOINLINE odl_status_t backward_input(odl_ctx_t *ctx, const odl_sp_step_t *s, const odl_op_t *op, const int32_t *e,
                                   int32_t exp, int32_t *e_in, int32_t *exp_in) {
    const odl_tensor_t *tx = odl_tensor_info(ctx, op->inputs[0]), *ty = odl_tensor_info(ctx, op->outputs[0]);
    const int32_t *q = op->params;
    odl_dims4_t xd, yd, wd;
    if (s->kind == ODL_SP_FC) {
        const odl_tensor_t *tw = odl_tensor_info(ctx, op->inputs[1]);
        const int32_t in_depth = tw->dims[1];
        return odl_fully_connected_s8_bw_input(odl_tensor_numel(tx) / in_depth, in_depth, tw->dims[0],
                                               (const int8_t *)odl_tensor_ptr(ctx, op->inputs[1]), s->w_mult,
                                               s->w_shift, s->n_wscale > 1, e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_CONV || s->kind == ODL_SP_DW) {
        const odl_tensor_t *tw = odl_tensor_info(ctx, op->inputs[1]);
        if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(tw, &wd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
        const odl_conv_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9],
                                     s->kind == ODL_SP_DW ? q[10] : 1};
        const int8_t *w = (const int8_t *)odl_tensor_ptr(ctx, op->inputs[1]);
        if (s->kind == ODL_SP_CONV)
            return odl_conv2d_s8_bw_input(&p, &xd, &wd, w, s->w_mult, s->w_shift, &yd, e, exp, e_in, exp_in);
        return odl_depthwise_conv2d_s8_bw_input(&p, &xd, &wd, w, s->w_mult, s->w_shift, &yd, e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_AVGPOOL) {
        if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
        const odl_pool_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
        return odl_average_pool2d_s8_bw_input(&p, &xd, &yd, e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_MAXPOOL) {
        if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
        const odl_pool_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
        return odl_max_pool2d_s8_bw_input(&p, &xd, (const int8_t *)odl_tensor_ptr(ctx, op->inputs[0]), &yd, e, exp,
                                          e_in, exp_in);
    }
    if (s->kind == ODL_SP_MOVE) {
        if (!s->map || s->arg >= op->n_inputs) return ODL_ERR_TRAIN;
        return odl_move_s8_bw_input(odl_tensor_numel(ty), odl_tensor_numel(odl_tensor_info(ctx, op->inputs[s->arg])),
                                    s->map, e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_TABLE) {
        if (!s->table) return ODL_ERR_TRAIN;
        return odl_table_s8_bw_input(odl_tensor_numel(ty), (const int8_t *)odl_tensor_ptr(ctx, op->inputs[0]),
                                     s->table, s->frac, e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_MUL) {
        if (!s->map || s->arg > 1 || s->n_wscale != 1) return ODL_ERR_TRAIN;
        return odl_mul_s8_bw_input(odl_tensor_numel(ty), (const int8_t *)odl_tensor_ptr(ctx, op->inputs[1 - s->arg]),
                                   s->map, s->frac, s->w_mult[0], s->w_shift[0], e, exp, e_in, exp_in);
    }
    if (s->kind == ODL_SP_MEAN) return odl_mean_s8_bw_input(q[0], q[1], q[2], e, exp, e_in, exp_in);
    if (s->kind == ODL_SP_RESHAPE || s->kind == ODL_SP_ACT || s->kind == ODL_SP_ADD) {
        *exp_in = exp;
        return odl_reshape_s8_bw_input(odl_tensor_numel(ty), e, e_in);
    }
    return ODL_ERR_UNSUPPORTED;
}

/* Residual forks: the ADD parks its copy of the error for the fork input
 * (with its exponent after the mantissas); the step that brings the other
 * branch's error to the fork sums the parked one in. */
static SP_NOINLINE void fork_errors(odl_ctx_t *ctx, const odl_sp_step_t *st, const odl_op_t *op, const int32_t *e,
                                    int32_t n, int32_t exp, int32_t *exp_in) {
    if (st->err_side != ODL_SP_NONE) {
        int32_t *pend = err_at(ctx, st->err_side);
        memcpy(pend, e, (size_t)n * sizeof(int32_t));
        pend[n] = exp;
    }
    if (st->err_acc != ODL_SP_NONE && st->err_in != ODL_SP_NONE) {
        const int32_t nx = odl_tensor_numel(odl_tensor_info(ctx, op->inputs[0]));
        const int32_t *pend = err_at(ctx, st->err_acc);
        odl_sp_sum_errors(nx, pend, pend[nx], err_at(ctx, st->err_in), exp_in);
    }
}

odl_status_t odl_sparse_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_train_config_t *tc = ctx->model->train;
    const odl_sp_config_t *c = config_of(ctx);
    odl_status_t s = odl_invoke_range(ctx, 0, tc->forward_ops);
    if (s != ODL_OK) return s;
    s = odl_loss_q16(ctx, label, &stats->loss_q16, &stats->predicted);
    if (s != ODL_OK) return s;
    stats->correct = stats->predicted == label;
    if (odl_train_guard(ctx, stats->loss_q16)) {
        stats->flags |= ODL_STEP_SKIPPED;
        return ODL_OK;
    }
    const odl_tensor_t *tl = odl_tensor_info(ctx, tc->logits);
    int32_t exp = 0;
    s = odl_softmax_ce_s8_bw_input((const int8_t *)odl_tensor_ptr(ctx, tc->logits), odl_tensor_numel(tl),
                                   tc->logit_scale_q16, label, err_at(ctx, c->steps[0].err_out), &exp);
    if (s != ODL_OK) return s;
    const uint32_t step = ctx->stats.train_steps;
    for (uint32_t i = 0; i < c->n_steps; ++i) {
        const odl_sp_step_t *st = &c->steps[i];
        const odl_op_t *op = &ctx->model->ops[st->op];
        int32_t *e = err_at(ctx, st->err_out);
        const int32_t n = odl_tensor_numel(odl_tensor_info(ctx, op->outputs[0]));
        const int8_t *y = (const int8_t *)odl_tensor_ptr(ctx, op->outputs[0]);
        if (st->kind == ODL_SP_CONV_POOL) {
            /* the kernel masks at the routed elements */
        } else if (st->has_mask == ODL_SP_MASK_SAT) {
            s = odl_sat_s8_bw_input(n, y, e, e);
            if (s != ODL_OK) return s;
        } else if (st->has_mask) {
            s = odl_act_s8_bw_input(n, y, st->act_min, st->act_max, e, e);
            if (s != ODL_OK) return s;
        }
        int32_t exp_in = exp;
        if (st->err_in != ODL_SP_NONE) {
            s = backward_input(ctx, st, op, e, exp, err_at(ctx, st->err_in), &exp_in);
            if (s != ODL_OK) return s;
        }
        if (st->err_side != ODL_SP_NONE || st->err_acc != ODL_SP_NONE) fork_errors(ctx, st, op, e, n, exp, &exp_in);
        if (st->layer != ODL_SP_NONE) {
            s = update_layer(ctx, st, op, e, exp, step);
            if (s != ODL_OK) return s;
        }
        exp = exp_in;
    }
    return ODL_OK;
}

const odl_train_hooks_t odl_sparse_hooks = {odl_sparse_init, odl_sparse_step, 0, 0};
