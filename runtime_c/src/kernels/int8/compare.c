/* Comparisons (EQUAL ... LESS_EQUAL) of int8 (or raw int32) inputs into a bool (uint8 0/1)
 * output, bit-exact with TFLite Micro's *WithScaling reference: each input
 * offset, shifted left 8 and scaled by its own scale (as a multiplier below
 * one), then compared. And SELECT_V2: a raw copy of x or y per condition. */
#include "broadcast.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t cmp_scaled(int32_t v, int32_t offset, int32_t mult, int32_t shift) {
    return odl_mul_by_quantized_multiplier((int32_t)((uint32_t)(v + offset) << 8), mult, shift);
}

static uint8_t cmp_one(int32_t kind, int32_t a, int32_t b) {
    switch (kind) {
    case ODL_CMP_EQ: return a == b;
    case ODL_CMP_NE: return a != b;
    case ODL_CMP_GT: return a > b;
    case ODL_CMP_GE: return a >= b;
    case ODL_CMP_LT: return a < b;
    default: return a <= b;
    }
}

odl_status_t odl_compare_s8(const odl_compare_params_t *p, const odl_dims4_t *d1, const int8_t *in1,
                            const odl_dims4_t *d2, const int8_t *in2, const odl_dims4_t *dy, uint8_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->kind < ODL_CMP_EQ || p->kind > ODL_CMP_LE)
        return ODL_ERR_ARG;
    int32_t s1[4], s2[4];
    if (!odl_broadcast_strides(d1, dy, s1) || !odl_broadcast_strides(d2, dy, s2)) return ODL_ERR_SHAPE;
    for (int32_t n = 0; n < dy->n; ++n)
        for (int32_t h = 0; h < dy->h; ++h)
            for (int32_t w = 0; w < dy->w; ++w) {
                const int8_t *pa = in1 + n * s1[0] + h * s1[1] + w * s1[2];
                const int8_t *pb = in2 + n * s2[0] + h * s2[1] + w * s2[2];
                for (int32_t c = 0; c < dy->c; ++c) {
                    const int32_t a = cmp_scaled(pa[c * s1[3]], p->input1_offset, p->input1_multiplier,
                                                 p->input1_shift);
                    const int32_t b = cmp_scaled(pb[c * s2[3]], p->input2_offset, p->input2_multiplier,
                                                 p->input2_shift);
                    *out++ = cmp_one(p->kind, a, b);
                }
            }
    return ODL_OK;
}

static int64_t raw_at(int32_t elem, const void *p, int32_t i) {
    return elem == 8 ? ((const int64_t *)p)[i] : ((const uint8_t *)p)[i] != 0;
}

/* int64 and bool comparisons: raw values, as TFLite Micro's *NoScaling
 * (elem 8: int64; elem 1: bool bytes, any non-zero byte true). */
odl_status_t odl_compare_raw(int32_t kind, int32_t elem, const odl_dims4_t *d1, const void *in1,
                             const odl_dims4_t *d2, const void *in2, const odl_dims4_t *dy, uint8_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out || kind < ODL_CMP_EQ || kind > ODL_CMP_LE || (elem != 1 && elem != 8))
        return ODL_ERR_ARG;
    int32_t s1[4], s2[4];
    if (!odl_broadcast_strides(d1, dy, s1) || !odl_broadcast_strides(d2, dy, s2)) return ODL_ERR_SHAPE;
    for (int32_t n = 0; n < dy->n; ++n)
        for (int32_t h = 0; h < dy->h; ++h)
            for (int32_t w = 0; w < dy->w; ++w) {
                const int32_t ba = n * s1[0] + h * s1[1] + w * s1[2], bb = n * s2[0] + h * s2[1] + w * s2[2];
                for (int32_t c = 0; c < dy->c; ++c) {
                    const int64_t a = raw_at(elem, in1, ba + c * s1[3]), b = raw_at(elem, in2, bb + c * s2[3]);
                    *out++ = (uint8_t)(kind == ODL_CMP_EQ ? a == b : kind == ODL_CMP_NE ? a != b
                                       : kind == ODL_CMP_GT ? a > b : kind == ODL_CMP_GE ? a >= b
                                       : kind == ODL_CMP_LT ? a < b : a <= b);
                }
            }
    return ODL_OK;
}

/* int32 comparisons: the raw values (TFLite Micro does not rescale int32). */
odl_status_t odl_compare_i32(int32_t kind, const odl_dims4_t *d1, const int32_t *in1, const odl_dims4_t *d2,
                             const int32_t *in2, const odl_dims4_t *dy, uint8_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out || kind < ODL_CMP_EQ || kind > ODL_CMP_LE) return ODL_ERR_ARG;
    int32_t s1[4], s2[4];
    if (!odl_broadcast_strides(d1, dy, s1) || !odl_broadcast_strides(d2, dy, s2)) return ODL_ERR_SHAPE;
    for (int32_t n = 0; n < dy->n; ++n)
        for (int32_t h = 0; h < dy->h; ++h)
            for (int32_t w = 0; w < dy->w; ++w) {
                const int32_t *pa = in1 + n * s1[0] + h * s1[1] + w * s1[2];
                const int32_t *pb = in2 + n * s2[0] + h * s2[1] + w * s2[2];
                for (int32_t c = 0; c < dy->c; ++c) *out++ = cmp_one(kind, pa[c * s1[3]], pb[c * s2[3]]);
            }
    return ODL_OK;
}

odl_status_t odl_select(int32_t elem, const odl_dims4_t *dc, const uint8_t *cond, const odl_dims4_t *dx,
                        const void *x, const odl_dims4_t *dyy, const void *y, const odl_dims4_t *dout, void *out) {
    if (!dc || !cond || !dx || !x || !dyy || !y || !dout || !out || (elem != 1 && elem != 2 && elem != 4)) return ODL_ERR_ARG;
    int32_t sc[4], sx[4], sy[4];
    if (!odl_broadcast_strides(dc, dout, sc) || !odl_broadcast_strides(dx, dout, sx) ||
        !odl_broadcast_strides(dyy, dout, sy))
        return ODL_ERR_SHAPE;
    int32_t k = 0;
    for (int32_t n = 0; n < dout->n; ++n)
        for (int32_t h = 0; h < dout->h; ++h)
            for (int32_t w = 0; w < dout->w; ++w)
                for (int32_t c = 0; c < dout->c; ++c, ++k) {
                    const int32_t ic = n * sc[0] + h * sc[1] + w * sc[2] + c * sc[3];
                    const int32_t ix = n * sx[0] + h * sx[1] + w * sx[2] + c * sx[3];
                    const int32_t iy = n * sy[0] + h * sy[1] + w * sy[2] + c * sy[3];
                    if (elem == 1)
                        ((int8_t *)out)[k] = cond[ic] ? ((const int8_t *)x)[ix] : ((const int8_t *)y)[iy];
                    else if (elem == 2)
                        ((int16_t *)out)[k] = cond[ic] ? ((const int16_t *)x)[ix] : ((const int16_t *)y)[iy];
                    else /* 4 bytes: float32 values copied as their bits */
                        ((int32_t *)out)[k] = cond[ic] ? ((const int32_t *)x)[ix] : ((const int32_t *)y)[iy];
                }
    return ODL_OK;
}
