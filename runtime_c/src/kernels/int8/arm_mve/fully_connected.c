/* int8 FULLY_CONNECTED with Helium (MVE), bit-identical to the portable
 * kernels/int8/fully_connected.c (its specification, and the fallback).
 * Two output rows share each input load: per 16 inputs three loads, two
 * VMLADAVA and two VADDVA (row sums, for the input offset). The offsets are
 * factored out, modulo 2^32 like the portable int32 sum:
 * sum((w + wo)(x + xo)) = sum(w x) + xo sum(w) + wo sum(x + xo). */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_fully_connected_s8 odl_fully_connected_s8_portable
#include "../fully_connected.c"
#undef odl_fully_connected_s8

#include "mve_int8.h"

static inline int8_t fc_output(uint32_t acc, const odl_fc_params_t *p, const int32_t *bias, int32_t o,
                               int32_t mult, int32_t shift) {
    if (bias) acc += (uint32_t)bias[o];
    const int32_t v = odl_dsp_requantize((int32_t)acc, mult, shift) + p->output_offset;
    return (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
}

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
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        uint32_t xsum = 0; /* sum(x + xo) */
        for (int32_t d = 0; d < in_depth; d += 16)
            xsum = (uint32_t)vaddvaq_s8((int32_t)xsum, vldrbq_z_s8(x + d, vctp8q((uint32_t)(in_depth - d))));
        xsum += xo * (uint32_t)in_depth;
        const uint32_t wo_term = wo * xsum;
        int32_t o = 0;
        for (; o < out_depth; o += 2) {
            const int two = o + 1 < out_depth;
            const int8_t *w0 = w + (size_t)o * in_depth, *w1 = two ? w0 + in_depth : w0;
            const int8_t *xp = x;
            int32_t a0 = 0, a1 = 0, s0 = 0, s1 = 0;
            for (int32_t n = full; n > 0; --n) {
                const int8x16_t xv = vldrbq_s8(xp), wv0 = vldrbq_s8(w0), wv1 = vldrbq_s8(w1);
                xp += 16, w0 += 16, w1 += 16;
                a0 = vmladavaq_s8(a0, xv, wv0);
                s0 = vaddvaq_s8(s0, wv0);
                a1 = vmladavaq_s8(a1, xv, wv1);
                s1 = vaddvaq_s8(s1, wv1);
            }
            if (tail) {
                const int8x16_t xv = vldrbq_z_s8(xp, pt), wv0 = vldrbq_z_s8(w0, pt), wv1 = vldrbq_z_s8(w1, pt);
                a0 = vmladavaq_s8(a0, xv, wv0);
                s0 = vaddvaq_s8(s0, wv0);
                a1 = vmladavaq_s8(a1, xv, wv1);
                s1 = vaddvaq_s8(s1, wv1);
            }
            const int32_t k0 = per_channel ? o : 0;
            *out++ = fc_output((uint32_t)a0 + xo * (uint32_t)s0 + wo_term, p, bias, o, mult[k0], shift[k0]);
            if (two) {
                const int32_t k1 = per_channel ? o + 1 : 0;
                *out++ = fc_output((uint32_t)a1 + xo * (uint32_t)s1 + wo_term, p, bias, o + 1, mult[k1], shift[k1]);
            }
        }
    }
    return ODL_OK;
}
