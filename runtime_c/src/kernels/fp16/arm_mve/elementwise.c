/* ADD, RELU / RELU6 and RESHAPE FP16 kernels on Cortex-M55: the portable ones
 * (included below under other names), with the activation-free forward
 * (RESHAPE) and input gradient in half-precision Helium arithmetic, eight
 * halves per instruction. Same bytes as ../elementwise.c:
 * - forward R(F(x)) is x, except that every NaN becomes 0x7e00: x + (-0) in
 *   half precision (exact, -0 + -0 = -0, default NaN);
 * - input gradient R(F(a) + F(b)) of two halves: FP32 has 24 >= 2 * 11 + 2
 *   significant bits, so rounding the FP32 sum to binary16 gives the
 *   correctly rounded half sum (double rounding is innocuous), which VADD.F16
 *   computes in one step; signed zeros and NaNs come out alike.
 * Half-precision Helium arithmetic keeps subnormals with FPSCR.FZ16 = 0, the
 * mode odl_f16_fp_enter() sets (checked on QEMU, tests/test_fp16_hwconv.py). */
#define odl_act_f16_fw odl_act_f16_fw_portable
#define odl_act_f16_bw_input odl_act_f16_bw_input_portable
#define odl_reshape_f16_fw odl_reshape_f16_fw_portable
#define odl_reshape_f16_bw_input odl_reshape_f16_bw_input_portable
#include "../elementwise.c"
#undef odl_act_f16_fw
#undef odl_act_f16_bw_input
#undef odl_reshape_f16_fw
#undef odl_reshape_f16_bw_input

#include "mve_f16.h"

/* y[i] = x[i] + (-0) in half precision for i < 8 * n8 (n8 > 0). */
static void canon8(const odl_f16_t *x, odl_f16_t *y, int32_t n8) {
    __asm__ volatile("dls lr, %[n]\n\t"
                     "1:\n\t"
                     "vldrh.u16 q0, [%[x]], #16\n\t"
                     "vadd.f16 q0, q0, %[m]\n\t"
                     "vstrh.16 q0, [%[y]], #16\n\t"
                     "le lr, 1b"
                     : [x] "+r"(x), [y] "+r"(y)
                     : [n] "r"(n8), [m] "r"(0x8000u)
                     : "s0", "s1", "s2", "s3", "lr", "memory");
}

/* d[i] = d[i] + g[i] in half precision for i < 8 * n8 (n8 > 0). */
static void accumulate8(odl_f16_t *d, const odl_f16_t *g, int32_t n8) {
    __asm__ volatile("dls lr, %[n]\n\t"
                     "1:\n\t"
                     "vldrh.u16 q0, [%[d]]\n\t"
                     "vldrh.u16 q1, [%[g]], #16\n\t"
                     "vadd.f16 q0, q0, q1\n\t"
                     "vstrh.16 q0, [%[d]], #16\n\t"
                     "le lr, 1b"
                     : [d] "+r"(d), [g] "+r"(g)
                     : [n] "r"(n8)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "lr", "memory");
}

odl_status_t odl_act_f16_fw(int32_t act, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (act != ODL_F16_ACT_NONE || !in || !out || !same_numel(in, out)) return odl_act_f16_fw_portable(act, in, out);
    const int32_t n = odl_f16_numel(out), n8 = n >> 3;
    if (n8 > 0) canon8(in->data, out->data, n8);
    for (int32_t i = 8 * n8; i < n; ++i) out->data[i] = R(F(in->data[i]));
    return ODL_OK;
}

odl_status_t odl_act_f16_bw_input(int32_t act, odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (act != ODL_F16_ACT_NONE || !in || !out || !out->grad || !in->grad || !same_numel(in, out))
        return odl_act_f16_bw_input_portable(act, in, out);
    const int32_t n = odl_f16_numel(out), n8 = n >> 3;
    if (n8 > 0) accumulate8(in->grad, out->grad, n8);
    for (int32_t i = 8 * n8; i < n; ++i) odl_f16_accumulate(&in->grad[i], F(out->grad[i]));
    return ODL_OK;
}

odl_status_t odl_reshape_f16_fw(const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    return odl_act_f16_fw(ODL_F16_ACT_NONE, in, out);
}

odl_status_t odl_reshape_f16_bw_input(odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    return odl_act_f16_bw_input(ODL_F16_ACT_NONE, in, out);
}
