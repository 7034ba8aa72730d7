/* Fixed-point forward gradient (zeroth order, two forward passes per
 * direction). The generated model.c includes this header and defines one
 * const odl_fg_config_t as the method_config of its odl_train_config_t.
 * docs/design/forward-grad.md explains the arithmetic. */
#ifndef ODL_FORWARD_GRAD_H
#define ODL_FORWARD_GRAD_H

#include "odl/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ODL_FG_MAX_DIRECTIONS 32

/* Kinds of trainable tensors. */
#define ODL_FG_WEIGHT_I16 0 /* int16 weights, scale = int8 scale / 2^ODL_W16_SHIFT */
#define ODL_FG_BIAS_I32 1   /* int32 biases */

#define ODL_FG_NO_MOMENTUM 0xFFFFFFFFu

typedef struct {
    int16_t tensor;  /* tensor index (ODL_T_TRAINABLE, in the arena) */
    uint8_t kind;    /* ODL_FG_* */
    uint8_t group;   /* perturbed in directions k with k % groups == group */
    int32_t eps;     /* perturbation, storage units (> 0) */
    /* update of element i = round(S_i * lr_mult / 2^lr_shift), half away
     * from zero, S_i = sum over directions of d_k * z_ki (Q16.16 loss units) */
    int32_t lr_mult;
    int32_t lr_shift;
    int32_t lo, hi;  /* guard band: lo <= value <= hi, so value +- eps never saturates */
    uint32_t momentum_offset; /* arena offset of an int32 velocity per element, or ODL_FG_NO_MOMENTUM */
} odl_fg_tensor_t;

/* Activity perturbation (config->activity): instead of the weights, each
 * output of the trained fully connected layers is perturbed on its own
 * (coordinate directions, both signs), the loss change estimates the
 * gradient at that output, and a layer's update is that estimate times its
 * input: d_j (x_i + input_offset) per weight, d_j per bias. The trained set
 * is one or two FULLY_CONNECTED layers of batch 1 ending at the logits; the
 * loss of the perturbed passes reads the last layer's accumulators
 * ("fine logits", Q16.16 real values) since a perturbed hidden output moves
 * the int8 logits by less than one LSB. docs/design/forward-grad.md. */
typedef struct {
    uint16_t op;      /* the FULLY_CONNECTED */
    uint16_t w_slot;  /* slot of its int16 weight in tensors[] */
    uint16_t b_slot;  /* slot of its int32 bias, or ODL_FG_ACT_NO_BIAS */
    uint16_t pad;
    int32_t eps;      /* hidden layer: int8 output LSBs; last layer: Q16.16 logit units */
    int32_t w_shift;  /* update shifts (+ the context's lr shift) */
    int32_t b_shift;
    const int32_t *w_mult; /* per output row: weight step = round(d (x + off) w_mult / 2^w_shift) */
    const int32_t *b_mult; /* per output row: bias step = round(d b_mult / 2^b_shift), or 0 */
} odl_fg_act_layer_t;

#define ODL_FG_ACT_NO_BIAS 0xFFFFu
/* |d| is limited to this before it scales an update (no int64 overflow) */
#define ODL_FG_ACT_MAX_D (1 << 24)

typedef struct {
    uint16_t n_layers;        /* 1 or 2: [hidden,] last */
    int32_t logit_shift;      /* fine logit k = round(acc32_k logit_mult[k] / 2^logit_shift) */
    const int32_t *logit_mult;
    const odl_fg_act_layer_t *layers;
} odl_fg_activity_t;

/* State after ODL_FG_STATE_BYTES(m): int64 accumulators of both layers, then
 * int32 d of both layers, then the last layer's fine logits twice. */
#define ODL_FG_ACT_STATE_BYTES(n_hidden, n_last) (12u * ((uint32_t)(n_hidden) + (uint32_t)(n_last)) + 8u * (uint32_t)(n_last))

