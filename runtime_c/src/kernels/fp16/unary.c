/* LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, MUL, and the data-movement ops
 * (PAD, TRANSPOSE / STRIDED_SLICE as a strided gather, CONCATENATION of two
 * inputs) in FP16 (see odl/kernels_f16.h). */
#include "f16_common.h"

/* exp of a non-positive argument only (odl_f16_expf's domain). */
static float logistic(float x) {
    float e = odl_f16_expf(x >= 0.0f ? -x : x);
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

static float tanh_f(float x) {
    float a = x >= 0.0f ? x : -x;
    float e = odl_f16_expf(-(a + a));
    float r = (1.0f - e) / (1.0f + e);
    return x < 0.0f ? -r : r;
}

static float unary_fw(int32_t kind, float alpha, float x) {
    switch (kind) {
    case ODL_F16_UN_LOGISTIC: return logistic(x);
    case ODL_F16_UN_TANH: return tanh_f(x);
    case ODL_F16_UN_HARD_SWISH: {
        float t = x + 3.0f;
        t = t > 0.0f ? (t < 6.0f ? t : 6.0f) : 0.0f;
        return (x * t) / 6.0f;
    }
    default: return x > 0.0f ? x : alpha * x; /* LEAKY_RELU */
    }
}

/* Derivative from the stored output y (LOGISTIC, TANH) or the input x. */
static float unary_grad(int32_t kind, float alpha, float x, float y) {
    switch (kind) {
    case ODL_F16_UN_LOGISTIC: return y * (1.0f - y);
    case ODL_F16_UN_TANH: return 1.0f - y * y;
    case ODL_F16_UN_HARD_SWISH: return x < -3.0f ? 0.0f : (x > 3.0f ? 1.0f : (x + x + 3.0f) / 6.0f);
    default: return x > 0.0f ? 1.0f : alpha;
    }
}

static int bad_unary(int32_t kind) { return kind < ODL_F16_UN_LOGISTIC || kind > ODL_F16_UN_LEAKY_RELU; }

odl_status_t odl_unary_f16_fw(int32_t kind, float alpha, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (!in || !out || bad_unary(kind)) return ODL_ERR_ARG;
    if (odl_f16_numel(in) != odl_f16_numel(out)) return ODL_ERR_SHAPE;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i) out->data[i] = R(unary_fw(kind, alpha, F(in->data[i])));
    return ODL_OK;
}

odl_status_t odl_unary_f16_bw_input(int32_t kind, float alpha, odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (!in || !out || !out->grad || bad_unary(kind)) return ODL_ERR_ARG;
    if (odl_f16_numel(in) != odl_f16_numel(out)) return ODL_ERR_SHAPE;
    if (!in->grad) return ODL_OK;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i) {
        float d = unary_grad(kind, alpha, F(in->data[i]), F(out->data[i]));
        odl_f16_accumulate(&in->grad[i], F(out->grad[i]) * d);
    }
    return ODL_OK;
}

