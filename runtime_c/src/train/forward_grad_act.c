/* Forward gradient by activity perturbation (odl/forward_grad.h,
 * config->activity). Per step, for a trained set [A,] B of fully connected
 * layers (B's output = the logits, A's output = B's input):
 *   L0 = loss at theta (int8 logits: reported, guarded)
 *   v  = B's fine logits (Q16.16 from its accumulators)
 *   B, output j:  d_j = CE(v + e u_j) - CE(v - e u_j)
 *   A, output j:  its unclamped output z_j; y+- = clamp(z_j +- eps);
 *                 d_j = CE(v after y_j -> y+) - CE(v after y_j -> y-)
 *                 (B's accumulators move by (y' - y_j) (w_B[., j] + offset))
 *   then, for every row j of each layer with d_j != 0:
 *                 w[j, i] -= round(d_j (x_i + input_offset) w_mult[j] / 2^shift)
 *                 b[j]    -= round(d_j b_mult[j] / 2^shift)     (band [lo, hi])
 * Both estimates are taken at theta before either layer moves. A unit whose
 * pre-activation lies beyond its clamp by more than eps gets d = 0 (no pass):
 * the clamp blocks its gradient, as backprop's mask would. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/forward_grad.h"
#include "odl/kernels_s8w16.h"
#include "odl/ops.h"
#include "odl/optim.h"

typedef struct {
    const odl_fg_act_layer_t *cfg;
    odl_fc_params_t p;
    int32_t per_channel, in_depth, out_depth;
    const int8_t *x;
    int16_t *w;
    int32_t *bias; /* the layer's bias (trained or not), or 0 */
    const int32_t *mult, *shift;
} act_layer_t;

static const odl_fg_config_t *config_of(const odl_ctx_t *ctx) {
    return (const odl_fg_config_t *)ctx->model->train->method_config;
}

static int layer_of(odl_ctx_t *ctx, const odl_fg_config_t *c, const odl_fg_act_layer_t *a, act_layer_t *L) {
    if (a->op >= ctx->model->train->forward_ops || a->w_slot >= c->n_tensors) return 0;
    const odl_op_t *op = &ctx->model->ops[a->op];
    if (op->code != ODL_OP_FULLY_CONNECTED || op->n_params != 6 || op->n_inputs != 5) return 0;
    const odl_fg_tensor_t *fw = &c->tensors[a->w_slot];
    if (fw->kind != ODL_FG_WEIGHT_I16 || op->inputs[1] != fw->tensor) return 0;
    if (a->b_slot != ODL_FG_ACT_NO_BIAS) {
        if (a->b_slot >= c->n_tensors || c->tensors[a->b_slot].kind != ODL_FG_BIAS_I32 ||
            op->inputs[2] != c->tensors[a->b_slot].tensor || !a->b_mult)
            return 0;
    }
    const odl_tensor_t *tw = odl_op_in_info(ctx, op, 1), *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tw || !tx || !ty || tw->rank != 2 || tw->dims[0] <= 0 || tw->dims[1] <= 0) return 0;
    const int32_t *q = op->params;
    L->cfg = a;
    L->p = (odl_fc_params_t){q[0], q[1], q[2], q[3], q[4]};
    L->per_channel = q[5] != 0;
    L->out_depth = tw->dims[0];
    L->in_depth = tw->dims[1];
    /* batch 1: one row of outputs per step */
    if (odl_tensor_numel(tx) != L->in_depth || odl_tensor_numel(ty) != L->out_depth) return 0;
    if (!a->w_mult || a->eps <= 0 || a->w_shift < 0 || a->w_shift > 62 || a->b_shift < 0 || a->b_shift > 62) return 0;
    L->x = (const int8_t *)odl_op_in(ctx, op, 0);
    L->w = (int16_t *)odl_op_in(ctx, op, 1);
    L->bias = op->inputs[2] >= 0 ? (int32_t *)odl_op_in(ctx, op, 2) : 0;
    L->mult = (const int32_t *)odl_op_in(ctx, op, 3);
    L->shift = (const int32_t *)odl_op_in(ctx, op, 4);
    return 1;
}

