/* DEPTHWISE_CONV_2D in FP16 storage / FP32 arithmetic (see odl/kernels_f16.h). */
#include "f16_common.h"

typedef struct {
    int32_t n, h, w, ic, m, oh, ow, oc, kh, kw;
} dw_geo_t;

static odl_status_t dw_geo(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *out, dw_geo_t *g) {
    if (!p || !in || !w || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1 || p->depth_multiplier < 1)
        return ODL_ERR_ARG;
    g->n = in->dims[0], g->h = in->dims[1], g->w = in->dims[2], g->ic = in->dims[3];
    g->m = p->depth_multiplier, g->oc = g->ic * g->m;
    g->kh = w->dims[1], g->kw = w->dims[2];
    g->oh = out->dims[1], g->ow = out->dims[2];
    if (w->dims[0] != 1 || w->dims[3] != g->oc || out->dims[0] != g->n || out->dims[3] != g->oc)
        return ODL_ERR_SHAPE;
    return ODL_OK;
}

odl_status_t odl_dwconv_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    dw_geo_t g;
    odl_status_t s = dw_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox)
                for (int32_t oc = 0; oc < g.oc; ++oc) {
                    int32_t c = oc / g.m;
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                        if (iy < 0 || iy >= g.h) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                            if (ix < 0 || ix >= g.w) continue;
                            acc = acc + F(w->data[(ky * g.kw + kx) * g.oc + oc]) *
                                            F(in->data[((n * g.h + iy) * g.w + ix) * g.ic + c]);
                        }
                    }
                    if (b && b->data) acc = acc + F(b->data[oc]);
                    out->data[((n * g.oh + oy) * g.ow + ox) * g.oc + oc] = R(odl_f16_act(p->act, acc));
                }
    return ODL_OK;
}

static inline int32_t tap_out(int32_t i, int32_t k, int32_t pad, int32_t dil, int32_t stride, int32_t limit) {
    int32_t t = i + pad - k * dil;
    if (t < 0 || t % stride) return -1;
    t /= stride;
    return t < limit ? t : -1;
}

odl_status_t odl_dwconv_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out) {
    dw_geo_t g;
    odl_status_t s = dw_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t iy = 0; iy < g.h; ++iy)
            for (int32_t ix = 0; ix < g.w; ++ix)
                for (int32_t c = 0; c < g.ic; ++c) {
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t oy = tap_out(iy, ky, p->pad_top, p->dil_h, p->stride_h, g.oh);
                        if (oy < 0) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ox = tap_out(ix, kx, p->pad_left, p->dil_w, p->stride_w, g.ow);
                            if (ox < 0) continue;
                            for (int32_t m = 0; m < g.m; ++m) {
                                int32_t oc = c * g.m + m;
                                int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.oc + oc;
                                acc = acc + odl_f16_act_grad(p->act, out->data[o], out->grad[o]) *
                                                F(w->data[(ky * g.kw + kx) * g.oc + oc]);
                            }
                        }
                    }
                    odl_f16_accumulate(&in->grad[((n * g.h + iy) * g.w + ix) * g.ic + c], acc);
                }
    return ODL_OK;
}

odl_status_t odl_dwconv_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    dw_geo_t g;
    odl_status_t s = dw_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    for (int32_t oc = 0; oc < g.oc; ++oc) {
        int32_t c = oc / g.m;
        if (w->grad)
            for (int32_t ky = 0; ky < g.kh; ++ky)
                for (int32_t kx = 0; kx < g.kw; ++kx) {
                    float acc = 0.0f;
                    for (int32_t n = 0; n < g.n; ++n)
                        for (int32_t oy = 0; oy < g.oh; ++oy) {
                            int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                            if (iy < 0 || iy >= g.h) continue;
                            for (int32_t ox = 0; ox < g.ow; ++ox) {
                                int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                                if (ix < 0 || ix >= g.w) continue;
                                int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.oc + oc;
                                acc = acc + odl_f16_act_grad(p->act, out->data[o], out->grad[o]) *
                                                F(in->data[((n * g.h + iy) * g.w + ix) * g.ic + c]);
                            }
                        }
                    odl_f16_accumulate(&w->grad[(ky * g.kw + kx) * g.oc + oc], acc);
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
