/* F32: the float32 ops of mixed models (float islands, float heads). params[0]
 * selects the kernel; the layouts are in pytool/ops/f32.py and f32_conv.py.
 * Float params travel as their int32 bits. */
#include <string.h>

#include "odl/f32_ops.h"
#include "odl/kernels_f32.h"
#include "odl/ops.h"

static float bits_f32(int32_t v) {
    float f;
    memcpy(&f, &v, sizeof f);
    return f;
}

/* A float32 tensor of exactly n elements (NULL otherwise). */
static const float *f32_in(const odl_ctx_t *ctx, const odl_op_t *op, int i, int64_t n) {
    const odl_tensor_t *t = odl_op_in_info(ctx, op, i);
    if (!t || t->dtype != ODL_DT_FLOAT32 || odl_tensor_numel(t) != n || t->bytes < n * 4) return 0;
    return (const float *)odl_op_in(ctx, op, i);
}

static float *f32_out(const odl_ctx_t *ctx, const odl_op_t *op, int64_t n) {
    const odl_tensor_t *t = odl_op_out_info(ctx, op, 0);
    if (!t || t->dtype != ODL_DT_FLOAT32 || odl_tensor_numel(t) != n || t->bytes < n * 4) return 0;
    return (float *)odl_op_out(ctx, op, 0);
}

static int64_t prod4(const int32_t *d) { return (int64_t)d[0] * d[1] * d[2] * d[3]; }

static int64_t max_index(const int32_t dims[4], const int32_t st[4]) {
    int64_t m = 0;
    for (int i = 0; i < 4; ++i) m += (int64_t)(dims[i] - 1) * st[i];
    return m + 1;
}

static odl_status_t binary(odl_ctx_t *ctx, const odl_op_t *op, const int32_t *p) {
    if (op->n_params < 15) return ODL_ERR_MODEL;
    const int32_t *dims = p + 3, *sa = p + 7, *sb = p + 11;
    for (int i = 0; i < 4; ++i)
        if (dims[i] <= 0 || sa[i] < 0 || sb[i] < 0) return ODL_ERR_SHAPE;
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    if (!ta || !tb || ta->dtype != ODL_DT_FLOAT32 || tb->dtype != ODL_DT_FLOAT32) return ODL_ERR_MODEL;
    if (odl_tensor_numel(ta) < max_index(dims, sa) || odl_tensor_numel(tb) < max_index(dims, sb)) return ODL_ERR_SHAPE;
    float *y = f32_out(ctx, op, prod4(dims));
    if (!y) return ODL_ERR_SHAPE;
    return odl_binary_f32(p[0], dims, sa, (const float *)odl_op_in(ctx, op, 0), sb,
                          (const float *)odl_op_in(ctx, op, 1), bits_f32(p[1]), bits_f32(p[2]), y);
}

static odl_status_t compare(odl_ctx_t *ctx, const odl_op_t *op, const int32_t *p) {
    if (op->n_params < 14) return ODL_ERR_MODEL;
    const int32_t *dims = p + 2, *sa = p + 6, *sb = p + 10;
    for (int i = 0; i < 4; ++i)
        if (dims[i] <= 0 || sa[i] < 0 || sb[i] < 0) return ODL_ERR_SHAPE;
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty || ta->dtype != ODL_DT_FLOAT32 || tb->dtype != ODL_DT_FLOAT32 || ty->dtype != ODL_DT_UINT8)
        return ODL_ERR_MODEL;
    if (odl_tensor_numel(ta) < max_index(dims, sa) || odl_tensor_numel(tb) < max_index(dims, sb) ||
        odl_tensor_numel(ty) != prod4(dims) || ty->bytes < prod4(dims))
        return ODL_ERR_SHAPE;
    return odl_compare_f32(p[1], dims, sa, (const float *)odl_op_in(ctx, op, 0), sb,
                           (const float *)odl_op_in(ctx, op, 1), (uint8_t *)odl_op_out(ctx, op, 0));
}

static odl_status_t arg(odl_ctx_t *ctx, const odl_op_t *op, const int32_t *p) {
    if (op->n_params < 6 || p[2] <= 0 || p[3] <= 0 || p[4] <= 0) return ODL_ERR_MODEL;
    const int64_t n_out = (int64_t)p[2] * p[4];
    const float *x = f32_in(ctx, op, 0, n_out * p[3]);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    const int is64 = p[5] != 0;
    if (!x || !ty || ty->dtype != (is64 ? ODL_DT_INT64 : ODL_DT_INT32) || odl_tensor_numel(ty) != n_out ||
        ty->bytes < n_out * (is64 ? 8 : 4))
        return ODL_ERR_SHAPE;
    void *y = odl_op_out(ctx, op, 0);
    return odl_arg_f32(p[1], p[2], p[3], p[4], x, is64 ? 0 : (int32_t *)y, is64 ? (int64_t *)y : 0);
}

