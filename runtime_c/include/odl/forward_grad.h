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
    uint8_t reserved;
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
    uint8_t reserved;
    uint32_t first_op;   /* perturbed passes rerun ops [first_op, forward_ops) */
    int32_t momentum_q15; /* velocity decay in Q0.15; 0: plain SGD */
    uint16_t n_tensors;
    uint16_t reserved2;
    const odl_fg_tensor_t *tensors;
} odl_fg_config_t;

/* Method state at train_config->state_offset (state_size >= its size). */
typedef struct {
    uint32_t step;                  /* steps taken since odl_init */
    int32_t diff[ODL_FG_MAX_DIRECTIONS]; /* only the first m are used */
} odl_fg_state_t;

#define ODL_FG_STATE_BYTES(m) (4u + 4u * (uint32_t)(m))

#ifdef __cplusplus
}
#endif

#endif
