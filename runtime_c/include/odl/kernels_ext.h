/* Portable kernels of the activation and data-movement ops added for wider
 * TFLite Micro coverage (int8 and, where TFLite Micro has it, int16).
 * Each copies the integer arithmetic of TFLite Micro's reference kernel; the
 * numpy twin is pytool/ops/<op>.py. */
#ifndef ODL_KERNELS_EXT_H
#define ODL_KERNELS_EXT_H

#include "odl/kernels_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LEAKY_RELU (QuantizeLeakyRelu): x >= zx uses the identity multiplier, else
 * the alpha one (which may be negative). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t mult_identity, shift_identity;
    int32_t mult_alpha, shift_alpha;
} odl_leaky_relu_params_t;

odl_status_t odl_leaky_relu_s8(const odl_leaky_relu_params_t *p, int32_t size, const int8_t *in, int8_t *out);
odl_status_t odl_leaky_relu_s16(const odl_leaky_relu_params_t *p, int32_t size, const int16_t *in, int16_t *out);

/* TANH int8: the input rescaled to Q4.27 (same parameters as LOGISTIC), gemmlowp's
 * fixed-point tanh, output scale 1/128, zero point 0. */
odl_status_t odl_tanh_s8(const odl_logistic_params_t *p, int32_t size, const int8_t *in, int8_t *out);

/* HARD_SWISH int8 (reference_ops::HardSwish, 16-bit fixed point). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t reluish_mult, reluish_exponent; /* int16 multiplier, signed exponent */
    int32_t output_mult, output_exponent;   /* int16 multiplier, exponent <= 0 */
} odl_hard_swish_params_t;

odl_status_t odl_hard_swish_s8(const odl_hard_swish_params_t *p, int32_t size, const int8_t *in, int8_t *out);

/* Strided copy between a whole tensor (5-D view `dims`) and a part: the part's
 * element (i0..i4) is the whole's element (start[d] + i_d * step[d]) for
 * i_d < count[d]. scatter == 0 copies whole -> part, else part -> whole.
 * elem is the element size in bytes (1, 2 or 4). Indices must be in range
 * (the decoder checks). STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, PACK and
 * UNPACK all run on it. */
odl_status_t odl_strided_copy(int32_t elem, const int32_t *dims, const int32_t *start, const int32_t *step,
                              const int32_t *count, int32_t scatter, void *whole, void *part);

#ifdef __cplusplus
}
#endif

#endif
