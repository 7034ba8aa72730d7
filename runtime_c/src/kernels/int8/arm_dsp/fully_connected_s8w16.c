/* FULLY_CONNECTED with int16 weights for cores with the DSP extension,
 * bit-identical to the portable kernels/int8/fully_connected_s8w16.c (its
 * specification and the fallback).
 *
 * The input row is widened once per batch to int16 (x + input_offset) on
 * the stack; every weight word then holds two int16 weights that SMLAD
 * multiplies with two widened inputs, two output rows at a time. Exactness:
 * |w16| <= 2^15 and |x + input_offset| <= 255, so 256 products stay below
 * 2^31 and are summed in int32 chunks of 256 before the int64 total. The
 * filter offset (0 for TFLite's symmetric int8 weights) is added as
 * w_off * sum(x + input_offset), equal to the portable sum by linearity. */
#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "dsp_simd.h"

#define odl_fully_connected_s8w16 odl_fully_connected_s8w16_portable
#include "../fully_connected_s8w16.c"
#undef odl_fully_connected_s8w16

#ifndef ODL_ARM_DSP_FC_S8W16_MAX
#define ODL_ARM_DSP_FC_S8W16_MAX 512
#endif
#define CHUNK 256 /* products per int32 partial sum */

static inline int8_t fc_output(int64_t acc, const odl_fc_params_t *p, const int32_t *bias, int32_t o,
                               int32_t m, int32_t s) {
    int32_t a = odl_w16_acc_to_i32(acc, bias ? bias[o] : 0);
    a = odl_dsp_requantize(a, m, s) + p->output_offset;
    return (int8_t)odl_clamp_i32(a, p->act_min, p->act_max);
}

odl_status_t odl_fully_connected_s8w16(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                       int32_t per_channel, int32_t batches, int32_t in_depth,
                                       const int8_t *in, int32_t out_depth, const int16_t *w,
                                       const int32_t *bias, int8_t *out) {
    if (!p || !mult || !shift || !in || !w || !out || batches < 0 || in_depth <= 0 || out_depth <= 0 ||
        in_depth > ODL_ARM_DSP_FC_S8W16_MAX || !odl_dsp_quant_ok(mult, shift, per_channel ? out_depth : 1))
        return odl_fully_connected_s8w16_portable(p, mult, shift, per_channel, batches, in_depth, in, out_depth,
                                                  w, bias, out);
    int16_t xb[ODL_ARM_DSP_FC_S8W16_MAX + 2] __attribute__((aligned(4)));
    const int32_t in_off = p->input_offset, w_off = p->filter_offset * (1 << ODL_W16_SHIFT);
    const int32_t pairs = in_depth >> 1, odd = in_depth & 1;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        int32_t xsum = 0; /* |sum| <= 255 * 512 */
        for (int32_t d = 0; d < in_depth; ++d) xb[d] = (int16_t)((int32_t)x[d] + in_off);
        if (w_off)
            for (int32_t d = 0; d < in_depth; ++d) xsum += xb[d];
        const int64_t off_term = (int64_t)w_off * xsum;
        int32_t o = 0;
        for (; o + 2 <= out_depth; o += 2) {
            const int16_t *wa = w + (size_t)o * in_depth, *wb = wa + in_depth;
            int64_t ta = off_term, tb = off_term;
            for (int32_t c0 = 0; c0 < pairs; c0 += CHUNK / 2) {
                const int32_t c1 = pairs - c0 < CHUNK / 2 ? pairs : c0 + CHUNK / 2;
                int32_t sa = 0, sb = 0, c = c0;
                for (; c + 2 <= c1; c += 2) {
                    const int32_t x0 = odl_dsp_ld32(xb + 2 * c), x1 = odl_dsp_ld32(xb + 2 * c + 2);
                    sa = __smlad(odl_dsp_ld32(wa + 2 * c), x0, sa);
                    sb = __smlad(odl_dsp_ld32(wb + 2 * c), x0, sb);
                    sa = __smlad(odl_dsp_ld32(wa + 2 * c + 2), x1, sa);
                    sb = __smlad(odl_dsp_ld32(wb + 2 * c + 2), x1, sb);
                }
                if (c < c1) {
                    const int32_t x0 = odl_dsp_ld32(xb + 2 * c);
                    sa = __smlad(odl_dsp_ld32(wa + 2 * c), x0, sa);
                    sb = __smlad(odl_dsp_ld32(wb + 2 * c), x0, sb);
                }
                ta += sa;
                tb += sb;
            }
            if (odd) {
                ta += (int32_t)wa[in_depth - 1] * xb[in_depth - 1];
                tb += (int32_t)wb[in_depth - 1] * xb[in_depth - 1];
            }
            *out++ = fc_output(ta, p, bias, o, mult[per_channel ? o : 0], shift[per_channel ? o : 0]);
            *out++ = fc_output(tb, p, bias, o + 1, mult[per_channel ? o + 1 : 0], shift[per_channel ? o + 1 : 0]);
        }
        if (o < out_depth) {
            const int16_t *wa = w + (size_t)o * in_depth;
            int64_t ta = off_term;
            for (int32_t c0 = 0; c0 < pairs; c0 += CHUNK / 2) {
                const int32_t c1 = pairs - c0 < CHUNK / 2 ? pairs : c0 + CHUNK / 2;
                int32_t sa = 0;
                for (int32_t c = c0; c < c1; ++c) sa = __smlad(odl_dsp_ld32(wa + 2 * c), odl_dsp_ld32(xb + 2 * c), sa);
                ta += sa;
            }
            if (odd) ta += (int32_t)wa[in_depth - 1] * xb[in_depth - 1];
            *out++ = fc_output(ta, p, bias, o, mult[per_channel ? o : 0], shift[per_channel ? o : 0]);
        }
    }
    return ODL_OK;
}