typedef struct {
    uint32_t seed;
    uint16_t directions; /* m */
    uint8_t sign;        /* 1: use sign(L+ - L-) only */
    uint8_t groups;      /* 0 or 1: every tensor in every direction; G > 1: direction k
                          * perturbs (and updates) only the tensors of group k % G */
    uint32_t first_op;   /* perturbed passes rerun ops [first_op, forward_ops) */
    int32_t momentum_q15; /* velocity decay in Q0.15; 0: plain SGD */
    uint16_t n_tensors;
    uint16_t linear;      /* 0, or 1 + slot of the int16 weight of a FULLY_CONNECTED or CONV_2D at first_op:
                           * that layer's perturbed outputs come from acc(theta) +- eps acc(z)
                           * (same bytes, no weight passes); needs ODL_FG_STATE_BYTES_LIN */
    const odl_fg_tensor_t *tensors;
    const odl_fg_activity_t *activity; /* 0: weight perturbation */
} odl_fg_config_t;

/* Method state at train_config->state_offset (state_size >= its size). */
typedef struct {
    uint32_t step;                  /* steps taken since odl_init */
    int32_t diff[ODL_FG_MAX_DIRECTIONS]; /* only the first m are used */
} odl_fg_state_t;

#define ODL_FG_STATE_BYTES(m) (4u + 4u * (uint32_t)(m))
/* ... with config->linear: then an int64 and an int32 accumulator per output
 * element of the first trained layer (n = its output numel), then, when the
 * state is that much larger, its input's z tables (ODL_FC_Z_TABLE_BYTES,
 * odl/kernels_s8w16.h; built once per step). */
#define ODL_FG_STATE_BYTES_LIN(m, n) (ODL_FG_STATE_BYTES(m) + 12u * (uint32_t)(n))

/* Step of one direction for one tensor, in storage units: the scalar
 * r = round(diff * lr_mult / 2^(lr_shift + extra_shift)) (half away from
 * zero; extra_shift = the context's odl_train_set_lr_shift), limited to
 * +-(32767 - eps) for int16 weights (+-(INT32_MAX - eps) for biases). The
 * update of direction k is theta = clamp(theta - r z_k, lo, hi). */
int32_t odl_fg_direction_step(const odl_fg_tensor_t *ft, int32_t diff, uint32_t extra_shift);

/* Replay entry point (fleet learning, host-side catch-up): applies the
 * update of one recorded step to the current trainable tensors, bit for bit
 * what odl_fg_step did after measuring them:
 *   step         the step counter the device used (odl_fg_state_t.step before
 *                the step; keys are odl_prng_key(config seed, step, k, slot)),
 *   diff[0..m)   its projected-gradient scalars d_k (odl_fg_state_t.diff
 *                after the step, Q16.16, already reduced to +-65536 with sign),
 *   n_diff       must equal the config's directions.
 * For every tensor: momentum decay (if configured), then for k < m in order
 * theta = clamp(theta - r_k z_k) for the tensors of direction k's group. No forward pass runs and the step counter
 * is not touched; the rate is the context's (odl_train_set_lr_shift: set the
 * device's shift of that step before replaying it). *flags gets ODL_STEP_CLIPPED when the band clipped. A step
 * the guard skipped (ODL_STEP_SKIPPED) changed nothing and is not replayed. */
odl_status_t odl_fg_apply(odl_ctx_t *ctx, uint32_t step, const int32_t *diff, uint32_t n_diff, uint32_t *flags);

/* The activity-perturbation step and its init checks (forward_grad_act.c),
 * called by odl_fg_step / odl_fg_init when config->activity is set. */
odl_status_t odl_fg_act_init(odl_ctx_t *ctx);
/* The step's loss at theta into stats, then the guard: 1 = skip the update
 * (ODL_STEP_SKIPPED set), 0 = go on. Shared by both steps. */
int odl_fg_report_loss(odl_ctx_t *ctx, odl_train_stats_t *stats, int32_t loss, int32_t predicted, int32_t label);
odl_status_t odl_fg_act_step(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats);

#ifdef __cplusplus
}
#endif

#endif
