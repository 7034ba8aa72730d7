/* FP16 backprop of a trainable sub-graph over a frozen int8 backbone
 * (see odl/train_fp16.h for the data, odl/kernels_f16.h for rounding). */
#include <string.h>

#include "odl/train_fp16.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>
#define ODL_FP16_MVE 1
#endif

/* p[0..bytes) = 0; on Helium sixteen bytes per store (newlib-nano's memset
 * is a byte loop, and the gradients are cleared every step). */
static void zero_bytes(uint8_t *p, size_t bytes) {
#ifdef ODL_FP16_MVE
    const uint8x16_t z = vdupq_n_u8(0);
    for (; bytes >= 16; bytes -= 16, p += 16) vst1q_u8(p, z);
#endif
    memset(p, 0, bytes);
}

static const odl_fp16_config_t *fp16_config(const odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model->train;
    return tc ? (const odl_fp16_config_t *)tc->method_config : 0;
}

static odl_fp16_vars_t *fp16_vars(odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    return (odl_fp16_vars_t *)(void *)(ctx->arena + c->vars);
}

static odl_f16_tensor_t view(odl_ctx_t *ctx, const odl_fp16_config_t *c, int16_t slot, int with_grad) {
    odl_f16_tensor_t t;
    memset(&t, 0, sizeof t);
    if (slot < 0 || slot >= c->n_slots) return t;
    const odl_f16_slot_t *s = &c->slots[slot];
    t.data = (odl_f16_t *)(void *)(ctx->arena + s->value);
    t.grad = (with_grad && s->grad >= 0) ? (odl_f16_t *)(void *)(ctx->arena + s->grad) : 0;
    memcpy(t.dims, s->dims, sizeof t.dims);
    return t;
}

static odl_status_t check_config(const odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    if (!c || !c->slots || !c->layers || c->logits < 0 || c->logits >= c->n_slots) return ODL_ERR_TRAIN;
    if (c->lr <= 0.0f || c->loss_scale < 1.0f) return ODL_ERR_TRAIN;
    uint32_t size = ctx->arena_size;
    if (c->vars < 0 || (uint32_t)c->vars + sizeof(odl_fp16_vars_t) > size) return ODL_ERR_ARENA;
    if (c->grad_base < 0 || (uint32_t)c->grad_base + (uint32_t)c->grad_bytes > size) return ODL_ERR_ARENA;
    for (uint16_t i = 0; i < c->n_slots; ++i) {
        const odl_f16_slot_t *s = &c->slots[i];
        uint32_t n = (uint32_t)(s->dims[0] * s->dims[1] * s->dims[2] * s->dims[3]);
        if (s->value < 0 || (uint32_t)s->value + 2u * n > size) return ODL_ERR_ARENA;
        if (s->grad >= 0 && (uint32_t)s->grad + 2u * n > size) return ODL_ERR_ARENA;
        if (s->master >= 0 && (uint32_t)s->master + 4u * n > size) return ODL_ERR_ARENA;
        if (s->opt >= 0 && (uint32_t)s->opt + (c->optimizer == ODL_F16_OPT_ADAM ? 8u : 4u) * n > size)
            return ODL_ERR_ARENA;
    }
    return ODL_OK;
}

static odl_status_t fp16_init(odl_ctx_t *ctx) {
    const odl_fp16_config_t *c = fp16_config(ctx);
    odl_status_t s = check_config(ctx, c);
    if (s != ODL_OK) return s;
    odl_fp16_vars_t *v = fp16_vars(ctx, c);
    memset(v, 0, sizeof *v);
    v->loss_scale = c->loss_scale;
    v->beta1_t = 1.0f;
    v->beta2_t = 1.0f;
    for (uint16_t k = 0; k < c->n_params; ++k) {
        const odl_f16_slot_t *sl = &c->slots[c->params[k]];
        int32_t n = sl->dims[0] * sl->dims[1] * sl->dims[2] * sl->dims[3];
        const odl_f16_t *w = (const odl_f16_t *)(const void *)(ctx->arena + sl->value);
        if (sl->master >= 0) {
            /* masters start from the FP16 weights, so both variants start alike */
            float *m = (float *)(void *)(ctx->arena + sl->master);
            for (int32_t i = 0; i < n; ++i) m[i] = odl_f16_to_f32(w[i]);
        }
        if (sl->opt >= 0)
            memset(ctx->arena + sl->opt, 0, (size_t)n * (c->optimizer == ODL_F16_OPT_ADAM ? 8u : 4u));
    }
    return ODL_OK;
}

