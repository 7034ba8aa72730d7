/* int8 ADD_N, bit-exact with TFLite Micro's reference AddN: every input (one
 * shared quantization) offset, shifted left 20 and halved, summed onto the
 * same rescale of the zero input (-z << 20, halved), then rescaled. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_add_n_s8(const odl_add_n_params_t *p, int32_t n_inputs, const int8_t *const *inputs, int32_t size,
                          int8_t *out) {
    if (!p || !inputs || !out || n_inputs < 1 || size < 0 || p->left_shift < 0 || p->left_shift > 24)
        return ODL_ERR_ARG;
    for (int32_t k = 0; k < n_inputs; ++k)
        if (!inputs[k]) return ODL_ERR_ARG;
    const int32_t base = odl_mul_by_quantized_multiplier((int32_t)((uint32_t)p->input_offset << p->left_shift),
                                                         p->input_multiplier, p->input_shift);
    for (int32_t i = 0; i < size; ++i) {
        uint32_t acc = (uint32_t)base;
        for (int32_t k = 0; k < n_inputs; ++k) {
            const int32_t y = (int32_t)((uint32_t)(p->input_offset + inputs[k][i]) << p->left_shift);
            acc += (uint32_t)odl_mul_by_quantized_multiplier(y, p->input_multiplier, p->input_shift);
        }
        const int32_t raw =
            odl_mul_by_quantized_multiplier((int32_t)acc, p->output_multiplier, p->output_shift) + p->output_offset;
        out[i] = (int8_t)odl_clamp_i32(raw, p->act_min, p->act_max);
    }
    return ODL_OK;
}

/* int8 CUMSUM with ADD_N's parameters (TFLite Micro's reference CumSum): along
 * `depth` of a [pre, depth, post] view, the same rescaled running sum seeded
 * with the rescaled zero input, each partial sum rescaled to the output. */
odl_status_t odl_cumsum_s8(const odl_add_n_params_t *p, int32_t pre, int32_t depth, int32_t post, int32_t exclusive,
                           int32_t reverse, const int8_t *in, int8_t *out) {
    if (!p || !in || !out || pre < 0 || depth < 0 || post < 0 || p->left_shift < 0 || p->left_shift > 24)
        return ODL_ERR_ARG;
    const int32_t base = odl_mul_by_quantized_multiplier((int32_t)((uint32_t)p->input_offset << p->left_shift),
                                                         p->input_multiplier, p->input_shift);
    for (int32_t a = 0; a < pre; ++a)
        for (int32_t c = 0; c < post; ++c) {
            uint32_t acc = (uint32_t)base;
            for (int32_t k = 0; k < depth; ++k) {
                const int32_t d = reverse ? depth - 1 - k : k;
                const size_t idx = ((size_t)a * depth + d) * post + c;
                const int32_t y = (int32_t)((uint32_t)(p->input_offset + in[idx]) << p->left_shift);
                const uint32_t scaled = (uint32_t)odl_mul_by_quantized_multiplier(y, p->input_multiplier,
                                                                                   p->input_shift);
                const uint32_t before = acc;
                acc += scaled;
                const int32_t s = (int32_t)(exclusive ? before : acc);
                const int32_t raw =
                    odl_mul_by_quantized_multiplier(s, p->output_multiplier, p->output_shift) + p->output_offset;
                out[idx] = (int8_t)odl_clamp_i32(raw, p->act_min, p->act_max);
            }
        }
    return ODL_OK;
}
