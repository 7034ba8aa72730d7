#include <string.h>

#include "odl/odl.h"
#include "odl/ops.h"
#include "odl/train.h" /* the config and its hook table; no method is named here */

odl_status_t odl_init(odl_ctx_t *ctx, const odl_model_t *model, uint8_t *arena, uint32_t arena_size) {
    if (!ctx || !model || (!arena && model->arena_size)) return ODL_ERR_ARG;
    /* int32/float state lives in the arena: 4-byte alignment is required,
     * 16 (ODL_ALIGN(16), what the planner aligns offsets to) recommended. */
    if ((uintptr_t)arena & 3u) return ODL_ERR_ARG;
    memset(ctx, 0, sizeof(*ctx));
    if (model->format != ODL_MODEL_FORMAT || !model->decoders) return ODL_ERR_MODEL;
    if (arena_size < model->arena_size) return ODL_ERR_ARENA;
    ctx->model = model;
    ctx->arena = arena;
    ctx->arena_size = arena_size;
    for (uint32_t i = 0; i < model->n_tensors; ++i) {
        const odl_tensor_t *t = &model->tensors[i];
        if (t->flags & ODL_T_ARENA) {
            if (t->offset < 0 || (uint32_t)t->offset + (uint32_t)t->bytes > model->arena_size)
                return ODL_ERR_MODEL;
            if ((t->flags & ODL_T_INIT) && t->data) memcpy(arena + t->offset, t->data, (size_t)t->bytes);
        } else if (!t->data && t->bytes > 0) {
            return ODL_ERR_MODEL;
        }
    }
    for (uint32_t i = 0; i < model->n_ops; ++i) {
        const odl_op_t *op = &model->ops[i];
        if (!model->decoders[i]) return ODL_ERR_MODEL;
        if (op->n_nested > model->n_ops - 1u - i) return ODL_ERR_MODEL;
        for (int k = 0; k < op->n_inputs; ++k)
            if (op->inputs[k] >= (int32_t)model->n_tensors) return ODL_ERR_MODEL;
        for (int k = 0; k < op->n_outputs; ++k)
            if (op->outputs[k] < 0 || op->outputs[k] >= (int32_t)model->n_tensors) return ODL_ERR_MODEL;
    }
    ctx->ready = 1;
    if (model->train) {
        odl_status_t s = odl_train_init(ctx);
        if (s != ODL_OK) {
            ctx->ready = 0;
            return s;
        }
    }
    return ODL_OK;
}

odl_status_t odl_reset_state(odl_ctx_t *ctx) {
    if (!ctx || !ctx->ready) return ODL_ERR_ARG;
    const odl_model_t *m = ctx->model;
    for (uint32_t i = 0; i < m->n_tensors; ++i) {
        const odl_tensor_t *t = &m->tensors[i];
        /* variables are the arena tensors initialised at odl_init that training does not own */
        if ((t->flags & (ODL_T_ARENA | ODL_T_INIT)) != (ODL_T_ARENA | ODL_T_INIT) ||
            (t->flags & (ODL_T_TRAINABLE | ODL_T_KEEP)))
            continue;
        if (t->flags & ODL_T_RESET_FILL)
            memset(ctx->arena + t->offset, t->fill, (size_t)t->bytes);
        else if (t->data)
            memcpy(ctx->arena + t->offset, t->data, (size_t)t->bytes);
    }
    return ODL_OK;
}

odl_status_t odl_invoke_range(odl_ctx_t *ctx, uint32_t first, uint32_t last) {
    if (!ctx) return ODL_ERR_ARG;
    if (!ctx->ready) return ODL_ERR_STATE;
    if (last > ctx->model->n_ops || first > last) return ODL_ERR_ARG;
    /* a stop ends this range only (CIRCULAR_BUFFER is never nested in a control-flow op's range) */
    ctx->stats.stopped = 0;
    for (uint32_t i = first; i < last; i += 1u + ctx->model->ops[i].n_nested) {
        ctx->stats.last_op = i;
        odl_status_t s = ctx->model->decoders[i](ctx, &ctx->model->ops[i]);
        if (s != ODL_OK) return s;
        if (ctx->stats.stopped) return ODL_OK; /* the rest of the schedule does not run this time */
    }
    return ODL_OK;
}

odl_status_t odl_invoke(odl_ctx_t *ctx) {
    if (!ctx) return ODL_ERR_ARG;
    if (!ctx->ready) return ODL_ERR_STATE;
    const odl_train_config_t *tc = ctx->model->train;
    ctx->stats.stopped = 0;
    /* a method may own inference (FP16 backprop runs its trained FP16 head) */
    odl_status_t s = (tc && tc->hooks && tc->hooks->invoke) ? tc->hooks->invoke(ctx)
                                                            : odl_invoke_range(ctx, 0, ctx->model->n_ops);
    if (s == ODL_OK) ctx->stats.invokes++;
    return s;
}

const odl_tensor_t *odl_tensor_info(const odl_ctx_t *ctx, int32_t index) {
    if (!ctx || !ctx->model || index < 0 || index >= (int32_t)ctx->model->n_tensors) return 0;
    return &ctx->model->tensors[index];
}

void *odl_tensor_ptr(const odl_ctx_t *ctx, int32_t index) {
    const odl_tensor_t *t = odl_tensor_info(ctx, index);
    if (!t) return 0;
    if (t->flags & ODL_T_ARENA) return ctx->arena + t->offset;
    /* Const tensors are never written through this pointer by a kernel. */
    return (void *)(uintptr_t)t->data;
}

int32_t odl_tensor_numel(const odl_tensor_t *t) {
    int32_t n = 1;
    for (int i = 0; i < t->rank; ++i) n *= t->dims[i];
    return n;
}

void *odl_input_ptr(const odl_ctx_t *ctx, uint32_t i) {
    if (!ctx || !ctx->model || i >= ctx->model->n_inputs) return 0;
    return odl_tensor_ptr(ctx, ctx->model->inputs[i]);
}

void *odl_output_ptr(const odl_ctx_t *ctx, uint32_t i) {
    if (!ctx || !ctx->model || i >= ctx->model->n_outputs) return 0;
    return odl_tensor_ptr(ctx, ctx->model->outputs[i]);
}
