/* The forward gradient's FULLY_CONNECTED split at the accumulator
 * (odl/kernels_s8w16.h) for cores with the DSP extension, bit-identical to
 * the portable kernels/int8/fully_connected_lin_s8w16.c (its specification
 * and the fallback).
 *
 * z_acc: rows of a multiple of 32 inputs start on a PRNG word, so every word
 * covers 32 inputs of one row. Up to 128 inputs: sign-pattern sum tables
 * (z_tables below). Longer rows: four sign bits pick a pair of packed (+-1, +-1)
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
#define odl_fully_connected_z_table odl_fully_connected_z_table_portable
#include "../fully_connected_lin_s8w16.c"
#undef odl_fully_connected_z_table
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

/* z_acc for rows of at most Z_TABLE_MAX inputs: per group of four inputs
 * the sixteen signed sums +-x0 +-x1 +-x2 +-x3 (index bit j set: -x_j), so a
 * row costs one table load and add per four inputs. |sum| <= 4 * 255. The
 * caller's tables (odl_fully_connected_z_table) when given, else built here
 * (the same values: z_tables is the portable builder unrolled). */
#define Z_TABLE_MAX 64 /* 512 bytes of tables */

static void z_tables(const int8_t *x, int32_t n, int32_t in_off, int16_t *t) {
    for (int32_t g = 0; g < n; g += 4, t += 16) {
        const int32_t x0 = x[g] + in_off, x1 = x[g + 1] + in_off, x2 = x[g + 2] + in_off, x3 = x[g + 3] + in_off;
        const int32_t d0 = 2 * x0, d1 = 2 * x1, d2 = 2 * x2, d3 = 2 * x3;
        const int32_t s0 = x0 + x1 + x2 + x3, s1 = s0 - d0, s2 = s0 - d1, s3 = s1 - d1;
        const int32_t s4 = s0 - d2, s5 = s1 - d2, s6 = s2 - d2, s7 = s3 - d2;
#define Z_PUT(i, v) t[i] = (int16_t)(v)
        Z_PUT(0, s0), Z_PUT(1, s1), Z_PUT(2, s2), Z_PUT(3, s3), Z_PUT(4, s4), Z_PUT(5, s5), Z_PUT(6, s6), Z_PUT(7, s7);
        Z_PUT(8, s0 - d3), Z_PUT(9, s1 - d3), Z_PUT(10, s2 - d3), Z_PUT(11, s3 - d3);
        Z_PUT(12, s4 - d3), Z_PUT(13, s5 - d3), Z_PUT(14, s6 - d3), Z_PUT(15, s7 - d3);
#undef Z_PUT
    }
}

#define Z_NIB(g) tk[16 * (g) + ((bits >> (4 * (g))) & 15u)]

void odl_fully_connected_z_table(const odl_fc_params_t *p, int32_t in_depth, const int8_t *in, int16_t *table) {
    z_tables(in, in_depth & ~3, p->input_offset, table);
}

/* rows of one batch from its tables */
static void z_acc_rows(const int16_t *t, int32_t in_depth, int32_t out_depth, uint32_t key, uint32_t word,
                       int32_t *acc) {
    const uint32_t words = (uint32_t)in_depth >> 5;
    for (int32_t o = 0; o < out_depth; ++o) {
        int32_t a = 0;
        for (uint32_t k = 0; k < words; ++k, ++word) {
            const uint32_t bits = odl_prng_word(key, word);
            const int16_t *tk = t + 128 * k;
            a += Z_NIB(0) + Z_NIB(1) + Z_NIB(2) + Z_NIB(3) + Z_NIB(4) + Z_NIB(5) + Z_NIB(6) + Z_NIB(7);
        }
        acc[o] = a;
    }
}

/* without the caller's tables: built here per batch (a 1 KiB frame only on this path) */
__attribute__((noinline)) static void z_acc_own_tables(int32_t batches, int32_t in_depth, const int8_t *in,
                                                       int32_t in_off, int32_t out_depth, uint32_t key, int32_t *acc) {
    int16_t t[Z_TABLE_MAX * 4];
    for (int32_t b = 0; b < batches; ++b) {
        z_tables(in + (size_t)b * in_depth, in_depth, in_off, t);
        z_acc_rows(t, in_depth, out_depth, key, 0u, acc + (size_t)b * out_depth); /* signs: o * in_depth + d */
    }
}

