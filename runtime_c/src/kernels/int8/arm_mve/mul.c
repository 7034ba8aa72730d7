/* int8 MUL with Helium (MVE), bit-identical to the portable
 * kernels/int8/mul.c (its specification, included below as the fallback).
 * Same-shape inputs run four int32 lanes at a time: widening loads, the
 * offsets added, one VMUL ((x1 + o1) * (x2 + o2) fits 17 bits), the
 * branch-free scalar-operand requantization of mve_int8.h, the output
 * offset and clamp, one narrowing store. Broadcasting and requantization
 * parameters outside odl_dsp_quant_ok take the portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "odl/kernels_int8_math.h"

#define odl_mul_s8 odl_mul_s8_portable
#include "../mul.c"
#undef odl_mul_s8

#include "mve_int8.h"
#include "../arm_dsp/opt_prologue.h"

typedef struct {
    int32_t o1, o2, oo, lo, hi;
    odl_mve_rq_t r;
} mul_consts_t;

/* Four elements; inlined twice (whole groups, and the predicated tail). */
static inline __attribute__((always_inline)) void mul4(const mul_consts_t *c, const int8_t *x1, const int8_t *x2,
                                                       int8_t *y, mve_pred16_t pr, int tail) {
    const int32x4_t a = vaddq_n_s32(tail ? vldrbq_z_s32(x1, pr) : vldrbq_s32(x1), c->o1);
    const int32x4_t b = vaddq_n_s32(tail ? vldrbq_z_s32(x2, pr) : vldrbq_s32(x2), c->o2);
    const int32x4_t v = vaddq_n_s32(odl_mve_requantize_n(vmulq_s32(a, b), c->r), c->oo);
    const int32x4_t r = vminq_s32(vmaxq_s32(v, vdupq_n_s32(c->lo)), vdupq_n_s32(c->hi));
    if (tail)
        vstrbq_p_s32(y, r, pr);
    else
        vstrbq_s32(y, r);
}

odl_status_t odl_mul_s8(const odl_mul_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!odl_opt_mul_fast(p, in1_dims, in1, in2_dims, in2, out_dims, out))
        return odl_mul_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const int32_t n = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    /* Parameters in locals: the int8 stores could alias *p. */
    const mul_consts_t c = {p->input1_offset, p->input2_offset, p->output_offset, p->act_min, p->act_max,
                            odl_mve_rq(p->output_multiplier, p->output_shift, 0)};
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) mul4(&c, in1 + i, in2 + i, out + i, 0, 0);
    if (i < n) mul4(&c, in1 + i, in2 + i, out + i, vctp32q((uint32_t)(n - i)), 1);
    return ODL_OK;
}
