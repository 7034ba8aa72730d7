/* int8 table-lookup decoder (ELU; pytool/ops/elu.py): inputs [x int8,
 * table int8[256] const], outputs [y int8]. params: [] */
#include "odl/ops_ext.h"

odl_status_t odl_op_lut_s8(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2) return ODL_ERR_MODEL;
    const odl_tensor_t *tt = odl_op_in_info(ctx, op, 1);
    if (!tt || tt->dtype != ODL_DT_INT8 || odl_tensor_numel(tt) != 256 || tt->bytes < 256) return ODL_ERR_MODEL;
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 0, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int8_t *table = (const int8_t *)odl_op_in(ctx, op, 1);
    if (!table) return ODL_ERR_MODEL;
    return odl_lut_s8(table, n, (const int8_t *)x, (int8_t *)y);
}
