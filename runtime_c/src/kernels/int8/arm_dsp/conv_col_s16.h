/* int16 im2col columns shared by the arm_dsp int16-weight conv kernels
 * (conv_2d_s8w16.c, conv_2d_lin_s8w16.c): the receptive field of one output
 * pixel widened to x + input_offset in natural (fy, fx, ic) order, padding
 * taps 0 (they add nothing, as the skipped taps of the portable loop). */
#ifndef ODL_ARM_DSP_CONV_COL_S16_H
#define ODL_ARM_DSP_CONV_COL_S16_H

#include <stddef.h>
#include <stdint.h>

#include "odl/kernels_int8.h"

#define KMAX 256 /* |w16| <= 2^15, |x + input_offset| <= 255: 256 products fit an int32 sum */

typedef struct {
    const odl_conv_params_t *p;
    int32_t in_h, in_w, in_c, k_h, k_w, k_c, k;
} geom_t;

/* Locals only: with -fno-strict-aliasing every int16 store would otherwise
 * reload the geometry. The taps inside the image form one range of fx, the
 * same for every row. */
static void fill_column(const geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int16_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t in_h = g->in_h, in_w = g->in_w, in_c = g->in_c, k_h = g->k_h, k_w = g->k_w, k_c = g->k_c;
    const int32_t dh = p->dilation_h, dw = p->dilation_w, in_off = p->input_offset;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    int32_t lo = x0 < 0 ? (-x0 + dw - 1) / dw : 0;                      /* first fx with x >= 0 */
    int32_t hi = in_w - x0 <= 0 ? 0 : (in_w - x0 + dw - 1) / dw;        /* first fx with x >= in_w */
    if (lo > k_w) lo = k_w;
    if (hi > k_w) hi = k_w;
    if (hi < lo) hi = lo;
    const int32_t step = dw * in_c;
    /* zeros tap by tap (a plain zero loop becomes a memset call) */
    for (int32_t fy = 0; fy < k_h; ++fy) {
        const int32_t y = y0 + fy * dh;
        const int32_t a = y < 0 || y >= in_h ? k_w : lo, e = y < 0 || y >= in_h ? k_w : hi;
        const int32_t base = ((y < 0 || y >= in_h ? 0 : y) * in_w + x0) * in_c; /* read only where inside */
        if (k_c == 1) {
            for (int32_t fx = 0; fx < k_w; ++fx, ++col)
                *col = fx >= a && fx < e ? (int16_t)((int32_t)in_b[base + fx * step] + in_off) : 0;
        } else {
            for (int32_t fx = 0; fx < k_w; ++fx, col += k_c) {
                const int in = fx >= a && fx < e;
                for (int32_t c = 0; c < k_c; ++c) col[c] = in ? (int16_t)((int32_t)in_b[base + fx * step + c] + in_off) : 0;
            }
        }
    }
}

#endif
