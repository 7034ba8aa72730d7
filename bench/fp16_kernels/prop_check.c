/* Property check of an optimised FP16 kernel family against the portable
 * kernels it replaces, on one board: random shapes and geometries, random
 * binary16 data (signed zeros, subnormals, and in some cases inf / NaN),
 * every pass (forward, input gradient, weight gradient) run by both and the
 * written buffers compared byte for byte. The family's files include the
 * portable ones under <name>_portable. Prints "<kernel> <mismatches> <cases>"
 * and "done" (tests/test_fp16_arm_fp.py). */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "odl/kernels_f16.h"

#define PROTO_FC(name)                                                                                        \
    odl_status_t name##_fw_portable(const odl_f16_fc_params_t *, const odl_f16_tensor_t *,                    \
                                    const odl_f16_tensor_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);  \
    odl_status_t name##_bw_input_portable(const odl_f16_fc_params_t *, odl_f16_tensor_t *,                    \
                                          const odl_f16_tensor_t *, const odl_f16_tensor_t *);                \
    odl_status_t name##_bw_weight_portable(const odl_f16_fc_params_t *, const odl_f16_tensor_t *,             \
                                           odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
#define PROTO_CONV(name)                                                                                         \
    odl_status_t name##_fw_portable(const odl_f16_conv_params_t *, const odl_f16_tensor_t *,                     \
                                    const odl_f16_tensor_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);     \
    odl_status_t name##_bw_input_portable(const odl_f16_conv_params_t *, odl_f16_tensor_t *,                     \
                                          const odl_f16_tensor_t *, const odl_f16_tensor_t *);                   \
    odl_status_t name##_bw_weight_portable(const odl_f16_conv_params_t *, const odl_f16_tensor_t *,              \
                                           odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
PROTO_FC(odl_fc_f16)
odl_status_t odl_fc_f16_bw_weight_sgd_portable(const odl_f16_fc_params_t *, const odl_f16_tensor_t *,
                                               odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *, float);
