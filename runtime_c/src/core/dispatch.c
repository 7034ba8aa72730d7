#include "odl/ops.h"

odl_status_t odl_op_dispatch(odl_ctx_t *ctx, const odl_op_t *op) {
    switch (op->code) {
#define ODL_OP(name, code, fn) \
    case ODL_OP_##name: return odl_op_##fn(ctx, op);
#include "odl/ops.def"
#undef ODL_OP
    default: return ODL_ERR_UNSUPPORTED;
    }
}

const char *odl_op_name(uint16_t code) {
    switch (code) {
#define ODL_OP(name, code, fn) \
    case ODL_OP_##name: return #name;
#include "odl/ops.def"
#undef ODL_OP
    default: return "UNKNOWN";
    }
}
