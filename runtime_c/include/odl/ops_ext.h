/* Decoder helpers shared by the element-wise and data-movement ops of
 * kernels_ext.h. */
#ifndef ODL_OPS_EXT_H
#define ODL_OPS_EXT_H

#include "odl/kernels_ext.h"
#include "odl/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes per element of the integer activation types, 0 for others. */
static inline int32_t odl_elem_size(int32_t dtype) {
    return dtype == ODL_DT_INT8 ? 1 : dtype == ODL_DT_INT16 ? 2 : dtype == ODL_DT_INT32 ? 4 : 0;
}

/* One input, one output of the same dtype and element count, at least
 * n_params params. Sets *numel, *x, *y and returns the dtype (or -status). */
static inline int32_t odl_op_unary_io(const odl_ctx_t *ctx, const odl_op_t *op, int32_t n_params, int32_t *numel,
                                      const void **x, void **y) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty || op->n_params < n_params || (n_params && !op->params)) return -ODL_ERR_MODEL;
    if (tx->dtype != ty->dtype || odl_elem_size(tx->dtype) == 0) return -ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return -ODL_ERR_SHAPE;
    const int32_t n = odl_tensor_numel(tx);
    if (n < 0 || n != odl_tensor_numel(ty)) return -ODL_ERR_SHAPE;
    const int32_t es = odl_elem_size(tx->dtype);
    if (tx->bytes < n * es || ty->bytes < n * es) return -ODL_ERR_MODEL;
    *x = odl_op_in(ctx, op, 0);
    *y = odl_op_out(ctx, op, 0);
    if (!*x || !*y) return -ODL_ERR_MODEL;
    *numel = n;
    return tx->dtype;
}

#ifdef __cplusplus
}
#endif

#endif
