/* UNIDIRECTIONAL_SEQUENCE_LSTM decoder (pytool/ops/unidirectional_sequence_lstm.py).
 * inputs : [x int8 [B, T, I] (or [T, B, I] time-major), input weights int8 [S, I] x4,
 *           recurrent weights int8 [S, S] x4, gate biases int32 [S] x4 (gates i, f, c, o),
 *           hidden state int8 [B, S], cell state int16 [B, S] (both variable, updated)]
 *          (16x8: x, hidden state and y int16, biases int64)
 * outputs: [y int8, x's shape with S for I]
 * params : [time_major, input_zp, hidden_zp, in_mult x4, in_shift x4, rec_mult x4, rec_shift x4,
 *           forget_mult, forget_shift, input_mult, input_shift, hidden_mult, hidden_shift,
 *           tanh_mult, tanh_shift, cell_clip (-1: none), stateless (1: start every invoke from the zero state)] */
#include "odl/ops_ext.h"

#define LSTM_N_IN 15
#define LSTM_N_PARAMS 29

static int is_matrix(const odl_tensor_t *t, int32_t rows, int32_t cols) {
    return t && t->dtype == ODL_DT_INT8 && t->rank == 2 && t->dims[0] == rows && t->dims[1] == cols &&
           t->bytes >= rows * cols;
}

static int is_bias(const odl_tensor_t *t, int32_t n, int a16) {
    if (!t || odl_tensor_numel(t) != n) return 0;
    return a16 ? t->dtype == ODL_DT_INT64 && t->bytes >= n * 8 : t->dtype == ODL_DT_INT32 && t->bytes >= n * 4;
}

odl_status_t odl_op_unidirectional_sequence_lstm(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != LSTM_N_IN || op->n_outputs != 1 || !op->params || op->n_params != LSTM_N_PARAMS)
        return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    const odl_tensor_t *th = odl_op_in_info(ctx, op, 13), *tc = odl_op_in_info(ctx, op, 14);
    if (!tx || !ty || !th || !tc) return ODL_ERR_MODEL;
    const int a16 = tx->dtype == ODL_DT_INT16, es = a16 ? 2 : 1;
    if ((tx->dtype != ODL_DT_INT8 && !a16) || ty->dtype != tx->dtype || th->dtype != tx->dtype ||
        tc->dtype != ODL_DT_INT16)
        return ODL_ERR_UNSUPPORTED;
    if (tx->rank != 3 || ty->rank != 3) return ODL_ERR_SHAPE;
    const int32_t *q = op->params;
    odl_lstm_params_t p = {0};
    p.time_major = q[0];
    p.batches = p.time_major ? tx->dims[1] : tx->dims[0];
    p.steps = p.time_major ? tx->dims[0] : tx->dims[1];
    p.inputs = tx->dims[2];
    p.units = ty->dims[2];
    p.input_zero_point = q[1];
    p.hidden_zero_point = q[2];
    const int8_t *w_in[4], *w_rec[4];
    const void *bias[4];
    for (int g = 0; g < 4; ++g) {
        p.in_mult[g] = q[3 + g];
        p.in_shift[g] = q[7 + g];
        p.rec_mult[g] = q[11 + g];
        p.rec_shift[g] = q[15 + g];
        if (!is_matrix(odl_op_in_info(ctx, op, 1 + g), p.units, p.inputs) ||
            !is_matrix(odl_op_in_info(ctx, op, 5 + g), p.units, p.units) ||
            !is_bias(odl_op_in_info(ctx, op, 9 + g), p.units, a16))
            return ODL_ERR_SHAPE;
        w_in[g] = (const int8_t *)odl_op_in(ctx, op, 1 + g);
        w_rec[g] = (const int8_t *)odl_op_in(ctx, op, 5 + g);
        bias[g] = odl_op_in(ctx, op, 9 + g);
    }
    p.forget_mult = q[19];
    p.forget_shift = q[20];
    p.input_mult = q[21];
    p.input_shift = q[22];
    p.hidden_mult = q[23];
    p.hidden_shift = q[24];
    p.tanh_mult = q[25];
    p.tanh_shift = q[26];
    p.cell_clip = q[27];
    p.stateless = q[28];
    const int32_t rows = p.batches * p.steps;
    if (ty->dims[0] != tx->dims[0] || ty->dims[1] != tx->dims[1] || tx->bytes < rows * p.inputs * es ||
        ty->bytes < rows * p.units * es || odl_tensor_numel(th) != p.batches * p.units ||
        th->bytes < p.batches * p.units * es || odl_tensor_numel(tc) != p.batches * p.units ||
        tc->bytes < p.batches * p.units * 2)
        return ODL_ERR_SHAPE;
    if (a16) {
        const int64_t *b64[4] = {bias[0], bias[1], bias[2], bias[3]};
        return odl_lstm_s16(&p, (const int16_t *)odl_op_in(ctx, op, 0), w_in, w_rec, b64,
                            (int16_t *)odl_op_in(ctx, op, 13), (int16_t *)odl_op_in(ctx, op, 14),
                            (int16_t *)odl_op_out(ctx, op, 0));
    }
    const int32_t *b32[4] = {bias[0], bias[1], bias[2], bias[3]};
    return odl_lstm_s8(&p, (const int8_t *)odl_op_in(ctx, op, 0), w_in, w_rec, b32, (int8_t *)odl_op_in(ctx, op, 13),
                       (int16_t *)odl_op_in(ctx, op, 14), (int8_t *)odl_op_out(ctx, op, 0));
}
