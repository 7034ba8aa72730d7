/* FP16 backprop method: the generated model's method_config.
 *
 * Ops [0, forward_ops) of the model run int8 and stay frozen; each boundary
 * int8 tensor is dequantized into an FP16 slot; the layers below then run
 * forward, the loss seeds the logits gradient (times the loss scale), the
 * layers run backward in reverse, and the optimizer updates every parameter
 * slot unless a gradient overflowed (then the step is skipped and a dynamic
 * loss scale halves). All buffers are arena offsets in the persistent region
 * (planned by pytool/training/fp16.py). */
#ifndef ODL_TRAIN_FP16_H
#define ODL_TRAIN_FP16_H

#include "odl/kernels_f16.h"
#include "odl/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ODL_F16_FC = 1,
    ODL_F16_CONV = 2,
    ODL_F16_PWCONV = 3,
    ODL_F16_DWCONV = 4,
    ODL_F16_AVGPOOL = 5,
    ODL_F16_MEAN = 6,
    ODL_F16_MAXPOOL = 7,
    ODL_F16_ADD = 8,
    ODL_F16_ACT = 9,
    ODL_F16_RESHAPE = 10,
    ODL_F16_UNARY = 11,  /* LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU */
    ODL_F16_MUL = 12,
    ODL_F16_PAD = 13,
    ODL_F16_GATHER = 14, /* TRANSPOSE, STRIDED_SLICE */
    ODL_F16_CONCAT = 15, /* two inputs */
} odl_f16_layer_kind_t;

typedef enum { ODL_F16_OPT_SGD = 0, ODL_F16_OPT_ADAM = 1 } odl_f16_optimizer_t;

/* One FP16 tensor. Offsets are arena bytes; -1 marks an absent buffer. */
typedef struct {
    int32_t value;  /* FP16 values */
    int32_t grad;   /* FP16 gradient (inside the gradient region) */
    int32_t master; /* FP32 master copy of a parameter */
    int32_t opt;    /* FP32 optimizer state: momentum, or Adam m then v */
    int32_t dims[4];
} odl_f16_slot_t;

typedef struct {
    uint8_t kind; /* odl_f16_layer_kind_t */
    uint8_t reserved[3];
    int16_t in0, in1, weight, bias, out; /* slot indices, -1: none */
    int16_t reserved2;
    /* geometry; geo.act is the fused activation of every kind. The kinds
     * without a window read geo as int32_t[10]: UNARY [0] odl_f16_unary_t,
     * [1] alpha (float bits); PAD [0..3] leading pad per dim; GATHER [0..3]
     * input strides per output dim, [4] offset; CONCAT [0] the dim. */
    odl_f16_conv_params_t geo;
} odl_f16_layer_t;

typedef struct {
    int16_t tensor; /* int8 tensor of the frozen part */
    int16_t slot;   /* FP16 slot it is dequantized into */
} odl_f16_boundary_t;

typedef struct {
    uint16_t n_slots, n_layers, n_boundaries, n_params;
    const odl_f16_slot_t *slots;
    const odl_f16_layer_t *layers;
    const odl_f16_boundary_t *boundaries;
    const int16_t *params; /* slots the optimizer updates */
    int16_t logits;        /* slot */
    uint8_t optimizer;     /* odl_f16_optimizer_t */
    uint8_t dynamic_scale; /* 1: halve on overflow, double after growth_interval good steps */
    float lr, momentum, beta1, beta2, eps;
    float loss_scale, loss_scale_max; /* initial (or static) scale, upper bound */
    uint32_t growth_interval;
    int32_t vars;                  /* arena offset of odl_fp16_vars_t */
    int32_t grad_base, grad_bytes; /* gradient region, zeroed before each backward pass */
} odl_fp16_config_t;

/* Mutable scalars of the method (arena, persistent). */
typedef struct {
    float loss_scale;
    float beta1_t, beta2_t; /* beta^t for Adam's bias correction */
    uint32_t good_steps;    /* applied steps since the scale last changed */
    uint32_t skipped;       /* steps skipped on overflow */
    uint32_t applied;       /* steps applied */
} odl_fp16_vars_t;

/* Forward (int8 backbone + FP16 part) and loss without an update; called by
 * odl_eval_sample when the logits tensor is FP16. */
odl_status_t odl_fp16_eval(odl_ctx_t *ctx, int32_t label, odl_train_stats_t *stats);

/* odl_invoke of a model trained in FP16: the int8 ops below the boundary,
 * the FP16 head, its logits quantized (as TFLite's QUANTIZE) into the int8
 * tensor the last head op writes, then the int8 ops after the head (e.g.
 * SOFTMAX). The model's outputs keep their dtype, shape and quantization. */
odl_status_t odl_fp16_invoke(odl_ctx_t *ctx);

#ifdef __cplusplus
}
#endif

#endif /* ODL_TRAIN_FP16_H */
