/* CONV_2D and pointwise conv FP16 training kernels with Helium (MVE): the
 * same bytes as ../conv_2d.c, which is included below (through ../arm_fp)
 * under other names for its geometry checks (see mve_f16.h for the exactness
 * rules). Lanes run over output channels (forward) or input channels (both
 * gradients); small tensors take the scalar-FPU kernels. */
#define odl_pwconv_f16_fw odl_pwconv_f16_fw_portable
#define odl_pwconv_f16_bw_input odl_pwconv_f16_bw_input_portable
#define odl_pwconv_f16_bw_weight odl_pwconv_f16_bw_weight_portable
/* The scalar-FPU kernels (VCVTB, VFMA) under <name>_fp; they include the
 * portable file (<name>_portable). Tensors that fit their stack tiles (few
 * channels: the Helium lanes would idle) go to them. */
#define ODL_FP_PUBLIC(name) name##_fp
#include "../arm_fp/conv_2d.c"
#undef odl_pwconv_f16_fw
#undef odl_pwconv_f16_bw_input
#undef odl_pwconv_f16_bw_weight

#include "mve_f16.h"

odl_status_t odl_conv2d_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (odl_fp_conv_fw_fits(&g)) return odl_conv2d_f16_fw_fp(p, in, w, b, out);
    int32_t filter = g.kh * g.kw * g.ic; /* one output channel's weights */
    uint32x4_t offsets[ODL_MVE_TILE / 4];
    odl_mve_column_offsets(offsets, filter);
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox)
                for (int32_t oc0 = 0; oc0 < g.oc; oc0 += ODL_MVE_TILE) {
                    odl_mve_acc_t a;
                    odl_mve_acc_zero(&a, odl_mve_tile(g.oc - oc0));
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                        if (iy < 0 || iy >= g.h) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                            if (ix < 0 || ix >= g.w) continue;
                            const odl_f16_t *x = in->data + ((n * g.h + iy) * g.w + ix) * g.ic;
                            const odl_f16_t *wk = w->data + oc0 * filter + (ky * g.kw + kx) * g.ic;
                            for (int32_t c = 0; c < g.ic; ++c) odl_mve_acc_column(&a, F(x[c]), wk + c, offsets);
                        }
                    }
                    odl_mve_acc_store_fw(&a, b && b->data ? b->data + oc0 : 0, p->act,
                                         out->data + ((n * g.oh + oy) * g.ow + ox) * g.oc + oc0);
                }
    return ODL_OK;
}

odl_status_t odl_conv2d_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t iy = 0; iy < g.h; ++iy)
            for (int32_t ix = 0; ix < g.w; ++ix)
                for (int32_t c0 = 0; c0 < g.ic; c0 += ODL_MVE_TILE) {
                    odl_mve_acc_t a;
                    odl_mve_acc_zero(&a, odl_mve_tile(g.ic - c0));
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t oy = tap_out(iy, ky, p->pad_top, p->dil_h, p->stride_h, g.oh);
                        if (oy < 0) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ox = tap_out(ix, kx, p->pad_left, p->dil_w, p->stride_w, g.ow);
                            if (ox < 0) continue;
                            int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.oc;
                            for (int32_t oc = 0; oc < g.oc; ++oc)
                                odl_mve_acc_axpy(&a, odl_f16_act_grad(p->act, out->data[o + oc], out->grad[o + oc]),
                                                 w->data + ((oc * g.kh + ky) * g.kw + kx) * g.ic + c0);
                        }
                    }
                    odl_mve_acc_accumulate(&a, in->grad + ((n * g.h + iy) * g.w + ix) * g.ic + c0);
                }
    return ODL_OK;
}

odl_status_t odl_conv2d_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (odl_fp_conv_bw_weight_fits(&g)) return odl_conv2d_f16_bw_weight_fp(p, in, w, b, out);
    for (int32_t oc = 0; oc < g.oc; ++oc) {
        if (w->grad)
            for (int32_t ky = 0; ky < g.kh; ++ky)
                for (int32_t kx = 0; kx < g.kw; ++kx)
                    for (int32_t c0 = 0; c0 < g.ic; c0 += ODL_MVE_TILE) {
                        odl_mve_acc_t a;
                        odl_mve_acc_zero(&a, odl_mve_tile(g.ic - c0));
                        for (int32_t n = 0; n < g.n; ++n)
                            for (int32_t oy = 0; oy < g.oh; ++oy) {
                                int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                                if (iy < 0 || iy >= g.h) continue;
                                for (int32_t ox = 0; ox < g.ow; ++ox) {
                                    int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                                    if (ix < 0 || ix >= g.w) continue;
                                    int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.oc + oc;
                                    odl_mve_acc_axpy(&a, odl_f16_act_grad(p->act, out->data[o], out->grad[o]),
                                                     in->data + ((n * g.h + iy) * g.w + ix) * g.ic + c0);
                                }
                            }
                        odl_mve_acc_accumulate(&a, w->grad + ((oc * g.kh + ky) * g.kw + kx) * g.ic + c0);
                    }
        if (b && b->grad) {
            float acc = 0.0f;
            for (int32_t i = 0; i < g.n * g.oh * g.ow; ++i)
                acc = acc + odl_f16_act_grad(p->act, out->data[i * g.oc + oc], out->grad[i * g.oc + oc]);
            odl_f16_accumulate(&b->grad[oc], acc);
        }
    }
    return ODL_OK;
}

/* Pointwise conv is the FULLY_CONNECTED product with pixels as rows. */
odl_status_t odl_pwconv_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    odl_mve_gemm_fw(in->data, px, ic, w->data, oc, b ? b->data : 0, p->act, out->data);
    return ODL_OK;
}

odl_status_t odl_pwconv_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    odl_mve_gemm_bw_input(out->data, out->grad, px, oc, w->data, ic, p->act, in->grad);
    return ODL_OK;
}

odl_status_t odl_pwconv_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (w->grad) odl_mve_gemm_bw_weight(out->data, out->grad, px, oc, in->data, ic, p->act, w->grad);
    if (b && b->grad)
        for (int32_t o = 0; o < oc; ++o) {
            float acc = 0.0f;
            for (int32_t i = 0; i < px; ++i)
                acc = acc + odl_f16_act_grad(p->act, out->data[i * oc + o], out->grad[i * oc + o]);
            odl_f16_accumulate(&b->grad[o], acc);
        }
    return ODL_OK;
}
