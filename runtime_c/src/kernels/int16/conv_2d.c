/* 16x8 CONV_2D, bit-exact with TFLite Micro (reference_integer_ops::
 * ConvPerChannel for int16 input, int8 filter): zero points are 0, taps
 * outside the image are skipped, groups as the int8 kernel. */
#include "odl/kernels_ext.h"
#include "requant64.h"

odl_status_t odl_conv2d_s16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                            const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *wd, const int8_t *w,
                            const int64_t *bias64, const int32_t *bias32, const odl_dims4_t *yd, int16_t *out) {
    if (!p || !mult || !shift || !xd || !in || !wd || !w || !yd || !out) return ODL_ERR_ARG;
    if (wd->c <= 0 || xd->c % wd->c || yd->c != wd->n) return ODL_ERR_SHAPE;
    const int32_t groups = xd->c / wd->c, per_group = yd->c / groups;
    if (per_group <= 0 || yd->c % groups) return ODL_ERR_SHAPE;
    for (int32_t c = 0; c < yd->c; ++c)
        if (shift[c] > 7 || shift[c] < -31) return ODL_ERR_ARG;
    for (int32_t b = 0; b < yd->n; ++b)
        for (int32_t oy = 0; oy < yd->h; ++oy)
            for (int32_t ox = 0; ox < yd->w; ++ox)
                for (int32_t oc = 0; oc < yd->c; ++oc) {
                    const int32_t g0 = (oc / per_group) * wd->c;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < wd->h; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                        if (iy < 0 || iy >= xd->h) continue;
                        for (int32_t kx = 0; kx < wd->w; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                            if (ix < 0 || ix >= xd->w) continue;
                            const int16_t *xp = in + (((int64_t)b * xd->h + iy) * xd->w + ix) * xd->c + g0;
                            const int8_t *wp = w + (((int64_t)oc * wd->h + ky) * wd->w + kx) * wd->c;
                            for (int32_t ic = 0; ic < wd->c; ++ic) acc += (int32_t)wp[ic] * (int32_t)xp[ic];
                        }
                    }
                    out[(((int64_t)b * yd->h + oy) * yd->w + ox) * yd->c + oc] =
                        odl_requant_s16(acc, bias64, bias32, oc, mult[oc], shift[oc], p->act_min, p->act_max);
                }
    return ODL_OK;
}
