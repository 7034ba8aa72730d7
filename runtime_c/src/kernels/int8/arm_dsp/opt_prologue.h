/* Argument checks and tap ranges shared by the optimised int8 kernels
 * (arm_dsp, and arm_mve which includes this header too): the conditions
 * under which ADD, MUL and DEPTHWISE_CONV_2D run their fast loops, in one place
 * so both families fall back to the portable kernel on the same inputs. */
#ifndef ODL_ARM_OPT_PROLOGUE_H
#define ODL_ARM_OPT_PROLOGUE_H

#include <stdint.h>

#include "dsp_requant.h"
#include "odl/kernels_int8.h"
#include "odl/kernels_int8_math.h"

static inline int odl_opt_same_dims(const odl_dims4_t *a, const odl_dims4_t *b) {
    return a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c;
}

/* ADD with same-shape inputs and requantization parameters the optimised
 * loops take (0: call the portable kernel, which also reports bad
 * arguments). */
static inline int odl_opt_add_fast(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                                   const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                                   const int8_t *out) {
    return p && in1_dims && in1 && in2_dims && in2 && out_dims && out && p->left_shift >= 0 &&
           p->left_shift <= 24 && odl_opt_same_dims(in1_dims, out_dims) && odl_opt_same_dims(in2_dims, out_dims) &&
           odl_dsp_quant_ok(&p->input1_multiplier, &p->input1_shift, 1) &&
           odl_dsp_quant_ok(&p->input2_multiplier, &p->input2_shift, 1) &&
           odl_dsp_quant_ok(&p->output_multiplier, &p->output_shift, 1);
}

/* MUL with same-shape inputs and a requantization the optimised loops take
 * (0: the portable kernel, which also reports bad arguments). */
static inline int odl_opt_mul_fast(const odl_mul_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                                   const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                                   const int8_t *out) {
    return p && in1_dims && in1 && in2_dims && in2 && out_dims && out && odl_opt_same_dims(in1_dims, out_dims) &&
           odl_opt_same_dims(in2_dims, out_dims) && odl_dsp_quant_ok(&p->output_multiplier, &p->output_shift, 1);
}

/* DEPTHWISE_CONV_2D: ODL_OPT_FAST (run the optimised loop), ODL_OPT_PORTABLE
 * (dilation or requantization parameters it does not take) or the error
 * status the portable kernel returns too. */
#define ODL_OPT_FAST (-1)
#define ODL_OPT_PORTABLE (-2)

static inline int odl_opt_dw_check(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                   const odl_dims4_t *in_dims, const int8_t *in, const odl_dims4_t *w_dims,
                                   const int8_t *w, const odl_dims4_t *out_dims, const int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t out_c = out_dims->c, dm = p->depth_multiplier;
    if (dm <= 0 || out_c != in_dims->c * dm || w_dims->c != out_c || w_dims->n != 1 || in_dims->n != out_dims->n)
        return ODL_ERR_SHAPE;
    if (p->dilation_h <= 0 || p->dilation_w <= 0 || !odl_dsp_quant_ok(mult, shift, out_c)) return ODL_OPT_PORTABLE;
    return ODL_OPT_FAST;
}

/* First tap f with start + f * dilation >= 0. */
static inline int32_t odl_opt_first_tap(int32_t start, int32_t dilation) {
    return start >= 0 ? 0 : (-start + dilation - 1) / dilation;
}

/* One past the last tap f < taps with start + f * dilation < size. */
static inline int32_t odl_opt_end_tap(int32_t start, int32_t dilation, int32_t size, int32_t taps) {
    if (start >= size) return 0;
    const int32_t e = (size - start + dilation - 1) / dilation;
    return e < taps ? e : taps;
}

#endif
