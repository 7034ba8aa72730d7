/* Instruction counts of the FP16 training kernels on one board: forward,
 * input gradient and weight gradient of one layer per type, each repeated
 * REPS times between two counter reads (QEMU -icount shift=0). Prints
 * "<layer> <pass> <counter ticks>" lines, then exits. Built by
 * bench/train_fp16.py with the portable, arm_mve or FP32-storage kernels. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "odl/kernels_f16.h"

#define REPS 4

#ifdef ODL_BENCH_FP32_SHIM_H
#define STORE(x) (x)
#else
#define STORE(x) odl_f32_to_f16(x)
#endif

static odl_f16_t pool[6][16384];
static uint32_t lcg = 12345u;

static void fill(odl_f16_t *p, int32_t n, float scale) {
    for (int32_t i = 0; i < n; ++i) {
        lcg = lcg * 1664525u + 1013904223u;
        p[i] = STORE(((float)(int32_t)(lcg >> 20) - 2048.0f) * (scale / 2048.0f));
    }
}

/* Values in [0, scale): a ReLU's output. */
static void fill_nonnegative(odl_f16_t *p, int32_t n, float scale) {
    for (int32_t i = 0; i < n; ++i) {
        lcg = lcg * 1664525u + 1013904223u;
        p[i] = STORE((float)(int32_t)(lcg >> 20) * (scale / 4096.0f));
    }
}

static void put(const char *s) { board_uart_write((const uint8_t *)s, (uint32_t)strlen(s)); }

static void put_u32(uint32_t v) {
    char buf[11];
    int i = (int)sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && i > 0);
    board_uart_write((const uint8_t *)buf + i, (uint32_t)(sizeof buf - (size_t)i));
}

static void report(const char *layer, const char *pass, uint32_t t0) {
    uint32_t t1 = board_counter();
    put(layer);
    put(" ");
    put(pass);
    put(" ");
    put_u32(t1 - t0);
    put("\n");
}

static odl_f16_tensor_t tensor(int slot, int32_t d0, int32_t d1, int32_t d2, int32_t d3, float scale) {
    odl_f16_tensor_t t = {pool[slot], pool[slot + 1], {d0, d1, d2, d3}};
    fill(t.data, d0 * d1 * d2 * d3, scale);
    fill(t.grad, d0 * d1 * d2 * d3, scale * 0.01f);
    return t;
}

typedef odl_status_t (*conv_fw_t)(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, const odl_f16_tensor_t *,
                                  const odl_f16_tensor_t *, odl_f16_tensor_t *);
typedef odl_status_t (*conv_bi_t)(const odl_f16_conv_params_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *,
                                  const odl_f16_tensor_t *);
typedef odl_status_t (*conv_bw_t)(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *,
                                  odl_f16_tensor_t *, const odl_f16_tensor_t *);

static odl_f16_t bias_data[64], bias_grad[64];

static void conv_case(const char *name, conv_fw_t fw, conv_bi_t bi, conv_bw_t bw, const odl_f16_conv_params_t *p,
                      odl_f16_tensor_t in, odl_f16_tensor_t w, odl_f16_tensor_t out) {
    odl_f16_tensor_t b = {bias_data, bias_grad, {out.dims[3], 1, 1, 1}};
    uint32_t t0 = board_counter();
    for (int r = 0; r < REPS; ++r) fw(p, &in, &w, &b, &out);
    report(name, "fw", t0);
    t0 = board_counter();
    for (int r = 0; r < REPS; ++r) bi(p, &in, &w, &out);
    report(name, "bw_input", t0);
    t0 = board_counter();
    for (int r = 0; r < REPS; ++r) bw(p, &in, &w, &b, &out);
    report(name, "bw_weight", t0);
}

static void fc_case(const char *name, int32_t k, int32_t o, int32_t act) {
    odl_f16_fc_params_t p = {act};
    odl_f16_tensor_t in = tensor(0, 1, 1, 1, k, 1.0f), w = tensor(2, o, k, 1, 1, 0.1f);
    odl_f16_tensor_t out = tensor(4, 1, 1, 1, o, 1.0f);
    odl_f16_tensor_t b = {bias_data, bias_grad, {o, 1, 1, 1}};
    uint32_t t0 = board_counter();
    for (int r = 0; r < REPS; ++r) odl_fc_f16_fw(&p, &in, &w, &b, &out);
    report(name, "fw", t0);
    t0 = board_counter();
    for (int r = 0; r < REPS; ++r) odl_fc_f16_bw_input(&p, &in, &w, &out);
    report(name, "bw_input", t0);
    t0 = board_counter();
    for (int r = 0; r < REPS; ++r) odl_fc_f16_bw_weight(&p, &in, &w, &b, &out);
    report(name, "bw_weight", t0);
}

