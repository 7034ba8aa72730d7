/* TRANSPOSE_CONV, int8 and 16x8, bit-exact with TFLite Micro
 * (reference_integer_ops::TransposeConv). TFLite scatters every input tap
 * into an accumulator buffer; here each output gathers the taps that land
 * on it, which sums the same integers (int32 for int8 with wrap-around as
 * the buffer would, int64 for int16) without the scratch buffer.
 * Filter OHWI, bias int32 (int8) or int64 (int16), per-channel requantization. */
#include "../int16/requant64.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int64_t tap_sum(const odl_tconv_params_t *p, const odl_dims4_t *xd, const void *in, int elem,
                       const odl_dims4_t *wd, const int8_t *w, int32_t b, int32_t oy, int32_t ox, int32_t oc) {
    int64_t acc = 0;
    for (int32_t ky = 0; ky < wd->h; ++ky) {
        const int32_t ny = oy + p->pad_h - ky;
        if (ny < 0 || ny % p->stride_h) continue;
        const int32_t iy = ny / p->stride_h;
        if (iy >= xd->h) continue;
        for (int32_t kx = 0; kx < wd->w; ++kx) {
            const int32_t nx = ox + p->pad_w - kx;
            if (nx < 0 || nx % p->stride_w) continue;
            const int32_t ix = nx / p->stride_w;
            if (ix >= xd->w) continue;
            const int64_t base = (((int64_t)b * xd->h + iy) * xd->w + ix) * xd->c;
            const int8_t *wp = w + (((int64_t)oc * wd->h + ky) * wd->w + kx) * wd->c;
            for (int32_t ic = 0; ic < xd->c; ++ic) {
                const int32_t v = elem == 1 ? ((const int8_t *)in)[base + ic] + p->input_offset
                                            : ((const int16_t *)in)[base + ic];
                acc += (int64_t)v * wp[ic];
            }
        }
    }
    return acc;
}

static odl_status_t check(const odl_tconv_params_t *p, const int32_t *shift, const odl_dims4_t *xd,
                          const odl_dims4_t *wd, const odl_dims4_t *yd) {
    if (p->stride_h <= 0 || p->stride_w <= 0) return ODL_ERR_ARG;
    if (wd->c != xd->c || wd->n != yd->c || yd->n != xd->n) return ODL_ERR_SHAPE;
    for (int32_t c = 0; c < yd->c; ++c)
        if (shift[c] > 31 || shift[c] < -31) return ODL_ERR_ARG;
    return ODL_OK;
}

odl_status_t odl_transpose_conv_s8(const odl_tconv_params_t *p, const int32_t *mult, const int32_t *shift,
                                   const odl_dims4_t *xd, const int8_t *in, const odl_dims4_t *wd, const int8_t *w,
                                   const int32_t *bias, const odl_dims4_t *yd, int8_t *out) {
    if (!p || !mult || !shift || !xd || !in || !wd || !w || !yd || !out) return ODL_ERR_ARG;
    const odl_status_t s = check(p, shift, xd, wd, yd);
    if (s != ODL_OK) return s;
    for (int32_t b = 0; b < yd->n; ++b)
        for (int32_t oy = 0; oy < yd->h; ++oy)
            for (int32_t ox = 0; ox < yd->w; ++ox)
                for (int32_t oc = 0; oc < yd->c; ++oc) {
                    uint32_t acc = (uint32_t)tap_sum(p, xd, in, 1, wd, w, b, oy, ox, oc);
                    if (bias) acc += (uint32_t)bias[oc];
                    const int32_t v = odl_mul_by_quantized_multiplier((int32_t)acc, mult[oc], shift[oc]) +
                                      p->output_offset;
                    out[(((int64_t)b * yd->h + oy) * yd->w + ox) * yd->c + oc] =
                        (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
                }
    return ODL_OK;
}

odl_status_t odl_transpose_conv_s16(const odl_tconv_params_t *p, const int32_t *mult, const int32_t *shift,
                                    const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *wd,
                                    const int8_t *w, const int64_t *bias, const odl_dims4_t *yd, int16_t *out) {
    if (!p || !mult || !shift || !xd || !in || !wd || !w || !yd || !out) return ODL_ERR_ARG;
    const odl_status_t s = check(p, shift, xd, wd, yd);
    if (s != ODL_OK) return s;
    for (int32_t b = 0; b < yd->n; ++b)
        for (int32_t oy = 0; oy < yd->h; ++oy)
            for (int32_t ox = 0; ox < yd->w; ++ox)
                for (int32_t oc = 0; oc < yd->c; ++oc) {
                    int64_t acc = tap_sum(p, xd, in, 2, wd, w, b, oy, ox, oc);
                    if (bias) acc += bias[oc];
                    const int32_t v = odl_mul_by_quantized_multiplier64(acc, mult[oc], shift[oc]) + p->output_offset;
                    out[(((int64_t)b * yd->h + oy) * yd->w + ox) * yd->c + oc] =
                        (int16_t)odl_clamp_i32(v, p->act_min, p->act_max);
                }
    return ODL_OK;
}
