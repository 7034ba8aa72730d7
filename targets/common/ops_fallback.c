/* Weak decoders for every op in ops.def. A real decoder in runtime_c/src/ops
 * overrides its fallback; an op whose decoder is not built in answers
 * ODL_ERR_UNSUPPORTED at run time (reported with its index in
 * ctx->stats.last_op) instead of failing the firmware link for every model. */
#include "odl/ops.h"

#define ODL_OP(name, code, fn)                                                                       \
    __attribute__((weak)) odl_status_t odl_op_##fn(odl_ctx_t *ctx, const odl_op_t *op) { \
        (void)ctx;                                                                                   \
        (void)op;                                                                                    \
        return ODL_ERR_UNSUPPORTED;                                                                  \
    }
#include "odl/ops.def"
#undef ODL_OP
