/* float32 FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and pools, in TFLite
 * Micro's reference loop order (see odl/kernels_f32.h). */
#include <float.h>
#include <math.h>

#include "odl/kernels_f32.h"

odl_status_t odl_fully_connected_f32(int32_t batches, int32_t in_depth, int32_t out_depth, const float *x,
                                     const float *w, const float *bias, float lo, float hi, float *y) {
    for (int32_t b = 0; b < batches; ++b)
        for (int32_t o = 0; o < out_depth; ++o) {
            float total = 0.f;
            for (int32_t d = 0; d < in_depth; ++d) total += x[b * in_depth + d] * w[o * in_depth + d];
            const float bias_value = bias ? bias[o] : 0.0f;
            y[b * out_depth + o] = odl_f32_clamp(total + bias_value, lo, hi);
        }
    return ODL_OK;
}

odl_status_t odl_conv_2d_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w, const float *bias,
                             float *y) {
    const int32_t ic = g->group_in;
    if (ic <= 0 || g->c % ic) return ODL_ERR_SHAPE;
    const int32_t groups = g->c / ic;
    if (g->oc % groups) return ODL_ERR_SHAPE;
    const int32_t per_group = g->oc / groups;
    for (int32_t b = 0; b < g->n; ++b)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox)
                for (int32_t o = 0; o < g->oc; ++o) {
                    const int32_t base = (o / per_group) * ic;
                    float total = 0.f;
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
                            const float *xp = x + ((b * g->h + iy) * g->w + ix) * g->c + base;
                            const float *wp = w + ((o * g->kh + ky) * g->kw + kx) * ic;
                            for (int32_t i = 0; i < ic; ++i) total += xp[i] * wp[i];
                        }
                    }
                    const float bias_value = bias ? bias[o] : 0.0f;
                    y[((b * g->oh + oy) * g->ow + ox) * g->oc + o] = odl_f32_clamp(total + bias_value, g->act_lo, g->act_hi);
                }
    return ODL_OK;
}

odl_status_t odl_depthwise_conv_2d_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w,
                                       const float *bias, float *y) {
    const int32_t m = g->group_in;
    if (m <= 0 || g->oc != g->c * m) return ODL_ERR_SHAPE;
    for (int32_t b = 0; b < g->n; ++b)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox)
                for (int32_t c = 0; c < g->c; ++c)
                    for (int32_t q = 0; q < m; ++q) {
                        const int32_t o = c * m + q;
                        float total = 0.f;
                        for (int32_t ky = 0; ky < g->kh; ++ky) {
                            const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                            for (int32_t kx = 0; kx < g->kw; ++kx) {
                                const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                                if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
                                total += x[((b * g->h + iy) * g->w + ix) * g->c + c] * w[(ky * g->kw + kx) * g->oc + o];
                            }
                        }
                        const float bias_value = bias ? bias[o] : 0.0f;
                        y[((b * g->oh + oy) * g->ow + ox) * g->oc + o] =
                            odl_f32_clamp(total + bias_value, g->act_lo, g->act_hi);
                    }
    return ODL_OK;
}

/* mode 0: average, 1: max, 2: L2 (TFLite's L2Pool). */
static odl_status_t pool_f32(const odl_f32_conv_geom_t *g, const float *x, float *y, int mode) {
    for (int32_t b = 0; b < g->n; ++b)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int32_t y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;
                const int32_t fy0 = y0 < 0 ? -y0 : 0, fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fy1 = g->kh < g->h - y0 ? g->kh : g->h - y0;
                const int32_t fx1 = g->kw < g->w - x0 ? g->kw : g->w - x0;
                for (int32_t c = 0; c < g->c; ++c) {
                    float total = 0.f, best = -FLT_MAX;
                    int32_t count = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy)
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const float v = x[((b * g->h + y0 + fy) * g->w + x0 + fx) * g->c + c];
                            total += mode == 2 ? v * v : v;
                            best = best < v ? v : best;
                            ++count;
                        }
                    const float r = mode == 1 ? best : mode == 2 ? sqrtf(total / (float)count) : total / (float)count;
                    y[((b * g->oh + oy) * g->ow + ox) * g->c + c] = odl_f32_clamp(r, g->act_lo, g->act_hi);
                }
            }
    return ODL_OK;
}

odl_status_t odl_average_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y) {
    return pool_f32(g, x, y, 0);
}

odl_status_t odl_max_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y) {
    return pool_f32(g, x, y, 1);
}

odl_status_t odl_l2_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y) {
    return pool_f32(g, x, y, 2);
}

