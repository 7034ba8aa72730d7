/* CONV_2D backward for cores with the DSP extension: bw_input is the
 * portable kernel; both bw_weight kernels (plain, and through a disjoint
 * max-pool) walk the output positions once, skip zero errors (after a ReLU /
 * max-pool most are) and, for each remaining one, add e * (x + z) over the
 * in-bounds taps row by row (one tap row is contiguous in x and in the
 * gradient when dilation_w is 1) with no per-tap bounds tests, into int32
 * sums on the stack. |e| <= 2^15 and |x + z| <= 255, so 255 positions fit
 * an int32; the sums move into the int64 row every 255 positions and at the
 * end. Integer sums in another order: the same int64 values as
 * ../bw_conv_2d.c. Receptive fields above ODL_DSP_BW_K_MAX, other offsets
 * or larger errors take the portable kernels. */
#include "odl/kernels_bw_s8.h"

#define odl_conv2d_s8_bw_weight odl_conv2d_s8_bw_weight_portable
#define odl_conv2d_s8_bw_weight_pooled odl_conv2d_s8_bw_weight_pooled_portable
#include "../bw_conv_2d.c"
#undef odl_conv2d_s8_bw_weight
#undef odl_conv2d_s8_bw_weight_pooled

#ifndef ODL_DSP_BW_K_MAX
#define ODL_DSP_BW_K_MAX 64
#endif
#define ODL_DSP_BW_FLUSH 255 /* positions whose products an int32 sum holds */

static int32_t first_tap(int32_t o0, int32_t dil) { return o0 >= 0 ? 0 : (-o0 + dil - 1) / dil; }
static int32_t end_tap(int32_t o0, int32_t dil, int32_t k, int32_t n) {
    const int32_t e = o0 >= n ? 0 : (n - o0 + dil - 1) / dil; /* taps with o0 + t * dil < n */
    return e < k ? e : k;
}

typedef struct {
    const odl_conv_params_t *p;
    const int8_t *x;
    int32_t H, W, C, KH, KW, K, off;
    int32_t *acc;    /* int32 [K] */
    int64_t *grad_w; /* NULL: bias only */
    int32_t n_acc;   /* positions in acc since the last flush */
    int32_t tap9;    /* 3x3 filter on one input channel: the straight path */
    int32_t e_sum;   /* straight-path errors since the flush: their e * z is added to every tap then */
} bw_acc_t;

static int bw_dsp_ok(const odl_conv_params_t *p, const odl_dims4_t *w_dims) {
    const int64_t k = (int64_t)w_dims->h * w_dims->w * w_dims->c;
    return p->dilation_w == 1 && p->dilation_h > 0 && k > 0 && k <= ODL_DSP_BW_K_MAX && p->input_offset >= -128 &&
           p->input_offset <= 128;
}

static void bw_flush(bw_acc_t *a) {
    const int64_t ez = (int64_t)a->e_sum * a->off;
    for (int32_t k = 0; k < a->K; ++k) a->grad_w[k] += a->acc[k] + ez, a->acc[k] = 0;
    a->n_acc = 0, a->e_sum = 0;
}

/* The nine taps of a 3x3x1 position inside the image: g += e * x, the e * z
 * part waits in e_sum (the flush adds it to every tap). */
static inline void tap9(int32_t *g, const int8_t *r, int32_t dy, int32_t e) {
    g[0] += e * r[0], g[1] += e * r[1], g[2] += e * r[2];
    r += dy;
    g[3] += e * r[0], g[4] += e * r[1], g[5] += e * r[2];
    r += dy;
    g[6] += e * r[0], g[7] += e * r[1], g[8] += e * r[2];
}

static void bw_begin(bw_acc_t *a) {
    for (int32_t k = 0; k < a->K; ++k) a->acc[k] = 0;
    if (a->grad_w)
        for (int32_t k = 0; k < a->K; ++k) a->grad_w[k] = 0;
    a->n_acc = 0, a->e_sum = 0;
}

