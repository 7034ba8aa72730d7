/* F32 op kinds SVDF and LSTM (pytool/ops/svdf.py, unidirectional_sequence_lstm.py):
 * SVDF inputs [x [batch, in], w_feature [filters, in], w_time [filters, memory], bias [units] or -1,
 *   state [batch, filters * memory] (variable, updated)]; params [kind, rank, activation].
 * LSTM inputs as the integer LSTM (x, 4 input weights, 4 recurrent weights, 4 biases, hidden, cell; the
 *   states variable, updated), all float32; params [kind, time_major, cell_clip bits, stateless]. */
#include <string.h>

#include "odl/f32_ops.h"
#include "odl/kernels_f32.h"

static const float *vec(const odl_ctx_t *ctx, const odl_op_t *op, int i, int64_t n) {
    const odl_tensor_t *t = odl_op_in_info(ctx, op, i);
    if (!t || t->dtype != ODL_DT_FLOAT32 || odl_tensor_numel(t) != n || t->bytes < n * 4) return 0;
    return (const float *)odl_op_in(ctx, op, i);
}

static float *out(const odl_ctx_t *ctx, const odl_op_t *op, int64_t n) {
    const odl_tensor_t *t = odl_op_out_info(ctx, op, 0);
    if (!t || t->dtype != ODL_DT_FLOAT32 || odl_tensor_numel(t) != n || t->bytes < n * 4) return 0;
    return (float *)odl_op_out(ctx, op, 0);
}

odl_status_t odl_f32_svdf_op(odl_ctx_t *ctx, const odl_op_t *op) {
    const int32_t *p = op->params;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tf = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tt = odl_op_in_info(ctx, op, 2);
    if (op->n_params < 3 || op->n_inputs != 5 || !tx || !tf || !tt || tx->rank != 2 || tf->rank != 2 || tt->rank != 2)
        return ODL_ERR_MODEL;
    const odl_f32_svdf_dims_t d = {tx->dims[0], tx->dims[1], tf->dims[0], tt->dims[1], p[1]};
    if (d.rank <= 0 || d.filters % d.rank || tf->dims[1] != d.inputs || tt->dims[0] != d.filters) return ODL_ERR_SHAPE;
    const int32_t units = d.filters / d.rank;
    const float *x = vec(ctx, op, 0, (int64_t)d.batches * d.inputs), *wf = vec(ctx, op, 1, (int64_t)d.filters * d.inputs);
    const float *wt = vec(ctx, op, 2, (int64_t)d.filters * d.memory), *bias = 0;
    if (odl_op_in_info(ctx, op, 3) && !(bias = vec(ctx, op, 3, units))) return ODL_ERR_SHAPE;
    float *state = (float *)vec(ctx, op, 4, (int64_t)d.batches * d.filters * d.memory);
    float *y = out(ctx, op, (int64_t)d.batches * units);
    if (!x || !wf || !wt || !state || !y) return ODL_ERR_SHAPE;
    return odl_svdf_f32(&d, p[2], x, wf, wt, bias, state, y);
}

odl_status_t odl_f32_lstm_op(odl_ctx_t *ctx, const odl_op_t *op) {
    const int32_t *p = op->params;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ti = odl_op_in_info(ctx, op, 1);
    if (op->n_params < 4 || op->n_inputs != 15 || !tx || !ti || tx->rank != 3 || ti->rank != 2) return ODL_ERR_MODEL;
    odl_f32_lstm_dims_t d;
    d.time_major = p[1] != 0;
    d.batches = d.time_major ? tx->dims[1] : tx->dims[0];
    d.steps = d.time_major ? tx->dims[0] : tx->dims[1];
    d.inputs = tx->dims[2];
    d.units = ti->dims[0];
    memcpy(&d.cell_clip, &p[2], sizeof d.cell_clip);
    d.stateless = p[3] != 0;
    const int64_t ns = d.units, rows = (int64_t)d.batches * d.steps;
    const float *w_in[4], *w_rec[4], *bias[4];
    for (int g = 0; g < 4; ++g) {
        w_in[g] = vec(ctx, op, 1 + g, ns * d.inputs);
        w_rec[g] = vec(ctx, op, 5 + g, ns * ns);
        bias[g] = vec(ctx, op, 9 + g, ns);
        if (!w_in[g] || !w_rec[g] || !bias[g]) return ODL_ERR_SHAPE;
    }
    const float *x = vec(ctx, op, 0, rows * d.inputs);
    float *h = (float *)vec(ctx, op, 13, d.batches * ns), *c = (float *)vec(ctx, op, 14, d.batches * ns);
    float *y = out(ctx, op, rows * ns);
    if (!x || !h || !c || !y) return ODL_ERR_SHAPE;
    return odl_lstm_f32(&d, x, w_in, w_rec, bias, h, c, y);
}