/* TFLite's ComputeInterpolationValues. */
static void interp(float value, float scale, int32_t half, int32_t size, float *scaled, int32_t *lo, int32_t *hi) {
    *scaled = half ? (value + 0.5f) * scale - 0.5f : value * scale;
    const int32_t l = (int32_t)floorf(*scaled), u = (int32_t)ceilf(*scaled);
    *lo = l > 0 ? l : 0;
    *hi = u < size - 1 ? u : size - 1;
}

odl_status_t odl_resize_bilinear_f32(int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh, int32_t ow,
                                     int32_t half_pixel, float h_scale, float w_scale, const float *x, float *y) {
    for (int32_t b = 0; b < n; ++b)
        for (int32_t oy = 0; oy < oh; ++oy) {
            float iy;
            int32_t y0, y1;
            interp((float)oy, h_scale, half_pixel, h, &iy, &y0, &y1);
            for (int32_t ox = 0; ox < ow; ++ox) {
                float ix;
                int32_t x0, x1;
                interp((float)ox, w_scale, half_pixel, w, &ix, &x0, &x1);
                const float dy = iy - (float)y0, dx = ix - (float)x0;
                const float *p00 = x + ((b * h + y0) * w + x0) * c, *p10 = x + ((b * h + y1) * w + x0) * c;
                const float *p01 = x + ((b * h + y0) * w + x1) * c, *p11 = x + ((b * h + y1) * w + x1) * c;
                float *out = y + ((b * oh + oy) * ow + ox) * c;
                for (int32_t k = 0; k < c; ++k)
                    out[k] = p00[k] * (1 - dy) * (1 - dx) + p10[k] * dy * (1 - dx) + p01[k] * (1 - dy) * dx +
                             p11[k] * dy * dx;
            }
        }
    return ODL_OK;
}

odl_status_t odl_batch_matmul_f32(const int32_t b[3], int32_t m, int32_t k, int32_t n, int32_t adj_x, int32_t adj_y,
                                  const int32_t ls[3], const int32_t rs[3], const float *lhs, const float *rhs,
                                  float *y) {
    float *out = y;
    for (int32_t b0 = 0; b0 < b[0]; ++b0)
        for (int32_t b1 = 0; b1 < b[1]; ++b1)
            for (int32_t b2 = 0; b2 < b[2]; ++b2) {
                const float *l = lhs + (int64_t)b0 * ls[0] + (int64_t)b1 * ls[1] + (int64_t)b2 * ls[2];
                const float *r = rhs + (int64_t)b0 * rs[0] + (int64_t)b1 * rs[1] + (int64_t)b2 * rs[2];
                for (int32_t i = 0; i < m; ++i)
                    for (int32_t j = 0; j < n; ++j) {
                        float total = 0.f;
                        for (int32_t q = 0; q < k; ++q)
                            total += l[adj_x ? q * m + i : i * k + q] * r[adj_y ? j * k + q : q * n + j];
                        *out++ = total;
                    }
            }
    return ODL_OK;
}

odl_status_t odl_transpose_conv_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w, const float *bias,
                                    float *y) {
    const int64_t total = (int64_t)g->n * g->oh * g->ow * g->oc;
    for (int64_t i = 0; i < total; ++i) y[i] = 0.0f;
    for (int32_t b = 0; b < g->n; ++b)
        for (int32_t iy = 0; iy < g->h; ++iy)
            for (int32_t ix = 0; ix < g->w; ++ix)
                for (int32_t c = 0; c < g->c; ++c) {
                    const float v = x[((b * g->h + iy) * g->w + ix) * g->c + c];
                    for (int32_t fy = 0; fy < g->kh; ++fy) {
                        const int32_t oy = iy * g->sh - g->ph + fy;
                        for (int32_t fx = 0; fx < g->kw; ++fx) {
                            const int32_t ox = ix * g->sw - g->pw + fx;
                            if (oy < 0 || oy >= g->oh || ox < 0 || ox >= g->ow) continue;
                            float *out = y + ((b * g->oh + oy) * g->ow + ox) * g->oc;
                            for (int32_t o = 0; o < g->oc; ++o)
                                out[o] += v * w[((o * g->kh + fy) * g->kw + fx) * g->c + c];
                        }
                    }
                }
    for (int64_t i = 0; i < total; ++i) {
        float acc = y[i];
        if (bias) acc += bias[i % g->oc];
        y[i] = odl_f32_clamp(acc, g->act_lo, g->act_hi);
    }
    return ODL_OK;
}