static odl_status_t conv_like(odl_ctx_t *ctx, const odl_op_t *op, const int32_t *p) {
    const int pool = p[0] == ODL_F32_AVG_POOL || p[0] == ODL_F32_MAX_POOL || p[0] == ODL_F32_L2_POOL;
    if (op->n_params < (pool ? 15 : 19)) return ODL_ERR_MODEL;
    odl_f32_conv_geom_t g;
    g.act_lo = bits_f32(p[1]), g.act_hi = bits_f32(p[2]);
    g.n = p[3], g.h = p[4], g.w = p[5], g.c = p[6], g.oh = p[7], g.ow = p[8];
    if (pool) {
        g.oc = g.c, g.kh = p[9], g.kw = p[10], g.group_in = 1;
        g.sh = p[11], g.sw = p[12], g.dh = 1, g.dw = 1, g.ph = p[13], g.pw = p[14];
    } else {
        g.oc = p[9], g.kh = p[10], g.kw = p[11], g.group_in = p[12];
        g.sh = p[13], g.sw = p[14], g.dh = p[15], g.dw = p[16], g.ph = p[17], g.pw = p[18];
    }
    if (g.n <= 0 || g.h <= 0 || g.w <= 0 || g.c <= 0 || g.oh <= 0 || g.ow <= 0 || g.oc <= 0 || g.kh <= 0 ||
        g.kw <= 0 || g.group_in <= 0 || g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0)
        return ODL_ERR_SHAPE;
    const float *x = f32_in(ctx, op, 0, (int64_t)g.n * g.h * g.w * g.c);
    float *y = f32_out(ctx, op, (int64_t)g.n * g.oh * g.ow * g.oc);
    if (!x || !y) return ODL_ERR_SHAPE;
    if (p[0] == ODL_F32_AVG_POOL) return odl_average_pool_2d_f32(&g, x, y);
    if (p[0] == ODL_F32_MAX_POOL) return odl_max_pool_2d_f32(&g, x, y);
    if (p[0] == ODL_F32_L2_POOL) return odl_l2_pool_2d_f32(&g, x, y);
    const int64_t wn = (int64_t)g.kh * g.kw * (p[0] == ODL_F32_CONV ? (int64_t)g.oc * g.group_in : g.oc);
    const float *w = f32_in(ctx, op, 1, wn);
    const float *bias = 0;
    if (odl_op_in_info(ctx, op, 2) && !(bias = f32_in(ctx, op, 2, g.oc))) return ODL_ERR_SHAPE;
    if (!w) return ODL_ERR_SHAPE;
    return p[0] == ODL_F32_CONV ? odl_conv_2d_f32(&g, x, w, bias, y) : odl_depthwise_conv_2d_f32(&g, x, w, bias, y);
}

