/* int8 ADD for cores with the DSP extension, bit-identical to the portable
 * kernels/int8/add.c (its specification, included below as the fallback).
 * Same-shape inputs (residual connections) run one flat loop with the
 * rescaling parameters in registers and the short requantization of
 * dsp_requant.h (three per element); broadcasting and out-of-range
 * parameters take the portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "odl/kernels_int8_math.h"

#define odl_add_s8 odl_add_s8_portable
#include "../add.c"
#undef odl_add_s8

#include "dsp_requant.h"
#include "opt_prologue.h"

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!odl_opt_add_fast(p, in1_dims, in1, in2_dims, in2, out_dims, out))
        return odl_add_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const int32_t n = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    const int32_t o1 = p->input1_offset, o2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, m2 = p->input2_multiplier;
    const int32_t s2 = p->input2_shift, mo = p->output_multiplier, so = p->output_shift;
    const int32_t oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t a = odl_dsp_requantize((int32_t)((uint32_t)(in1[i] + o1) << ls), m1, s1);
        const int32_t b = odl_dsp_requantize((int32_t)((uint32_t)(in2[i] + o2) << ls), m2, s2);
        out[i] = (int8_t)odl_clamp_i32(odl_dsp_requantize(a + b, mo, so) + oo, lo, hi);
    }
    return ODL_OK;
}
