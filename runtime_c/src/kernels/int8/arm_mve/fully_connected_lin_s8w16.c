/* The forward gradient's accumulator split (odl/kernels_s8w16.h) on Helium
 * (MVE): the arm_dsp file (sums, z accumulators and tables) with the
 * epilogue `odl_fully_connected_s8w16_out` on four output lanes, bit-identical
 * to the portable kernels/int8/fully_connected_lin_s8w16.c.
 *
 * Per four outputs of a batch: the low and high words of the int64
 * accumulators by gather loads, acc + scale * acc_z in 32-bit lanes, used
 * only when it is exact: the accumulator fits int32 (high word = sign of the
 * low word), the product does (VMULH = its sign) and the saturating sum
 * equals the wrapping one; otherwise those four outputs take the scalar
 * epilogue. Then (s >> 7) + bit 6 and a saturating add of the perturbed
 * bias (bias signs from the PRNG word by shifting each lane's bit to the
 * sign), the vector requantization of mve_int8.h (multipliers >= 0 and
 * shifts in [-31, 30], checked once per call, else the arm_dsp epilogue),
 * the output offset, the clamp and a narrowing store.
 *
 * z_acc with the caller's sign-pattern tables (odl_fully_connected_z_table):
 * the eight 4-bit fields of a PRNG word become eight int16 lane offsets
 * (the word duplicated into 32-bit lanes, read as 16-bit lanes: low and
 * high halves alternate, so lane 2m holds field m and lane 2m+1 field m + 4
 * after a shift by 4m), one gather load fetches the eight partial sums and
 * VADDVA adds them. Other shapes: arm_dsp. */
#define ODL_FC_LIN_OUT_DSP_NAME odl_fully_connected_s8w16_out_dsp
#define ODL_FC_LIN_ZACC_DSP_NAME odl_fully_connected_z_acc_dsp
#include "../arm_dsp/fully_connected_lin_s8w16.c"
#undef fc_lin_out
#undef fc_lin_z_acc

#include "mve_int8.h"

void odl_fully_connected_z_acc_dsp(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                                   int32_t out_depth, uint32_t key, int32_t *acc, const int16_t *table);
void odl_fully_connected_s8w16_out_dsp(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                       int32_t per_channel, int32_t batches, int32_t out_depth, const int64_t *acc,
                                       const int32_t *acc_z, int32_t scale, const int32_t *bias, uint32_t bias_key,
                                       int32_t bias_scale, int8_t *out);

static const uint32_t word_offsets[4] = {0, 2, 4, 6}; /* low words of four int64 */
static const int32_t sign_up[4] = {31, 30, 29, 28};   /* lane j's bit to the sign */