/* acc += e * (x + z) over the taps of output position (b, oy, ox). */
static void bw_position(bw_acc_t *a, int32_t b, int32_t oy, int32_t ox, int32_t e) {
    const odl_conv_params_t *p = a->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    if (a->tap9 && y0 >= 0 && x0 >= 0 && x0 + 3 <= a->W && y0 + 2 * p->dilation_h < a->H) {
        /* every tap inside the image: nine multiply-adds, no row bookkeeping */
        tap9(a->acc, a->x + (b * a->H + y0) * a->W + x0, p->dilation_h * a->W, e);
        a->e_sum += e;
        if (++a->n_acc == ODL_DSP_BW_FLUSH) bw_flush(a);
        return;
    }
    const int32_t ky0 = first_tap(y0, p->dilation_h), ky1 = end_tap(y0, p->dilation_h, a->KH, a->H);
    const int32_t kx0 = first_tap(x0, 1), kx1 = end_tap(x0, 1, a->KW, a->W);
    if (kx1 > kx0 && ky1 > ky0) {
        const int32_t n = (kx1 - kx0) * a->C, off = a->off;
        const int8_t *xr = a->x + ((b * a->H + y0 + ky0 * p->dilation_h) * a->W + x0 + kx0) * a->C;
        int32_t *g = a->acc + (ky0 * a->KW + kx0) * a->C;
        const int32_t x_step = p->dilation_h * a->W * a->C, g_step = a->KW * a->C;
        for (int32_t ky = ky0; ky < ky1; ++ky, xr += x_step, g += g_step) {
            if (n == 3) { /* 3-wide rows of one channel (3x3x1 first layers) */
                const int32_t v0 = xr[0] + off, v1 = xr[1] + off, v2 = xr[2] + off;
                g[0] += e * v0, g[1] += e * v1, g[2] += e * v2;
            } else {
                for (int32_t j = 0; j < n; ++j) g[j] += e * (xr[j] + off);
            }
        }
    }
    if (++a->n_acc == ODL_DSP_BW_FLUSH) bw_flush(a);
}

static int big_error(int32_t e) { return e > 32768 || e < -32768; }

/* The common case: 2x2 / stride 2 / unpadded pool windows, all inside the
 * conv output. Returns 0 at an error above 2^15 (the caller goes portable). */
__attribute__((noinline)) static int pooled_2x2(bw_acc_t *a, const int8_t *y, const odl_dims4_t *out_dims,
                                                const odl_dims4_t *pool_dims, const odl_bw_pool_mask_t *m,
                                                const int32_t *e_pool, int32_t channel, int64_t *gb_out) {
    const int32_t O = out_dims->c, H = out_dims->h, W = out_dims->w, row = W * O;
    const int32_t PH = pool_dims->h, PW = pool_dims->w;
    const int32_t mode = m->mode, lo = m->act_min, hi = m->act_max;
    int64_t gb = 0;
    const int32_t *ep = e_pool + channel;
    /* conv geometry for the straight 3x3x1 path (positions with every tap inside) */
    const odl_conv_params_t *p = a->p;
    const int32_t sh = p->stride_h, sw = p->stride_w, ph = p->pad_h, pw = p->pad_w, dy = p->dilation_h * a->W;
    const int32_t ix_max = a->W - 3, iy_max = a->H - 1 - 2 * p->dilation_h;
    for (int32_t b = 0; b < pool_dims->n; ++b)
        for (int32_t py = 0; py < PH; ++py) {
            const int8_t *x_b = a->x + b * a->H * a->W;
            const int8_t *yr = y + (b * H + 2 * py) * row + channel;
            for (int32_t px = 0; px < PW; ++px, ep += O, yr += 2 * O) {
                const int32_t e = *ep;
                if (e == 0) continue;
                if (big_error(e)) return 0;
                int32_t best = yr[0], at = 0;
                if (yr[O] > best) best = yr[O], at = 1;
                if (yr[row] > best) best = yr[row], at = 2;
                if (yr[row + O] > best) best = yr[row + O], at = 3;
                if (mode == ODL_BW_MASK_ACT ? (best <= lo || best >= hi)
                                            : mode == ODL_BW_MASK_SAT && best == (e < 0 ? 127 : -128))
                    continue;
                gb += e;
                if (!a->grad_w) continue;
                const int32_t oy = 2 * py + (at >> 1), ox = 2 * px + (at & 1);
                const int32_t iy = oy * sh - ph, ix = ox * sw - pw;
                if (a->tap9 && iy >= 0 && ix >= 0 && ix <= ix_max && iy <= iy_max) {
                    tap9(a->acc, x_b + iy * a->W + ix, dy, e);
                    a->e_sum += e;
                    if (++a->n_acc == ODL_DSP_BW_FLUSH) bw_flush(a);
                } else {
                    bw_position(a, b, oy, ox, e);
                }
            }
        }
    *gb_out = gb;
    return 1;
}

