/* FULLY_CONNECTED with int16 weights split at its accumulator, for the
 * forward gradient's first trained layer (odl/kernels_s8w16.h): the layer
 * is linear in its weights, so the accumulator at theta + s z is
 * acc(theta) + s acc(z) exactly, and the output is the usual epilogue of
 * that sum. Portable specification; arm_dsp/ has the SIMD twin. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"

void odl_fully_connected_s8w16_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                                   int32_t out_depth, const int16_t *w, int64_t *acc) {
    const int32_t in_off = p->input_offset, w_off = p->filter_offset * (1 << ODL_W16_SHIFT);
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int16_t *wr = w + (size_t)o * in_depth;
            int64_t a = 0;
            for (int32_t d = 0; d < in_depth; ++d) a += (int64_t)((int32_t)wr[d] + w_off) * ((int32_t)x[d] + in_off);
            memcpy(&acc[(size_t)b * out_depth + o], &a, sizeof a);
        }
    }
}

void odl_fully_connected_z_table(const odl_fc_params_t *p, int32_t in_depth, const int8_t *in, int16_t *t) {
    for (int32_t g = 0; g + 4 <= in_depth; g += 4, t += 16)
        for (uint32_t i = 0; i < 16; ++i) {
            int32_t s = 0;
            for (uint32_t j = 0; j < 4; ++j) {
                const int32_t x = in[g + j] + p->input_offset;
                s += ((i >> j) & 1u) ? -x : x;
            }
            t[i] = (int16_t)s; /* |s| <= 4 * 255 */
        }
}

void odl_fully_connected_z_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                               int32_t out_depth, uint32_t key, int32_t *acc, const int16_t *table) {
    (void)table; /* the specification: no tables */
    const int32_t in_off = p->input_offset;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            int32_t a = 0;
            for (int32_t d = 0; d < in_depth; ++d)
                a += odl_prng_sign(key, (uint32_t)(o * in_depth + d)) * ((int32_t)x[d] + in_off);
            acc[(size_t)b * out_depth + o] = a;
        }
    }
}

void odl_fully_connected_s8w16_out(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                   int32_t per_channel, int32_t batches, int32_t out_depth, const int64_t *acc,
                                   const int32_t *acc_z, int32_t scale, const int32_t *bias, uint32_t bias_key,
                                   int32_t bias_scale, int8_t *out) {
    for (int32_t b = 0; b < batches; ++b) {
        for (int32_t o = 0; o < out_depth; ++o) {
            const size_t i = (size_t)b * out_depth + o;
            int64_t a;
            memcpy(&a, &acc[i], sizeof a);
            a += (int64_t)scale * acc_z[i];
            const int32_t k = per_channel ? o : 0;
            const int32_t bo = bias ? bias[o] + (bias_scale ? bias_scale * odl_prng_sign(bias_key, (uint32_t)o) : 0) : 0;
            int32_t v = odl_w16_acc_to_i32(a, bo);
            v = odl_mul_by_quantized_multiplier(v, mult[k], shift[k]) + p->output_offset;
            *out++ = (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}

void odl_fully_connected_acc_axpy(int32_t n, int64_t *acc, int32_t scale, const int32_t *acc_z) {
    for (int32_t i = 0; i < n; ++i) {
        int64_t a;
        memcpy(&a, &acc[i], sizeof a);
        a += (int64_t)scale * acc_z[i];
        memcpy(&acc[i], &a, sizeof a);
    }
}
