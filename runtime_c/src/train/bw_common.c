/* Shared pieces of the fixed-point backward pass: rounding shifts,
 * block-floating-point normalization, and the element-wise backward ops
 * (fused/standalone activations, RESHAPE, ADD). */
#include <string.h>

#include "odl/kernels_bw_s8.h"

int64_t odl_bw_round_shift(int64_t x, int32_t shift) {
    if (shift > 62) return 0;
    if (shift > 0) {
        const int64_t half = (int64_t)1 << (shift - 1);
        return x >= 0 ? (x + half) >> shift : -((-x + half) >> shift);
    }
    if (shift == 0 || x == 0) return x;
    const int32_t s = -shift;
    const int64_t lim = s >= 62 ? 0 : (INT64_MAX >> s);
    if (x > lim) return INT64_MAX;
    if (x < -lim) return -INT64_MAX;
    return x * ((int64_t)1 << s);
}

/* 32-bit magnitudes (|INT32_MIN| fits a uint32) and one rounding shift per
 * element: the values odl_bw_round_shift gives, without 64-bit work. */
void odl_bw_normalize(int32_t *e, int32_t n, int32_t *exp) {
    uint32_t m = 0;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t a = e[i] < 0 ? 0u - (uint32_t)e[i] : (uint32_t)e[i];
        if (a > m) m = a;
    }
    int32_t s = 0;
    while ((m >> s) >= (1u << ODL_BW_MANT_BITS)) s++;
    if (s == 0) return;
    const uint32_t half = 1u << (s - 1);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = e[i];
        if (v >= 0)
            e[i] = (int32_t)(((uint32_t)v + half) >> s);
        else
            e[i] = -(int32_t)(((0u - (uint32_t)v) + half) >> s);
    }
    *exp += s;
}

odl_status_t odl_act_s8_bw_input(int32_t n, const int8_t *y, int32_t act_min, int32_t act_max,
                                 const int32_t *e_out, int32_t *e_in) {
    if (n < 0 || !y || !e_out || !e_in) return ODL_ERR_ARG;
    if (e_in == e_out) {
        for (int32_t i = 0; i < n; ++i)
            if (e_in[i] != 0 && (y[i] <= act_min || y[i] >= act_max)) e_in[i] = 0;
        return ODL_OK;
    }
    for (int32_t i = 0; i < n; ++i) e_in[i] = (y[i] > act_min && y[i] < act_max) ? e_out[i] : 0;
    return ODL_OK;
}

odl_status_t odl_sat_s8_bw_input(int32_t n, const int8_t *y, const int32_t *e_out, int32_t *e_in) {
    if (n < 0 || !y || !e_out || !e_in) return ODL_ERR_ARG;
    if (e_in == e_out) { /* in place: only errors that a bound stops change */
        for (int32_t i = 0; i < n; ++i) {
            const int32_t e = e_in[i];
            if (e != 0 && (e < 0 ? y[i] == 127 : y[i] == -128)) e_in[i] = 0;
        }
        return ODL_OK;
    }
    for (int32_t i = 0; i < n; ++i) {
        const int32_t e = e_out[i];
        e_in[i] = e != 0 && (e < 0 ? y[i] == 127 : y[i] == -128) ? 0 : e;
    }
    return ODL_OK;
}

odl_status_t odl_reshape_s8_bw_input(int32_t n, const int32_t *e_out, int32_t *e_in) {
    if (n < 0 || !e_out || !e_in) return ODL_ERR_ARG;
    if (e_in != e_out) memmove(e_in, e_out, (size_t)n * sizeof(int32_t));
    return ODL_OK;
}

odl_status_t odl_add_s8_bw_input(int32_t n, const int8_t *y, int32_t act_min, int32_t act_max,
                                 const int32_t *e_out, int32_t *e_in1, int32_t *e_in2) {
    if (!e_in1 || !e_in2) return ODL_ERR_ARG;
    odl_status_t s = odl_act_s8_bw_input(n, y, act_min, act_max, e_out, e_in1);
    if (s != ODL_OK) return s;
    if (e_in2 != e_in1) memcpy(e_in2, e_in1, (size_t)n * sizeof(int32_t));
    return ODL_OK;
}


int32_t odl_bw_sum_shift(int64_t terms, int32_t term_bits) {
    int32_t b = 0;
    while (b < 63 && (terms >> b) != 0) b++;
    const int32_t s = b + term_bits - 31;
    return s > 0 ? s : 0;
}

int32_t odl_bw_max_shift(const int32_t *shift, int32_t n) {
    int32_t m = shift[0];
    for (int32_t i = 1; i < n; ++i)
        if (shift[i] > m) m = shift[i];
    return m;
}
