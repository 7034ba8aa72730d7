/* int8 FULLY_CONNECTED for cores with the DSP extension, bit-identical to
 * the portable kernels/int8/fully_connected.c (its specification).
 *
 * Two output rows share each widened input word: per four inputs one load
 * and two SXTAB16 (input offset added on the way), then per row one load,
 * two SXTB16 and two SMLAD. The filter offset (per-tensor models may have
 * one) is factored out: sum((w + wo)(x + xo)) = sum(w(x + xo)) + wo * sum(x + xo),
 * the same int32 value modulo 2^32 as the portable accumulation. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "dsp_simd.h"

/* The portable kernel, renamed, for parameters this one does not take. */
#define odl_fully_connected_s8 odl_fully_connected_s8_portable
#include "../fully_connected.c"
#undef odl_fully_connected_s8

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
    const int32_t in_off = p->input_offset, w_off = p->filter_offset;
    const int32_t off2 = odl_dsp_dup16(in_off);
    const int32_t d4 = in_depth & ~3;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        /* wo * sum(x + xo), added to every row (unsigned: wraps like int32). */
        uint32_t w_off_term = 0;
        if (w_off != 0) {
            uint32_t xsum = 0;
            for (int32_t d = 0; d < in_depth; ++d) xsum += (uint32_t)((int32_t)x[d] + in_off);
            w_off_term = xsum * (uint32_t)w_off;
        }
        int32_t o = 0;
        for (; o + 2 <= out_depth; o += 2) {
            const int8_t *w0 = w + (size_t)o * in_depth;
            const int8_t *w1 = w0 + in_depth;
            int32_t a0 = 0, a1 = 0;
            for (int32_t d = 0; d < d4; d += 4) {
                const int32_t xv = odl_dsp_ld32(x + d);
                const int32_t xe = odl_dsp_even_off(xv, off2), xo = odl_dsp_odd_off(xv, off2);
                const int32_t wv0 = odl_dsp_ld32(w0 + d);
                a0 = __smlad(odl_dsp_even(wv0), xe, a0);
                a0 = __smlad(odl_dsp_odd(wv0), xo, a0);
                const int32_t wv1 = odl_dsp_ld32(w1 + d);
                a1 = __smlad(odl_dsp_even(wv1), xe, a1);
                a1 = __smlad(odl_dsp_odd(wv1), xo, a1);
            }
            for (int32_t d = d4; d < in_depth; ++d) {
                const int32_t xi = (int32_t)x[d] + in_off;
                a0 += (int32_t)w0[d] * xi;
                a1 += (int32_t)w1[d] * xi;
            }
            const int32_t k0 = per_channel ? o : 0, k1 = per_channel ? o + 1 : 0;
            *out++ = fc_output((uint32_t)a0 + w_off_term, p, bias, o, mult[k0], shift[k0]);
            *out++ = fc_output((uint32_t)a1 + w_off_term, p, bias, o + 1, mult[k1], shift[k1]);
        }
        if (o < out_depth) {
            const int8_t *w0 = w + (size_t)o * in_depth;
            int32_t a0 = 0;
            for (int32_t d = 0; d < d4; d += 4) {
                const int32_t xv = odl_dsp_ld32(x + d), wv = odl_dsp_ld32(w0 + d);
                a0 = __smlad(odl_dsp_even(wv), odl_dsp_even_off(xv, off2), a0);
                a0 = __smlad(odl_dsp_odd(wv), odl_dsp_odd_off(xv, off2), a0);
            }
            for (int32_t d = d4; d < in_depth; ++d) a0 += (int32_t)w0[d] * ((int32_t)x[d] + in_off);
            const int32_t k0 = per_channel ? o : 0;
            *out++ = fc_output((uint32_t)a0 + w_off_term, p, bias, o, mult[k0], shift[k0]);
        }
    }
    return ODL_OK;
}
