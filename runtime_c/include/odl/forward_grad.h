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

#ifdef __cplusplus
}
#endif

#endif
