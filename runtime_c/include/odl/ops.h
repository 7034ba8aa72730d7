/* Op dispatch: every op decoder has the same shape. */
#ifndef ODL_OPS_H
#define ODL_OPS_H

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
#define ODL_OP(name, code, fn) ODL_OP_##name = code,
#include "odl/ops.def"
#undef ODL_OP
    ODL_OP_MAX_CODE
} odl_opcode_t;

/* Decoders: read the op's tensors and params, call the typed kernel. */
#define ODL_OP(name, code, fn) odl_status_t odl_op_##fn(odl_ctx_t *ctx, const odl_op_t *op);
#include "odl/ops.def"
#undef ODL_OP

odl_status_t odl_op_dispatch(odl_ctx_t *ctx, const odl_op_t *op);
const char *odl_op_name(uint16_t code);

/* Helpers for decoders. Return NULL on a bad index. */
static inline const odl_tensor_t *odl_op_in_info(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_inputs && op->inputs[i] >= 0) ? odl_tensor_info(ctx, op->inputs[i]) : 0;
}
static inline const odl_tensor_t *odl_op_out_info(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_outputs) ? odl_tensor_info(ctx, op->outputs[i]) : 0;
}
static inline void *odl_op_in(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_inputs && op->inputs[i] >= 0) ? odl_tensor_ptr(ctx, op->inputs[i]) : 0;
}
static inline void *odl_op_out(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_outputs) ? odl_tensor_ptr(ctx, op->outputs[i]) : 0;
}

#ifdef __cplusplus
}
#endif

#endif
