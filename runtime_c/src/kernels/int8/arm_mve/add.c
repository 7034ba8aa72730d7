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
#include "../arm_dsp/opt_prologue.h"

typedef struct {
    int32_t o1, o2, oo, lo, hi;
    odl_mve_rq_t r1, r2, ro;
} add_consts_t;

/* Four elements: three branch-free requantizations, one narrowing store;
 * inlined twice (whole groups, and the predicated tail). */
static inline __attribute__((always_inline)) void add4(const add_consts_t *c, const int8_t *x1, const int8_t *x2,
                                                       int8_t *y, mve_pred16_t pr, int tail) {
    const int32x4_t a = tail ? vldrbq_z_s32(x1, pr) : vldrbq_s32(x1);
    const int32x4_t b = tail ? vldrbq_z_s32(x2, pr) : vldrbq_s32(x2);
    const int32x4_t sum = vaddq_s32(odl_mve_requantize_n(vaddq_n_s32(a, c->o1), c->r1),
                                    odl_mve_requantize_n(vaddq_n_s32(b, c->o2), c->r2));
    const int32x4_t v = vaddq_n_s32(odl_mve_requantize_n(sum, c->ro), c->oo);
    const int32x4_t r = vminq_s32(vmaxq_s32(v, vdupq_n_s32(c->lo)), vdupq_n_s32(c->hi));
    if (tail)
        vstrbq_p_s32(y, r, pr);
    else
        vstrbq_s32(y, r);
}

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!odl_opt_add_fast(p, in1_dims, in1, in2_dims, in2, out_dims, out))
        return odl_add_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const int32_t n = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    /* Parameters in locals: the int8 stores could alias *p. The input left
     * shift and a requantization's own left shift compose into one. */
    const int32_t ls = p->left_shift;
    if (ls + (p->input1_shift > 0 ? p->input1_shift : 0) > 31 || ls + (p->input2_shift > 0 ? p->input2_shift : 0) > 31)
        return odl_add_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const add_consts_t c = {p->input1_offset, p->input2_offset, p->output_offset, p->act_min, p->act_max,
                            odl_mve_rq(p->input1_multiplier, p->input1_shift, ls),
                            odl_mve_rq(p->input2_multiplier, p->input2_shift, ls),
                            odl_mve_rq(p->output_multiplier, p->output_shift, 0)};
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) add4(&c, in1 + i, in2 + i, out + i, 0, 0);
    if (i < n) add4(&c, in1 + i, in2 + i, out + i, vctp32q((uint32_t)(n - i)), 1);
    return ODL_OK;
}