/* [A,] B of the config; returns the number of layers or 0 */
static int layers_of(odl_ctx_t *ctx, const odl_fg_config_t *c, act_layer_t *L) {
    const odl_fg_activity_t *act = c->activity;
    if (!act || act->n_layers < 1 || act->n_layers > 2 || !act->layers || !act->logit_mult) return 0;
    if (act->logit_shift < 0 || act->logit_shift > 62) return 0;
    for (uint32_t i = 0; i < act->n_layers; ++i)
        if (!layer_of(ctx, c, &act->layers[i], &L[i])) return 0;
    const uint32_t nl = act->n_layers;
    const odl_op_t *last = &ctx->model->ops[act->layers[nl - 1].op];
    if (last->outputs[0] != ctx->model->train->logits) return 0;
    if (nl == 2) {
        const odl_op_t *first = &ctx->model->ops[act->layers[0].op];
        if (last->inputs[0] != first->outputs[0] || L[1].in_depth != L[0].out_depth) return 0;
    }
    return (int)nl;
}

static uint32_t state_bytes(const odl_fg_config_t *c, const act_layer_t *L, int nl) {
    const int32_t na = nl == 2 ? L[0].out_depth : 0;
    return ODL_FG_STATE_BYTES(c->directions) + ODL_FG_ACT_STATE_BYTES(na, L[nl - 1].out_depth);
}

odl_status_t odl_fg_act_init(odl_ctx_t *ctx) {
    const odl_fg_config_t *c = config_of(ctx);
    act_layer_t L[2];
    const int nl = layers_of(ctx, c, L);
    if (!nl || c->linear || c->momentum_q15 || c->groups > 1 || c->sign ||
        ctx->model->train->loss == ODL_LOSS_MSE || ctx->model->train->state_size < state_bytes(c, L, nl))
        return ODL_ERR_TRAIN;
    return ODL_OK;
}

static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* odl_round_shift_i64 inlined: called once per weight and per fine logit (half away from zero) */
static inline int64_t round_shift(int64_t x, int32_t sh) {
    if (sh <= 0) return x;
    const int64_t half = (int64_t)1 << (sh - 1);
    return x >= 0 ? (x + half) >> sh : -((-x + half) >> sh);
}

/* Q16.16 fine logits of the last layer from its int64 accumulators (the
 * accumulator row plus delta times column j of the weight when delta != 0) */
static void fine_logits(const odl_fg_activity_t *act, const act_layer_t *B, const int64_t *acc, int32_t j,
                        int32_t delta, int32_t *v) {
    for (int32_t k = 0; k < B->out_depth; ++k) {
        int64_t a;
        memcpy(&a, &acc[k], sizeof a);
        if (delta)
            a += (int64_t)delta * ((int32_t)B->w[(size_t)k * B->in_depth + j] + (B->p.filter_offset << ODL_W16_SHIFT));
        const int32_t a32 = odl_w16_acc_to_i32(a, B->bias ? B->bias[k] : 0);
        const int64_t f = round_shift((int64_t)a32 * act->logit_mult[k], act->logit_shift);
        v[k] = (int32_t)clamp64(f, INT32_MIN / 4, INT32_MAX / 4);
    }
}

static int32_t limit_d(int64_t d) { return (int32_t)clamp64(d, -ODL_FG_ACT_MAX_D, ODL_FG_ACT_MAX_D); }

/* SGD on one layer from its d; returns 1 when the band clipped a value */
static int32_t update_layer(const odl_fg_config_t *c, const act_layer_t *L, const int32_t *d, uint32_t extra_shift) {
    const odl_fg_act_layer_t *a = L->cfg;
    const odl_fg_tensor_t *fw = &c->tensors[a->w_slot];
    const odl_fg_tensor_t *fb = a->b_slot != ODL_FG_ACT_NO_BIAS ? &c->tensors[a->b_slot] : 0;
    /* a total shift past 62 rounds every step to zero */
    const int32_t sh = a->w_shift + (int32_t)extra_shift, shb = a->b_shift + (int32_t)extra_shift;
    int32_t clipped = 0;
    for (int32_t j = 0; j < L->out_depth; ++j) {
        if (d[j] == 0) continue;
        const int64_t dm = (int64_t)d[j] * a->w_mult[j];
        int16_t *row = L->w + (size_t)j * L->in_depth;
        for (int32_t i = 0; i < L->in_depth && sh <= 62; ++i) {
            const int64_t r = round_shift(dm * ((int32_t)L->x[i] + L->p.input_offset), sh);
            if (r == 0) continue;
            const int64_t v = (int64_t)row[i] - r;
            const int64_t nv = clamp64(v, fw->lo, fw->hi);
            clipped |= nv != v;
            row[i] = (int16_t)nv;
        }
        if (fb && shb <= 62) {
            const int64_t r = round_shift((int64_t)d[j] * a->b_mult[j], shb);
            const int64_t v = (int64_t)L->bias[j] - r;
            const int64_t nv = clamp64(v, fb->lo, fb->hi);
            clipped |= nv != v;
            L->bias[j] = (int32_t)nv;
        }
    }
    return clipped;
}

