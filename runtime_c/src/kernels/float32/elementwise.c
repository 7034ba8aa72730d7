/* float32 element-wise kernels: binary ops with broadcasting, LOGISTIC, TANH,
 * clamps (RELU, RELU6), SOFTMAX and MEAN, as TFLite Micro's float reference
 * kernels compute them. */
#include <float.h>
#include <math.h>

#include "odl/kernels_f32.h"

/* One pass over a broadcast 4-D index space: BODY sees va, vb (the operands at
 * the element's strides) and k (the flat output index). Each caller expands it
 * once per op kind, so the kind is chosen once, not per element. */
#define ODL_F32_BROADCAST_LOOP(...)                                                              \
    do {                                                                                         \
        int32_t k = 0;                                                                           \
        for (int32_t i0 = 0; i0 < dims[0]; ++i0)                                                 \
            for (int32_t i1 = 0; i1 < dims[1]; ++i1)                                             \
                for (int32_t i2 = 0; i2 < dims[2]; ++i2)                                         \
                    for (int32_t i3 = 0; i3 < dims[3]; ++i3, ++k) {                              \
                        const float va = a[i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3]];  \
                        const float vb = b[i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3]];  \
                        __VA_ARGS__;                                                             \
                    }                                                                            \
    } while (0)

#define ODL_F32_BINARY(EXPR) ODL_F32_BROADCAST_LOOP(y[k] = odl_f32_clamp((EXPR), lo, hi))

static inline float f32_squared_difference(float va, float vb) {
    const float d = va - vb;
    return d * d;
}

/* fmodf is exact; the sign follows the divisor */
static inline float f32_floor_mod(float va, float vb) {
    const float t = fmodf(va, vb);
    return (t != 0.0f && ((vb < 0.0f) != (t < 0.0f))) ? t + vb : t;
}

odl_status_t odl_binary_f32(int32_t kind, const int32_t dims[4], const int32_t sa[4], const float *a,
                            const int32_t sb[4], const float *b, float lo, float hi, float *y) {
    if (!a || !b || !y) return ODL_ERR_MODEL;
    switch (kind) {
    case ODL_F32_ADD: ODL_F32_BINARY(va + vb); break;
    case ODL_F32_SUB: ODL_F32_BINARY(va - vb); break;
    case ODL_F32_MUL: ODL_F32_BINARY(va * vb); break;
    case ODL_F32_DIV: ODL_F32_BINARY(va / vb); break;
    case ODL_F32_MAXIMUM: ODL_F32_BINARY(va > vb ? va : vb); break;
    case ODL_F32_MINIMUM: ODL_F32_BINARY(va < vb ? va : vb); break;
    case ODL_F32_SQUARED_DIFFERENCE: ODL_F32_BINARY(f32_squared_difference(va, vb)); break;
    case ODL_F32_PRELU: ODL_F32_BINARY(va >= 0.0f ? va : va * vb); break;
    case ODL_F32_FLOOR_DIV: /* TFLite Micro fails the op on a zero divisor */
        ODL_F32_BROADCAST_LOOP(if (vb == 0.0f) return ODL_ERR_NUMERIC;
                               y[k] = odl_f32_clamp((float)floor((double)va / (double)vb), lo, hi));
        break;
    case ODL_F32_FLOOR_MOD: ODL_F32_BINARY(f32_floor_mod(va, vb)); break;
    default: /* an unknown kind fails only where there is an element to compute */
        if (dims[0] > 0 && dims[1] > 0 && dims[2] > 0 && dims[3] > 0) return ODL_ERR_UNSUPPORTED;
        break;
    }
    return ODL_OK;
}

odl_status_t odl_compare_f32(int32_t cmp, const int32_t dims[4], const int32_t sa[4], const float *a,
                             const int32_t sb[4], const float *b, uint8_t *y) {
    switch (cmp) {
    case 0: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va == vb)); break;
    case 1: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va != vb)); break;
    case 2: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va > vb)); break;
    case 3: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va >= vb)); break;
    case 4: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va < vb)); break;
    case 5: ODL_F32_BROADCAST_LOOP(y[k] = (uint8_t)(va <= vb)); break;
    default: return ODL_ERR_MODEL;
    }
    return ODL_OK;
}

