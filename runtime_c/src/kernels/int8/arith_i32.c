/* int32 ADD, SUB, MUL, SQUARED_DIFFERENCE (wrapping, as two's-complement C++
 * does), MAXIMUM, MINIMUM and DIV (truncating; 0 for a zero divisor,
 * INT32_MIN for INT32_MIN / -1, both undefined in C++) on raw values with broadcasting: TFLite Micro's int32 paths (index
 * and shape arithmetic in otherwise quantized models). FLOOR_DIV / FLOOR_MOD round the quotient down and give
 * the remainder the divisor's sign (TFLite's FloorDiv / FloorMod; the same undefined cases as DIV, remainder 0). */
#include "binary_loop.h"
#include "odl/kernels_ext.h"

static int32_t arith_one(int32_t kind, int32_t a, int32_t b) {
    switch (kind) {
    case ODL_ARITH_ADD: return (int32_t)((uint32_t)a + (uint32_t)b);
    case ODL_ARITH_SUB: return (int32_t)((uint32_t)a - (uint32_t)b);
    case ODL_ARITH_MUL: return (int32_t)((uint32_t)a * (uint32_t)b);
    case ODL_ARITH_MAX: return a > b ? a : b;
    case ODL_ARITH_MIN: return a < b ? a : b;
    case ODL_ARITH_DIV: return b == 0 ? 0 : (b == -1 ? (int32_t)(0u - (uint32_t)a) : a / b);
    case ODL_ARITH_FLOOR_DIV: {
        if (b == 0 || b == -1) return b == 0 ? 0 : (int32_t)(0u - (uint32_t)a);
        const int32_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    }
    case ODL_ARITH_FLOOR_MOD: {
        if (b == 0 || b == -1) return 0;
        const int32_t r = a % b;
        return (r != 0 && ((b < 0) != (r < 0))) ? r + b : r;
    }
    default: {
        const uint32_t d = (uint32_t)a - (uint32_t)b;
        return (int32_t)(d * d);
    }
    }
}

odl_status_t odl_arith_i32(int32_t kind, const odl_dims4_t *d1, const int32_t *in1, const odl_dims4_t *d2,
                           const int32_t *in2, const odl_dims4_t *dy, int32_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out || kind < ODL_ARITH_ADD || kind > ODL_ARITH_FLOOR_MOD) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int32_t, d1, in1, d2, in2, dy, out, arith_one(kind, a, b));
    return ODL_OK;
}

/* int64 MAXIMUM / MINIMUM (TFLite Micro's int64 path of maximum_minimum). */
odl_status_t odl_minmax_i64(int32_t kind, const odl_dims4_t *d1, const int64_t *in1, const odl_dims4_t *d2,
                            const int64_t *in2, const odl_dims4_t *dy, int64_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out || (kind != ODL_ARITH_MAX && kind != ODL_ARITH_MIN)) return ODL_ERR_ARG;
    int32_t s1[4], s2[4];  /* not ODL_BINARY_LOOP: it reads the values as int32 */
    if (!odl_broadcast_strides(d1, dy, s1) || !odl_broadcast_strides(d2, dy, s2)) return ODL_ERR_SHAPE;
    for (int32_t n = 0; n < dy->n; ++n)
        for (int32_t h = 0; h < dy->h; ++h)
            for (int32_t w = 0; w < dy->w; ++w) {
                const int64_t *pa = in1 + n * s1[0] + h * s1[1] + w * s1[2];
                const int64_t *pb = in2 + n * s2[0] + h * s2[1] + w * s2[2];
                for (int32_t c = 0; c < dy->c; ++c) {
                    const int64_t a = pa[c * s1[3]], b = pb[c * s2[3]];
                    *out++ = (kind == ODL_ARITH_MAX) == (a > b) ? a : b;
                }
            }
    return ODL_OK;
}
