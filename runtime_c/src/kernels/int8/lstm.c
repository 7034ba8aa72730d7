/* int8 LSTM with an int16 cell state, bit-exact with TFLite Micro's integer
 * UNIDIRECTIONAL_SEQUENCE_LSTM (lstm_eval: no peephole, projection, layer
 * norm or CIFG). Per step each gate is the input FC (with bias) and the
 * recurrent FC, each rescaled to Q3.12 and clamped to int16, added with int16
 * saturation, then the int16 sigmoid (tanh for the cell gate) gives Q0.15.
 * c = sat(f*c) + (i*g) (each product rescaled), optionally clipped;
 * h = tanh(c) * o rescaled to the hidden (int8) scale. Units are independent
 * within a step, so each unit's gates are computed and applied in turn; the
 * new hidden state goes to the output row first and is copied into the
 * state after the step, because every unit reads the old one. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

enum { GATE_I, GATE_F, GATE_C, GATE_O };

static int32_t sat16(int32_t v) { return odl_clamp_i32(v, -32768, 32767); }

static int16_t gate_pre(const odl_lstm_params_t *p, int g, int32_t unit, const int8_t *x, const int8_t *h,
                        const int8_t *const w_in[4], const int8_t *const w_rec[4], const int32_t *const bias[4]) {
    const int8_t *wi = w_in[g] + unit * p->inputs, *wr = w_rec[g] + unit * p->units;
    /* int32 accumulators wrap as TFLite Micro's do (unsigned arithmetic: no UB) */
    uint32_t acc = 0;
    for (int32_t k = 0; k < p->inputs; ++k) acc += (uint32_t)((int32_t)wi[k] * ((int32_t)x[k] - p->input_zero_point));
    acc += (uint32_t)bias[g][unit];
    const int32_t a = sat16(odl_mul_by_quantized_multiplier((int32_t)acc, p->in_mult[g], p->in_shift[g]));
    acc = 0;
    for (int32_t k = 0; k < p->units; ++k) acc += (uint32_t)((int32_t)wr[k] * ((int32_t)h[k] - p->hidden_zero_point));
    const int32_t r = sat16(odl_mul_by_quantized_multiplier((int32_t)acc, p->rec_mult[g], p->rec_shift[g]));
    return (int16_t)sat16(a + r);
}

/* One unit's gates from their pre-activations: the cell update, then the new hidden value into *y. */
static void unit_update(const odl_lstm_params_t *p, const int16_t pre[4], int16_t *c, int8_t *y) {
    int16_t act[4];
    odl_logistic_s16(0, 0, 1, &pre[GATE_I], &act[GATE_I]);
    odl_logistic_s16(0, 0, 1, &pre[GATE_F], &act[GATE_F]);
    odl_tanh_s16(0, 0, 1, &pre[GATE_C], &act[GATE_C]);
    odl_logistic_s16(0, 0, 1, &pre[GATE_O], &act[GATE_O]);
    const int32_t fc =
        sat16(odl_mul_by_quantized_multiplier((int32_t)act[GATE_F] * *c, p->forget_mult, p->forget_shift));
    const int32_t ig =
        sat16(odl_mul_by_quantized_multiplier((int32_t)act[GATE_I] * act[GATE_C], p->input_mult, p->input_shift));
    int32_t cn = sat16(fc + ig);
    if (p->cell_clip >= 0) cn = odl_clamp_i32(cn, -p->cell_clip, p->cell_clip);
    *c = (int16_t)cn;
    int16_t t;
    odl_tanh_s16(p->tanh_mult, p->tanh_shift, 1, c, &t);
    const int32_t hv = odl_mul_by_quantized_multiplier((int32_t)t * act[GATE_O], p->hidden_mult, p->hidden_shift);
    *y = (int8_t)odl_clamp_i32(hv + p->hidden_zero_point, -128, 127);
}

static void step(const odl_lstm_params_t *p, const int8_t *x, int8_t *h, int16_t *c, int8_t *y,
                 const int8_t *const w_in[4], const int8_t *const w_rec[4], const int32_t *const bias[4]) {
    for (int32_t j = 0; j < p->units; ++j) {
        int16_t pre[4];
        for (int g = 0; g < 4; ++g) pre[g] = gate_pre(p, g, j, x, h, w_in, w_rec, bias);
        unit_update(p, pre, &c[j], &y[j]);
    }
    memcpy(h, y, (size_t)p->units);
}

odl_status_t odl_lstm_s8(const odl_lstm_params_t *p, const int8_t *in, const int8_t *const w_in[4],
                         const int8_t *const w_rec[4], const int32_t *const bias[4], int8_t *hidden, int16_t *cell,
                         int8_t *out) {
    if (!p || !in || !w_in || !w_rec || !bias || !hidden || !cell || !out) return ODL_ERR_ARG;
    if (p->batches <= 0 || p->steps <= 0 || p->inputs <= 0 || p->units <= 0) return ODL_ERR_ARG;
    for (int g = 0; g < 4; ++g)
        if (!w_in[g] || !w_rec[g] || !bias[g]) return ODL_ERR_ARG;
    if (p->stateless) {
        memset(hidden, (int8_t)p->hidden_zero_point, (size_t)(p->batches * p->units));
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
