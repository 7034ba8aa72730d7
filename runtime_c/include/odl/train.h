/* Training API shared by the three methods (forward gradient, sparse update,
 * FP16 backprop). The generated model carries a const odl_train_config_t;
 * mutable training state lives in the arena's persistent region. */
#ifndef ODL_TRAIN_H
#define ODL_TRAIN_H

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ODL_TRAIN_NONE = 0,
#define ODL_TRAIN_METHOD(name, id, fn) ODL_TRAIN_##name = id,
#include "odl/train_methods.def"
#undef ODL_TRAIN_METHOD
} odl_train_method_t;

typedef enum { ODL_LOSS_SOFTMAX_CE = 0, ODL_LOSS_MSE = 1 } odl_loss_kind_t;

/* Step flags reported in odl_train_stats_t.flags. */
#define ODL_STEP_SKIPPED 0x01  /* divergence guard / overflow: no update applied */
#define ODL_STEP_CLIPPED 0x02  /* update norm was clipped */
#define ODL_STEP_OVERFLOW 0x04 /* non-finite or saturated values seen */

typedef struct odl_train_stats odl_train_stats_t;

/* How a method plugs into the runtime: the generated config points at the
 * method's table, so neither the core nor the shared training code names a
 * method (and a model links only the method it uses). */
typedef struct odl_train_hooks {
    odl_status_t (*init)(odl_ctx_t *ctx); /* prepare method state (train_state is set) */
    odl_status_t (*step)(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats);
    odl_status_t (*invoke)(odl_ctx_t *ctx); /* 0: odl_invoke runs every op as usual */
    odl_status_t (*eval)(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats); /* 0: shared */
} odl_train_hooks_t;

typedef struct odl_train_config {
    uint8_t method;        /* odl_train_method_t */
    uint8_t loss;          /* odl_loss_kind_t */
    uint16_t n_trainable;
    const int16_t *trainable;   /* tensor indices of trainable tensors */
    int16_t logits;        /* tensor the loss reads (pre-softmax output) */
    int16_t reserved;
    int32_t logit_scale_q16; /* real value of one logit LSB, Q16.16 */
    uint32_t forward_ops;  /* ops [0, forward_ops) produce the logits */
    uint32_t state_offset; /* method state: arena bytes [offset, offset+size) */
    uint32_t state_size;
    const void *method_config; /* method-specific const struct */
    /* Loss-spike guard (shared by every method): 0 = off, else k in Q8 —
     * a step whose loss exceeds twice the running mean and mean + k·std is
     * not applied (ODL_STEP_SKIPPED). */
    uint32_t guard_sigma_q8;
    const odl_train_hooks_t *hooks; /* the method's entry points */
} odl_train_config_t;

struct odl_train_stats {
    int32_t loss_q16;   /* loss of the sample (before the update), Q16.16 */
    int32_t correct;    /* 1 when argmax(logits) == label */
    int32_t predicted;  /* argmax(logits) */
    uint32_t step;      /* steps taken so far (after this one) */
    uint32_t flags;     /* ODL_STEP_* */
};

/* One training step on one sample: input bytes in the model's input dtype
 * (copied to the input tensor), integer class label (or index for MSE). */
odl_status_t odl_train_step(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats);
/* Largest rate shift odl_train_set_lr_shift takes. */
#define ODL_TRAIN_MAX_LR_SHIFT 15u
/* Sets the rate of the following steps to the configured rate / 2^shift
 * (a per-epoch schedule the host drives; 0 = the configured rate). Exact in
 * every method that takes it: forward gradient adds shift to each tensor's
 * lr_shift, FP16 backprop divides its float rate by a power of two, sparse
 * update lowers the shift of its per-channel rate factors by it;
 * shift > ODL_TRAIN_MAX_LR_SHIFT is ODL_ERR_ARG. Kept across RESET and weight stores (it is no weight). */
odl_status_t odl_train_set_lr_shift(odl_ctx_t *ctx, uint32_t shift);
/* Forward + loss without an update. */
odl_status_t odl_eval_sample(odl_ctx_t *ctx, const void *input, int32_t label, odl_train_stats_t *stats);
/* Called by each method between its loss and its update: 1 = skip the
 * update (a spike), 0 = apply it. Keeps its statistics in ctx->loss_guard. */
int odl_train_guard(odl_ctx_t *ctx, int32_t loss_q16);
/* Loss of the current logits tensor against label, Q16.16 (integer math). */
odl_status_t odl_loss_q16(const odl_ctx_t *ctx, int32_t label, int32_t *loss_q16, int32_t *predicted);
/* The same on the logits tensor t (info) holding q (its data), for a caller
 * that evaluates the loss many times per step (the forward gradient). */
odl_status_t odl_loss_q16_of(const odl_ctx_t *ctx, const odl_tensor_t *t, const int8_t *q, int32_t label,
                             int32_t *loss_q16, int32_t *predicted);
/* exp(x) for x <= 0 in Q16.16 and ln(x) for x > 0 in Q16.16. */
int32_t odl_exp_neg_q16(int32_t x_q16);
int32_t odl_ln_q16(int64_t x_q16);
/* Cross-entropy of label over n Q16.16 logit values (real units), Q16.16:
 * the same exp / ln as odl_loss_q16 (forward gradient's fine logits). */
int32_t odl_ce_q16_values(const int32_t *v, int32_t n, int32_t label);
/* (Re)prepares method state through the config's hooks: odl_init calls it
 * for a model with a train config, the weight store after replacing weights.
 * Inline so the core links no training code for an inference-only model. */
static inline odl_status_t odl_train_init(odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx && ctx->model ? ctx->model->train : 0;
    if (!tc) return ctx ? ODL_OK : ODL_ERR_ARG;
    if (!tc->hooks || !tc->hooks->init || !tc->hooks->step) return ODL_ERR_MODEL;
    if (tc->state_offset + tc->state_size > ctx->arena_size) return ODL_ERR_ARENA;
    ctx->train_state = ctx->arena + tc->state_offset;
    return tc->hooks->init(ctx);
}

/* Per-method entry points and hook table odl_<prefix>_hooks (one per line of
 * train_methods.def); the generated config names the table. */
#define ODL_TRAIN_METHOD(name, id, fn)                                                        \
    odl_status_t odl_##fn##_init(odl_ctx_t *ctx);                                            \
    odl_status_t odl_##fn##_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats);   \
    extern const odl_train_hooks_t odl_##fn##_hooks;
#include "odl/train_methods.def"
#undef ODL_TRAIN_METHOD

#ifdef __cplusplus
}
#endif

#endif
