/* BasicClassifier decoder (pytool/ops/basic_classifier.py): inputs [scores
 * int32, targets int32 [k], thresholds int32 [k]], outputs [detected bool [k],
 * posteriors int32 [k]]; params []. */
#include "odl/ops_ext.h"

odl_status_t odl_op_basic_classifier(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 3 || op->n_outputs != 2) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ti = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tt = odl_op_in_info(ctx, op, 2), *td = odl_op_out_info(ctx, op, 0);
    const odl_tensor_t *tp = odl_op_out_info(ctx, op, 1);
    if (!tx || !ti || !tt || !td || !tp) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT32 || ti->dtype != ODL_DT_INT32 || tt->dtype != ODL_DT_INT32 ||
        td->dtype != ODL_DT_UINT8 || tp->dtype != ODL_DT_INT32)
        return ODL_ERR_UNSUPPORTED;
    const int32_t n = odl_tensor_numel(tx), k = odl_tensor_numel(ti);
    if (odl_tensor_numel(tt) != k || odl_tensor_numel(td) != k || odl_tensor_numel(tp) != k) return ODL_ERR_SHAPE;
    if (tx->bytes < n * 4 || ti->bytes < k * 4 || tt->bytes < k * 4 || td->bytes < k || tp->bytes < k * 4)
        return ODL_ERR_MODEL;
    const int32_t *x = (const int32_t *)odl_op_in(ctx, op, 0), *idx = (const int32_t *)odl_op_in(ctx, op, 1);
    const int32_t *th = (const int32_t *)odl_op_in(ctx, op, 2);
    uint8_t *det = (uint8_t *)odl_op_out(ctx, op, 0);
    int32_t *post = (int32_t *)odl_op_out(ctx, op, 1);
    if (!x || !idx || !th || !det || !post) return ODL_ERR_MODEL;
    return odl_basic_classifier_i32(n, x, k, idx, th, det, post);
}