static odl_status_t load_boundaries(odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    for (uint16_t k = 0; k < c->n_boundaries; ++k) {
        const odl_f16_boundary_t *b = &c->boundaries[k];
        const odl_tensor_t *t = odl_tensor_info(ctx, b->tensor);
        const int8_t *q = (const int8_t *)odl_tensor_ptr(ctx, b->tensor);
        if (!t || !q || t->dtype != ODL_DT_INT8) return ODL_ERR_TRAIN;
        odl_f16_tensor_t v = view(ctx, c, b->slot, 0);
        int32_t n = odl_f16_numel(&v);
        if (!v.data || n != odl_tensor_numel(t)) return ODL_ERR_SHAPE;
        for (int32_t i = 0; i < n; ++i) v.data[i] = odl_f32_to_f16((float)(q[i] - t->zero_point) * t->scale);
    }
    return ODL_OK;
}

/* The layer geometry as int32_t[10] (kinds without a window, train_fp16.h). */
static void layer_words(const odl_f16_layer_t *l, int32_t *v) {
    typedef char geo_is_ten_words[sizeof l->geo == 10 * sizeof(int32_t) ? 1 : -1];
    (void)sizeof(geo_is_ten_words);
    memcpy(v, &l->geo, sizeof l->geo);
}

static float word_float(int32_t w) { return odl_bits_f32((uint32_t)w); }

static odl_status_t layer_forward(odl_ctx_t *ctx, const odl_fp16_config_t *c, const odl_f16_layer_t *l) {
    odl_f16_tensor_t in = view(ctx, c, l->in0, 0), in1 = view(ctx, c, l->in1, 0);
    odl_f16_tensor_t w = view(ctx, c, l->weight, 0), b = view(ctx, c, l->bias, 0);
    odl_f16_tensor_t out = view(ctx, c, l->out, 0);
    const odl_f16_tensor_t *bp = l->bias >= 0 ? &b : 0;
    odl_f16_fc_params_t fc = {l->geo.act};
    int32_t v[10];
    layer_words(l, v);
    switch (l->kind) {
    case ODL_F16_FC: return odl_fc_f16_fw(&fc, &in, &w, bp, &out);
    case ODL_F16_CONV: return odl_conv2d_f16_fw(&l->geo, &in, &w, bp, &out);
    case ODL_F16_PWCONV: return odl_pwconv_f16_fw(&l->geo, &in, &w, bp, &out);
    case ODL_F16_DWCONV: return odl_dwconv_f16_fw(&l->geo, &in, &w, bp, &out);
    case ODL_F16_AVGPOOL: return odl_avgpool_f16_fw(&l->geo, &in, &out);
    case ODL_F16_MEAN: return odl_mean_f16_fw(&in, &out);
    case ODL_F16_MAXPOOL: return odl_maxpool_f16_fw(&l->geo, &in, &out);
    case ODL_F16_ADD: return odl_add_f16_fw(l->geo.act, &in, &in1, &out);
    case ODL_F16_ACT: return odl_act_f16_fw(l->geo.act, &in, &out);
    case ODL_F16_RESHAPE: return odl_reshape_f16_fw(&in, &out);
    case ODL_F16_UNARY: return odl_unary_f16_fw(v[0], word_float(v[1]), &in, &out);
    case ODL_F16_MUL: return odl_mul_f16_fw(l->geo.act, &in, &in1, &out);
    case ODL_F16_PAD: return odl_pad_f16_fw(v, &in, &out);
    case ODL_F16_GATHER: return odl_gather_f16_fw(v, &in, &out);
    case ODL_F16_CONCAT: return odl_concat_f16_fw(v[0], &in, &in1, &out);
    default: return ODL_ERR_UNSUPPORTED;
    }
}