odl_status_t odl_mul_f16_fw(int32_t act, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    if (!a || !b || !out || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    int32_t n = odl_f16_numel(out);
    if (odl_f16_numel(a) != n || odl_f16_numel(b) != n) return ODL_ERR_SHAPE;
    for (int32_t i = 0; i < n; ++i) out->data[i] = R(odl_f16_act(act, F(a->data[i]) * F(b->data[i])));
    return ODL_OK;
}

odl_status_t odl_mul_f16_bw_input(int32_t act, odl_f16_tensor_t *a, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    if (!a || !b || !out || !out->grad || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    int32_t n = odl_f16_numel(out);
    if (odl_f16_numel(a) != n || odl_f16_numel(b) != n) return ODL_ERR_SHAPE;
    for (int32_t i = 0; i < n; ++i) {
        float g = odl_f16_act_grad(act, out->data[i], out->grad[i]);
        if (a->grad) odl_f16_accumulate(&a->grad[i], g * F(b->data[i]));
        if (b->grad) odl_f16_accumulate(&b->grad[i], g * F(a->data[i]));
    }
    return ODL_OK;
}

/* PAD: out = +0, then out[p + before] = in[p] for every input position p. */
static int pad_ok(const int32_t *before, const odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    for (int d = 0; d < 4; ++d)
        if (before[d] < 0 || in->dims[d] + before[d] > out->dims[d]) return 0;
    return 1;
}

static int32_t pad_index(const int32_t *before, const int32_t *od, const int32_t *p) {
    return (((p[0] + before[0]) * od[1] + p[1] + before[1]) * od[2] + p[2] + before[2]) * od[3] + p[3] + before[3];
}

odl_status_t odl_pad_f16_fw(const int32_t *before, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (!before || !in || !out) return ODL_ERR_ARG;
    if (!pad_ok(before, in, out)) return ODL_ERR_SHAPE;
    memset(out->data, 0, sizeof(odl_f16_t) * (size_t)odl_f16_numel(out));
    int32_t p[4], i = 0;
    for (p[0] = 0; p[0] < in->dims[0]; ++p[0])
        for (p[1] = 0; p[1] < in->dims[1]; ++p[1])
            for (p[2] = 0; p[2] < in->dims[2]; ++p[2])
                for (p[3] = 0; p[3] < in->dims[3]; ++p[3], ++i)
                    out->data[pad_index(before, out->dims, p)] = R(F(in->data[i]));
    return ODL_OK;
}

odl_status_t odl_pad_f16_bw_input(const int32_t *before, odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (!before || !in || !out || !out->grad) return ODL_ERR_ARG;
    if (!pad_ok(before, in, out)) return ODL_ERR_SHAPE;
    if (!in->grad) return ODL_OK;
    int32_t p[4], i = 0;
    for (p[0] = 0; p[0] < in->dims[0]; ++p[0])
        for (p[1] = 0; p[1] < in->dims[1]; ++p[1])
            for (p[2] = 0; p[2] < in->dims[2]; ++p[2])
                for (p[3] = 0; p[3] < in->dims[3]; ++p[3], ++i)
                    odl_f16_accumulate(&in->grad[i], F(out->grad[pad_index(before, out->dims, p)]));
    return ODL_OK;
}

/* Strided gather: out[p] = in[v[4] + sum_d p[d] * v[d]] (TRANSPOSE,
 * STRIDED_SLICE); every index is checked against the input first. */
static int gather_ok(const int32_t *v, const odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    int32_t lo = v[4], hi = v[4];
    for (int d = 0; d < 4; ++d) {
        if (out->dims[d] < 1) return 0;
        int32_t span = (out->dims[d] - 1) * v[d];
        if (span < 0) lo += span;
        else hi += span;
    }
    return lo >= 0 && hi < odl_f16_numel(in);
}

odl_status_t odl_gather_f16_fw(const int32_t *v, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (!v || !in || !out) return ODL_ERR_ARG;
    if (!gather_ok(v, in, out)) return ODL_ERR_SHAPE;
    int32_t i = 0;
    for (int32_t a = 0; a < out->dims[0]; ++a)
        for (int32_t b = 0; b < out->dims[1]; ++b)
            for (int32_t c = 0; c < out->dims[2]; ++c)
                for (int32_t d = 0; d < out->dims[3]; ++d, ++i)
                    out->data[i] = R(F(in->data[v[4] + a * v[0] + b * v[1] + c * v[2] + d * v[3]]));
    return ODL_OK;
}

/* Each output position reads its own input element (TRANSPOSE, STRIDED_SLICE
 * with nonzero strides), so contributions are rounded one by one in output order. */
odl_status_t odl_gather_f16_bw_input(const int32_t *v, odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (!v || !in || !out || !out->grad) return ODL_ERR_ARG;
    if (!gather_ok(v, in, out)) return ODL_ERR_SHAPE;
    if (!in->grad) return ODL_OK;
    int32_t i = 0;
    for (int32_t a = 0; a < out->dims[0]; ++a)
        for (int32_t b = 0; b < out->dims[1]; ++b)
            for (int32_t c = 0; c < out->dims[2]; ++c)
                for (int32_t d = 0; d < out->dims[3]; ++d, ++i)
                    odl_f16_accumulate(&in->grad[v[4] + a * v[0] + b * v[1] + c * v[2] + d * v[3]], F(out->grad[i]));
    return ODL_OK;
}

/* CONCATENATION of a and b along dims axis (0..3). */
static int concat_split(int32_t axis, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b,
                        const odl_f16_tensor_t *out, int32_t *outer, int32_t *ca, int32_t *cb) {
    if (axis < 0 || axis > 3) return 0;
    int32_t inner = 1;
    *outer = 1;
    for (int d = 0; d < 4; ++d) {
        if (d == axis) {
            if (a->dims[d] + b->dims[d] != out->dims[d]) return 0;
        } else if (a->dims[d] != out->dims[d] || b->dims[d] != out->dims[d]) {
            return 0;
        } else if (d < axis) {
            *outer *= out->dims[d];
        } else {
            inner *= out->dims[d];
        }
    }
    *ca = a->dims[axis] * inner, *cb = b->dims[axis] * inner;
    return 1;
}

odl_status_t odl_concat_f16_fw(int32_t axis, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b,
                               odl_f16_tensor_t *out) {
    int32_t outer, ca, cb;
    if (!a || !b || !out) return ODL_ERR_ARG;
    if (!concat_split(axis, a, b, out, &outer, &ca, &cb)) return ODL_ERR_SHAPE;
    odl_f16_t *y = out->data;
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < ca; ++i) *y++ = R(F(a->data[o * ca + i]));
        for (int32_t i = 0; i < cb; ++i) *y++ = R(F(b->data[o * cb + i]));
    }
    return ODL_OK;
}

odl_status_t odl_concat_f16_bw_input(int32_t axis, odl_f16_tensor_t *a, odl_f16_tensor_t *b,
                                     const odl_f16_tensor_t *out) {
    int32_t outer, ca, cb;
    if (!a || !b || !out || !out->grad) return ODL_ERR_ARG;
    if (!concat_split(axis, a, b, out, &outer, &ca, &cb)) return ODL_ERR_SHAPE;
    const odl_f16_t *g = out->grad;
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < ca; ++i, ++g)
            if (a->grad) odl_f16_accumulate(&a->grad[o * ca + i], F(*g));
        for (int32_t i = 0; i < cb; ++i, ++g)
            if (b->grad) odl_f16_accumulate(&b->grad[o * cb + i], F(*g));
    }
    return ODL_OK;
}
