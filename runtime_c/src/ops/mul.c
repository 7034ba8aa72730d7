/* MUL: inputs [a, b] (either may be const), outputs [y], int8 only.
 * params (7 int32, TFLite Micro's Prepare, see pytool/ops/mul.py):
 *   [0] input1_offset (-za)   [1] input2_offset (-zb)   [2] output_offset (zy)
 *   [3] output_multiplier     [4] output_shift (signed, s_a*s_b/s_y)
 *   [5] act_min               [6] act_max
 * Shapes broadcast numpy-style up to rank 4 (rank 5 only without broadcast). */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

/* Right-aligns a shape of rank <= 4 into n, h, w, c; rank 5 is flattened. */
static int dims4_of(const odl_tensor_t *t, odl_dims4_t *d) {
    int32_t v[4] = {1, 1, 1, 1};
    if (t->rank > ODL_MAX_RANK) return 0;
    for (int i = 0; i < t->rank; ++i)
        if (t->dims[i] <= 0) return 0;
    if (t->rank == 5) {
        v[3] = odl_tensor_numel(t);
    } else {
        for (int i = 0; i < t->rank; ++i) v[4 - t->rank + i] = t->dims[i];
    }
    d->n = v[0], d->h = v[1], d->w = v[2], d->c = v[3];
    return 1;
}

odl_status_t odl_op_mul(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 7) return ODL_ERR_MODEL;
    if (ta->dtype != ODL_DT_INT8 || tb->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    odl_dims4_t da, db, dy;
    if (!dims4_of(ta, &da) || !dims4_of(tb, &db) || !dims4_of(ty, &dy)) return ODL_ERR_SHAPE;
    if ((ta->rank == 5 || tb->rank == 5 || ty->rank == 5) &&
        (odl_tensor_numel(ta) != odl_tensor_numel(ty) || odl_tensor_numel(tb) != odl_tensor_numel(ty)))
        return ODL_ERR_SHAPE;
    if (ta->bytes < odl_tensor_numel(ta) || tb->bytes < odl_tensor_numel(tb) || ty->bytes < odl_tensor_numel(ty))
        return ODL_ERR_MODEL;
    const int8_t *a = (const int8_t *)odl_op_in(ctx, op, 0);
    const int8_t *b = (const int8_t *)odl_op_in(ctx, op, 1);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_mul_params_t p = {
        .input1_offset = q[0], .input2_offset = q[1], .output_offset = q[2],
        .output_multiplier = q[3], .output_shift = q[4], .act_min = q[5], .act_max = q[6],
    };
    return odl_mul_s8(&p, &da, a, &db, b, &dy, y);
}
