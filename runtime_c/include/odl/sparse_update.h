/* Sparse update: int8 backprop through a chosen set of layers (bias only or
 * the weights of some output channels), with the error signal carried one
 * layer at a time and each weight gradient fused with its update. The
 * generated model holds a const odl_sp_config_t (pytool/training/sparse.py);
 * docs/design/sparse.md has the arithmetic. */
#ifndef ODL_SPARSE_UPDATE_H
#define ODL_SPARSE_UPDATE_H

#include "odl/kernels_bw_s8.h"
#include "odl/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Backward step kinds (one per op on the path from the logits down). */
enum {
    ODL_SP_FC = 0,
    ODL_SP_CONV = 1,
    ODL_SP_DW = 2,
    ODL_SP_AVGPOOL = 3,
    ODL_SP_MEAN = 4,
    ODL_SP_RESHAPE = 5,
    ODL_SP_ACT = 6, /* RELU / RELU6: the mask alone */
    ODL_SP_ADD = 7, /* residual ADD (no broadcast): both inputs get the masked error */
    ODL_SP_MAXPOOL = 8, /* MAX_POOL_2D: the error goes to the window's largest input */
    ODL_SP_MOVE = 9,    /* PAD, TRANSPOSE, (STRIDED_)SLICE, CONCATENATION: map output -> input */
    ODL_SP_TABLE = 10,  /* LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU: dy/dx table per int8 input */
    ODL_SP_MUL = 11,    /* MUL: times the other operand (w_mult/w_shift: its scale, frac: its zero point) */
    ODL_SP_CONV_POOL = 12, /* CONV_2D (deepest step) into a disjoint MAX_POOL_2D (op `arg`): err_out is the
                            pool's output error, the mask is applied in the kernel */
};

/* How a weight update reaches the int8 weights. */
enum {
    ODL_SP_MASTER = 0,     /* int16 master = 256 * w8 + uint8 residual per updated weight */
    ODL_SP_ROUND = 1,      /* plain int8 write-back, round to nearest (loses sub-LSB updates) */
    ODL_SP_STOCHASTIC = 2, /* int8 write-back with stochastic rounding from the seeded PRNG */
};

#define ODL_SP_NONE (-1)
/* has_mask values */
#define ODL_SP_MASK_ACT 1 /* activation clamp: zero outside (act_min, act_max) */
#define ODL_SP_MASK_SAT 2 /* int8 saturation only: one-sided pass-through */

typedef struct {
    uint8_t kind;
    uint8_t has_mask;        /* 0, ODL_SP_MASK_ACT or ODL_SP_MASK_SAT (from the op's int8 output) */
    int16_t layer;           /* index in odl_sp_config_t.layers, or ODL_SP_NONE */
    uint16_t op;             /* op index in the model */
    uint16_t n_wscale;       /* entries of w_mult / w_shift (1: per-tensor) */
    int32_t act_min, act_max;
    int32_t err_out;         /* arena offset of the error of the op's output (int32) */
    int32_t err_in;          /* arena offset of the error of its input, or ODL_SP_NONE (last step) */
    int32_t err_side;        /* ADD: pending buffer of the fork input (int32 [n] + exponent), or ODL_SP_NONE */
    int32_t err_acc;         /* input is a fork: pending buffer summed into err_in, or ODL_SP_NONE */
    const int32_t *w_mult;   /* weight scale s_w = mult * 2^(shift - 31) */
    const int32_t *w_shift;
    uint16_t arg;            /* operand whose error this step makes (CONCATENATION, MUL) */
    int16_t frac;            /* TABLE: fraction bits of table; MUL: the other operand's zero point */
    const int32_t *map;      /* MOVE: input index per output element (-1: none); MUL: other operand's */
    const int16_t *table;    /* TABLE: dy/dx at int8 input v, index v + 128 */
} odl_sp_step_t;

typedef struct {
    int16_t weight;          /* int8 weight tensor in RAM, or ODL_SP_NONE (bias only) */
    int16_t bias;            /* int32 bias tensor in RAM, or ODL_SP_NONE */
    uint16_t n_channels;     /* output channels whose weights update */
    uint16_t rounding;       /* ODL_SP_MASTER / ROUND / STOCHASTIC */
    int32_t row;             /* weights per output channel */
    int32_t residual_offset; /* uint8 [n_channels * row] (MASTER), or ODL_SP_NONE */
    int32_t row_offset;      /* scratch: int16 [row] (batch-1 FC), or int64 [row] + int16 [row] */
    int32_t row_bytes;       /* bytes planned at row_offset */
    const uint16_t *channels;
    const int32_t *lrw_mult, *lrw_shift; /* per output channel: lr * 128 * s_x / s_w */
    const int32_t *lrb_mult, *lrb_shift; /* per output channel: lr / (s_x * s_w) */
} odl_sp_layer_t;

typedef struct {
    uint32_t seed;
    uint16_t n_steps;
    uint16_t n_layers;
    const odl_sp_step_t *steps;
    const odl_sp_layer_t *layers;
} odl_sp_config_t;

/* Error of a fork tensor: e (exponent *exp) += pending (exponent pending_exp),
 * both aligned to the larger exponent with a rounding shift (half away from
 * zero), summed in int64, saturated to int32, then renormalized to
 * |e| < 2^ODL_BW_MANT_BITS (adjusting *exp). In place on e. */
void odl_sp_sum_errors(int32_t n, const int32_t *pending, int32_t pending_exp, int32_t *e, int32_t *exp);

/* raw * 2^exp * mult * 2^(shift - 31), rounded half away from zero, saturated to int32. */
int32_t odl_sp_scale(int64_t raw, int32_t exp, int32_t mult, int32_t shift);
/* Row factor of a weight update (odl_update_*_s8): raw * mult * 2^(shift - 31 + exp + frac)
 * rounded half away from zero, saturated to [-32767, 32767]. */
int32_t odl_sp_row_factor(int64_t raw, int32_t exp, int32_t mult, int32_t shift, int32_t frac);

#ifdef __cplusplus
}
#endif

#endif