/* arm_mve/fully_connected_lin_s8w16.c takes z_acc under another name as its fallback */
#ifdef ODL_FC_LIN_ZACC_DSP_NAME
#define fc_lin_z_acc ODL_FC_LIN_ZACC_DSP_NAME
#else
#define fc_lin_z_acc odl_fully_connected_z_acc
#endif
void fc_lin_z_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in, int32_t out_depth,
                  uint32_t key, int32_t *acc, const int16_t *table) {
    if (!(in_depth & 31) && in_depth <= Z_TABLE_MAX) {
        if (table && ODL_FC_Z_TABLE_BYTES(batches, in_depth))
            z_acc_rows(table, in_depth, out_depth, key, 0u, acc);
        else
            z_acc_own_tables(batches, in_depth, in, p->input_offset, out_depth, key, acc);
        return;
    }
    if ((in_depth & 31) || in_depth > ODL_ARM_DSP_FC_S8W16_MAX) {
        odl_fully_connected_z_acc_portable(p, batches, in_depth, in, out_depth, key, acc, table);
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

/* Out of line: outside the DSP routine's range (rare), and the int64 sum. */
__attribute__((noinline)) static int32_t requantize_portable(int32_t v, int32_t m, int32_t sh) {
    return odl_mul_by_quantized_multiplier(v, m, sh);
}
__attribute__((noinline)) static int32_t acc_to_i32(int64_t a, int32_t bias) { return odl_w16_acc_to_i32(a, bias); }

/* Up to OUT_FAST_MAX outputs per batch whose requantization is all in the
 * DSP routine's range (checked once per call): the perturbed biases once
 * per call (they do not depend on the batch), then one output channel at a
 * time down the batches (a conv read as batches = pixels), its constants in
 * registers: per output one 64-bit multiply-add, the shift, QADD, the
 * requantization and the clamp. */
#define OUT_FAST_MAX 64

/* odl_dsp_requantize with shift < 0 spelled out (~shift = r - 1) */
static inline int32_t requant_neg(int32_t x, int32_t m, int32_t nsh) {
    const uint64_t start = ((uint64_t)(uint32_t)(x >> 31) << 32) | (0x40000000u | ((uint32_t)x & 0x80000000u));
    const int32_t u = (int32_t)(((int64_t)start + (int64_t)x * m) >> 31);
    return ((u >> nsh) + 1) >> 1;
}

/* One output channel down the batches; neg (a constant at each call): the
 * shift is negative, nsh = ~shift, else nsh = shift. */
__attribute__((always_inline)) static inline void out_channel(const int64_t *ap, const int32_t *zp, int8_t *op,
                                                              int32_t batches, int32_t stride, int32_t scale,
                                                              int32_t b0, int32_t m, int32_t nsh, int neg,
                                                              int32_t out_off, int32_t amin, int32_t amax) {
    for (int32_t b = 0; b < batches; ++b, ap += stride, zp += stride, op += stride) {
        int64_t a;
        memcpy(&a, ap, sizeof a);
        a += (int64_t)scale * *zp;
        const int32_t lo = (int32_t)a;
        int32_t v = (int32_t)(a >> 32) == (lo >> 31)
                        ? __qadd((lo >> ODL_W16_SHIFT) + ((lo >> (ODL_W16_SHIFT - 1)) & 1), b0)
                        : acc_to_i32(a, b0);
        v = (neg ? requant_neg(v, m, nsh) : odl_dsp_requantize_left(v, m, nsh)) + out_off;
        *op = (int8_t)(v < amin ? amin : (v > amax ? amax : v));
    }
}

__attribute__((noinline)) static void out_fast(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                               int32_t per_channel, int32_t batches, int32_t out_depth,
                                               const int64_t *acc, const int32_t *acc_z, int32_t scale,
                                               const int32_t *bias, uint32_t bias_key, int32_t bias_scale,
                                               int8_t *out) {
    int32_t bo[OUT_FAST_MAX];
    for (int32_t o0 = 0; o0 < out_depth; o0 += 32) {
        uint32_t bits = bias && bias_scale ? odl_prng_word(bias_key, (uint32_t)o0 >> 5) : 0u;
        const int32_t o1 = out_depth - o0 < 32 ? out_depth : o0 + 32;
        for (int32_t o = o0; o < o1; ++o, bits >>= 1)
            bo[o] = bias ? bias[o] + ((bits & 1u) ? -bias_scale : bias_scale) : 0;
    }
    const int32_t out_off = p->output_offset, amin = p->act_min, amax = p->act_max;
    for (int32_t o = 0; o < out_depth; ++o) {
        const int32_t q = per_channel ? o : 0, m = mult[q], sh = shift[q], b0 = bo[o];
        if (sh < 0)
            out_channel(acc + o, acc_z + o, out + o, batches, out_depth, scale, b0, m, ~sh, 1, out_off, amin, amax);
        else
            out_channel(acc + o, acc_z + o, out + o, batches, out_depth, scale, b0, m, sh, 0, out_off, amin, amax);
    }
}

/* arm_mve/fully_connected_lin_s8w16.c includes this file and takes the
 * epilogue under another name as its fallback */
#ifdef ODL_FC_LIN_OUT_DSP_NAME
#define fc_lin_out ODL_FC_LIN_OUT_DSP_NAME
#else
#define fc_lin_out odl_fully_connected_s8w16_out
#endif
void fc_lin_out(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift, int32_t per_channel,
                int32_t batches, int32_t out_depth, const int64_t *acc, const int32_t *acc_z, int32_t scale,
                const int32_t *bias, uint32_t bias_key, int32_t bias_scale, int8_t *out) {
    if (batches > 1 && out_depth <= OUT_FAST_MAX && odl_dsp_quant_ok(mult, shift, per_channel ? out_depth : 1)) {
        out_fast(p, mult, shift, per_channel, batches, out_depth, acc, acc_z, scale, bias, bias_key, bias_scale, out);
        return;
    }
    const int32_t out_off = p->output_offset, amin = p->act_min, amax = p->act_max;
    const int32_t qstep = per_channel ? 1 : 0;
    for (int32_t b = 0; b < batches; ++b) {
        const int64_t *ap = acc + (size_t)b * out_depth;
        const int32_t *zp = acc_z + (size_t)b * out_depth;
        const int32_t *mp = mult, *sp = shift;
        for (int32_t o0 = 0; o0 < out_depth; o0 += 32) {
            /* bias signs of outputs o0..o0+31 */
            uint32_t bits = bias && bias_scale ? odl_prng_word(bias_key, (uint32_t)o0 >> 5) : 0u;
            const int32_t o1 = out_depth - o0 < 32 ? out_depth : o0 + 32;
            for (int32_t o = o0; o < o1; ++o, bits >>= 1, mp += qstep, sp += qstep) {
                int64_t a;
                memcpy(&a, &ap[o], sizeof a);
                a += (int64_t)scale * zp[o];
                const int32_t lo = (int32_t)a, bo = bias ? bias[o] + ((bits & 1u) ? -bias_scale : bias_scale) : 0;
                /* a within int32 (the usual case): the rounding shift is
                 * (lo >> 7) + bit 6 of lo, and QADD saturates the bias sum */
                int32_t v = (int32_t)(a >> 32) == (lo >> 31)
                                ? __qadd((lo >> ODL_W16_SHIFT) + ((lo >> (ODL_W16_SHIFT - 1)) & 1), bo)
                                : acc_to_i32(a, bo);
                /* the DSP requantization's range (odl_dsp_quant_ok), else the portable one */
                const int32_t m = *mp, sh = *sp;
                v = (m >= 0 && (uint32_t)(sh + 31) <= 61u) ? odl_dsp_requantize(v, m, sh)
                                                            : requantize_portable(v, m, sh);
                v += out_off;
                *out++ = (int8_t)(v < amin ? amin : (v > amax ? amax : v));
            }
        }
    }
}