odl_status_t odl_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                     const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int32_t *e_out,
                                     int32_t channel, int64_t *grad_w, int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !e_out || !bw_dsp_ok(p, w_dims) || channel < 0 ||
        channel >= out_dims->c || w_dims->c != in_dims->c)
        return odl_conv2d_s8_bw_weight_portable(p, in_dims, x, w_dims, out_dims, e_out, channel, grad_w, grad_b);
    int32_t acc[ODL_DSP_BW_K_MAX];
    bw_acc_t a = {p, x, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w,
                  w_dims->h * w_dims->w * w_dims->c, p->input_offset, acc, grad_w, 0,
                  w_dims->h == 3 && w_dims->w == 3 && w_dims->c == 1, 0};
    bw_begin(&a);
    int64_t gb = 0;
    const int32_t O = out_dims->c;
    const int32_t *eo = e_out + channel;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox, eo += O) {
                const int32_t e = *eo;
                if (e == 0) continue;
                if (big_error(e))
                    return odl_conv2d_s8_bw_weight_portable(p, in_dims, x, w_dims, out_dims, e_out, channel, grad_w,
                                                            grad_b);
                gb += e;
                if (grad_w) bw_position(&a, b, oy, ox, e);
            }
    if (grad_w) bw_flush(&a);
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}

odl_status_t odl_conv2d_s8_bw_weight_pooled(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                            const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int8_t *y,
                                            const odl_bw_pool_mask_t *m, const odl_dims4_t *pool_dims,
                                            const int32_t *e_pool, int32_t channel, int64_t *grad_w,
                                            int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !y || !m || !odl_bw_pool_disjoint(m->pool) || !pool_dims ||
        !e_pool || !bw_dsp_ok(p, w_dims) || channel < 0 || channel >= out_dims->c || w_dims->c != in_dims->c ||
        pool_dims->c != out_dims->c || pool_dims->n != out_dims->n)
        return odl_conv2d_s8_bw_weight_pooled_portable(p, in_dims, x, w_dims, out_dims, y, m, pool_dims, e_pool,
                                                       channel, grad_w, grad_b);
    int32_t acc[ODL_DSP_BW_K_MAX];
    bw_acc_t a = {p, x, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w,
                  w_dims->h * w_dims->w * w_dims->c, p->input_offset, acc, grad_w, 0,
                  w_dims->h == 3 && w_dims->w == 3 && w_dims->c == 1, 0};
    bw_begin(&a);
    const odl_pool_params_t *pp = m->pool;
    int64_t gb = 0;
    if (pp->filter_h == 2 && pp->filter_w == 2 && pp->stride_h == 2 && pp->stride_w == 2 && pp->pad_h == 0 &&
        pp->pad_w == 0 && 2 * pool_dims->h <= out_dims->h && 2 * pool_dims->w <= out_dims->w) {
        if (!pooled_2x2(&a, y, out_dims, pool_dims, m, e_pool, channel, &gb))
            return odl_conv2d_s8_bw_weight_pooled_portable(p, in_dims, x, w_dims, out_dims, y, m, pool_dims, e_pool,
                                                           channel, grad_w, grad_b);
        if (grad_w) bw_flush(&a);
        if (grad_b) *grad_b = gb;
        return ODL_OK;
    }
    const int32_t O = out_dims->c, H = out_dims->h, W = out_dims->w, row = W * O;
    const int32_t mode = m->mode, lo = m->act_min, hi = m->act_max;
    const int32_t *ep = e_pool + channel;
    for (int32_t b = 0; b < pool_dims->n; ++b)
        for (int32_t py = 0; py < pool_dims->h; ++py) {
            const int32_t y0 = py * pp->stride_h - pp->pad_h;
            const int32_t fy0 = y0 < 0 ? -y0 : 0, fy1 = pp->filter_h < H - y0 ? pp->filter_h : H - y0;
            for (int32_t px = 0; px < pool_dims->w; ++px, ep += O) {
                const int32_t e = *ep;
                const int32_t x0 = px * pp->stride_w - pp->pad_w;
                const int32_t fx0 = x0 < 0 ? -x0 : 0, fx1 = pp->filter_w < W - x0 ? pp->filter_w : W - x0;
                if (e == 0 || fy1 <= fy0 || fx1 <= fx0) continue;
                if (big_error(e))
                    return odl_conv2d_s8_bw_weight_pooled_portable(p, in_dims, x, w_dims, out_dims, y, m, pool_dims,
                                                                   e_pool, channel, grad_w, grad_b);
                /* first largest in row-major order, as the max-pool backward */
                const int8_t *yr = y + ((b * H + y0 + fy0) * W + x0 + fx0) * O + channel;
                int32_t best = -129, ay = 0, ax = 0;
                for (int32_t fy = fy0; fy < fy1; ++fy, yr += row)
                    for (int32_t fx = fx0, k = 0; fx < fx1; ++fx, k += O)
                        if (yr[k] > best) best = yr[k], ay = y0 + fy, ax = x0 + fx;
                if (mode == ODL_BW_MASK_ACT ? (best <= lo || best >= hi)
                                            : mode == ODL_BW_MASK_SAT && best == (e < 0 ? 127 : -128))
                    continue;
                gb += e;
                if (grad_w) bw_position(&a, b, ay, ax, e);
            }
        }
    if (grad_w) bw_flush(&a);
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}
