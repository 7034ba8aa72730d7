/* int8 LSTM for cores with the DSP extension, bit-identical to the portable
 * kernels/int8/lstm.c (its specification). Per step the input and the hidden
 * state, zero points subtracted, are widened once into int16 columns (SMLAD
 * lane order, see dsp_simd.h); each gate row then costs, per four values, one
 * word load, two SXTB16 and two SMLAD. The sums wrap modulo 2^32 like the
 * portable unsigned accumulation; the activations and the cell and hidden
 * updates are the portable code. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"
#include "dsp_simd.h"

/* The portable kernel, renamed, for sizes past the columns. */
#define odl_lstm_s8 odl_lstm_s8_portable
#include "../lstm.c"
#undef odl_lstm_s8

/* Longest input / state the columns take (2 x 512 B of stack). */
#ifndef ODL_ARM_DSP_LSTM_COLUMN_MAX
#define ODL_ARM_DSP_LSTM_COLUMN_MAX 256
#endif

static void widen(const int8_t *v, int32_t n, int32_t zero_point, int16_t *col) {
    const int32_t off2 = odl_dsp_dup16(-zero_point), n4 = n & ~3;
    for (int32_t d = 0; d < n4; d += 4) {
        const int32_t w = odl_dsp_ld32(v + d);
        odl_dsp_st32(col + d, odl_dsp_even_off(w, off2));
        odl_dsp_st32(col + d + 2, odl_dsp_odd_off(w, off2));
    }
    for (int32_t d = n4; d < n; ++d) col[d] = (int16_t)((int32_t)v[d] - zero_point);
}

static uint32_t dot(const int8_t *w, const int16_t *col, int32_t n) {
    int32_t acc = 0;
    const int32_t n4 = n & ~3;
    for (int32_t d = 0; d < n4; d += 4) {
        const int32_t wv = odl_dsp_ld32(w + d);
        acc = __smlad(odl_dsp_even(wv), odl_dsp_ld32(col + d), acc);
        acc = __smlad(odl_dsp_odd(wv), odl_dsp_ld32(col + d + 2), acc);
    }
    uint32_t a = (uint32_t)acc;
    for (int32_t d = n4; d < n; ++d) a += (uint32_t)((int32_t)w[d] * col[d]);
    return a;
}

odl_status_t odl_lstm_s8(const odl_lstm_params_t *p, const int8_t *in, const int8_t *const w_in[4],
                         const int8_t *const w_rec[4], const int32_t *const bias[4], int8_t *hidden, int16_t *cell,
                         int8_t *out) {
    if (!p || p->inputs > ODL_ARM_DSP_LSTM_COLUMN_MAX || p->units > ODL_ARM_DSP_LSTM_COLUMN_MAX || !in || !w_in ||
        !w_rec || !bias || !hidden || !cell || !out)
        return odl_lstm_s8_portable(p, in, w_in, w_rec, bias, hidden, cell, out);
    if (p->batches <= 0 || p->steps <= 0 || p->inputs <= 0 || p->units <= 0) return ODL_ERR_ARG;
    for (int g = 0; g < 4; ++g)
        if (!w_in[g] || !w_rec[g] || !bias[g]) return ODL_ERR_ARG;
    int16_t cx[ODL_ARM_DSP_LSTM_COLUMN_MAX] __attribute__((aligned(8)));
    int16_t ch[ODL_ARM_DSP_LSTM_COLUMN_MAX] __attribute__((aligned(8)));
    if (p->stateless) {
        memset(hidden, (int8_t)p->hidden_zero_point, (size_t)(p->batches * p->units));
        memset(cell, 0, (size_t)(p->batches * p->units) * sizeof(int16_t));
    }
    const int32_t ni = p->inputs, ns = p->units;
    for (int32_t b = 0; b < p->batches; ++b)
        for (int32_t t = 0; t < p->steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            int8_t *h = hidden + b * ns, *y = out + row * ns;
            int16_t *c = cell + b * ns;
            widen(in + row * ni, ni, p->input_zero_point, cx);
            widen(h, ns, p->hidden_zero_point, ch);
            for (int32_t j = 0; j < ns; ++j) {
                int16_t pre[4];
                for (int g = 0; g < 4; ++g) {
                    const uint32_t ai = dot(w_in[g] + j * ni, cx, ni) + (uint32_t)bias[g][j];
                    const int32_t a = sat16(odl_mul_by_quantized_multiplier((int32_t)ai, p->in_mult[g], p->in_shift[g]));
                    const int32_t r = sat16(odl_mul_by_quantized_multiplier((int32_t)dot(w_rec[g] + j * ns, ch, ns),
                                                                            p->rec_mult[g], p->rec_shift[g]));
                    pre[g] = (int16_t)sat16(a + r);
                }
                unit_update(p, pre, &c[j], &y[j]);
            }
            memcpy(h, y, (size_t)ns);
        }
    return ODL_OK;
}
