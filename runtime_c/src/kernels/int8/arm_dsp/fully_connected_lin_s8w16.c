/* The forward gradient's FULLY_CONNECTED split at the accumulator
 * (odl/kernels_s8w16.h) for cores with the DSP extension, bit-identical to
 * the portable kernels/int8/fully_connected_lin_s8w16.c (its specification
 * and the fallback).
 *
 * z_acc: rows of a multiple of 32 inputs start on a PRNG word, so every word
 * covers 32 inputs of one row: four sign bits pick a pair of packed (+-1, +-1)
 * words from a 16-entry table and SMLAD multiplies them with the widened
 * inputs. _acc: the SMLAD loop of arm_dsp/fully_connected_s8w16.c, int64
 * result. _out: the same epilogue with the DSP requantization. */
#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"
#include "dsp_simd.h"

#define odl_fully_connected_s8w16_acc odl_fully_connected_s8w16_acc_portable
#define odl_fully_connected_z_acc odl_fully_connected_z_acc_portable
#define odl_fully_connected_s8w16_out odl_fully_connected_s8w16_out_portable
#include "../fully_connected_lin_s8w16.c"
#undef odl_fully_connected_s8w16_acc
#undef odl_fully_connected_z_acc
#undef odl_fully_connected_s8w16_out

#ifndef ODL_ARM_DSP_FC_S8W16_MAX
#define ODL_ARM_DSP_FC_S8W16_MAX 512
#endif
#define CHUNK_PAIRS 128 /* 256 products per int32 partial sum (see fully_connected_s8w16.c) */

static void widen(const int8_t *x, int32_t n, int32_t in_off, int16_t *xb) {
    for (int32_t d = 0; d < n; ++d) xb[d] = (int16_t)((int32_t)x[d] + in_off);
}

void odl_fully_connected_s8w16_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                                   int32_t out_depth, const int16_t *w, int64_t *acc) {
    if ((in_depth & 1) || in_depth > ODL_ARM_DSP_FC_S8W16_MAX || p->filter_offset != 0) {
        odl_fully_connected_s8w16_acc_portable(p, batches, in_depth, in, out_depth, w, acc);
        return;
    }
    int16_t xb[ODL_ARM_DSP_FC_S8W16_MAX] __attribute__((aligned(4)));
    const int32_t pairs = in_depth >> 1;
    for (int32_t b = 0; b < batches; ++b) {
        widen(in + (size_t)b * in_depth, in_depth, p->input_offset, xb);
        for (int32_t o = 0; o < out_depth; ++o) {
            const int16_t *wr = w + (size_t)o * in_depth;
            int64_t a = 0;
            for (int32_t c0 = 0; c0 < pairs; c0 += CHUNK_PAIRS) {
                const int32_t c1 = pairs - c0 < CHUNK_PAIRS ? pairs : c0 + CHUNK_PAIRS;
                int32_t s = 0;
                for (int32_t c = c0; c < c1; ++c) s = __smlad(odl_dsp_ld32(wr + 2 * c), odl_dsp_ld32(xb + 2 * c), s);
                a += s;
            }
            memcpy(&acc[(size_t)b * out_depth + o], &a, sizeof a);
        }
    }
}

void odl_fully_connected_z_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                               int32_t out_depth, uint32_t key, int32_t *acc) {
    if ((in_depth & 31) || in_depth > ODL_ARM_DSP_FC_S8W16_MAX) {
        odl_fully_connected_z_acc_portable(p, batches, in_depth, in, out_depth, key, acc);
        return;
    }
    int16_t xb[ODL_ARM_DSP_FC_S8W16_MAX] __attribute__((aligned(4)));
    static const uint32_t one[4] = {0x00010001u, 0x0001ffffu, 0xffff0001u, 0xffffffffu}; /* bit set: -1 */
    uint32_t zt[16][2];
    for (uint32_t i = 0; i < 16; ++i) {
        zt[i][0] = one[i & 3u];
        zt[i][1] = one[i >> 2];
    }
    const uint32_t words = (uint32_t)in_depth >> 5;
    for (int32_t b = 0; b < batches; ++b) {
        widen(in + (size_t)b * in_depth, in_depth, p->input_offset, xb);
        uint32_t word = 0;
        for (int32_t o = 0; o < out_depth; ++o) {
            int32_t a = 0; /* |a| <= 255 * 512 */
            for (uint32_t k = 0; k < words; ++k, ++word) {
                uint32_t bits = odl_prng_word(key, word);
                const int16_t *xv = xb + 32 * k;
                for (int32_t j = 0; j < 32; j += 4, bits >>= 4) {
                    const uint32_t *z = zt[bits & 15u];
                    a = __smlad((int32_t)z[0], odl_dsp_ld32(xv + j), a);
                    a = __smlad((int32_t)z[1], odl_dsp_ld32(xv + j + 2), a);
                }
            }
            acc[(size_t)b * out_depth + o] = a;
        }
    }
}

void odl_fully_connected_s8w16_out(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                   int32_t per_channel, int32_t batches, int32_t out_depth, const int64_t *acc,
                                   const int32_t *acc_z, int32_t scale, const int32_t *bias, int8_t *out) {
    if (!odl_dsp_quant_ok(mult, shift, per_channel ? out_depth : 1)) {
        odl_fully_connected_s8w16_out_portable(p, mult, shift, per_channel, batches, out_depth, acc, acc_z, scale,
                                               bias, out);
        return;
    }
    for (int32_t b = 0; b < batches; ++b) {
        for (int32_t o = 0; o < out_depth; ++o) {
            const size_t i = (size_t)b * out_depth + o;
            int64_t a;
            memcpy(&a, &acc[i], sizeof a);
            a += (int64_t)scale * acc_z[i];
            const int32_t k = per_channel ? o : 0;
            int32_t v = odl_w16_acc_to_i32(a, bias ? bias[o] : 0);
            v = odl_dsp_requantize(v, mult[k], shift[k]) + p->output_offset;
            *out++ = (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
