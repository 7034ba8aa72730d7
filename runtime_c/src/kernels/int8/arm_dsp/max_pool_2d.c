/* int8 MAX_POOL_2D for cores with the DSP extension, bit-identical to the
 * portable kernels/int8/max_pool_2d.c (its specification and fallback).
 * Four channels per word: SSUB8 sets a GE flag per byte where a >= b and SEL
 * takes those bytes from a, so the pair is a signed byte-wise max (and, with
 * SEL's operands swapped, a min for the clamp). The window starts at -128 in
 * every lane like the portable scan, so an empty window gives the same
 * clamped -128. Channels past the last multiple of four go one by one. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "dsp_simd.h"

#define odl_max_pool2d_s8 odl_max_pool2d_s8_portable
#include "../max_pool_2d.c"
#undef odl_max_pool2d_s8

static inline uint32_t max8(uint32_t a, uint32_t b) {
    uint32_t r, t;
    __asm__("ssub8 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline uint32_t min8(uint32_t a, uint32_t b) {
    uint32_t r, t;
    __asm__("ssub8 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline uint32_t dup8(int32_t v) { return ((uint32_t)v & 0xffu) * 0x01010101u; }

odl_status_t odl_max_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !in_dims || !in || !out_dims || !out || out_dims->c != in_dims->c || out_dims->n != in_dims->n ||
        p->act_min < -128 || p->act_max > 127 || p->act_min > p->act_max)
        return odl_max_pool2d_s8_portable(p, in_dims, in, out_dims, out);
    const int32_t in_h = in_dims->h, in_w = in_dims->w, c = in_dims->c, c4 = c & ~3;
    const uint32_t lo = dup8(p->act_min), hi = dup8(p->act_max);
    const int32_t amin = p->act_min, amax = p->act_max;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            int32_t y0, fy0, fy1;
            odl_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
            for (int32_t ox = 0; ox < out_dims->w; ++ox, out += c) {
                int32_t x0, fx0, fx1;
                odl_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
                const int8_t *win = in_b + ((size_t)(y0 + fy0) * in_w + x0 + fx0) * c;
                const int32_t nx = fx1 - fx0, row = in_w * c;
                int32_t ch = 0;
                for (; ch < c4; ch += 4) {
                    uint32_t m = 0x80808080u;
                    const int8_t *r = win + ch;
                    for (int32_t fy = fy0; fy < fy1; ++fy, r += row)
                        for (int32_t k = 0; k < nx; ++k) m = max8(m, (uint32_t)odl_dsp_ld32(r + (size_t)k * c));
                    odl_dsp_st32(out + ch, (int32_t)min8(max8(m, lo), hi));
                }
                for (; ch < c; ++ch) {
                    int32_t best = -128;
                    const int8_t *r = win + ch;
                    for (int32_t fy = fy0; fy < fy1; ++fy, r += row)
                        for (int32_t k = 0; k < nx; ++k)
                            if (r[(size_t)k * c] > best) best = r[(size_t)k * c];
                    out[ch] = (int8_t)odl_clamp_i32(best, amin, amax);
                }
            }
        }
    }
    return ODL_OK;
}
