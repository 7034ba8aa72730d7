/* BATCH_MATMUL decoder (pytool/ops/batch_matmul.py).
 * inputs : [lhs, rhs], outputs [y]; all int8 or all int16, ranks 2..5
 * params : [adj_x, adj_y, zl, zr, zy, multiplier, shift, act_min, act_max] */
#include "odl/ops_ext.h"

static int dims5(const odl_tensor_t *t, int32_t *d) {
    if (t->rank < 2 || t->rank > 5) return 0;
    const int lift = 5 - t->rank;
    for (int k = 0; k < 5; ++k) d[k] = k < lift ? 1 : t->dims[k - lift];
    return 1;
}

odl_status_t odl_op_batch_matmul(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2 || op->n_outputs != 1 || !op->params || op->n_params != 9) return ODL_ERR_MODEL;
    const odl_tensor_t *tl = odl_op_in_info(ctx, op, 0), *tr = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tl || !tr || !ty) return ODL_ERR_MODEL;
    if (tl->dtype != ty->dtype || tr->dtype != ty->dtype) return ODL_ERR_UNSUPPORTED;
    const int32_t es = odl_elem_size(ty->dtype);
    if (es != 1 && es != 2) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    odl_batch_matmul_params_t p = {.adj_x = q[0], .adj_y = q[1], .lhs_zero_point = q[2], .rhs_zero_point = q[3],
                                   .output_zero_point = q[4], .output_multiplier = q[5], .output_shift = q[6],
                                   .act_min = q[7], .act_max = q[8]};
    if (!dims5(tl, p.lhs_dims) || !dims5(tr, p.rhs_dims)) return ODL_ERR_SHAPE;
    int64_t n = 1;
    for (int d = 0; d < 3; ++d) n *= p.lhs_dims[d] > p.rhs_dims[d] ? p.lhs_dims[d] : p.rhs_dims[d];
    n *= (int64_t)(p.adj_x ? p.lhs_dims[4] : p.lhs_dims[3]) * (p.adj_y ? p.rhs_dims[3] : p.rhs_dims[4]);
    if (n != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tl->bytes < odl_tensor_numel(tl) * es || tr->bytes < odl_tensor_numel(tr) * es || ty->bytes < n * es)
        return ODL_ERR_MODEL;
    const void *l = odl_op_in(ctx, op, 0), *r = odl_op_in(ctx, op, 1);
    void *y = odl_op_out(ctx, op, 0);
    if (!l || !r || !y) return ODL_ERR_MODEL;
    if (es == 1) return odl_batch_matmul_s8(&p, (const int8_t *)l, (const int8_t *)r, (int8_t *)y);
    return odl_batch_matmul_s16(&p, (const int16_t *)l, (const int16_t *)r, (int16_t *)y);
}
