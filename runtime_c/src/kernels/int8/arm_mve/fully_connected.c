/* int8 FULLY_CONNECTED with Helium (MVE), bit-identical to the portable
 * kernels/int8/fully_connected.c (its specification, and the fallback).
 * Four output rows share each input load: per 16 inputs five loads, four
 * VMLADAVA and four VADDVA (row sums, for the input offset); the four sums
 * are requantized as one vector and stored as one word. The offsets are
 * factored out, modulo 2^32 like the portable int32 sum:
 * sum((w + wo)(x + xo)) = sum(w x) + xo sum(w) + wo sum(x + xo). */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_fully_connected_s8 odl_fully_connected_s8_portable
#include "../fully_connected.c"
#undef odl_fully_connected_s8

#include "mve_int8.h"


odl_status_t odl_fully_connected_s8(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                    int32_t per_channel, int32_t batches, int32_t in_depth,
                                    const int8_t *in, int32_t out_depth, const int8_t *w,
                                    const int32_t *bias, int8_t *out) {
    if (!p || !mult || !shift || !in || !w || !out) return ODL_ERR_ARG;
    if (batches < 0 || in_depth <= 0 || out_depth <= 0) return ODL_ERR_SHAPE;
    if (!odl_dsp_quant_ok(mult, shift, per_channel ? out_depth : 1))
        return odl_fully_connected_s8_portable(p, mult, shift, per_channel, batches, in_depth, in, out_depth, w,
                                               bias, out);
    const uint32_t xo = (uint32_t)p->input_offset, wo = (uint32_t)p->filter_offset;
    const int32_t full = in_depth >> 4, tail = in_depth & 15;
    const mve_pred16_t pt = vctp8q((uint32_t)tail);
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        uint32_t xsum = 0; /* sum(x + xo) */
        for (int32_t d = 0; d < in_depth; d += 16)
            xsum = (uint32_t)vaddvaq_s8((int32_t)xsum, vldrbq_z_s8(x + d, vctp8q((uint32_t)(in_depth - d))));
        xsum += xo * (uint32_t)in_depth;
        const int32_t wo_term = (int32_t)(wo * xsum);
        for (int32_t o = 0; o < out_depth; o += 4) {
            const int32_t left = out_depth - o;
            /* Rows past the last one repeat it; their lanes are not stored. */
            const int8_t *w0 = w + (size_t)o * in_depth;
            const int8_t *w1 = left > 1 ? w0 + in_depth : w0, *w2 = left > 2 ? w0 + 2 * in_depth : w0;
            const int8_t *w3 = left > 3 ? w0 + 3 * in_depth : w0;
            const int8_t *xp = x;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int32_t n = full; n > 0; --n) {
                const int8x16_t xv = vldrbq_s8(xp);
                xp += 16;
                int8x16_t wv = vldrbq_s8(w0);
                w0 += 16;
                a0 = vmladavaq_s8(a0, xv, wv);
                s0 = vaddvaq_s8(s0, wv);
                wv = vldrbq_s8(w1);
                w1 += 16;
                a1 = vmladavaq_s8(a1, xv, wv);
                s1 = vaddvaq_s8(s1, wv);
                wv = vldrbq_s8(w2);
                w2 += 16;
                a2 = vmladavaq_s8(a2, xv, wv);
                s2 = vaddvaq_s8(s2, wv);
                wv = vldrbq_s8(w3);
                w3 += 16;
                a3 = vmladavaq_s8(a3, xv, wv);
                s3 = vaddvaq_s8(s3, wv);
            }
            if (tail) {
                const int8x16_t xv = vldrbq_z_s8(xp, pt);
                int8x16_t wv = vldrbq_z_s8(w0, pt);
                a0 = vmladavaq_s8(a0, xv, wv);
                s0 = vaddvaq_s8(s0, wv);
                wv = vldrbq_z_s8(w1, pt);
                a1 = vmladavaq_s8(a1, xv, wv);
                s1 = vaddvaq_s8(s1, wv);
                wv = vldrbq_z_s8(w2, pt);
                a2 = vmladavaq_s8(a2, xv, wv);
                s2 = vaddvaq_s8(s2, wv);
                wv = vldrbq_z_s8(w3, pt);
                a3 = vmladavaq_s8(a3, xv, wv);
                s3 = vaddvaq_s8(s3, wv);
            }
            const int32_t av[4] = {a0, a1, a2, a3}, sv[4] = {s0, s1, s2, s3};
            const mve_pred16_t pr = vctp32q((uint32_t)left);
            /* acc + xo * sum(w) + wo * sum(x + xo) + bias, all wrapping. */
            int32x4_t acc = vmlaq_n_s32(vaddq_n_s32(vld1q_s32(av), wo_term), vld1q_s32(sv), (int32_t)xo);
            if (bias) acc = vaddq_s32(acc, vldrwq_z_s32(bias + o, pr));
            const int32x4_t m = per_channel ? vldrwq_z_s32(mult + o, pr) : vdupq_n_s32(mult[0]);
            const int32x4_t sh = per_channel ? vldrwq_z_s32(shift + o, pr) : vdupq_n_s32(shift[0]);
            vstrbq_p_s32(out, odl_mve_output(acc, m, sh, out_off, lo, hi), pr);
            out += left < 4 ? left : 4;
        }
    }
    return ODL_OK;
}