/* one output as the portable epilogue (lanes the vector path cannot take exactly) */
static int8_t out_scalar(const odl_fc_params_t *p, int32_t m, int32_t sh, const int64_t *acc, int32_t z,
                         int32_t scale, int32_t bo) {
    int64_t a;
    memcpy(&a, acc, sizeof a);
    a += (int64_t)scale * z;
    const int32_t v = odl_mul_by_quantized_multiplier(odl_w16_acc_to_i32(a, bo), m, sh) + p->output_offset;
    return (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
}

/* lane_check: the requantization range with the lanes (one batch);
 * pre_bias: the perturbed biases are in bo_call (constants at each call) */
__attribute__((always_inline)) static inline void out_lanes(const odl_fc_params_t *p, const int32_t *mult,
                                                            const int32_t *shift, int32_t per_channel, int32_t batches,
                                                            int32_t out_depth, const int64_t *acc, const int32_t *acc_z,
                                                            int32_t scale, const int32_t *bias, uint32_t bias_key,
                                                            int32_t bias_scale, int8_t *out, int lane_check,
                                                            int pre_bias, const int32_t *bo_call) {
    const uint32x4_t offs = vld1q_u32(word_offsets);
    const int32x4_t up = vld1q_s32(sign_up), one = vdupq_n_s32(1), vscale = vdupq_n_s32(scale);
    const int32_t out_off = p->output_offset, amin = p->act_min, amax = p->act_max;
    const int32_t bs = bias ? bias_scale : 0;
    for (int32_t b = 0; b < batches; ++b, acc += out_depth, acc_z += out_depth, out += out_depth) {
        uint32_t bits = 0;
        for (int32_t o0 = 0; o0 < out_depth; o0 += 4) {
            if (!(o0 & 31) && !pre_bias) bits = bs ? odl_prng_word(bias_key, (uint32_t)o0 >> 5) : 0u;
            const mve_pred16_t tail = vctp32q((uint32_t)(out_depth - o0));
            const int32_t *aw = (const int32_t *)(const void *)(acc + o0);
            const int32x4_t lo = vldrwq_gather_shifted_offset_z_s32(aw, offs, tail);
            const int32x4_t hi = vldrwq_gather_shifted_offset_z_s32(aw + 1, offs, tail);
            const int32x4_t z = vld1q_z_s32(acc_z + o0, tail);
            const int32x4_t prod = vmulq_s32(z, vscale), prod_hi = vmulhq_s32(z, vscale);
            const int32x4_t s = vaddq_s32(lo, prod);
            /* exact in 32 bits: every active lane passes the three checks */
            mve_pred16_t ok = vcmpeqq_s32(hi, vshrq_n_s32(lo, 31));
            ok &= vcmpeqq_s32(prod_hi, vshrq_n_s32(prod, 31));
            ok &= vcmpeqq_s32(vqaddq_s32(lo, prod), s);
            const int32x4_t q = per_channel ? vld1q_z_s32(mult + o0, tail) : vdupq_n_s32(mult[0]);
            const int32x4_t sh = per_channel ? vld1q_z_s32(shift + o0, tail) : vdupq_n_s32(shift[0]);
            if (lane_check) ok &= vcmpgeq_n_s32(q, 0) & vcmpgeq_n_s32(sh, -31) & vcmpleq_n_s32(sh, 30);
            if ((ok & tail) != tail) {
                for (int32_t j = 0; j < 4 && o0 + j < out_depth; ++j) {
                    const int32_t o = o0 + j, k = per_channel ? o : 0;
                    const int32_t bo = pre_bias ? bo_call[o] : bias ? bias[o] + (((bits >> (o & 31)) & 1u) ? -bs : bs) : 0;
                    out[o] = out_scalar(p, mult[k], shift[k], acc + o, acc_z[o], scale, bo);
                }
                continue;
            }
            int32x4_t v = vaddq_s32(vshrq_n_s32(s, ODL_W16_SHIFT), vandq_s32(vshrq_n_s32(s, ODL_W16_SHIFT - 1), one));
            if (pre_bias) {
                v = vqaddq_s32(v, vld1q_z_s32(bo_call + o0, tail));
            } else if (bias) {
                /* lane j: bit (o0 + j) % 32 of the word; -1 lanes give -bias_scale */
                const int32x4_t msk = vshrq_n_s32(vshlq_s32(vdupq_n_s32((int32_t)(bits >> (o0 & 31))), up), 31);
                const int32x4_t bo = vaddq_s32(vld1q_z_s32(bias + o0, tail),
                                               vsubq_s32(veorq_s32(vdupq_n_s32(bs), msk), msk));
                v = vqaddq_s32(v, bo);
            }
            vstrbq_p_s32(out + o0, odl_mve_output(v, q, sh, out_off, amin, amax), tail);
        }
    }
}

void odl_fully_connected_s8w16_out(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                   int32_t per_channel, int32_t batches, int32_t out_depth, const int64_t *acc,
                                   const int32_t *acc_z, int32_t scale, const int32_t *bias, uint32_t bias_key,
                                   int32_t bias_scale, int8_t *out) {
    /* one batch: the requantization range (odl_dsp_quant_ok) is checked with
     * the lanes (a separate check would cost as much as the outputs) */
    if (batches == 1) {
        out_lanes(p, mult, shift, per_channel, 1, out_depth, acc, acc_z, scale, bias, bias_key, bias_scale, out, 1, 0, 0);
        return;
    }
    /* several batches: the range once per call, and for at most 64 outputs the perturbed biases */
    if (!odl_dsp_quant_ok(mult, shift, per_channel ? out_depth : 1)) {
        odl_fully_connected_s8w16_out_dsp(p, mult, shift, per_channel, batches, out_depth, acc, acc_z, scale, bias,
                                          bias_key, bias_scale, out);
        return;
    }
    int32_t bo_call[64] __attribute__((aligned(4)));
    if (bias && out_depth <= 64) {
        for (int32_t o0 = 0; o0 < out_depth; o0 += 32) {
            uint32_t w = bias_scale ? odl_prng_word(bias_key, (uint32_t)o0 >> 5) : 0u;
            for (int32_t o = o0; o < out_depth && o < o0 + 32; ++o, w >>= 1)
                bo_call[o] = bias[o] + ((w & 1u) ? -bias_scale : bias_scale);
        }
        out_lanes(p, mult, shift, per_channel, batches, out_depth, acc, acc_z, scale, bias, bias_key, bias_scale, out,
                  0, 1, bo_call);
    } else {
        out_lanes(p, mult, shift, per_channel, batches, out_depth, acc, acc_z, scale, bias, bias_key, bias_scale, out,
                  0, 0, 0);
    }
}

static const int16_t nib_shift[8] = {0, 0, -4, -4, -8, -8, -12, -12};
static const uint16_t nib_base[8] = {0, 64, 16, 80, 32, 96, 48, 112}; /* 16 entries per field */

void odl_fully_connected_z_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                               int32_t out_depth, uint32_t key, int32_t *acc, const int16_t *table) {
    if ((in_depth & 31) || in_depth > 64 || !table || !ODL_FC_Z_TABLE_BYTES(batches, in_depth)) {
        odl_fully_connected_z_acc_dsp(p, batches, in_depth, in, out_depth, key, acc, table);
        return;
    }
    const int16x8_t sh = vld1q_s16(nib_shift);
    const uint16x8_t base = vld1q_u16(nib_base), m15 = vdupq_n_u16(15);
    const uint32_t words = (uint32_t)in_depth >> 5;
    uint32_t word = 0; /* signs of output o: elements o * in_depth + d */
    for (int32_t o = 0; o < out_depth; ++o) {
        int32_t a = 0;
        for (uint32_t k = 0; k < words; ++k, ++word) {
            const uint16x8_t bits = vreinterpretq_u16_u32(vdupq_n_u32(odl_prng_word(key, word)));
            const uint16x8_t off = vaddq_u16(vandq_u16(vshlq_u16(bits, sh), m15), base);
            a = vaddvaq_s16(a, vldrhq_gather_shifted_offset_s16(table + 128 * k, off));
        }
        acc[o] = a;
    }
}
