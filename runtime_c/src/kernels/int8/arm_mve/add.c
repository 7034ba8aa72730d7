/* int8 ADD with Helium (MVE), bit-identical to the portable kernels/int8/add.c
 * (its specification, included below as the fallback). Same-shape inputs
 * (residual connections) run four int32 lanes at a time with the vector
 * requantization of mve_int8.h; broadcasting and out-of-range parameters
 * take the portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "odl/kernels_int8_math.h"

#define odl_add_s8 odl_add_s8_portable
#include "../add.c"
#undef odl_add_s8

#include "mve_int8.h"

static int same_dims(const odl_dims4_t *a, const odl_dims4_t *b) {
    return a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c;
}

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!p || !in1_dims || !in1 || !in2_dims || !in2 || !out_dims || !out || p->left_shift < 0 ||
        p->left_shift > 24 || !same_dims(in1_dims, out_dims) || !same_dims(in2_dims, out_dims) ||
        !odl_dsp_quant_ok(&p->input1_multiplier, &p->input1_shift, 1) ||
        !odl_dsp_quant_ok(&p->input2_multiplier, &p->input2_shift, 1) ||
        !odl_dsp_quant_ok(&p->output_multiplier, &p->output_shift, 1))
        return odl_add_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const int32_t n = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    /* Parameters in locals: the int8 stores could alias *p. */
    const int32_t o1 = p->input1_offset, o2 = p->input2_offset, oo = p->output_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, m2 = p->input2_multiplier;
    const int32_t s2 = p->input2_shift, mo = p->output_multiplier, so = p->output_shift;
    const int32_t lo = p->act_min, hi = p->act_max;
    if (s1 < 0 && s2 < 0 && so < 0) {
        /* The usual case (every scale below 1): three right-shift
         * requantizations with no per-lane branches. */
        const int32x4_t vlo = vdupq_n_s32(lo), vhi = vdupq_n_s32(hi);
        for (int32_t i = 0; i < n; i += 4) {
            const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
            int32x4_t a = vqrdmulhq_n_s32(vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(in1 + i, pr), o1), ls), m1);
            int32x4_t b = vqrdmulhq_n_s32(vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(in2 + i, pr), o2), ls), m2);
            a = vrshlq_n_s32(vaddq_s32(a, vshrq_n_s32(a, 31)), s1);
            b = vrshlq_n_s32(vaddq_s32(b, vshrq_n_s32(b, 31)), s2);
            int32x4_t v = vqrdmulhq_n_s32(vaddq_s32(a, b), mo);
            v = vaddq_n_s32(vrshlq_n_s32(vaddq_s32(v, vshrq_n_s32(v, 31)), so), oo);
            vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(v, vlo), vhi), pr);
        }
        return ODL_OK;
    }
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
        const int32x4_t a = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(in1 + i, pr), o1), ls);
        const int32x4_t b = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(in2 + i, pr), o2), ls);
        const int32x4_t sum = vaddq_s32(odl_mve_requantize_n(a, m1, s1), odl_mve_requantize_n(b, m2, s2));
        const int32x4_t v = vaddq_n_s32(odl_mve_requantize_n(sum, mo, so), oo);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi)), pr);
    }
    return ODL_OK;
}