/* The layers of the AIfES MLP and CNN (tests/fixtures/train_nets). */
static void train_net_cases(void) {
    fc_case("mlp_fc1", 64, 32, ODL_F16_ACT_RELU);
    fc_case("mlp_fc2", 32, 10, ODL_F16_ACT_NONE);
    {
        odl_f16_conv_params_t p = {1, 1, 1, 1, 1, 1, 0, 0, 1, ODL_F16_ACT_RELU};
        conv_case("cnn_conv", odl_conv2d_f16_fw, odl_conv2d_f16_bw_input, odl_conv2d_f16_bw_weight, &p,
                  tensor(0, 1, 8, 8, 1, 1.0f), tensor(2, 8, 3, 3, 1, 0.1f), tensor(4, 1, 8, 8, 8, 1.0f));
    }
    {
        odl_f16_conv_params_t p = {2, 2, 0, 0, 1, 1, 2, 2, 1, ODL_F16_ACT_NONE};
        odl_f16_tensor_t in = tensor(0, 1, 8, 8, 8, 1.0f), out = tensor(4, 1, 4, 4, 8, 1.0f);
        fill_nonnegative(in.data, 8 * 8 * 8, 1.0f); /* the pool reads the conv's ReLU output */
        uint32_t t0 = board_counter();
        for (int r = 0; r < REPS; ++r) odl_maxpool_f16_fw(&p, &in, &out);
        report("cnn_pool", "fw", t0);
        t0 = board_counter();
        for (int r = 0; r < REPS; ++r) odl_maxpool_f16_bw_input(&p, &in, &out);
        report("cnn_pool", "bw_input", t0);
    }
    fc_case("cnn_fc", 128, 10, ODL_F16_ACT_NONE);
}

int main(void) {
    board_init();
#ifdef ODL_F16_HW_ARM
    odl_f16_fp_enter();
#endif
    train_net_cases();
    fill(bias_data, 64, 0.1f);
    {   /* fully connected 256 -> 32, RELU (digits fc1) */
        odl_f16_fc_params_t p = {ODL_F16_ACT_RELU};
        odl_f16_tensor_t in = tensor(0, 1, 1, 1, 256, 1.0f), w = tensor(2, 32, 256, 1, 1, 0.1f);
        odl_f16_tensor_t out = tensor(4, 1, 1, 1, 32, 1.0f);
        odl_f16_tensor_t b = {bias_data, bias_grad, {32, 1, 1, 1}};
        uint32_t t0 = board_counter();
        for (int r = 0; r < REPS; ++r) odl_fc_f16_fw(&p, &in, &w, &b, &out);
        report("fc", "fw", t0);
        t0 = board_counter();
        for (int r = 0; r < REPS; ++r) odl_fc_f16_bw_input(&p, &in, &w, &out);
        report("fc", "bw_input", t0);
        t0 = board_counter();
        for (int r = 0; r < REPS; ++r) odl_fc_f16_bw_weight(&p, &in, &w, &b, &out);
        report("fc", "bw_weight", t0);
    }
    {   /* 3x3 stride-2 SAME conv 8x8x8 -> 4x4x16, RELU (digits conv2) */
        odl_f16_conv_params_t p = {2, 2, 0, 0, 1, 1, 0, 0, 1, ODL_F16_ACT_RELU};
        conv_case("conv", odl_conv2d_f16_fw, odl_conv2d_f16_bw_input, odl_conv2d_f16_bw_weight, &p,
                  tensor(0, 1, 8, 8, 8, 1.0f), tensor(2, 16, 3, 3, 8, 0.1f), tensor(4, 1, 4, 4, 16, 1.0f));
    }
    {   /* pointwise 8x8x16 -> 8x8x32, RELU6 */
        odl_f16_conv_params_t p = {1, 1, 0, 0, 1, 1, 0, 0, 1, ODL_F16_ACT_RELU6};
        conv_case("pointwise", odl_pwconv_f16_fw, odl_pwconv_f16_bw_input, odl_pwconv_f16_bw_weight, &p,
                  tensor(0, 1, 8, 8, 16, 1.0f), tensor(2, 32, 1, 1, 16, 0.1f), tensor(4, 1, 8, 8, 32, 1.0f));
    }
    {   /* depthwise 3x3 SAME 8x8x32, RELU6 */
        odl_f16_conv_params_t p = {1, 1, 1, 1, 1, 1, 0, 0, 1, ODL_F16_ACT_RELU6};
        conv_case("depthwise", odl_dwconv_f16_fw, odl_dwconv_f16_bw_input, odl_dwconv_f16_bw_weight, &p,
                  tensor(0, 1, 8, 8, 32, 1.0f), tensor(2, 1, 3, 3, 32, 0.1f), tensor(4, 1, 8, 8, 32, 1.0f));
    }
    put("done\n");
    return 0;
}