static odl_status_t layer_backward(odl_ctx_t *ctx, const odl_fp16_config_t *c, const odl_f16_layer_t *l) {
    odl_f16_tensor_t in = view(ctx, c, l->in0, 1), in1 = view(ctx, c, l->in1, 1);
    odl_f16_tensor_t w = view(ctx, c, l->weight, 1), b = view(ctx, c, l->bias, 1);
    odl_f16_tensor_t out = view(ctx, c, l->out, 1);
    odl_f16_tensor_t *bp = l->bias >= 0 ? &b : 0;
    odl_f16_fc_params_t fc = {l->geo.act};
    odl_status_t s = ODL_OK;
    int32_t v[10];
    layer_words(l, v);
    switch (l->kind) {
    case ODL_F16_FC:
        s = odl_fc_f16_bw_input(&fc, &in, &w, &out);
        return s != ODL_OK ? s : odl_fc_f16_bw_weight(&fc, &in, &w, bp, &out);
    case ODL_F16_CONV:
        s = odl_conv2d_f16_bw_input(&l->geo, &in, &w, &out);
        return s != ODL_OK ? s : odl_conv2d_f16_bw_weight(&l->geo, &in, &w, bp, &out);
    case ODL_F16_PWCONV:
        s = odl_pwconv_f16_bw_input(&l->geo, &in, &w, &out);
        return s != ODL_OK ? s : odl_pwconv_f16_bw_weight(&l->geo, &in, &w, bp, &out);
    case ODL_F16_DWCONV:
        s = odl_dwconv_f16_bw_input(&l->geo, &in, &w, &out);
        return s != ODL_OK ? s : odl_dwconv_f16_bw_weight(&l->geo, &in, &w, bp, &out);
    case ODL_F16_AVGPOOL: return odl_avgpool_f16_bw_input(&l->geo, &in, &out);
    case ODL_F16_MEAN: return odl_mean_f16_bw_input(&in, &out);
    case ODL_F16_MAXPOOL: return odl_maxpool_f16_bw_input(&l->geo, &in, &out);
    case ODL_F16_ADD: return odl_add_f16_bw_input(l->geo.act, &in, &in1, &out);
    case ODL_F16_ACT: return odl_act_f16_bw_input(l->geo.act, &in, &out);
    case ODL_F16_RESHAPE: return odl_reshape_f16_bw_input(&in, &out);
    case ODL_F16_UNARY: return odl_unary_f16_bw_input(v[0], word_float(v[1]), &in, &out);
    case ODL_F16_MUL: return odl_mul_f16_bw_input(l->geo.act, &in, &in1, &out);
    case ODL_F16_PAD: return odl_pad_f16_bw_input(v, &in, &out);
    case ODL_F16_GATHER: return odl_gather_f16_bw_input(v, &in, &out);
    case ODL_F16_CONCAT: return odl_concat_f16_bw_input(v[0], &in, &in1, &out);
    default: return ODL_ERR_UNSUPPORTED;
    }
}

static odl_status_t forward(odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    odl_status_t s = odl_invoke_range(ctx, 0, ctx->model->train->forward_ops);
    if (s == ODL_OK) s = load_boundaries(ctx, c);
    for (uint16_t k = 0; s == ODL_OK && k < c->n_layers; ++k) s = layer_forward(ctx, c, &c->layers[k]);
    return s;
}

static odl_status_t loss(odl_ctx_t *ctx, const odl_fp16_config_t *c, int32_t label, float scale, int with_grad,
                         odl_train_stats_t *stats) {
    odl_f16_tensor_t z = view(ctx, c, c->logits, with_grad);
    int32_t n = odl_f16_numel(&z);
    float value = 0.0f;
    odl_status_t s = ctx->model->train->loss == ODL_LOSS_MSE
                         ? odl_mse_f16(&z, n, label, scale, &value, &stats->predicted)
                         : odl_softmax_ce_f16(&z, n, label, scale, &value, &stats->predicted);
    if (s != ODL_OK) return s;
    stats->correct = stats->predicted == label;
    if (!(value < 32767.0f)) { /* NaN or huge */
        stats->loss_q16 = INT32_MAX;
        stats->flags |= ODL_STEP_OVERFLOW;
    } else {
        stats->loss_q16 = (int32_t)(value * 65536.0f + (value < 0.0f ? -0.5f : 0.5f));
    }
    return ODL_OK;
}

static odl_status_t fp16_eval(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_fp16_config_t *c = fp16_config(ctx);
    if (!c || !stats) return ODL_ERR_TRAIN;
    odl_status_t s = forward(ctx, c);
    return s != ODL_OK ? s : loss(ctx, c, label, 1.0f, 0, stats);
}

