/* int8 MUL for cores with the DSP extension, bit-identical to the portable
 * kernels/int8/mul.c (its specification, included below as the fallback).
 * Same-shape inputs: four elements per pair of word loads; SXTAB16 adds the
 * offsets while widening bytes 0/2 and 1/3 to int16 lanes, SMULBB / SMULTT
 * give the four products ((x1 + o1) * (x2 + o2) fits 17 bits), then the
 * short requantization of dsp_requant.h, offset, clamp and one word store.
 * The last n % 4 elements go one by one. Broadcasting and requantization
 * parameters outside odl_dsp_quant_ok take the portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "odl/kernels_int8_math.h"

#define odl_mul_s8 odl_mul_s8_portable
#include "../mul.c"
#undef odl_mul_s8

#include "dsp_simd.h"
#include "opt_prologue.h"

/* Bottom int16 lane (GCC makes the products SMULBB / SMULTT). */
static inline int32_t lo16(int32_t v) { return (int16_t)v; }

odl_status_t odl_mul_s8(const odl_mul_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    if (!odl_opt_mul_fast(p, in1_dims, in1, in2_dims, in2, out_dims, out))
        return odl_mul_s8_portable(p, in1_dims, in1, in2_dims, in2, out_dims, out);
    const int32_t n = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    /* Parameters in locals: the int8 stores could alias *p. */
    const int32_t o1 = odl_dsp_dup16(p->input1_offset), o2 = odl_dsp_dup16(p->input2_offset);
    const int32_t m = p->output_multiplier, sh = p->output_shift, oo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t a = odl_dsp_ld32(in1 + i), b = odl_dsp_ld32(in2 + i);
        const int32_t ae = odl_dsp_even_off(a, o1), be = odl_dsp_even_off(b, o2);
        const int32_t ao = odl_dsp_odd_off(a, o1), bo = odl_dsp_odd_off(b, o2);
        const int32_t v0 = odl_clamp_i32(odl_dsp_requantize(lo16(ae) * lo16(be), m, sh) + oo, lo, hi);
        const int32_t v1 = odl_clamp_i32(odl_dsp_requantize(lo16(ao) * lo16(bo), m, sh) + oo, lo, hi);
        const int32_t v2 = odl_clamp_i32(odl_dsp_requantize((ae >> 16) * (be >> 16), m, sh) + oo, lo, hi);
        const int32_t v3 = odl_clamp_i32(odl_dsp_requantize((ao >> 16) * (bo >> 16), m, sh) + oo, lo, hi);
        odl_dsp_st32(out + i, (int32_t)((uint32_t)(uint8_t)v0 | (uint32_t)(uint8_t)v1 << 8 |
                                        (uint32_t)(uint8_t)v2 << 16 | (uint32_t)(uint8_t)v3 << 24));
    }
    const int32_t ro1 = p->input1_offset, ro2 = p->input2_offset;
    for (; i < n; ++i)
        out[i] = (int8_t)odl_clamp_i32(odl_dsp_requantize((in1[i] + ro1) * (in2[i] + ro2), m, sh) + oo, lo, hi);
    return ODL_OK;
}
