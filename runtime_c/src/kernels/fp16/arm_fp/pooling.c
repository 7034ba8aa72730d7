/* MAX_POOL_2D FP16 training kernels for Cortex-M: the same bytes as
 * ../pooling.c (included below; the maximum is renamed <name>_portable and
 * stays the fallback). When no input half is negative or NaN (the usual case
 * after a ReLU), the binary16 bits order like the values, so the window
 * maximum is found with integer compares on the stored halves, first maximum
 * kept as in the portable `v > best` scan, and R(F(h)) == h. */
#define odl_maxpool_f16_fw odl_maxpool_f16_fw_portable
#define odl_maxpool_f16_bw_input odl_maxpool_f16_bw_input_portable
#include "../pooling.c"
#undef odl_maxpool_f16_fw
#undef odl_maxpool_f16_bw_input

#include <string.h>

#if defined(__ARM_FEATURE_SIMD32)
/* Per half: a >= b (unsigned) ? a : b. */
static inline uint32_t max2(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("usub16 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

/* Per half: a >= b (unsigned) ? b : a. */
static inline uint32_t min2(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("usub16 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

/* Per half: flag | (a > 0x7c00 ? 0xffff : 0): a is negative or NaN. */
static inline uint32_t flag_above_inf(uint32_t flag, uint32_t a) {
    uint32_t r;
    __asm__("usub16 %0, %1, %2\n\tsel %0, %3, %4" : "=&r"(r) : "r"(a), "r"(0x7c017c01u), "r"(~0u), "r"(flag) : "cc");
    return r;
}
#else
static inline uint32_t max1(uint32_t a, uint32_t b) { return a >= b ? a : b; }
static inline uint32_t max2(uint32_t a, uint32_t b) {
    return max1(a & 0xffffu, b & 0xffffu) | (max1(a >> 16, b >> 16) << 16);
}
static inline uint32_t min1(uint32_t a, uint32_t b) { return a >= b ? b : a; }
static inline uint32_t min2(uint32_t a, uint32_t b) {
    return min1(a & 0xffffu, b & 0xffffu) | (min1(a >> 16, b >> 16) << 16);
}
static inline uint32_t flag_above_inf(uint32_t flag, uint32_t a) {
    return flag | ((a & 0xffffu) > 0x7c00u) | ((a >> 16) > 0x7c00u);
}
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>
#define ODL_POOL_MVE 1
#endif

/* 1 when every half of p[0..n) lies in [+0, +inf] (bits 0x0000..0x7c00). */
static int all_nonnegative(const odl_f16_t *p, int32_t n) {
    uint32_t bad = 0;
    int32_t i = 0;
#ifdef ODL_POOL_MVE
    uint16_t m = 0; /* Helium: the largest half bits, eight per step */
    for (; i + 8 <= n; i += 8) m = vmaxvq_u16(m, vld1q_u16(p + i));
    bad = m > 0x7c00u;
#endif
    for (; i + 4 <= n; i += 4) {
        uint32_t u[2];
        memcpy(u, p + i, sizeof u);
        bad = flag_above_inf(bad, max2(u[0], u[1]));
    }
    for (; i < n; ++i) bad |= p[i] > 0x7c00u;
    return bad == 0;
}

/* 2x2 windows, stride 2, no padding, an even number of channels: the
 * maximum of two channels at a time on the halves. Returns 0 (the output
 * then gets rewritten by the portable kernel) when a half is negative or NaN. */
static int maxpool_2x2_fw(const pool_geo_t *g, const odl_f16_t *x, odl_f16_t *y, uint32_t cap) {
    const int32_t row = g->w * g->c;
    uint32_t bad = 0;
    for (int32_t n = 0; n < g->n; ++n)
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            const odl_f16_t *r0 = x + (n * g->h + 2 * oy) * row;
            odl_f16_t *yr = y + (n * g->oh + oy) * g->ow * g->c;
            for (int32_t ox = 0; ox < g->ow; ++ox, r0 += 2 * g->c, yr += g->c)
                for (int32_t c = 0; c < g->c; c += 2) {
                    uint32_t a, b, d, e;
                    memcpy(&a, r0 + c, 4), memcpy(&b, r0 + g->c + c, 4);
                    memcpy(&d, r0 + row + c, 4), memcpy(&e, r0 + row + g->c + c, 4);
                    uint32_t m = max2(max2(max2(a, b), d), e);
                    bad = flag_above_inf(bad, m);
                    if (cap < 0x7c00u) m = min2(m, cap | cap << 16);
                    memcpy(yr + c, &m, 4);
                }
        }
    return bad == 0;
}

/* Input gradient of 2x2 windows, stride 2, no padding, halves in [+0, +inf]:
 * the first maximum in (y, x) order per channel, as the portable scan. */
static void maxpool_2x2_bw(const odl_f16_conv_params_t *p, const pool_geo_t *g, odl_f16_tensor_t *in,
                           const odl_f16_tensor_t *out) {
    const int32_t row = g->w * g->c;
    const int32_t off[4] = {0, g->c, row, row + g->c};
    for (int32_t n = 0; n < g->n; ++n)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int32_t base = ((n * g->h + 2 * oy) * g->w + 2 * ox) * g->c;
                const int32_t o = ((n * g->oh + oy) * g->ow + ox) * g->c;
                const odl_f16_t *x = in->data + base;
                for (int32_t c = 0; c < g->c; ++c) {
                    uint32_t bv = x[c], v;
                    int32_t bi = 0;
                    v = x[c + off[1]];
                    if (v > bv) bv = v, bi = 1;
                    v = x[c + off[2]];
                    if (v > bv) bv = v, bi = 2;
                    v = x[c + off[3]];
                    if (v > bv) bi = 3;
                    odl_f16_accumulate(&in->grad[base + c + off[bi]],
                                       odl_f16_act_grad(p->act, out->data[o + c], out->grad[o + c]));
                }
            }
}

#ifdef ODL_POOL_MVE
/* Helium, the same for a multiple of eight channels, eight per step: the
 * window maximum m per lane, then per window slot in (y, x) order the lanes
 * whose value equals m (and no earlier slot's) get R(F(grad) + g') as one
 * half-precision VADD (the FP32 sum of two halves rounded to binary16 is the
 * correctly rounded half sum, see ../arm_mve/elementwise.c), stored under
 * that predicate; g' is +0 where the act masks y (y - 1 > lim unsigned, as
 * act_grad_pair in conv_2d.c), which the portable add of +0 matches too. */
static void maxpool_2x2_bw8(const odl_f16_conv_params_t *p, const pool_geo_t *g, odl_f16_tensor_t *in,
                            const odl_f16_tensor_t *out) {
    const int32_t row = g->w * g->c;
    const int32_t off[4] = {0, g->c, row, row + g->c};
    const uint16_t lim = p->act == ODL_F16_ACT_RELU ? 0x7bffu : (p->act == ODL_F16_ACT_RELU6 ? 0x45feu : 0xffffu);
    const uint16x8_t zero = vdupq_n_u16(0), done = vdupq_n_u16(0xffffu);
    for (int32_t n = 0; n < g->n; ++n)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int32_t base = ((n * g->h + 2 * oy) * g->w + 2 * ox) * g->c;
                const int32_t o = ((n * g->oh + oy) * g->ow + ox) * g->c;
                for (int32_t c = 0; c < g->c; c += 8) {
                    const odl_f16_t *x = in->data + base + c;
                    odl_f16_t *gr = in->grad + base + c;
                    const uint16x8_t y = vld1q_u16(out->data + o + c), gy = vld1q_u16(out->grad + o + c);
                    const float16x8_t gv =
                        vreinterpretq_f16_u16(vpselq_u16(zero, gy, vcmphiq_n_u16(vsubq_n_u16(y, 1), lim)));
                    uint16x8_t v[4], m;
                    for (int k = 0; k < 4; ++k) v[k] = vld1q_u16(x + off[k]);
                    m = vmaxq_u16(vmaxq_u16(v[0], v[1]), vmaxq_u16(v[2], v[3]));
                    for (int k = 0; k < 4; ++k) {
                        const mve_pred16_t hit = vcmpeqq_u16(v[k], m);
                        const float16x8_t sum = vaddq_f16(vreinterpretq_f16_u16(vld1q_u16(gr + off[k])), gv);
                        vst1q_p_u16(gr + off[k], vreinterpretq_u16_f16(sum), hit);
                        m = vpselq_u16(done, m, hit); /* above every half: no later slot matches */
                    }
                }
            }
}
#endif

static int is_2x2(const odl_f16_conv_params_t *p, const pool_geo_t *g) {
    return p->filter_h == 2 && p->filter_w == 2 && p->stride_h == 2 && p->stride_w == 2 && !p->pad_top &&
           !p->pad_left && 2 * g->oh <= g->h && 2 * g->ow <= g->w && g->c % 2 == 0;
}

/* Flat index of the first maximum of channel c in the window (halves in
 * [+0, +inf]: integer order is value order). */
static inline int32_t argmax_bits(const odl_f16_t *x, int32_t base, int32_t rows, int32_t cols, int32_t row_step,
                                  int32_t col_step) {
    int32_t best = base;
    uint32_t bv = x[base];
    for (int32_t y = 0; y < rows; ++y) {
        int32_t i = base + y * row_step;
        for (int32_t xx = 0; xx < cols; ++xx, i += col_step) {
            uint32_t v = x[i];
            if (v > bv) best = i, bv = v;
        }
    }
    return best;
}

odl_status_t odl_maxpool_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    pool_geo_t g;
    odl_status_t s = pool_geo(p, in, out, &g);
    if (s != ODL_OK) return s;
    /* act of a value in [+0, +inf]: NONE and RELU keep it, RELU6 caps it at 6 */
    const uint32_t cap = p->act == ODL_F16_ACT_RELU6 ? 0x4600u : 0x7c00u;
    if (is_2x2(p, &g))
        return maxpool_2x2_fw(&g, in->data, out->data, cap) ? ODL_OK : odl_maxpool_f16_fw_portable(p, in, out);
    if (!all_nonnegative(in->data, g.n * g.h * g.w * g.c)) return odl_maxpool_f16_fw_portable(p, in, out);
    const int32_t row_step = g.w * g.c;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                if (y1 <= y0 || x1 <= x0) return ODL_ERR_SHAPE;
                const int32_t base = ((n * g.h + y0) * g.w + x0) * g.c;
                odl_f16_t *y = out->data + ((n * g.oh + oy) * g.ow + ox) * g.c;
                for (int32_t c = 0; c < g.c; ++c) {
                    uint32_t v = in->data[argmax_bits(in->data, base + c, y1 - y0, x1 - x0, row_step, g.c)];
                    y[c] = (odl_f16_t)(v > cap ? cap : v);
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
    if (!all_nonnegative(in->data, g.n * g.h * g.w * g.c)) return odl_maxpool_f16_bw_input_portable(p, in, out);
    if (is_2x2(p, &g)) {
#ifdef ODL_POOL_MVE
        if (g.c % 8 == 0) {
            maxpool_2x2_bw8(p, &g, in, out);
            return ODL_OK;
        }
#endif
        maxpool_2x2_bw(p, &g, in, out);
        return ODL_OK;
    }
    const int32_t row_step = g.w * g.c;
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, &g, oy, ox, &y0, &y1, &x0, &x1);
                if (y1 <= y0 || x1 <= x0) return ODL_ERR_SHAPE;
                const int32_t base = ((n * g.h + y0) * g.w + x0) * g.c;
                const int32_t o = ((n * g.oh + oy) * g.ow + ox) * g.c;
                for (int32_t c = 0; c < g.c; ++c) {
                    int32_t i = argmax_bits(in->data, base + c, y1 - y0, x1 - x0, row_step, g.c);
                    odl_f16_accumulate(&in->grad[i], odl_f16_act_grad(p->act, out->data[o + c], out->grad[o + c]));
                }
            }
    return ODL_OK;
}