/* 1 when no FP16 value of p[0..n) is inf or NaN. Two halves per word: the
 * exponent field plus one carries into bit 15 only when it is all ones. */
static int f16_all_finite(const odl_f16_t *p, int32_t n) {
    uint32_t bad = 0;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32_t w[4];
        memcpy(w, p + i, sizeof w);
        bad |= ((w[0] & 0x7c007c00u) + 0x04000400u) | ((w[1] & 0x7c007c00u) + 0x04000400u) |
               ((w[2] & 0x7c007c00u) + 0x04000400u) | ((w[3] & 0x7c007c00u) + 0x04000400u);
    }
    for (; i < n; ++i) bad |= ((uint32_t)p[i] & 0x7c00u) + 0x0400u;
    return !(bad & 0x80008000u);
}

static int grads_finite(odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    for (uint16_t k = 0; k < c->n_params; ++k) {
        odl_f16_tensor_t p = view(ctx, c, c->params[k], 1);
        if (!f16_all_finite(p.grad, odl_f16_numel(&p))) return 0;
    }
    return 1;
}

/* w <- w - lr * step, in FP32 (master when present), stored as FP16. One
 * loop per optimizer so the per-parameter work carries no dispatch. */
static void update(odl_ctx_t *ctx, const odl_fp16_config_t *c, const odl_fp16_vars_t *v, int16_t slot) {
    const odl_f16_slot_t *sl = &c->slots[slot];
    odl_f16_tensor_t p = view(ctx, c, slot, 1);
    const int32_t n = odl_f16_numel(&p);
    float *master = sl->master >= 0 ? (float *)(void *)(ctx->arena + sl->master) : 0;
    float *m = sl->opt >= 0 ? (float *)(void *)(ctx->arena + sl->opt) : 0;
    const float inv_scale = 1.0f / v->loss_scale; /* a power of two: exact */
    const float lr = c->lr / (float)(1u << ctx->lr_shift); /* a power of two: exact */
    odl_f16_t *wd = p.data;
    const odl_f16_t *gd = p.grad;
#define ODL_W_LOAD(i) (master ? master[i] : odl_f16_to_f32(wd[i]))
#define ODL_W_STORE(i, w)              \
    do {                               \
        if (master) master[i] = (w);   \
        wd[i] = odl_f32_to_f16(w);     \
    } while (0)
    if (c->optimizer == ODL_F16_OPT_ADAM) {
        float *vv = m + n;
        const float b1 = c->beta1, b2 = c->beta2, one_b1 = 1.0f - c->beta1, one_b2 = 1.0f - c->beta2;
        const float corr1 = 1.0f - v->beta1_t, corr2 = 1.0f - v->beta2_t, eps = c->eps;
        for (int32_t i = 0; i < n; ++i) {
            float g = odl_f16_to_f32(gd[i]) * inv_scale;
            float w = ODL_W_LOAD(i);
            m[i] = b1 * m[i] + one_b1 * g;
            vv[i] = b2 * vv[i] + one_b2 * (g * g);
            float mhat = m[i] / corr1, vhat = vv[i] / corr2;
            w = w - (lr * mhat) / (odl_f16_sqrtf(vhat) + eps);
            ODL_W_STORE(i, w);
        }
    } else if (m && !master) {
        /* heavy-ball, two halves at a time */
        const float mu = c->momentum;
        int32_t i = 0;
        for (; i + 2 <= n; i += 2) {
            float w0, w1, g0, g1;
            odl_f16x2_to_f32(wd + i, &w0, &w1);
            odl_f16x2_to_f32(gd + i, &g0, &g1);
            float m0 = mu * m[i] + g0 * inv_scale, m1 = mu * m[i + 1] + g1 * inv_scale;
            m[i] = m0, m[i + 1] = m1;
            odl_f32x2_to_f16(w0 - lr * m0, w1 - lr * m1, wd + i);
        }
        if (i < n) {
            float mi = mu * m[i] + odl_f16_to_f32(gd[i]) * inv_scale;
            m[i] = mi;
            wd[i] = odl_f32_to_f16(odl_f16_to_f32(wd[i]) - lr * mi);
        }
    } else if (m) {
        const float mu = c->momentum;
        for (int32_t i = 0; i < n; ++i) {
            float g = odl_f16_to_f32(gd[i]) * inv_scale;
            float w = ODL_W_LOAD(i);
            float mi = mu * m[i] + g;
            m[i] = mi;
            w = w - lr * mi;
            ODL_W_STORE(i, w);
        }
    } else if (master) {
        for (int32_t i = 0; i < n; ++i) {
            float w = master[i] - lr * (odl_f16_to_f32(gd[i]) * inv_scale);
            master[i] = w;
            wd[i] = odl_f32_to_f16(w);
        }
    } else {
        /* lr * (g * inv_scale) == (lr * inv_scale) * g: both products by a power
         * of two are exact (normal FP32 results), so one rounding either way */
        const float c_lr = lr * inv_scale;
        int32_t i = 0;
        for (; i + 2 <= n; i += 2) {
            float w0, w1, g0, g1;
            odl_f16x2_to_f32(wd + i, &w0, &w1);
            odl_f16x2_to_f32(gd + i, &g0, &g1);
            odl_f32x2_to_f16(w0 - c_lr * g0, w1 - c_lr * g1, wd + i);
        }
        if (i < n) wd[i] = odl_f32_to_f16(odl_f16_to_f32(wd[i]) - c_lr * odl_f16_to_f32(gd[i]));
    }
#undef ODL_W_LOAD
#undef ODL_W_STORE
}

