/* 16x8 LSTM (int16 activations, int8 weights, int64 biases, int16 cell
 * state), bit-exact with TFLite Micro's EvalLstm<int16_t, int8_t, int16_t,
 * int64_t>: as the int8 kernel (kernels/int8/lstm.c) except that the gate FCs
 * take no input offset, accumulate in int64 and rescale with the 64-bit
 * MultiplyByQuantizedMultiplier (multiplier rounded to 16 bits), and the new
 * hidden state is int16. */
#include <string.h>

#include "odl/kernels_ext.h"
#include "requant64.h"

static int32_t sat16(int32_t v) { return odl_clamp_i32(v, -32768, 32767); }

static int16_t gate_pre(const odl_lstm_params_t *p, int g, int32_t unit, const int16_t *x, const int16_t *h,
                        const int8_t *const w_in[4], const int8_t *const w_rec[4], const int64_t *const bias[4]) {
    const int8_t *wi = w_in[g] + unit * p->inputs, *wr = w_rec[g] + unit * p->units;
    int64_t acc = 0;
    for (int32_t k = 0; k < p->inputs; ++k) acc += (int32_t)wi[k] * (int32_t)x[k];
    acc += bias[g][unit];
    const int32_t a = sat16(odl_mul_by_quantized_multiplier64(acc, p->in_mult[g], p->in_shift[g]));
    acc = 0;
    for (int32_t k = 0; k < p->units; ++k) acc += (int32_t)wr[k] * (int32_t)h[k];
    const int32_t r = sat16(odl_mul_by_quantized_multiplier64(acc, p->rec_mult[g], p->rec_shift[g]));
    return (int16_t)sat16(a + r);
}

static void step(const odl_lstm_params_t *p, const int16_t *x, int16_t *h, int16_t *c, int16_t *y,
                 const int8_t *const w_in[4], const int8_t *const w_rec[4], const int64_t *const bias[4]) {
    for (int32_t j = 0; j < p->units; ++j) {
        int16_t pre[4], act[4];
        for (int g = 0; g < 4; ++g) pre[g] = gate_pre(p, g, j, x, h, w_in, w_rec, bias);
        odl_logistic_s16(0, 0, 1, &pre[0], &act[0]); /* input */
        odl_logistic_s16(0, 0, 1, &pre[1], &act[1]); /* forget */
        odl_tanh_s16(0, 0, 1, &pre[2], &act[2]);     /* cell */
        odl_logistic_s16(0, 0, 1, &pre[3], &act[3]); /* output */
        const int32_t fc =
            sat16(odl_mul_by_quantized_multiplier((int32_t)act[1] * c[j], p->forget_mult, p->forget_shift));
        const int32_t ig =
            sat16(odl_mul_by_quantized_multiplier((int32_t)act[0] * act[2], p->input_mult, p->input_shift));
        int32_t cn = sat16(fc + ig);
        if (p->cell_clip >= 0) cn = odl_clamp_i32(cn, -p->cell_clip, p->cell_clip);
        c[j] = (int16_t)cn;
        int16_t t;
        odl_tanh_s16(p->tanh_mult, p->tanh_shift, 1, &c[j], &t);
        const int32_t hv = odl_mul_by_quantized_multiplier((int32_t)t * act[3], p->hidden_mult, p->hidden_shift);
        y[j] = (int16_t)sat16(hv + p->hidden_zero_point);
    }
    memcpy(h, y, (size_t)p->units * sizeof(int16_t));
}

odl_status_t odl_lstm_s16(const odl_lstm_params_t *p, const int16_t *in, const int8_t *const w_in[4],
                          const int8_t *const w_rec[4], const int64_t *const bias[4], int16_t *hidden, int16_t *cell,
                          int16_t *out) {
    if (!p || !in || !w_in || !w_rec || !bias || !hidden || !cell || !out) return ODL_ERR_ARG;
    if (p->batches <= 0 || p->steps <= 0 || p->inputs <= 0 || p->units <= 0) return ODL_ERR_ARG;
    for (int g = 0; g < 4; ++g)
        if (!w_in[g] || !w_rec[g] || !bias[g]) return ODL_ERR_ARG;
    if (p->stateless) {
        for (int32_t k = 0; k < p->batches * p->units; ++k) hidden[k] = (int16_t)p->hidden_zero_point;
        memset(cell, 0, (size_t)(p->batches * p->units) * sizeof(int16_t));
    }
    for (int32_t b = 0; b < p->batches; ++b)
        for (int32_t t = 0; t < p->steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            step(p, in + row * p->inputs, hidden + b * p->units, cell + b * p->units, out + row * p->units, w_in,
                 w_rec, bias);
        }
    return ODL_OK;
}
