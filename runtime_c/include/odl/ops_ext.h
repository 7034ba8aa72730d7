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
    return dtype == ODL_DT_INT8 ? 1 : dtype == ODL_DT_INT16 ? 2 : (dtype == ODL_DT_INT32 || dtype == ODL_DT_FLOAT32) ? 4 : 0;
}

/* Element size for pure byte copies (the strided-view copy), which also move
 * uint8 / bool (one byte) and int64 values, as TFLite Micro's copies do. */
static inline int32_t odl_copy_elem_size(int32_t dtype) {
    return dtype == ODL_DT_UINT8 ? 1 : dtype == ODL_DT_INT64 ? 8 : odl_elem_size(dtype);
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

/* Two broadcastable inputs and an output of one dtype (int8 or int16); the
 * 4-D views for the binary kernels. Returns the dtype or -status. */
static inline int32_t odl_op_binary_dims(const odl_ctx_t *ctx, const odl_op_t *op, odl_dims4_t *da, odl_dims4_t *db,
                                         odl_dims4_t *dy) {
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return -ODL_ERR_MODEL;
    if (ta->dtype != ty->dtype || tb->dtype != ty->dtype) return -ODL_ERR_UNSUPPORTED;
    if (ty->dtype != ODL_DT_INT8 && ty->dtype != ODL_DT_INT16) return -ODL_ERR_UNSUPPORTED;
    if (!odl_broadcast_views4(ta, tb, ty, da, db, dy)) return -ODL_ERR_SHAPE;
    const int32_t es = odl_elem_size(ty->dtype);
    if (ta->bytes < odl_tensor_numel(ta) * es || tb->bytes < odl_tensor_numel(tb) * es ||
        ty->bytes < odl_tensor_numel(ty) * es)
        return -ODL_ERR_MODEL;
    if (!odl_op_in(ctx, op, 0) || !odl_op_in(ctx, op, 1) || !odl_op_out(ctx, op, 0)) return -ODL_ERR_MODEL;
    return ty->dtype;
}

/* The 16x8 CONV_2D / DEPTHWISE_CONV_2D decoder (runtime_c/src/ops/conv_2d_s16.c). */
odl_status_t odl_op_conv_s16_decode(odl_ctx_t *ctx, const odl_op_t *op, int depthwise);

/* The int16 AVERAGE_POOL_2D / MAX_POOL_2D decoder (runtime_c/src/ops/average_pool_2d_s16.c). */
odl_status_t odl_op_pool_s16_decode(odl_ctx_t *ctx, const odl_op_t *op, int is_max);

/* Decoder of the ops with ADD's 12 params on two broadcast int8 or int16
 * inputs (SUB, SQUARED_DIFFERENCE; runtime_c/src/ops/sub.c): checks, then the
 * int8 or int16 kernel. */
typedef odl_status_t (*odl_add_like_s8_fn)(const odl_add_params_t *, const odl_dims4_t *, const int8_t *,
                                           const odl_dims4_t *, const int8_t *, const odl_dims4_t *, int8_t *);
typedef odl_status_t (*odl_add_like_s16_fn)(const odl_add_params_t *, const odl_dims4_t *, const int16_t *,
                                            const odl_dims4_t *, const int16_t *, const odl_dims4_t *, int16_t *);
odl_status_t odl_op_add_like(odl_ctx_t *ctx, const odl_op_t *op, odl_add_like_s8_fn s8, odl_add_like_s16_fn s16);

static inline odl_add_params_t odl_add_params_of(const int32_t *q) {
    const odl_add_params_t p = {
        .input1_offset = q[0], .input2_offset = q[1], .output_offset = q[2], .left_shift = q[3],
        .input1_multiplier = q[4], .input1_shift = q[5], .input2_multiplier = q[6], .input2_shift = q[7],
        .output_multiplier = q[8], .output_shift = q[9], .act_min = q[10], .act_max = q[11],
    };
    return p;
}

#ifdef __cplusplus
}
#endif

#endif