odl_status_t odl_fg_act_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_fg_config_t *c = config_of(ctx);
    const odl_fg_activity_t *act = c->activity;
    odl_fg_state_t *st = (odl_fg_state_t *)ctx->train_state;
    act_layer_t L[2];
    const int nl = layers_of(ctx, c, L);
    if (!nl) return ODL_ERR_TRAIN;
    int32_t loss0, pred;
    odl_status_t s = odl_invoke_range(ctx, 0, ctx->model->train->forward_ops);
    if (s == ODL_OK) s = odl_loss_q16(ctx, label, &loss0, &pred);
    if (s != ODL_OK) return s;
    const int32_t nb = L[nl - 1].out_depth;
    if (label < 0 || label >= nb) return ODL_ERR_ARG;
    if (odl_fg_report_loss(ctx, stats, loss0, pred, label)) return ODL_OK;
    const act_layer_t *A = nl == 2 ? &L[0] : 0, *B = &L[nl - 1];
    const int32_t na = A ? A->out_depth : 0;
    uint8_t *extra = (uint8_t *)ctx->train_state + ODL_FG_STATE_BYTES(c->directions);
    int64_t *acc_a = (int64_t *)(void *)extra, *acc_b = acc_a + na;
    int32_t *d_a = (int32_t *)(void *)(acc_b + nb), *d_b = d_a + na;
    int32_t *v = d_b + nb, *vp = v + nb;

    odl_fully_connected_s8w16_acc(&B->p, 1, B->in_depth, B->x, nb, B->w, acc_b);
    fine_logits(act, B, acc_b, 0, 0, v);
    const int32_t base = odl_ce_q16_values(v, nb, label);
    const int32_t e = B->cfg->eps;
    for (int32_t j = 0; j < nb; ++j) {
        const int32_t v0 = v[j];
        v[j] = v0 + e;
        const int32_t lp = odl_ce_q16_values(v, nb, label);
        v[j] = v0 - e;
        const int32_t lm = odl_ce_q16_values(v, nb, label);
        v[j] = v0;
        d_b[j] = limit_d((int64_t)lp - lm);
    }
    if (A) {
        odl_fully_connected_s8w16_acc(&A->p, 1, A->in_depth, A->x, na, A->w, acc_a);
        const int32_t eps = A->cfg->eps;
        for (int32_t j = 0; j < na; ++j) {
            int64_t a;
            memcpy(&a, &acc_a[j], sizeof a);
            const int32_t k = A->per_channel ? j : 0;
            const int32_t a32 = odl_w16_acc_to_i32(a, A->bias ? A->bias[j] : 0);
            const int64_t z = (int64_t)odl_mul_by_quantized_multiplier(a32, A->mult[k], A->shift[k]) +
                              A->p.output_offset;
            const int64_t y = clamp64(z, A->p.act_min, A->p.act_max);
            int32_t l[2];
            for (int side = 0; side < 2; ++side) {
                const int64_t zp = side ? z - eps : z + eps;
                const int64_t yp = clamp64(zp, A->p.act_min, A->p.act_max);
                if (yp == y) {
                    l[side] = base;
                } else {
                    fine_logits(act, B, acc_b, j, (int32_t)(yp - y), vp);
                    l[side] = odl_ce_q16_values(vp, nb, label);
                }
            }
            d_a[j] = limit_d((int64_t)l[0] - l[1]);
        }
    }
    int32_t clipped = 0;
    if (A) clipped |= update_layer(c, A, d_a, ctx->lr_shift);
    clipped |= update_layer(c, B, d_b, ctx->lr_shift);
    if (clipped) stats->flags |= ODL_STEP_CLIPPED;
    st->step++;
    return ODL_OK;
}