PROTO_CONV(odl_conv2d_f16)
odl_status_t odl_maxpool_f16_fw_portable(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
odl_status_t odl_maxpool_f16_bw_input_portable(const odl_f16_conv_params_t *, odl_f16_tensor_t *,
                                               const odl_f16_tensor_t *);

#define MAXN 2048
static odl_f16_t buf[2][8][MAXN]; /* [variant][in, in.grad, w, w.grad, b, b.grad, out, out.grad] */
static uint32_t lcg = 2463534242u;

static uint32_t rnd(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return lcg >> 8;
}

static int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

/* Mostly values of magnitude 2^-6..2^3, some zeros of either sign and
 * subnormals; with specials, an occasional inf or NaN. */
static odl_f16_t value(int specials) {
    uint32_t r = rnd() % 64u, sign = (rnd() & 1u) << 15;
    if (r == 0) return (odl_f16_t)sign;
    if (r == 1) return (odl_f16_t)(sign | (rnd() % 1023u + 1u));
    if (specials && r == 2) return (odl_f16_t)(sign | 0x7c00u);
    if (specials && r == 3) return (odl_f16_t)(sign | 0x7e00u | (rnd() & 0x1ffu));
    return (odl_f16_t)(sign | ((uint32_t)range(9, 18) << 10) | (rnd() & 0x3ffu));
}

static void fill(int32_t slot, int32_t n, int specials) {
    for (int32_t i = 0; i < n; ++i) buf[0][slot][i] = buf[1][slot][i] = value(specials);
}

static odl_f16_tensor_t view(int v, int slot, int32_t d0, int32_t d1, int32_t d2, int32_t d3) {
    odl_f16_tensor_t t = {buf[v][slot], buf[v][slot + 1], {d0, d1, d2, d3}};
    return t;
}

static int differs(void) { return memcmp(buf[0], buf[1], sizeof buf[0]) != 0; }

static void put(const char *s) { board_uart_write((const uint8_t *)s, (uint32_t)strlen(s)); }

static void put_u32(uint32_t v) {
    char b[11];
    int i = (int)sizeof b;
    do {
        b[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && i > 0);
    board_uart_write((const uint8_t *)b + i, (uint32_t)(sizeof b - (size_t)i));
}

static void line(const char *what, uint32_t bad, uint32_t n) {
    put(what);
    put(" ");
    put_u32(bad);
    put(" ");
    put_u32(n);
    put("\n");
}

static uint32_t ran;

static uint32_t fc_cases(uint32_t cases) {
    uint32_t bad = 0;
    ran = 0;
    for (uint32_t t = 0; t < cases; ++t) {
        /* a quarter with k a multiple of eight (the Helium fused-step path) */
        int32_t n = range(1, 2), o = range(1, 21);
        int32_t k = t % 16u == 15u ? range(250, 300) : (t % 4u == 2u ? 8 * range(1, 8) : range(1, 70));
        int specials = t % 5u == 4u;
        if (n * k > MAXN || o * k > MAXN) continue;
        odl_f16_fc_params_t p = {range(0, 2)};
        memset(buf, 0, sizeof buf);
        fill(0, n * k, specials), fill(1, n * k, specials), fill(2, o * k, specials), fill(3, o * k, specials);
        fill(4, o, specials), fill(5, o, specials), fill(7, n * o, specials);
        int with_bias = range(0, 1);
        odl_f16_tensor_t in[2], w[2], b[2], out[2];
        for (int v = 0; v < 2; ++v) {
            in[v] = view(v, 0, n, 1, 1, k), w[v] = view(v, 2, o, k, 1, 1), b[v] = view(v, 4, o, 1, 1, 1);
            out[v] = view(v, 6, n, 1, 1, o);
        }
        odl_fc_f16_fw(&p, &in[0], &w[0], with_bias ? &b[0] : 0, &out[0]);
        odl_fc_f16_fw_portable(&p, &in[1], &w[1], with_bias ? &b[1] : 0, &out[1]);
        odl_fc_f16_bw_input(&p, &in[0], &w[0], &out[0]);
        odl_fc_f16_bw_input_portable(&p, &in[1], &w[1], &out[1]);
        odl_fc_f16_bw_weight(&p, &in[0], &w[0], with_bias ? &b[0] : 0, &out[0]);
        odl_fc_f16_bw_weight_portable(&p, &in[1], &w[1], with_bias ? &b[1] : 0, &out[1]);
        /* the fused gradient + SGD step overwrites the gradients: start from
         * stale ones in some cases */
        if (t % 3u == 1u) {
            fill(3, o * k, specials), fill(5, o, specials);
        } else {
            memset(buf[0][3], 0, sizeof buf[0][3]), memset(buf[1][3], 0, sizeof buf[1][3]);
            memset(buf[0][5], 0, sizeof buf[0][5]), memset(buf[1][5], 0, sizeof buf[1][5]);
        }
        float lr = (float)range(1, 100) * 0.001f;
        odl_fc_f16_bw_weight_sgd(&p, &in[0], &w[0], with_bias ? &b[0] : 0, &out[0], lr);
        odl_fc_f16_bw_weight_sgd_portable(&p, &in[1], &w[1], with_bias ? &b[1] : 0, &out[1], lr);
        bad += (uint32_t)differs();
        ran++;
    }
    return bad;
}

static uint32_t conv_cases(uint32_t cases) {
    uint32_t bad = 0;
    ran = 0;
    for (uint32_t t = 0; t < cases; ++t) {
        odl_f16_conv_params_t p;
        memset(&p, 0, sizeof p);
        int32_t n = range(1, 2), h = range(1, 9), wd = range(1, 9), ic = range(1, 4);
        int32_t oc = t % 3u == 2u ? 8 * range(1, 2) : range(1, 10); /* blocks of eight: the fast paths */
        int32_t kh = range(1, 3), kw = range(1, 3);
        p.stride_h = range(1, 2), p.stride_w = range(1, 2), p.dil_h = range(1, 2), p.dil_w = range(1, 2);
        p.pad_top = range(0, kh - 1), p.pad_left = range(0, kw - 1), p.act = range(0, 2), p.depth_multiplier = 1;
        int32_t oh = (h + 2 * p.pad_top - p.dil_h * (kh - 1) - 1) / p.stride_h + 1;
        int32_t ow = (wd + 2 * p.pad_left - p.dil_w * (kw - 1) - 1) / p.stride_w + 1;
        if (oh < 1 || ow < 1 || n * h * wd * ic > MAXN || oc * kh * kw * ic > MAXN || n * oh * ow * oc > MAXN) continue;
        int specials = t % 5u == 4u;
        memset(buf, 0, sizeof buf);
        fill(0, n * h * wd * ic, specials), fill(1, n * h * wd * ic, specials);
        fill(2, oc * kh * kw * ic, specials), fill(3, oc * kh * kw * ic, specials);
        fill(4, oc, specials), fill(5, oc, specials), fill(7, n * oh * ow * oc, specials);
        odl_f16_tensor_t in[2], w[2], b[2], out[2];
        for (int v = 0; v < 2; ++v) {
            in[v] = view(v, 0, n, h, wd, ic), w[v] = view(v, 2, oc, kh, kw, ic), b[v] = view(v, 4, oc, 1, 1, 1);
            out[v] = view(v, 6, n, oh, ow, oc);
        }
        odl_conv2d_f16_fw(&p, &in[0], &w[0], &b[0], &out[0]);
        odl_conv2d_f16_fw_portable(&p, &in[1], &w[1], &b[1], &out[1]);
        odl_conv2d_f16_bw_input(&p, &in[0], &w[0], &out[0]);
        odl_conv2d_f16_bw_input_portable(&p, &in[1], &w[1], &out[1]);
        odl_conv2d_f16_bw_weight(&p, &in[0], &w[0], &b[0], &out[0]);
        odl_conv2d_f16_bw_weight_portable(&p, &in[1], &w[1], &b[1], &out[1]);
        bad += (uint32_t)differs();
        ran++;
    }
    return bad;
}

/* MAX_POOL_2D: random windows, strides and padding; three quarters of the cases
 * with inputs in [+0, +inf] (a ReLU's output: the optimised path), ties included. */
static uint32_t pool_cases(uint32_t cases) {
    uint32_t bad = 0;
    ran = 0;
    for (uint32_t t = 0; t < cases; ++t) {
        odl_f16_conv_params_t p;
        memset(&p, 0, sizeof p);
        int32_t n = range(1, 2), h = range(1, 9), wd = range(1, 9), c = range(1, 10);
        p.filter_h = range(1, 3), p.filter_w = range(1, 3), p.stride_h = range(1, 2), p.stride_w = range(1, 2);
        p.pad_top = range(0, p.filter_h - 1), p.pad_left = range(0, p.filter_w - 1), p.act = range(0, 2);
        p.dil_h = p.dil_w = 1;
        if (t % 8u == 3u || t % 8u == 5u) /* the common 2x2 / stride 2 case (own path for even channel counts) */
            p.filter_h = p.filter_w = p.stride_h = p.stride_w = 2, p.pad_top = p.pad_left = 0,
            c = t % 8u == 5u ? 8 * range(1, 2) : 2 * range(1, 5); /* multiples of eight: Helium */
        int32_t oh = (h + p.pad_top - p.filter_h) / p.stride_h + 1, ow = (wd + p.pad_left - p.filter_w) / p.stride_w + 1;
        if (oh < 1 || ow < 1 || n * h * wd * c > MAXN) continue;
        int specials = t % 5u == 4u;
        memset(buf, 0, sizeof buf);
        fill(0, n * h * wd * c, specials), fill(1, n * h * wd * c, specials), fill(7, n * oh * ow * c, specials);
        if (t % 4u != 1u)
            for (int32_t i = 0; i < n * h * wd * c; ++i) {
                uint32_t v = buf[0][0][i] & 0x7fffu;
                if (v > 0x7c00u) v = 0x7c00u;
                if (rnd() % 3u == 0u) v = i >= c ? buf[0][0][i - c] : 0u; /* ties with the previous pixel */
                buf[0][0][i] = buf[1][0][i] = (odl_f16_t)v;
            }
        odl_f16_tensor_t in[2], out[2];
        for (int v = 0; v < 2; ++v) in[v] = view(v, 0, n, h, wd, c), out[v] = view(v, 6, n, oh, ow, c);
        odl_maxpool_f16_fw(&p, &in[0], &out[0]);
        odl_maxpool_f16_fw_portable(&p, &in[1], &out[1]);
        odl_maxpool_f16_bw_input(&p, &in[0], &out[0]);
        odl_maxpool_f16_bw_input_portable(&p, &in[1], &out[1]);
        bad += (uint32_t)differs();
        ran++;
    }
    return bad;
}

#ifdef ODL_PROP_ELEMENTWISE
/* RESHAPE and activations (forward, input gradient) of families with their
 * own elementwise.c (arm_mve): random lengths, stale input gradients. */
odl_status_t odl_act_f16_fw_portable(int32_t, const odl_f16_tensor_t *, odl_f16_tensor_t *);
odl_status_t odl_act_f16_bw_input_portable(int32_t, odl_f16_tensor_t *, const odl_f16_tensor_t *);
odl_status_t odl_reshape_f16_fw_portable(const odl_f16_tensor_t *, odl_f16_tensor_t *);
odl_status_t odl_reshape_f16_bw_input_portable(odl_f16_tensor_t *, const odl_f16_tensor_t *);

static uint32_t elem_cases(uint32_t cases) {
    uint32_t bad = 0;
    ran = 0;
    for (uint32_t t = 0; t < cases; ++t) {
        int32_t n = t % 4u == 0u ? 8 * range(1, 40) : range(1, 300), act = t % 4u == 3u ? range(1, 2) : 0;
        int specials = t % 3u == 0u;
        memset(buf, 0, sizeof buf);
        fill(0, n, specials), fill(1, n, specials), fill(6, n, specials), fill(7, n, specials);
        odl_f16_tensor_t in[2], out[2];
        for (int v = 0; v < 2; ++v) in[v] = view(v, 0, 1, 1, 1, n), out[v] = view(v, 6, 1, n, 1, 1);
        if (t % 2u) {
            odl_reshape_f16_fw(&in[0], &out[0]);
            odl_reshape_f16_fw_portable(&in[1], &out[1]);
            odl_reshape_f16_bw_input(&in[0], &out[0]);
            odl_reshape_f16_bw_input_portable(&in[1], &out[1]);
        } else {
            odl_act_f16_fw(act, &in[0], &out[0]);
            odl_act_f16_fw_portable(act, &in[1], &out[1]);
            odl_act_f16_bw_input(act, &in[0], &out[0]);
            odl_act_f16_bw_input_portable(act, &in[1], &out[1]);
        }
        bad += (uint32_t)differs();
        ran++;
    }
    return bad;
}
#endif

int main(void) {
    board_init();
    odl_f16_fp_mode_t mode = odl_f16_fp_enter();
    uint32_t bad = fc_cases(400);
    line("fc", bad, ran);
    bad = conv_cases(600);
    line("conv", bad, ran);
    bad = pool_cases(400);
    line("pool", bad, ran);
#ifdef ODL_PROP_ELEMENTWISE
    bad = elem_cases(400);
    line("elem", bad, ran);
#endif
    odl_f16_fp_leave(mode);
    put("done\n");
    return 0;
}
