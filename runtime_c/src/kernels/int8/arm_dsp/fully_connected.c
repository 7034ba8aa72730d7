/* int8 FULLY_CONNECTED for cores with the DSP extension, bit-identical to
 * the portable kernels/int8/fully_connected.c (its specification).
 *
 * The input (offset added) is widened once per batch into an int16 column in
 * SMLAD order; two output rows then cost, per four inputs, one LDRD of the
 * column, two filter loads, four SXTB16 and four SMLAD. Inputs longer than
 * the column share each widened input word between two rows instead. The filter offset (per-tensor models may have
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

/* Inputs per batch widened once into an int16 column (SMLAD order); longer
 * inputs use the word-by-word loop below. 2 KiB of stack, like conv's. */
#ifndef ODL_ARM_DSP_FC_COLUMN_MAX
#define ODL_ARM_DSP_FC_COLUMN_MAX 1024
#endif

/* Rows w0 and w0 + stride against the widened column, n4 inputs (a
 * multiple of four): per four inputs one LDRD of the column, two filter
 * loads, four SXTB16, four SMLAD. */
__attribute__((noinline)) static void fc_dot2(const int16_t *col, const int8_t *w0, int32_t stride, int32_t n4,
                                              int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1];
    const int8_t *const end = w0 + n4;
#define FC_DOT2_STEP()                                                             \
    do {                                                                           \
        const int32_t *c = (const int32_t *)(const void *)col;                     \
        const int32_t ce = c[0], co = c[1];                                        \
        const int32_t wv0 = odl_dsp_ld32(w0), wv1 = odl_dsp_ld32(w0 + stride);     \
        col += 4, w0 += 4;                                                         \
        a0 = __smlad(odl_dsp_even(wv0), ce, a0);                                   \
        a1 = __smlad(odl_dsp_even(wv1), ce, a1);                                   \
        a0 = __smlad(odl_dsp_odd(wv0), co, a0);                                    \
        a1 = __smlad(odl_dsp_odd(wv1), co, a1);                                    \
    } while (0)
    if (n4 & 4) FC_DOT2_STEP();
    while (w0 < end) {
        FC_DOT2_STEP();
        FC_DOT2_STEP();
    }
#undef FC_DOT2_STEP
    acc[0] = a0, acc[1] = a1;
}

/* The whole layer through the widened column (in_depth <= column size). */
static void fc_column(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift, int32_t per_channel,
                      int32_t batches, int32_t in_depth, const int8_t *in, int32_t out_depth, const int8_t *w,
                      const int32_t *bias, int8_t *out) {
    int16_t col[ODL_ARM_DSP_FC_COLUMN_MAX] __attribute__((aligned(8)));
    const int32_t in_off = p->input_offset, w_off = p->filter_offset, off2 = odl_dsp_dup16(in_off);
    const int32_t d4 = in_depth & ~3;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        uint32_t xsum = 0;
        for (int32_t d = 0; d < d4; d += 4) {
            const int32_t v = odl_dsp_ld32(x + d);
            odl_dsp_st32(col + d, odl_dsp_even_off(v, off2));
            odl_dsp_st32(col + d + 2, odl_dsp_odd_off(v, off2));
        }
        for (int32_t d = d4; d < in_depth; ++d) col[d] = (int16_t)((int32_t)x[d] + in_off);
        if (w_off != 0)
            for (int32_t d = 0; d < in_depth; ++d) xsum += (uint32_t)((int32_t)x[d] + in_off);
        const uint32_t w_off_term = xsum * (uint32_t)w_off;
        for (int32_t o = 0; o < out_depth; o += 2) {
            const int two = o + 1 < out_depth;
            const int8_t *w0 = w + (size_t)o * in_depth;
            int32_t acc[2] = {0, 0};
            fc_dot2(col, w0, two ? in_depth : 0, d4, acc);
            for (int32_t d = d4; d < in_depth; ++d) {
                acc[0] += (int32_t)w0[d] * col[d];
                if (two) acc[1] += (int32_t)w0[in_depth + d] * col[d];
            }
            const int32_t k0 = per_channel ? o : 0;
            *out++ = fc_output((uint32_t)acc[0] + w_off_term, p, bias, o, mult[k0], shift[k0]);
            if (two) {
                const int32_t k1 = per_channel ? o + 1 : 0;
                *out++ = fc_output((uint32_t)acc[1] + w_off_term, p, bias, o + 1, mult[k1], shift[k1]);
            }
        }
    }
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
    if (in_depth <= ODL_ARM_DSP_FC_COLUMN_MAX) {
        fc_column(p, mult, shift, per_channel, batches, in_depth, in, out_depth, w, bias, out);
        return ODL_OK;
    }
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