/* Plain SGD (no momentum, no masters) with one-sample FULLY_CONNECTED layers:
 * their weight gradient and update can share one pass once no gradient can
 * overflow (other layers keep the two passes). */
static int fused_sgd_ok(const odl_fp16_config_t *c) {
    if (c->optimizer != ODL_F16_OPT_SGD) return 0;
    for (uint16_t k = 0; k < c->n_params; ++k) {
        const odl_f16_slot_t *sl = &c->slots[c->params[k]];
        if (sl->opt >= 0 || sl->master >= 0) return 0;
    }
    for (uint16_t k = 0; k < c->n_params; ++k) { /* each parameter read by one layer */
        int users = 0;
        for (uint16_t j = 0; j < c->n_layers; ++j)
            users += c->layers[j].weight == c->params[k] || c->layers[j].bias == c->params[k];
        if (users != 1) return 0;
    }
    int any_fc = 0;
    for (uint16_t k = 0; k < c->n_layers; ++k) {
        const odl_f16_layer_t *l = &c->layers[k];
        if (l->kind != ODL_F16_FC) continue;
        if (c->slots[l->in0].dims[0] != 1) return 0;
        any_fc = 1;
    }
    return any_fc;
}

/* 1 when the gradients of the parameters outside FC layers are finite. */
static int other_grads_finite(odl_ctx_t *ctx, const odl_fp16_config_t *c) {
    for (uint16_t k = 0; k < c->n_layers; ++k) {
        const odl_f16_layer_t *l = &c->layers[k];
        if (l->kind == ODL_F16_FC) continue;
        const int16_t slots[2] = {l->weight, l->bias};
        for (int q = 0; q < 2; ++q) {
            if (slots[q] < 0 || c->slots[slots[q]].grad < 0) continue;
            odl_f16_tensor_t p = view(ctx, c, slots[q], 1);
            if (!f16_all_finite(p.grad, odl_f16_numel(&p))) return 0;
        }
    }
    return 1;
}

/* Largest |h| of p[0..n) as binary16 magnitude bits (integer order is value
 * order on magnitudes; inf is 0x7c00, NaN above it). With keep_lim >= 0 only
 * entries whose y[i] - 1 <= keep_lim (unsigned) count: the fused activation's
 * gradient mask (RELU: y in (0, inf], RELU6: y in (0, 6)). */
static uint32_t max_magnitude(const odl_f16_t *p, const odl_f16_t *y, int32_t keep_lim, int32_t n) {
    uint32_t m = 0;
    int32_t i = 0;
#ifdef ODL_FP16_MVE
    uint16_t m16 = 0; /* Helium: eight halves per step, the same mask per half */
    const uint16x8_t zero = vdupq_n_u16(0);
    for (; i + 8 <= n; i += 8) {
        uint16x8_t a = vbicq_n_u16(vld1q_u16(p + i), 0x8000);
        if (keep_lim >= 0) a = vpselq_u16(zero, a, vcmphiq_n_u16(vsubq_n_u16(vld1q_u16(y + i), 1), (uint16_t)keep_lim));
        m16 = vmaxvq_u16(m16, a);
    }
    m = m16;
#endif
    for (; i < n; ++i) {
        uint32_t a = (uint32_t)p[i] & 0x7fffu;
        if (keep_lim >= 0 && (uint32_t)(y[i] - 1u) > (uint32_t)keep_lim) a = 0;
        m = a > m ? a : m;
    }
    return m;
}

