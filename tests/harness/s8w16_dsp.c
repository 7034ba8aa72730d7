/* Bare-metal check of the arm_dsp int8 x int16 kernels against the portable
 * ones they include (renamed *_portable): every case of the generated
 * s8w16_cases.h runs through both, outputs and return values are compared
 * byte for byte, one line per case ("fc 3 ok"), then "done".
 * tests/test_s8w16_dsp.py draws the cases with hypothesis and builds this. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "odl/kernels_s8w16.h"

odl_status_t odl_fully_connected_s8w16_portable(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                                int32_t per_channel, int32_t batches, int32_t in_depth,
                                                const int8_t *in, int32_t out_depth, const int16_t *w,
                                                const int32_t *bias, int8_t *out);
odl_status_t odl_conv2d_s8w16_portable(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                       const odl_dims4_t *in_dims, const int8_t *in,
                                       const odl_dims4_t *w_dims, const int16_t *w, const int32_t *bias,
                                       const odl_dims4_t *out_dims, int8_t *out);
void odl_fully_connected_s8w16_acc_portable(const odl_fc_params_t *p, int32_t batches, int32_t in_depth,
                                            const int8_t *in, int32_t out_depth, const int16_t *w, int64_t *acc);
void odl_fully_connected_z_acc_portable(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                                        int32_t out_depth, uint32_t key, int32_t *acc, const int16_t *table);
void odl_fully_connected_s8w16_out_portable(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                            int32_t per_channel, int32_t batches, int32_t out_depth,
                                            const int64_t *acc, const int32_t *acc_z, int32_t scale,
                                            const int32_t *bias, uint32_t bias_key, int32_t bias_scale, int8_t *out);
int32_t odl_perturb_w16_portable(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo,
                                 int32_t hi, uint32_t key_b, int32_t b);
void odl_fully_connected_z_table_portable(const odl_fc_params_t *p, int32_t in_depth, const int8_t *in,
                                          int16_t *table);
void odl_perturb_sum_w16_portable(int16_t *w, int32_t n, const uint32_t *keys, const int32_t *a, int32_t count);
void odl_conv2d_s8w16_acc_portable(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                                   const odl_dims4_t *w_dims, const int16_t *w, const odl_dims4_t *out_dims,
                                   int64_t *acc, const int16_t *cols);
void odl_conv2d_z_acc_portable(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *w_dims, uint32_t key, const odl_dims4_t *out_dims, int32_t *acc,
                               const int16_t *cols);
void odl_conv2d_z_cols_portable(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                                const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, int16_t *cols);
int32_t odl_perturb_i32_portable(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo,
                                 int32_t hi, uint32_t key_b, int32_t b);
void odl_range_w16_portable(const int16_t *w, int32_t n, int32_t *lo, int32_t *hi);

#include "s8w16_cases.h"

static int8_t out_a[OUT_MAX], out_b[OUT_MAX];
static int64_t acc_a[OUT_MAX], acc_b[OUT_MAX];
static int32_t z_a[OUT_MAX], z_b[OUT_MAX];
static int16_t ztab[64 * 4];
static int32_t v32_a[PERT_MAX], v32_b[PERT_MAX];
#define COLS_MAX 4096
static int16_t cols_a[COLS_MAX], cols_b[COLS_MAX];
static int16_t w_a[PERT_MAX + 2] __attribute__((aligned(4))), w_b[PERT_MAX + 2] __attribute__((aligned(4)));

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

static void verdict(const char *kind, uint32_t i, int same) {
    put(kind);
    put(" ");
    put_u32(i);
    put(same ? " ok\n" : " bad\n");
}

int main(void) {
    board_init();
    for (uint32_t i = 0; i < sizeof FC / sizeof FC[0]; ++i) {
        const int32_t *v = FC[i];
        /* batches in out in_off w_off out_off act_min act_max per_channel x w bias(-1) mult shift */
        const odl_fc_params_t p = {v[3], v[4], v[5], v[6], v[7]};
        const int32_t n_out = v[0] * v[2];
        memset(out_a, 0x55, (size_t)n_out);
        memset(out_b, 0x2a, (size_t)n_out);
        const int32_t *bias = v[11] < 0 ? 0 : I32 + v[11];
        const odl_status_t sa = odl_fully_connected_s8w16_portable(&p, I32 + v[12], I32 + v[13], v[8], v[0], v[1],
                                                                   I8 + v[9], v[2], I16 + v[10], bias, out_a);
        const odl_status_t sb = odl_fully_connected_s8w16(&p, I32 + v[12], I32 + v[13], v[8], v[0], v[1], I8 + v[9],
                                                          v[2], I16 + v[10], bias, out_b);
        verdict("fc", i, sa == sb && sa == ODL_OK && memcmp(out_a, out_b, (size_t)n_out) == 0);
        /* the accumulator split: acc(w), acc(z) for key i, epilogue of acc +- 3 z */
        memset(acc_b, 0x11, sizeof acc_b);
        memset(z_b, 0x22, sizeof z_b);
        odl_fully_connected_s8w16_acc_portable(&p, v[0], v[1], I8 + v[9], v[2], I16 + v[10], acc_a);
        odl_fully_connected_s8w16_acc(&p, v[0], v[1], I8 + v[9], v[2], I16 + v[10], acc_b);
        odl_fully_connected_z_acc_portable(&p, v[0], v[1], I8 + v[9], v[2], 77u + i, z_a, 0);
        odl_fully_connected_z_acc(&p, v[0], v[1], I8 + v[9], v[2], 77u + i, z_b, 0);
        int same = memcmp(acc_a, acc_b, (size_t)n_out * 8u) == 0 && memcmp(z_a, z_b, (size_t)n_out * 4u) == 0;
        if (ODL_FC_Z_TABLE_BYTES(v[0], v[1])) { /* with the caller's tables (both builders agree) */
            static int16_t ztab_p[64 * 4];
            odl_fully_connected_z_table_portable(&p, v[1], I8 + v[9], ztab_p);
            odl_fully_connected_z_table(&p, v[1], I8 + v[9], ztab);
            same = same && memcmp(ztab, ztab_p, (size_t)v[1] * 8u) == 0;
            memset(z_b, 0x33, sizeof z_b);
            odl_fully_connected_z_acc(&p, v[0], v[1], I8 + v[9], v[2], 77u + i, z_b, ztab);
            same = same && memcmp(z_a, z_b, (size_t)n_out * 4u) == 0;
        }
        const int32_t scale = (int32_t)(i % 3u) * 700 - 700;
        const int32_t bscale = (int32_t)(i % 4u) * 3000 - 3000; /* the bias perturbed by +-bscale signs */
        odl_fully_connected_s8w16_out_portable(&p, I32 + v[12], I32 + v[13], v[8], v[0], v[2], acc_a, z_a, scale, bias,
                                               91u + i, bscale, out_a);
        odl_fully_connected_s8w16_out(&p, I32 + v[12], I32 + v[13], v[8], v[0], v[2], acc_a, z_a, scale, bias, 91u + i,
                                      bscale, out_b);
        verdict("fc_lin", i, same && memcmp(out_a, out_b, (size_t)n_out) == 0);
    }
    for (uint32_t i = 0; i < sizeof CONV / sizeof CONV[0]; ++i) {
        const int32_t *v = CONV[i];
        /* h w c  kh kw oc  oh ow  stride(h,w) dil(h,w) pad(h,w)  in_off out_off act_min act_max  x w bias mult shift */
        const odl_conv_params_t p = {v[14], v[15], v[16], v[17], v[8], v[9], v[10], v[11], v[12], v[13], 1};
        const odl_dims4_t in = {1, v[0], v[1], v[2]}, wd = {v[5], v[3], v[4], v[2]}, od = {1, v[6], v[7], v[5]};
        const int32_t n_out = v[6] * v[7] * v[5];
        memset(out_a, 0x55, (size_t)n_out);
        memset(out_b, 0x2a, (size_t)n_out);
        const int32_t *bias = v[20] < 0 ? 0 : I32 + v[20];
        const odl_status_t sa = odl_conv2d_s8w16_portable(&p, I32 + v[21], I32 + v[22], &in, I8 + v[18], &wd,
                                                          I16 + v[19], bias, &od, out_a);
        const odl_status_t sb =
            odl_conv2d_s8w16(&p, I32 + v[21], I32 + v[22], &in, I8 + v[18], &wd, I16 + v[19], bias, &od, out_b);
        verdict("conv", i, sa == sb && sa == ODL_OK && memcmp(out_a, out_b, (size_t)n_out) == 0);
        /* split at the accumulator, its epilogue read as batches = pixels (per channel) */
        memset(acc_a, 0x55, (size_t)n_out * 8u);
        memset(acc_b, 0x2a, (size_t)n_out * 8u);
        memset(z_a, 0x55, (size_t)n_out * 4u);
        memset(z_b, 0x2a, (size_t)n_out * 4u);
        odl_conv2d_s8w16_acc_portable(&p, &in, I8 + v[18], &wd, I16 + v[19], &od, acc_a, 0);
        odl_conv2d_s8w16_acc(&p, &in, I8 + v[18], &wd, I16 + v[19], &od, acc_b, 0);
        odl_conv2d_z_acc_portable(&p, &in, I8 + v[18], &wd, 55u + i, &od, z_a, 0);
        odl_conv2d_z_acc(&p, &in, I8 + v[18], &wd, 55u + i, &od, z_b, 0);
        int same = memcmp(acc_a, acc_b, (size_t)n_out * 8u) == 0 && memcmp(z_a, z_b, (size_t)n_out * 4u) == 0;
        /* with the cached columns (both builders give the same columns) */
        const uint32_t ncol = (uint32_t)(v[6] * v[7]) * (uint32_t)(v[3] * v[4] * v[2]);
        if (ncol <= COLS_MAX) {
            odl_conv2d_z_cols_portable(&p, &in, I8 + v[18], &wd, &od, cols_a);
            odl_conv2d_z_cols(&p, &in, I8 + v[18], &wd, &od, cols_b);
            memset(z_b, 0x2a, (size_t)n_out * 4u);
            odl_conv2d_z_acc(&p, &in, I8 + v[18], &wd, 55u + i, &od, z_b, cols_b);
            same = same && memcmp(cols_a, cols_b, ncol * 2u) == 0 && memcmp(z_a, z_b, (size_t)n_out * 4u) == 0;
            memset(acc_b, 0x2a, (size_t)n_out * 8u);
            odl_conv2d_s8w16_acc(&p, &in, I8 + v[18], &wd, I16 + v[19], &od, acc_b, cols_b);
            same = same && memcmp(acc_a, acc_b, (size_t)n_out * 8u) == 0;
        }
        const odl_fc_params_t fp = {v[14], 0, v[15], v[16], v[17]};
        const int32_t scale = (i & 1) ? -4 : 1000, pixels = v[6] * v[7];
        odl_fully_connected_s8w16_out_portable(&fp, I32 + v[21], I32 + v[22], 1, pixels, v[5], acc_a, z_a, scale, bias,
                                               33u + i, 2048, out_a);
        odl_fully_connected_s8w16_out(&fp, I32 + v[21], I32 + v[22], 1, pixels, v[5], acc_a, z_a, scale, bias, 33u + i,
                                      2048, out_b);
        verdict("conv_lin", i, same && memcmp(out_a, out_b, (size_t)n_out) == 0);
    }
    for (uint32_t i = 0; i < sizeof PERT / sizeof PERT[0]; ++i) {
        const int32_t *v = PERT[i];
        /* n skew key_a a clamp lo hi key_b b values */
        const int32_t n = v[0], skew = v[1];
        memcpy(w_a + skew, I16 + v[9], (size_t)n * 2u);
        memcpy(w_b + skew, I16 + v[9], (size_t)n * 2u);
        const int32_t ra = odl_perturb_w16_portable(w_a + skew, n, (uint32_t)v[2], v[3], v[4], v[5], v[6],
                                                    (uint32_t)v[7], v[8]);
        const int32_t rb = odl_perturb_w16(w_b + skew, n, (uint32_t)v[2], v[3], v[4], v[5], v[6], (uint32_t)v[7], v[8]);
        /* the int32 pass on the same values, steps scaled past int16 */
        for (int32_t e = 0; e < n; ++e) v32_a[e] = v32_b[e] = 4096 * (int32_t)I16[v[9] + e];
        const int32_t ia = odl_perturb_i32_portable(v32_a, n, (uint32_t)v[2], 4096 * v[3], v[4], 4096 * v[5],
                                                    4096 * v[6], (uint32_t)v[7], 4096 * v[8]);
        const int32_t ib = odl_perturb_i32(v32_b, n, (uint32_t)v[2], 4096 * v[3], v[4], 4096 * v[5], 4096 * v[6],
                                           (uint32_t)v[7], 4096 * v[8]);
        verdict("perturb", i, ra == rb && ia == ib && memcmp(w_a + skew, w_b + skew, (size_t)n * 2u) == 0 &&
                                  memcmp(v32_a, v32_b, (size_t)n * 4u) == 0);
        /* several unclamped passes at once (1..19 directions: partial chunks, wrap-around) and the range */
        uint32_t keys[19];
        int32_t steps[19];
        const int32_t count = 1 + (int32_t)(i % 19u);
        for (int32_t k = 0; k < count; ++k) {
            keys[k] = (uint32_t)v[2] + 977u * (uint32_t)k;
            steps[k] = (v[3] > 32767 || v[3] < -32767) ? 32767 - k : v[3] + 37 * k;
        }
        memcpy(w_a + skew, I16 + v[9], (size_t)n * 2u);
        memcpy(w_b + skew, I16 + v[9], (size_t)n * 2u);
        odl_perturb_sum_w16_portable(w_a + skew, n, keys, steps, count);
        odl_perturb_sum_w16(w_b + skew, n, keys, steps, count);
        int32_t lo_a, hi_a, lo_b, hi_b;
        odl_range_w16_portable(w_a + skew, n, &lo_a, &hi_a);
        odl_range_w16(w_b + skew, n, &lo_b, &hi_b);
        verdict("sum", i, memcmp(w_a + skew, w_b + skew, (size_t)n * 2u) == 0 && lo_a == lo_b && hi_a == hi_b);
    }
    put("done\n");
    board_exit(0);
}
