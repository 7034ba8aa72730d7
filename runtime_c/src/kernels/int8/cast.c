/* CAST between bool, int8, int16, int32 and float32, as TFLite Micro's copyCast:
 * a C conversion of each value (integers wrap to the narrower type, floats
 * truncate toward zero; out-of-range floats saturate here instead of the
 * undefined behaviour of the C++ cast). bool has the uint8 storage code (the
 * lowering admits no other uint8 CAST): a bool reads as 0 / 1 and any
 * non-zero value, NaN included, becomes true, as C++'s bool conversion. */
#include "odl/kernels_ext.h"

static int64_t load(int32_t dt, const void *p, int32_t i, int *is_float, float *f) {
    *is_float = 0;
    switch (dt) {
    case ODL_DT_INT8: return ((const int8_t *)p)[i];
    case ODL_DT_INT16: return ((const int16_t *)p)[i];
    case ODL_DT_INT32: return ((const int32_t *)p)[i];
    case ODL_DT_UINT8: return ((const uint8_t *)p)[i] != 0;
    default: *is_float = 1; *f = ((const float *)p)[i]; return 0;
    }
}

odl_status_t odl_cast(int32_t in_dtype, int32_t out_dtype, int32_t size, const void *in, void *out) {
    if (!in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        int is_float;
        float f = 0.0f;
        int64_t v = load(in_dtype, in, i, &is_float, &f);
        if (out_dtype == ODL_DT_FLOAT32) {
            ((float *)out)[i] = is_float ? f : (float)v;
            continue;
        }
        if (out_dtype == ODL_DT_UINT8) {
            ((uint8_t *)out)[i] = (uint8_t)(is_float ? f != 0.0f : v != 0);
            continue;
        }
        if (is_float) v = f != f ? 0 : f >= 2147483647.0f ? INT32_MAX : f <= -2147483648.0f ? INT32_MIN : (int64_t)f;
        const uint32_t u = (uint32_t)(v & 0xFFFFFFFF);
        /* two's-complement wrap written without implementation-defined casts */
        if (out_dtype == ODL_DT_INT8) ((int8_t *)out)[i] = (int8_t)((int32_t)((u & 0xFFu) ^ 0x80u) - 0x80);
        else if (out_dtype == ODL_DT_INT16) ((int16_t *)out)[i] = (int16_t)((int32_t)((u & 0xFFFFu) ^ 0x8000u) - 0x8000);
        else ((int32_t *)out)[i] = (int32_t)(int64_t)(v >= INT32_MIN && v <= INT32_MAX ? v : (int64_t)(int32_t)u);
    }
    return ODL_OK;
}