/* 1 when every entry of this FC layer's weight and bias gradient, R(0 + g'x)
 * and R(0 + g') for one sample, is finite: rounding is monotonic, so it
 * suffices for the largest |g'| times the largest |x|. */
static int fc_grads_finite(odl_ctx_t *ctx, const odl_fp16_config_t *c, const odl_f16_layer_t *l) {
    odl_f16_tensor_t in = view(ctx, c, l->in0, 0), out = view(ctx, c, l->out, 1);
    const int32_t act = l->geo.act;
    const int32_t lim = act == ODL_F16_ACT_RELU ? 0x7bff : (act == ODL_F16_ACT_RELU6 ? 0x45fe : -1);
    uint32_t mg = max_magnitude(out.grad, out.data, lim, odl_f16_numel(&out));
    uint32_t mx = max_magnitude(in.data, in.data, -1, odl_f16_numel(&in));
    if (mg >= 0x7c00u || mx >= 0x7c00u) return 0;
    return odl_f16_is_finite(odl_f32_to_f16(odl_f16_to_f32((odl_f16_t)mg) * odl_f16_to_f32((odl_f16_t)mx)));
}

/* 1 when slot is the weight or bias of an FC layer (fused_sgd_ok configs:
 * the fused step overwrites its gradient, nothing reads it before). */
static int fc_param(const odl_fp16_config_t *c, int16_t slot) {
    for (uint16_t k = 0; k < c->n_layers; ++k) {
        const odl_f16_layer_t *l = &c->layers[k];
        if (l->kind == ODL_F16_FC && (l->weight == slot || l->bias == slot)) return 1;
    }
    return 0;
}

/* Zero the gradients before a backward pass; with fc_too = 0 those of FC
 * parameters stay as they are (the fused step writes them whole). */
static void clear_grads(odl_ctx_t *ctx, const odl_fp16_config_t *c, int fc_too) {
    if (fc_too) {
        zero_bytes(ctx->arena + c->grad_base, (size_t)c->grad_bytes);
        return;
    }
    for (uint16_t i = 0; i < c->n_slots; ++i) {
        const odl_f16_slot_t *s = &c->slots[i];
        if (s->grad < 0 || fc_param(c, (int16_t)i)) continue;
        zero_bytes(ctx->arena + s->grad, 2u * (size_t)(s->dims[0] * s->dims[1] * s->dims[2] * s->dims[3]));
    }
}

/* Backward for fused_sgd_ok configs: input gradients of every layer first
 * (they read the old weights), then, if no parameter gradient overflows, each
 * FC layer's weight gradient and SGD step in one pass (*fused = 1); else the
 * weight gradients alone, for the usual check and skip. Same bytes as the
 * unfused step either way. */