odl_status_t odl_arg_f32(int32_t is_min, int32_t outer, int32_t axis, int32_t inner, const float *x, int32_t *y32,
                         int64_t *y64) {
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t i = 0; i < inner; ++i) {
            const float *xp = x + (int64_t)o * axis * inner + i;
            float best = xp[0];
            int32_t at = 0;
            for (int32_t k = 1; k < axis; ++k) {
                const float v = xp[(int64_t)k * inner];
                if (is_min ? v < best : v > best) best = v, at = k;
            }
            if (y64) y64[(int64_t)o * inner + i] = at;
            else y32[(int64_t)o * inner + i] = at;
        }
    return ODL_OK;
}

odl_status_t odl_logistic_f32(int32_t n, const float *x, float *y) {
    /* TFLite's cutoffs: 1 above 16.619..., exp(x) below -9. */
    const float upper = 16.619047164916992188f, lower = -9.f;
    for (int32_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v > upper ? 1.0f : v < lower ? odl_expf(v) : 1.f / (1.f + odl_expf(-v));
    }
    return ODL_OK;
}

odl_status_t odl_tanh_f32(int32_t n, const float *x, float *y) {
    for (int32_t i = 0; i < n; ++i) y[i] = odl_tanhf(x[i]);
    return ODL_OK;
}

odl_status_t odl_clamp_f32(int32_t n, float lo, float hi, const float *x, float *y) {
    for (int32_t i = 0; i < n; ++i) y[i] = odl_f32_clamp(x[i], lo, hi);
    return ODL_OK;
}

odl_status_t odl_softmax_f32(int32_t outer, int32_t depth, float beta, const float *x, float *y) {
    for (int32_t i = 0; i < outer; ++i) {
        const float *xr = x + (int64_t)i * depth;
        float *yr = y + (int64_t)i * depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < depth; ++c) max = max < xr[c] ? xr[c] : max;
        float sum = 0.f;
        for (int32_t c = 0; c < depth; ++c) {
            const float e = odl_expf((xr[c] - max) * beta);
            yr[c] = e; /* y may alias x only element-wise: xr[c] is read first */
            sum += e;
        }
        for (int32_t c = 0; c < depth; ++c) yr[c] = yr[c] / sum;
    }
    return ODL_OK;
}

odl_status_t odl_log_softmax_f32(int32_t outer, int32_t depth, const float *x, float *y) {
    for (int32_t i = 0; i < outer; ++i) {
        const float *xr = x + (int64_t)i * depth;
        float *yr = y + (int64_t)i * depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < depth; ++c) max = max < xr[c] ? xr[c] : max;
        float sum = 0.f;
        for (int32_t c = 0; c < depth; ++c) sum += odl_expf(xr[c] - max);
        const float log_sum = odl_logf(sum);
        for (int32_t c = 0; c < depth; ++c) yr[c] = xr[c] - max - log_sum;
    }
    return ODL_OK;
}

odl_status_t odl_l2_normalization_f32(int32_t outer, int32_t depth, const float *x, float *y) {
    const float eps = 1e-6f;
    for (int32_t i = 0; i < outer; ++i) {
        const float *xr = x + (int64_t)i * depth;
        float *yr = y + (int64_t)i * depth;
        float ss = 0;
        for (int32_t c = 0; c < depth; ++c) ss += xr[c] * xr[c];
        float norm = sqrtf(ss);
        norm = norm < eps ? eps : norm;
        for (int32_t c = 0; c < depth; ++c) yr[c] = xr[c] / norm;
    }
    return ODL_OK;
}

