/* IF and WHILE (pytool/ops/control_flow.py). A subgraph's ops follow the op
 * that runs them in the schedule (n_nested skips them there); the op copies
 * values across the subgraph boundary and runs the op ranges itself.
 *   IF:    inputs [cond, args[a], then_in[a], then_out[o], else_in[a], else_out[o]],
 *          outputs [outs[o]], params [a, o, then_len, else_len]
 *   WHILE: inputs [args[a], cond_in[a], cond_out, body_in[a], body_out[a]],
 *          outputs [outs[a]], params [a, cond_len, body_len]
 *   CALL_ONCE: inputs [flag], params [init_len]
 * As in TFLite Micro, a condition is its tensor's first byte read as a bool. */
#include <string.h>

#include "odl/ops.h"

/* Copies n tensors' bytes from src[k] to dst[k] (tensor indices). */
static odl_status_t copy_all(odl_ctx_t *ctx, const int16_t *src, const int16_t *dst, int32_t n) {
    for (int32_t k = 0; k < n; ++k) {
        const odl_tensor_t *ts = odl_tensor_info(ctx, src[k]);
        const odl_tensor_t *td = odl_tensor_info(ctx, dst[k]);
        if (!ts || !td || !(td->flags & ODL_T_ARENA)) return ODL_ERR_MODEL;
        if (ts->bytes != td->bytes) return ODL_ERR_SHAPE;
        void *d = odl_tensor_ptr(ctx, dst[k]);
        const void *s = odl_tensor_ptr(ctx, src[k]);
        if (d != s) memmove(d, s, (size_t)td->bytes);
    }
    return ODL_OK;
}

static int truth(const odl_ctx_t *ctx, int16_t index) {
    const odl_tensor_t *t = odl_tensor_info(ctx, index);
    const uint8_t *p = (const uint8_t *)odl_tensor_ptr(ctx, index);
    return t && p && t->bytes > 0 && p[0] != 0;
}

/* The op's position in the schedule: nested ranges are relative to it. */
static uint32_t op_index(const odl_ctx_t *ctx, const odl_op_t *op) { return (uint32_t)(op - ctx->model->ops); }

odl_status_t odl_op_if(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_params != 4) return ODL_ERR_MODEL;
    const int32_t a = op->params[0], o = op->params[1], then_len = op->params[2], else_len = op->params[3];
    if (a < 0 || o < 0 || then_len < 0 || else_len < 0 || op->n_inputs != 1 + 3 * a + 2 * o ||
        op->n_outputs != o || (int32_t)op->n_nested != then_len + else_len)
        return ODL_ERR_MODEL;
    const int16_t *args = op->inputs + 1;
    const int take_then = truth(ctx, op->inputs[0]);
    const int16_t *in = take_then ? args + a : args + 2 * a + o;
    const int16_t *out = in + a;
    const uint32_t self = op_index(ctx, op);
    const uint32_t first = self + 1u + (take_then ? 0u : (uint32_t)then_len);
    const uint32_t len = (uint32_t)(take_then ? then_len : else_len);
    odl_status_t s = copy_all(ctx, args, in, a);
    if (s == ODL_OK) s = odl_invoke_range(ctx, first, first + len);
    if (s == ODL_OK) s = copy_all(ctx, out, op->outputs, o);
    if (s == ODL_OK) ctx->stats.last_op = self;
    return s;
}

odl_status_t odl_op_while(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_params != 3) return ODL_ERR_MODEL;
    const int32_t a = op->params[0], cond_len = op->params[1], body_len = op->params[2];
    if (a < 0 || cond_len < 0 || body_len < 0 || op->n_inputs != 1 + 4 * a || op->n_outputs != a ||
        (int32_t)op->n_nested != cond_len + body_len)
        return ODL_ERR_MODEL;
    const int16_t *args = op->inputs, *cond_in = args + a, *cond_out = cond_in + a;
    const int16_t *body_in = cond_out + 1, *body_out = body_in + a;
    const uint32_t self = op_index(ctx, op), cond_first = self + 1u, body_first = cond_first + (uint32_t)cond_len;
    /* The loop values live in the op's outputs. */
    odl_status_t s = copy_all(ctx, args, op->outputs, a);
    while (s == ODL_OK) {
        s = copy_all(ctx, op->outputs, cond_in, a);
        if (s == ODL_OK) s = odl_invoke_range(ctx, cond_first, cond_first + (uint32_t)cond_len);
        if (s != ODL_OK || !truth(ctx, cond_out[0])) break;
        s = copy_all(ctx, op->outputs, body_in, a);
        if (s == ODL_OK) s = odl_invoke_range(ctx, body_first, body_first + (uint32_t)body_len);
        if (s == ODL_OK) s = copy_all(ctx, body_out, op->outputs, a);
    }
    if (s == ODL_OK) ctx->stats.last_op = self;
    return s;
}

/* CALL_ONCE: inputs [flag], params [init_len]. Runs the init subgraph (the
 * nested ops) while the flag (persistent, 0 at odl_init, left by
 * odl_reset_state: ODL_T_KEEP) is 0, then sets it: the init runs at the first
 * invoke after odl_init, as TFLite Micro's. */
odl_status_t odl_op_call_once(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_params != 1 || op->n_inputs != 1 || op->params[0] < 0 || (int32_t)op->n_nested != op->params[0])
        return ODL_ERR_MODEL;
    const odl_tensor_t *tf = odl_op_in_info(ctx, op, 0);
    uint8_t *flag = (uint8_t *)odl_op_in(ctx, op, 0);
    if (!tf || !flag || !(tf->flags & ODL_T_ARENA) || tf->bytes < 1) return ODL_ERR_MODEL;
    if (*flag) return ODL_OK;
    const uint32_t self = op_index(ctx, op);
    odl_status_t s = odl_invoke_range(ctx, self + 1u, self + 1u + (uint32_t)op->params[0]);
    if (s != ODL_OK) return s;
    *flag = 1;
    ctx->stats.last_op = self;
    return ODL_OK;
}
