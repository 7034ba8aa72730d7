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

/* Requantization for a shift <= 0 (TFLite gives ADD's input with the larger
 * scale a shift of exactly 0, which odl_dsp_requantize sends to its
 * out-of-line left-shift path), branch-free: with r = -shift, t = [r > 0]
 * and mask = -t, U = (x m + 2^30 - [x < 0] 2^31 mask) >> 31 as in
 * dsp_requant.h and the result ((U >> (r - t)) + t) >> t: for r > 0 the
 * formula of dsp_requant.h, for r = 0 U itself, TFLite's SRDHM. */
static inline int32_t rq_le0(int32_t x, int32_t m, int32_t t, int32_t r_t) {
    const uint32_t mask = 0u - (uint32_t)t;
    const uint64_t start =
        ((uint64_t)((uint32_t)(x >> 31) & mask) << 32) | (0x40000000u | ((uint32_t)x & 0x80000000u & mask));
    const int32_t u = (int32_t)(((int64_t)start + (int64_t)x * m) >> 31);
    return ((u >> r_t) + t) >> t;
}

/* The loop in its own function: its register allocation does not depend on
 * the argument checks before it. */
__attribute__((noinline)) static void add_loop(const odl_add_params_t *p, int32_t n, const int8_t *in1,
                                               const int8_t *in2, int8_t *out) {
    const int32_t o1 = p->input1_offset, o2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, m2 = p->input2_multiplier;
    const int32_t s2 = p->input2_shift, mo = p->output_multiplier, so = p->output_shift;
    const int32_t oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    if (s1 <= 0 && s2 <= 0) {
        const int32_t t1 = s1 < 0, t2 = s2 < 0, q1 = -s1 - t1, q2 = -s2 - t2;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t a = rq_le0((int32_t)((uint32_t)(in1[i] + o1) << ls), m1, t1, q1);
            const int32_t b = rq_le0((int32_t)((uint32_t)(in2[i] + o2) << ls), m2, t2, q2);
            out[i] = (int8_t)odl_clamp_i32(odl_dsp_requantize(a + b, mo, so) + oo, lo, hi);
        }
        return;
    }
    for (int32_t i = 0; i < n; ++i) {
        const int32_t a = odl_dsp_requantize((int32_t)((uint32_t)(in1[i] + o1) << ls), m1, s1);
        const int32_t b = odl_dsp_requantize((int32_t)((uint32_t)(in2[i] + o2) << ls), m2, s2);
        out[i] = (int8_t)odl_clamp_i32(odl_dsp_requantize(a + b, mo, so) + oo, lo, hi);
    }
}

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!odl_opt_add_fast(p, in1_dims, in1, in2_dims, in2, out_dims, out))
        return odl_add_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    add_loop(p, out_dims->n * out_dims->h * out_dims->w * out_dims->c, in1, in2, out);
    return ODL_OK;
}
