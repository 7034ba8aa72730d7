/* EMBEDDING_LOOKUP with int8 values and a float32 output (TFLite Micro's
 * hybrid path): the looked-up rows times the per-tensor scale, one float32
 * product per element (TFLite Micro's Dequantize with zero point 0). */
#include "odl/kernels_f32.h"

odl_status_t odl_embedding_lookup_s8_f32(int32_t rows, int32_t cols, const int8_t *value, int32_t n_idx,
                                         const int32_t *idx, float scale, float *y) {
    if (!value || !idx || !y || rows < 0 || cols < 0 || n_idx < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < n_idx; ++i)
        if (idx[i] < 0 || idx[i] >= rows) return ODL_ERR_ARG;
    for (int32_t i = 0; i < n_idx; ++i) {
        const int8_t *row = value + (int64_t)idx[i] * cols;
        for (int32_t j = 0; j < cols; ++j) y[(int64_t)i * cols + j] = (float)row[j] * scale;
    }
    return ODL_OK;
}