odl_status_t odl_reduce_f32(const int32_t dims[4], int32_t mask, int32_t mode, const float *x, float *y) {
    int32_t od[4], count = 1, n_out = 1;
    for (int i = 0; i < 4; ++i) {
        od[i] = (mask >> i & 1) ? 1 : dims[i];
        if (mask >> i & 1) count *= dims[i];
        n_out *= od[i];
    }
    const float init = mode == ODL_F32_REDUCE_MAX ? -FLT_MAX : mode == ODL_F32_REDUCE_MIN ? FLT_MAX : 0.f;
    for (int32_t k = 0; k < n_out; ++k) y[k] = init;
    /* Row-major over the input into each output (ReduceSumImpl's / ReduceGeneric's order). */
    int32_t k = 0;
    for (int32_t i0 = 0; i0 < dims[0]; ++i0)
        for (int32_t i1 = 0; i1 < dims[1]; ++i1)
            for (int32_t i2 = 0; i2 < dims[2]; ++i2)
                for (int32_t i3 = 0; i3 < dims[3]; ++i3, ++k) {
                    const int32_t o0 = od[0] == 1 ? 0 : i0, o1 = od[1] == 1 ? 0 : i1;
                    const int32_t o2 = od[2] == 1 ? 0 : i2, o3 = od[3] == 1 ? 0 : i3;
                    float *acc = &y[((o0 * od[1] + o1) * od[2] + o2) * od[3] + o3];
                    const float v = x[k];
                    if (mode == ODL_F32_REDUCE_MAX) *acc = v > *acc ? v : *acc;
                    else if (mode == ODL_F32_REDUCE_MIN) *acc = v < *acc ? v : *acc;
                    else *acc += v;
                }
    if (mode == ODL_F32_REDUCE_MEAN)
        for (int32_t j = 0; j < n_out; ++j) y[j] = y[j] / (float)count;
    return ODL_OK;
}

odl_status_t odl_unary_f32(int32_t kind, int32_t n, float param, const float *x, float *y) {
    for (int32_t i = 0; i < n; ++i) {
        const float v = x[i];
        switch (kind) {
        case ODL_F32_LEAKY_RELU: y[i] = v > 0 ? v : v * param; break;
        case ODL_F32_HARD_SWISH: { /* in * min(6, max(0, in + 3)) / 6 */
            const float t = v + 3, m = 0.0f < t ? t : 0.0f, c = m < 6.0f ? m : 6.0f;
            y[i] = v * c / 6;
            break;
        }
        case ODL_F32_ABS: y[i] = fabsf(v); break;
        case ODL_F32_RSQRT: y[i] = 1.f / sqrtf(v); break;
        case ODL_F32_ELU: y[i] = v < 0 ? odl_expm1f(v) : v; break;
        case ODL_F32_NEG: y[i] = -v; break;
        case ODL_F32_SQUARE: y[i] = v * v; break;
        case ODL_F32_FLOOR: y[i] = floorf(v); break;
        case ODL_F32_CEIL: y[i] = ceilf(v); break;
        case ODL_F32_ROUND: { /* TFLite's RoundToNearest: half to even by the floor's parity */
            const float f = floorf(v), d = v - f;
            y[i] = (d < 0.5f || (d == 0.5f && (int32_t)f % 2 == 0)) ? f : f + 1.0f;
            break;
        }
        case ODL_F32_SQRT: y[i] = sqrtf(v); break;
        case ODL_F32_EXP: y[i] = odl_expf(v); break;
        case ODL_F32_LOG: y[i] = odl_logf(v); break;
        case ODL_F32_SIN: y[i] = odl_sinf(v); break;
        case ODL_F32_COS: y[i] = odl_cosf(v); break;
        default: return ODL_ERR_UNSUPPORTED;
        }
    }
    return ODL_OK;
}

odl_status_t odl_add_n_f32(int32_t n_in, const float *const *x, int32_t n, float *y) {
    for (int32_t i = 0; i < n; ++i) {
        float t = 0;
        for (int32_t j = 0; j < n_in; ++j) t += x[j][i];
        y[i] = t;
    }
    return ODL_OK;
}

odl_status_t odl_cumsum_f32(int32_t outer, int32_t axis, int32_t inner, int32_t exclusive, int32_t reverse,
                            const float *x, float *y) {
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t i = 0; i < inner; ++i) {
            float acc = 0;
            for (int32_t k = 0; k < axis; ++k) {
                const int64_t at = ((int64_t)o * axis + (reverse ? axis - 1 - k : k)) * inner + i;
                if (exclusive) {
                    y[at] = acc;
                    acc += x[at];
                } else {
                    acc += x[at];
                    y[at] = acc;
                }
            }
        }
    return ODL_OK;
}