static odl_status_t backward_fused_sgd(odl_ctx_t *ctx, const odl_fp16_config_t *c, const odl_fp16_vars_t *v,
                                       int *fused) {
    odl_status_t s = ODL_OK;
    int safe = 1;
    for (int32_t k = (int32_t)c->n_layers - 1; s == ODL_OK && k >= 0; --k) {
        const odl_f16_layer_t *l = &c->layers[k];
        if (l->kind == ODL_F16_FC) {
            odl_f16_tensor_t in = view(ctx, c, l->in0, 1), w = view(ctx, c, l->weight, 1);
            odl_f16_tensor_t out = view(ctx, c, l->out, 1);
            odl_f16_fc_params_t fc = {l->geo.act};
            s = odl_fc_f16_bw_input(&fc, &in, &w, &out);
            if (s == ODL_OK && (l->weight >= 0 || l->bias >= 0)) safe = safe && fc_grads_finite(ctx, c, l);
        } else {
            s = layer_backward(ctx, c, l);
        }
    }
    if (s == ODL_OK && safe) safe = other_grads_finite(ctx, c);
    for (uint16_t k = 0; s == ODL_OK && k < c->n_layers; ++k) {
        const odl_f16_layer_t *l = &c->layers[k];
        if (l->kind != ODL_F16_FC) continue;
        odl_f16_tensor_t in = view(ctx, c, l->in0, 0), w = view(ctx, c, l->weight, 1);
        odl_f16_tensor_t b = view(ctx, c, l->bias, 1), out = view(ctx, c, l->out, 1);
        odl_f16_tensor_t *bp = l->bias >= 0 ? &b : 0;
        odl_f16_fc_params_t fc = {l->geo.act};
        if (!safe) { /* the accumulating kernel needs cleared gradients (clear_grads skipped them) */
            if (w.grad) memset(w.grad, 0, 2u * (size_t)odl_f16_numel(&w));
            if (bp && b.grad) memset(b.grad, 0, 2u * (size_t)odl_f16_numel(&b));
        }
        s = safe ? odl_fc_f16_bw_weight_sgd(&fc, &in, &w, bp, &out, c->lr / (float)(1u << ctx->lr_shift) * (1.0f / v->loss_scale))
                 : odl_fc_f16_bw_weight(&fc, &in, &w, bp, &out);
    }
    if (s == ODL_OK && safe)
        for (uint16_t k = 0; k < c->n_layers; ++k) {
            const odl_f16_layer_t *l = &c->layers[k];
            if (l->kind == ODL_F16_FC) continue;
            if (l->weight >= 0 && c->slots[l->weight].grad >= 0) update(ctx, c, v, l->weight);
            if (l->bias >= 0 && c->slots[l->bias].grad >= 0) update(ctx, c, v, l->bias);
        }
    *fused = safe;
    return s;
}

static odl_status_t fp16_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    const odl_fp16_config_t *c = fp16_config(ctx);
    if (!c || !stats) return ODL_ERR_TRAIN;
    odl_fp16_vars_t *v = fp16_vars(ctx, c);
    odl_status_t s = forward(ctx, c);
    if (s != ODL_OK) return s;
    const int fuse = fused_sgd_ok(c);
    clear_grads(ctx, c, !fuse);
    s = loss(ctx, c, label, v->loss_scale, 1, stats);
    if (s == ODL_OK && !(stats->flags & ODL_STEP_OVERFLOW) && odl_train_guard(ctx, stats->loss_q16)) {
        stats->flags |= ODL_STEP_SKIPPED;
        if (fuse) clear_grads(ctx, c, 1); /* a skipped step leaves zero gradients, as before */
        return ODL_OK;
    }
    if (fuse) {
        int fused = 0;
        s = backward_fused_sgd(ctx, c, v, &fused);
        if (s != ODL_OK) return s;
        if (fused) {
            v->applied++;
            if (c->dynamic_scale && ++v->good_steps >= c->growth_interval) {
                v->good_steps = 0;
                if (v->loss_scale * 2.0f <= c->loss_scale_max) v->loss_scale = v->loss_scale * 2.0f;
            }
            return ODL_OK;
        }
    } else {
        for (int32_t k = (int32_t)c->n_layers - 1; s == ODL_OK && k >= 0; --k)
            s = layer_backward(ctx, c, &c->layers[k]);
        if (s != ODL_OK) return s;
    }
    if (!grads_finite(ctx, c)) {
        stats->flags |= ODL_STEP_SKIPPED | ODL_STEP_OVERFLOW;
        v->skipped++;
        v->good_steps = 0;
        if (c->dynamic_scale && v->loss_scale > 1.0f) v->loss_scale = v->loss_scale * 0.5f;
        return ODL_OK;
    }
    if (c->optimizer == ODL_F16_OPT_ADAM) {
        v->beta1_t = v->beta1_t * c->beta1;
        v->beta2_t = v->beta2_t * c->beta2;
    }
    for (uint16_t k = 0; k < c->n_params; ++k) update(ctx, c, v, c->params[k]);
    v->applied++;
    if (c->dynamic_scale && ++v->good_steps >= c->growth_interval) {
        v->good_steps = 0;
        if (v->loss_scale * 2.0f <= c->loss_scale_max) v->loss_scale = v->loss_scale * 2.0f;
    }
    return ODL_OK;
}

/* float -> int8 as TFLite Micro's QUANTIZE: the FP32 quotient x / scale,
 * rounded half away from zero, + zero point, saturated. NaN counts as 0. */
