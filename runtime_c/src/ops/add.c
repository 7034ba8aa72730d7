/* ADD: inputs [a, b] (either may be const), outputs [y], int8 only.
 * params (12 int32, TFLite Micro's Prepare, see pytool/ops/add.py):
 *   [0] input1_offset (-za)   [1] input2_offset (-zb)   [2] output_offset (zy)
 *   [3] left_shift (20)
 *   [4] input1_multiplier     [5] input1_shift (<= 0)
 *   [6] input2_multiplier     [7] input2_shift (<= 0)
 *   [8] output_multiplier     [9] output_shift (<= 0)
 *   [10] act_min              [11] act_max
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

odl_status_t odl_op_add(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 12) return ODL_ERR_MODEL;
    if (ta->dtype != ODL_DT_INT8 || tb->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    odl_dims4_t da, db, dy;
    if (!dims4_of(ta, &da) || !dims4_of(tb, &db) || !dims4_of(ty, &dy)) return ODL_ERR_SHAPE;
    /* Rank-5 tensors are flattened, so only equal shapes are allowed there. */
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
    const odl_add_params_t p = {
        .input1_offset = q[0], .input2_offset = q[1], .output_offset = q[2], .left_shift = q[3],
        .input1_multiplier = q[4], .input1_shift = q[5], .input2_multiplier = q[6], .input2_shift = q[7],
        .output_multiplier = q[8], .output_shift = q[9], .act_min = q[10], .act_max = q[11],
    };
    return odl_add_s8(&p, &da, a, &db, b, &dy, y);
}
