/* CONV_2D and pointwise conv in FP16 storage / FP32 arithmetic (see odl/kernels_f16.h). */
#include "f16_common.h"

typedef struct {
    int32_t n, h, w, ic, oh, ow, oc, kh, kw;
} conv_geo_t;

static odl_status_t conv_geo(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                             const odl_f16_tensor_t *w, const odl_f16_tensor_t *out, conv_geo_t *g) {
    if (!p || !in || !w || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    if (p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1) return ODL_ERR_ARG;
    g->n = in->dims[0], g->h = in->dims[1], g->w = in->dims[2], g->ic = in->dims[3];
    g->oc = w->dims[0], g->kh = w->dims[1], g->kw = w->dims[2];
    g->oh = out->dims[1], g->ow = out->dims[2];
    if (w->dims[3] != g->ic || out->dims[0] != g->n || out->dims[3] != g->oc) return ODL_ERR_SHAPE;
    return ODL_OK;
}

odl_status_t odl_conv2d_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox)
                for (int32_t oc = 0; oc < g.oc; ++oc) {
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                        if (iy < 0 || iy >= g.h) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                            if (ix < 0 || ix >= g.w) continue;
                            const odl_f16_t *x = in->data + ((n * g.h + iy) * g.w + ix) * g.ic;
                            const odl_f16_t *wk = w->data + ((oc * g.kh + ky) * g.kw + kx) * g.ic;
                            for (int32_t c = 0; c < g.ic; ++c) acc = acc + F(wk[c]) * F(x[c]);
                        }
                    }
                    if (b && b->data) acc = acc + F(b->data[oc]);
                    out->data[((n * g.oh + oy) * g.ow + ox) * g.oc + oc] = R(odl_f16_act(p->act, acc));
                }
    return ODL_OK;
}

/* Output index along one axis that tap k of input position i feeds, or -1. */
static inline int32_t tap_out(int32_t i, int32_t k, int32_t pad, int32_t dil, int32_t stride, int32_t limit) {
    int32_t t = i + pad - k * dil;
    if (t < 0 || t % stride) return -1;
    t /= stride;
    return t < limit ? t : -1;
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
                for (int32_t c = 0; c < g.ic; ++c) {
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t oy = tap_out(iy, ky, p->pad_top, p->dil_h, p->stride_h, g.oh);
                        if (oy < 0) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ox = tap_out(ix, kx, p->pad_left, p->dil_w, p->stride_w, g.ow);
                            if (ox < 0) continue;
                            int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.oc;
                            for (int32_t oc = 0; oc < g.oc; ++oc)
                                acc = acc + odl_f16_act_grad(p->act, out->data[o + oc], out->grad[o + oc]) *
                                                F(w->data[((oc * g.kh + ky) * g.kw + kx) * g.ic + c]);
                        }
                    }
                    odl_f16_accumulate(&in->grad[((n * g.h + iy) * g.w + ix) * g.ic + c], acc);
                }
    return ODL_OK;
}

odl_status_t odl_conv2d_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    for (int32_t oc = 0; oc < g.oc; ++oc) {
        if (w->grad)
            for (int32_t ky = 0; ky < g.kh; ++ky)
                for (int32_t kx = 0; kx < g.kw; ++kx)
                    for (int32_t c = 0; c < g.ic; ++c) {
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
                        odl_f16_accumulate(&w->grad[((oc * g.kh + ky) * g.kw + kx) * g.ic + c], acc);
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

/* Pointwise: pixels are rows of a [P, IC] x [OC, IC]^T product. */
static odl_status_t pw_geo(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *out, int32_t *px, int32_t *ic, int32_t *oc) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (g.kh != 1 || g.kw != 1 || p->stride_h != 1 || p->stride_w != 1 || p->pad_top || p->pad_left ||
        g.oh != g.h || g.ow != g.w)
        return ODL_ERR_SHAPE;
    *px = g.n * g.h * g.w, *ic = g.ic, *oc = g.oc;
    return ODL_OK;
}

odl_status_t odl_pwconv_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    for (int32_t i = 0; i < px; ++i)
        for (int32_t o = 0; o < oc; ++o) {
            float acc = 0.0f;
            for (int32_t c = 0; c < ic; ++c) acc = acc + F(w->data[o * ic + c]) * F(in->data[i * ic + c]);
            if (b && b->data) acc = acc + F(b->data[o]);
            out->data[i * oc + o] = R(odl_f16_act(p->act, acc));
        }
    return ODL_OK;
}

odl_status_t odl_pwconv_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    for (int32_t i = 0; i < px; ++i)
        for (int32_t c = 0; c < ic; ++c) {
            float acc = 0.0f;
            for (int32_t o = 0; o < oc; ++o)
                acc = acc + odl_f16_act_grad(p->act, out->data[i * oc + o], out->grad[i * oc + o]) *
                                F(w->data[o * ic + c]);
            odl_f16_accumulate(&in->grad[i * ic + c], acc);
        }
    return ODL_OK;
}

odl_status_t odl_pwconv_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    int32_t px, ic, oc;
    odl_status_t s = pw_geo(p, in, w, out, &px, &ic, &oc);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    for (int32_t o = 0; o < oc; ++o) {
        if (w->grad)
            for (int32_t c = 0; c < ic; ++c) {
                float acc = 0.0f;
                for (int32_t i = 0; i < px; ++i)
                    acc = acc + odl_f16_act_grad(p->act, out->data[i * oc + o], out->grad[i * oc + o]) *
                                    F(in->data[i * ic + c]);
                odl_f16_accumulate(&w->grad[o * ic + c], acc);
            }
        if (b && b->grad) {
            float acc = 0.0f;
            for (int32_t i = 0; i < px; ++i)
                acc = acc + odl_f16_act_grad(p->act, out->data[i * oc + o], out->grad[i * oc + o]);
            odl_f16_accumulate(&b->grad[o], acc);
        }
    }
    return ODL_OK;
}