static int8_t quantize_logit(float x, float scale, int32_t zero_point) {
    float v = x / scale;
    if (v != v) v = 0.0f;
    if (v > 1024.0f) v = 1024.0f; /* far outside int8 either way; keeps the cast defined */
    if (v < -1024.0f) v = -1024.0f;
    int32_t r = (int32_t)v; /* toward zero; v - r is exact */
    float frac = v - (float)r;
    if (frac >= 0.5f) r += 1;
    if (frac <= -0.5f) r -= 1;
    r += zero_point;
    return (int8_t)(r > 127 ? 127 : (r < -128 ? -128 : r));
}

/* 1 when tensor idx is written by an op of [first, last): the int8 head ops
 * that FP16 inference skips. */
static int written_by(const odl_model_t *m, int32_t idx, uint32_t first, uint32_t last) {
    for (uint32_t i = first; i < last; ++i)
        for (int k = 0; k < m->ops[i].n_outputs; ++k)
            if (m->ops[i].outputs[k] == idx) return 1;
    return 0;
}

static odl_status_t fp16_invoke(odl_ctx_t *ctx) {
    const odl_fp16_config_t *c = fp16_config(ctx);
    const odl_model_t *m = ctx->model;
    if (!c || c->n_layers == 0) return ODL_ERR_TRAIN;
    /* One FP16 layer per op, in op order: the head is ops [first, end) and
     * the last one computes the logits (see pytool/training/fp16.py). */
    uint32_t first = m->train->forward_ops, end = first + c->n_layers;
    if (end > m->n_ops) return ODL_ERR_MODEL;
    int32_t out_idx = m->ops[end - 1].outputs[0];
    const odl_tensor_t *q = odl_tensor_info(ctx, out_idx);
    int8_t *qd = (int8_t *)odl_tensor_ptr(ctx, out_idx);
    odl_f16_tensor_t z = view(ctx, c, c->logits, 0);
    if (!q || !qd || q->dtype != ODL_DT_INT8 || odl_tensor_numel(q) != odl_f16_numel(&z)) return ODL_ERR_MODEL;
    /* Later ops and the model outputs may read the logits and frozen tensors,
     * never a tensor inside the head (it holds no value here). */
    for (uint32_t i = end; i < m->n_ops; ++i)
        for (int k = 0; k < m->ops[i].n_inputs; ++k)
            if (m->ops[i].inputs[k] >= 0 && written_by(m, m->ops[i].inputs[k], first, end - 1))
                return ODL_ERR_UNSUPPORTED;
    for (uint32_t k = 0; k < m->n_outputs; ++k)
        if (written_by(m, m->outputs[k], first, end - 1)) return ODL_ERR_UNSUPPORTED;
    odl_status_t s = forward(ctx, c);
    if (s != ODL_OK) return s;
    for (int32_t i = 0, n = odl_f16_numel(&z); i < n; ++i)
        qd[i] = quantize_logit(odl_f16_to_f32(z.data[i]), q->scale, q->zero_point);
    return odl_invoke_range(ctx, end, m->n_ops);
}

/* Public entry points: the FP16 kernels run in the floating-point mode their
 * conversions assume (odl/f16.h), whatever mode the application keeps. */
odl_status_t odl_fp16_init(odl_ctx_t *ctx) {
    odl_f16_fp_mode_t mode = odl_f16_fp_enter();
    odl_status_t s = fp16_init(ctx);
    odl_f16_fp_leave(mode);
    return s;
}

odl_status_t odl_fp16_eval(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    odl_f16_fp_mode_t mode = odl_f16_fp_enter();
    odl_status_t s = fp16_eval(ctx, label, stats);
    odl_f16_fp_leave(mode);
    return s;
}

odl_status_t odl_fp16_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats) {
    odl_f16_fp_mode_t mode = odl_f16_fp_enter();
    odl_status_t s = fp16_step(ctx, label, stats);
    odl_f16_fp_leave(mode);
    return s;
}

odl_status_t odl_fp16_invoke(odl_ctx_t *ctx) {
    odl_f16_fp_mode_t mode = odl_f16_fp_enter();
    odl_status_t s = fp16_invoke(ctx);
    odl_f16_fp_leave(mode);
    return s;
}

const odl_train_hooks_t odl_fp16_hooks = {odl_fp16_init, odl_fp16_step, odl_fp16_invoke, odl_fp16_eval};
