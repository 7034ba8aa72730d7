/* AVERAGE_POOL_2D, MEAN over H/W and MAX_POOL_2D in FP16 (see odl/kernels_f16.h). */
#include "f16_common.h"
#include "odl/kernels_int8.h" /* odl_pool_window */

typedef struct {
    int32_t n, h, w, c, oh, ow;
} pool_geo_t;

static odl_status_t pool_geo(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                             const odl_f16_tensor_t *out, pool_geo_t *g) {
    if (!p || !in || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    if (p->stride_h < 1 || p->stride_w < 1 || p->filter_h < 1 || p->filter_w < 1) return ODL_ERR_ARG;
    g->n = in->dims[0], g->h = in->dims[1], g->w = in->dims[2], g->c = in->dims[3];
    g->oh = out->dims[1], g->ow = out->dims[2];
    if (out->dims[0] != g->n || out->dims[3] != g->c) return ODL_ERR_SHAPE;
    return ODL_OK;
}

/* Valid window [y0, y1) x [x0, x1) of output (oy, ox). */
static void window(const odl_f16_conv_params_t *p, const pool_geo_t *g, int32_t oy, int32_t ox, int32_t *y0,
                   int32_t *y1, int32_t *x0, int32_t *x1) {
    int32_t sy, fy0, fy1, sx, fx0, fx1;
    odl_pool_window(oy, p->stride_h, p->pad_top, p->filter_h, g->h, &sy, &fy0, &fy1);
    odl_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, g->w, &sx, &fx0, &fx1);
    *y0 = sy + fy0, *y1 = sy + fy1;
    *x0 = sx + fx0, *x1 = sx + fx1;
}

odl_status_t odl_avgpool_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    pool_geo_t g;
    odl_status_t s = pool_geo(p, in, out, &g);
    if (s != ODL_OK) return s;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                int32_t count = (y1 - y0) * (x1 - x0);
                if (count <= 0) return ODL_ERR_SHAPE;
                for (int32_t c = 0; c < g.c; ++c) {
                    float acc = 0.0f;
                    for (int32_t y = y0; y < y1; ++y)
                        for (int32_t x = x0; x < x1; ++x) acc = acc + F(in->data[((n * g.h + y) * g.w + x) * g.c + c]);
                    out->data[((n * g.oh + oy) * g.ow + ox) * g.c + c] = R(odl_f16_act(p->act, acc / (float)count));
                }
            }
    return ODL_OK;
}

odl_status_t odl_avgpool_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                      const odl_f16_tensor_t *out) {
    pool_geo_t g;
    odl_status_t s = pool_geo(p, in, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t iy = 0; iy < g.h; ++iy)
            for (int32_t ix = 0; ix < g.w; ++ix)
                for (int32_t c = 0; c < g.c; ++c) {
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
                        int32_t ty = iy + p->pad_top - ky;
                        if (ty < 0 || ty % p->stride_h || ty / p->stride_h >= g.oh) continue;
                        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                            int32_t tx = ix + p->pad_left - kx;
                            if (tx < 0 || tx % p->stride_w || tx / p->stride_w >= g.ow) continue;
                            int32_t oy = ty / p->stride_h, ox = tx / p->stride_w;
                            int32_t y0, y1, x0, x1;
                            window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                            int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.c + c;
                            acc = acc + odl_f16_act_grad(p->act, out->data[o], out->grad[o]) /
                                            (float)((y1 - y0) * (x1 - x0));
                        }
                    }
                    odl_f16_accumulate(&in->grad[((n * g.h + iy) * g.w + ix) * g.c + c], acc);
                }
    return ODL_OK;
}

static odl_f16_conv_params_t mean_params(const odl_f16_tensor_t *in) {
    odl_f16_conv_params_t p = {1, 1, 0, 0, 1, 1, in->dims[1], in->dims[2], 1, ODL_F16_ACT_NONE};
    return p;
}

odl_status_t odl_mean_f16_fw(const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (!in || !out || out->dims[1] != 1 || out->dims[2] != 1) return ODL_ERR_SHAPE;
    odl_f16_conv_params_t p = mean_params(in);
    return odl_avgpool_f16_fw(&p, in, out);
}

odl_status_t odl_mean_f16_bw_input(odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (!in || !out || out->dims[1] != 1 || out->dims[2] != 1) return ODL_ERR_SHAPE;
    odl_f16_conv_params_t p = mean_params(in);
    return odl_avgpool_f16_bw_input(&p, in, out);
}

/* Flat input index of the window maximum (first in (y, x) order) for channel
 * c; base = index of (n, y0, x0, 0), the window [y0, y1) x [x0, x1) found once
 * per output position. */
static int32_t argmax_window(const pool_geo_t *g, const odl_f16_t *x, int32_t base, int32_t rows, int32_t cols,
                             int32_t c) {
    int32_t best = -1;
    float bv = 0.0f;
    const int32_t row_step = g->w * g->c;
    for (int32_t y = 0; y < rows; ++y)
        for (int32_t xx = 0; xx < cols; ++xx) {
            int32_t i = base + y * row_step + xx * g->c + c;
            float v = F(x[i]);
            if (best < 0 || v > bv) best = i, bv = v;
        }
    return best;
}

odl_status_t odl_maxpool_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    pool_geo_t g;
    odl_status_t s = pool_geo(p, in, out, &g);
    if (s != ODL_OK) return s;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                if (y1 <= y0 || x1 <= x0) return ODL_ERR_SHAPE;
                const int32_t base = ((n * g.h + y0) * g.w + x0) * g.c;
                odl_f16_t *y = out->data + ((n * g.oh + oy) * g.ow + ox) * g.c;
                for (int32_t c = 0; c < g.c; ++c) {
                    int32_t i = argmax_window(&g, in->data, base, y1 - y0, x1 - x0, c);
                    y[c] = R(odl_f16_act(p->act, F(in->data[i])));
                }
            }
    return ODL_OK;
}

odl_status_t odl_maxpool_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                      const odl_f16_tensor_t *out) {
    pool_geo_t g;
    odl_status_t s = pool_geo(p, in, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    if (!in->grad) return ODL_OK;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                if (y1 <= y0 || x1 <= x0) return ODL_ERR_SHAPE;
                const int32_t base = ((n * g.h + y0) * g.w + x0) * g.c;
                const int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.c;
                for (int32_t c = 0; c < g.c; ++c) {
                    int32_t i = argmax_window(&g, in->data, base, y1 - y0, x1 - x0, c);
                    odl_f16_accumulate(&in->grad[i], odl_f16_act_grad(p->act, out->data[o + c], out->grad[o + c]));
                }
            }
    return ODL_OK;
}