odl_status_t odl_op_f32(odl_ctx_t *ctx, const odl_op_t *op) {
    const int32_t *p = op->params;
    if (!p || op->n_params < 1) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    if (!tx) return ODL_ERR_MODEL;
    const int32_t n = odl_tensor_numel(tx);
    switch (p[0]) {
    case ODL_F32_ADD:
    case ODL_F32_SUB:
    case ODL_F32_MUL:
    case ODL_F32_MAXIMUM:
    case ODL_F32_MINIMUM:
    case ODL_F32_DIV:
    case ODL_F32_SQUARED_DIFFERENCE:
    case ODL_F32_PRELU:
    case ODL_F32_FLOOR_DIV:
    case ODL_F32_FLOOR_MOD: return binary(ctx, op, p);
    case ODL_F32_CONV:
    case ODL_F32_DEPTHWISE:
    case ODL_F32_AVG_POOL:
    case ODL_F32_MAX_POOL:
    case ODL_F32_L2_POOL: return conv_like(ctx, op, p);
    case ODL_F32_FC: {
        if (op->n_params < 6 || p[3] <= 0 || p[4] <= 0 || p[5] <= 0) return ODL_ERR_MODEL;
        const float *x = f32_in(ctx, op, 0, (int64_t)p[3] * p[4]);
        const float *w = f32_in(ctx, op, 1, (int64_t)p[4] * p[5]);
        const float *bias = 0;
        if (odl_op_in_info(ctx, op, 2) && !(bias = f32_in(ctx, op, 2, p[5]))) return ODL_ERR_SHAPE;
        float *y = f32_out(ctx, op, (int64_t)p[3] * p[5]);
        if (!x || !w || !y) return ODL_ERR_SHAPE;
        return odl_fully_connected_f32(p[3], p[4], p[5], x, w, bias, bits_f32(p[1]), bits_f32(p[2]), y);
    }
    case ODL_F32_MEAN: {
        if (op->n_params < 7 || p[6] < ODL_F32_REDUCE_MEAN || p[6] > ODL_F32_REDUCE_MIN) return ODL_ERR_MODEL;
        int32_t out_n = 1;
        for (int i = 0; i < 4; ++i) {
            if (p[1 + i] <= 0) return ODL_ERR_SHAPE;
            if (!(p[5] >> i & 1)) out_n *= p[1 + i];
        }
        const float *x = f32_in(ctx, op, 0, prod4(p + 1));
        float *y = f32_out(ctx, op, out_n);
        if (!x || !y) return ODL_ERR_SHAPE;
        return odl_reduce_f32(p + 1, p[5], p[6], x, y);
    }
    case ODL_F32_LEAKY_RELU:
    case ODL_F32_HARD_SWISH:
    case ODL_F32_ABS:
    case ODL_F32_RSQRT:
    case ODL_F32_ELU:
    case ODL_F32_NEG:
    case ODL_F32_SQUARE:
    case ODL_F32_FLOOR:
    case ODL_F32_CEIL:
    case ODL_F32_ROUND:
    case ODL_F32_SQRT:
    case ODL_F32_EXP:
    case ODL_F32_LOG:
    case ODL_F32_SIN:
    case ODL_F32_COS: {
        const float *x = f32_in(ctx, op, 0, n);
        float *y = f32_out(ctx, op, n);
        if (n < 0 || !x || !y) return ODL_ERR_SHAPE;
        if (p[0] == ODL_F32_LEAKY_RELU && op->n_params < 2) return ODL_ERR_MODEL;
        return odl_unary_f32(p[0], n, p[0] == ODL_F32_LEAKY_RELU ? bits_f32(p[1]) : 0.0f, x, y);
    }
    case ODL_F32_LOGISTIC:
    case ODL_F32_TANH:
    case ODL_F32_CLAMP: {
        const float *x = f32_in(ctx, op, 0, n);
        float *y = f32_out(ctx, op, n);
        if (n < 0 || !x || !y) return ODL_ERR_SHAPE;
        if (p[0] == ODL_F32_LOGISTIC) return odl_logistic_f32(n, x, y);
        if (p[0] == ODL_F32_TANH) return odl_tanh_f32(n, x, y);
        if (op->n_params < 3) return ODL_ERR_MODEL;
        return odl_clamp_f32(n, bits_f32(p[1]), bits_f32(p[2]), x, y);
    }
    case ODL_F32_COMPARE: return compare(ctx, op, p);
    case ODL_F32_TRANSPOSE_CONV: {
        if (op->n_params < 16) return ODL_ERR_MODEL;
        odl_f32_conv_geom_t g;
        g.act_lo = bits_f32(p[1]), g.act_hi = bits_f32(p[2]);
        g.n = p[3], g.h = p[4], g.w = p[5], g.c = p[6], g.oh = p[7], g.ow = p[8], g.oc = p[9], g.kh = p[10];
        g.kw = p[11], g.sh = p[12], g.sw = p[13], g.ph = p[14], g.pw = p[15], g.dh = g.dw = g.group_in = 1;
        if (g.n <= 0 || g.h <= 0 || g.w <= 0 || g.c <= 0 || g.oh <= 0 || g.ow <= 0 || g.oc <= 0 || g.kh <= 0 ||
            g.kw <= 0 || g.sh <= 0 || g.sw <= 0)
            return ODL_ERR_SHAPE;
        const float *x = f32_in(ctx, op, 0, (int64_t)g.n * g.h * g.w * g.c);
        const float *w = f32_in(ctx, op, 1, (int64_t)g.oc * g.kh * g.kw * g.c);
        const float *bias = 0;
        if (odl_op_in_info(ctx, op, 2) && !(bias = f32_in(ctx, op, 2, g.oc))) return ODL_ERR_SHAPE;
        float *y = f32_out(ctx, op, (int64_t)g.n * g.oh * g.ow * g.oc);
        if (!x || !w || !y) return ODL_ERR_SHAPE;
        return odl_transpose_conv_f32(&g, x, w, bias, y);
    }
    case ODL_F32_BATCH_MATMUL: {
        if (op->n_params < 15) return ODL_ERR_MODEL;
        for (int i = 1; i <= 6; ++i)
            if (p[i] <= 0) return ODL_ERR_SHAPE;
        const odl_tensor_t *tl = odl_op_in_info(ctx, op, 0), *tr = odl_op_in_info(ctx, op, 1);
        if (!tl || !tr || tl->dtype != ODL_DT_FLOAT32 || tr->dtype != ODL_DT_FLOAT32) return ODL_ERR_MODEL;
        const int64_t lspan = (int64_t)(p[1] - 1) * p[9] + (int64_t)(p[2] - 1) * p[10] + (int64_t)(p[3] - 1) * p[11];
        const int64_t rspan = (int64_t)(p[1] - 1) * p[12] + (int64_t)(p[2] - 1) * p[13] + (int64_t)(p[3] - 1) * p[14];
        if (odl_tensor_numel(tl) < lspan + (int64_t)p[4] * p[5] || odl_tensor_numel(tr) < rspan + (int64_t)p[5] * p[6])
            return ODL_ERR_SHAPE;
        float *y = f32_out(ctx, op, (int64_t)p[1] * p[2] * p[3] * p[4] * p[6]);
        if (!y) return ODL_ERR_SHAPE;
        return odl_batch_matmul_f32(p + 1, p[4], p[5], p[6], p[7], p[8], p + 9, p + 12,
                                    (const float *)odl_op_in(ctx, op, 0), (const float *)odl_op_in(ctx, op, 1), y);
    }
    case ODL_F32_ADD_N: {
        enum { MAX_IN = 16 };
        const float *xs[MAX_IN];
        float *y = f32_out(ctx, op, n);
        if (n < 0 || !y || op->n_inputs < 1 || op->n_inputs > MAX_IN) return ODL_ERR_SHAPE;
        for (int i = 0; i < op->n_inputs; ++i)
            if (!(xs[i] = f32_in(ctx, op, i, n))) return ODL_ERR_SHAPE;
        return odl_add_n_f32(op->n_inputs, xs, n, y);
    }
    case ODL_F32_CUMSUM: {
        if (op->n_params < 6 || p[1] <= 0 || p[2] <= 0 || p[3] <= 0) return ODL_ERR_MODEL;
        const int64_t total = (int64_t)p[1] * p[2] * p[3];
        const float *x = f32_in(ctx, op, 0, total);
        float *y = f32_out(ctx, op, total);
        if (!x || !y) return ODL_ERR_SHAPE;
        return odl_cumsum_f32(p[1], p[2], p[3], p[4], p[5], x, y);
    }
    case ODL_F32_RESIZE_BILINEAR: {
        if (op->n_params < 10) return ODL_ERR_MODEL;
        for (int i = 1; i <= 6; ++i)
            if (p[i] <= 0) return ODL_ERR_SHAPE;
        const float *x = f32_in(ctx, op, 0, (int64_t)p[1] * p[2] * p[3] * p[4]);
        float *y = f32_out(ctx, op, (int64_t)p[1] * p[5] * p[6] * p[4]);
        if (!x || !y) return ODL_ERR_SHAPE;
        return odl_resize_bilinear_f32(p[1], p[2], p[3], p[4], p[5], p[6], p[7], bits_f32(p[8]), bits_f32(p[9]), x, y);
    }
    case ODL_F32_ARG: return arg(ctx, op, p);
    case ODL_F32_SVDF: return odl_f32_svdf_op(ctx, op);
    case ODL_F32_LSTM: return odl_f32_lstm_op(ctx, op);
    case ODL_F32_L2_NORM:
    case ODL_F32_LOG_SOFTMAX: {
        if (op->n_params < 3 || p[1] <= 0 || p[2] <= 0) return ODL_ERR_MODEL;
        const float *x = f32_in(ctx, op, 0, (int64_t)p[1] * p[2]);
        float *y = f32_out(ctx, op, (int64_t)p[1] * p[2]);
        if (!x || !y) return ODL_ERR_SHAPE;
        if (p[0] == ODL_F32_LOG_SOFTMAX) return odl_log_softmax_f32(p[1], p[2], x, y);
        return odl_l2_normalization_f32(p[1], p[2], x, y);
    }
    case ODL_F32_SOFTMAX: {
        if (op->n_params < 4 || p[2] <= 0 || p[3] <= 0) return ODL_ERR_MODEL;
        const float *x = f32_in(ctx, op, 0, (int64_t)p[2] * p[3]);
        float *y = f32_out(ctx, op, (int64_t)p[2] * p[3]);
        if (!x || !y) return ODL_ERR_SHAPE;
        return odl_softmax_f32(p[2], p[3], bits_f32(p[1]), x, y);
    }
    default: return ODL_ERR_UNSUPPORTED;
    }
}
