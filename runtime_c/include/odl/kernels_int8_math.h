/* int8 element-wise, activation and (de)quantization kernels, bit-exact with
 * TFLite Micro's reference kernels. Parameters are the results of TFLite's
 * Prepare step (computed offline by pytool/ops/<op>.py). Offsets follow
 * TFLite: input_offset = -input_zero_point, output_offset = output_zero_point. */
#ifndef ODL_KERNELS_INT8_MATH_H
#define ODL_KERNELS_INT8_MATH_H

#include "odl/odl.h"
/* odl_dims4_t; the two headers include each other safely (guards). */
#include "odl/kernels_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Broadcasting binary ops take 4-D shapes (n, h, w, c); an input dimension
 * of 1 against a larger output dimension is broadcast. */

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t left_shift; /* 20 for int8 */
    int32_t input1_multiplier, input1_shift; /* shifts <= 0 */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} odl_add_params_t;

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out);

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift; /* signed shift, positive = left */
    int32_t act_min, act_max;
} odl_mul_params_t;

odl_status_t odl_mul_s8(const odl_mul_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out);

/* Softmax over the last axis of [outer, depth]; output scale 1/256, zero
 * point -128. */
typedef struct {
    int32_t input_multiplier, input_left_shift; /* beta * input_scale in Q5.26 */
    int32_t diff_min;                           /* differences below it give 0 */
} odl_softmax_params_t;

odl_status_t odl_softmax_s8(const odl_softmax_params_t *p, int32_t outer, int32_t depth, const int8_t *in,
                            int8_t *out);

/* Logistic; output scale 1/256, zero point -128. */
typedef struct {
    int32_t input_zero_point, input_range_radius;
    int32_t input_multiplier, input_left_shift; /* input_scale in Q4.27 */
} odl_logistic_params_t;

odl_status_t odl_logistic_s8(const odl_logistic_params_t *p, int32_t size, const int8_t *in, int8_t *out);

/* float32 -> int8: round(x / scale) half away from zero, in float, + zp. */
odl_status_t odl_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *in, int8_t *out);

/* int8 -> int8 with a new scale / zero point. */
odl_status_t odl_requantize_s8(int32_t input_zero_point, int32_t multiplier, int32_t shift,
                               int32_t output_zero_point, int32_t size, const int8_t *in, int8_t *out);

/* int8 -> float32: scale * (q - zp), in float. */
odl_status_t odl_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *in,
                                   float *out);

/* ReLU with requantization: clamp(out_zp + (q - in_zp) * M, act_min, act_max). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} odl_relu_params_t;

odl_status_t odl_relu_s8(const odl_relu_params_t *p, int32_t size, const int8_t *in, int8_t *out);
/* int16 (TFLite Micro's template for int16; zero points 0). */
odl_status_t odl_relu_s16(const odl_relu_params_t *p, int32_t size, const int16_t *in, int16_t *out);

/* ReLU6 as TFLite Micro does it: a clamp to [lower, upper] in the input's
 * quantization (the output is assumed to share it). */
odl_status_t odl_relu6_s8(int32_t lower, int32_t upper, int32_t size, const int8_t *in, int8_t *out);
odl_status_t odl_relu6_s16(int32_t lower, int32_t upper, int32_t size, const int16_t *in, int16_t *out);

#ifdef __cplusplus
}
#endif

#endif
