/* DYNAMIC_UPDATE_SLICE (any element size), as TFLite Micro: the output is the
 * operand with the update written at the start indices, each index clamped
 * to [0, operand_dim - update_dim] (in int64, so any int32 / int64 index is
 * valid). An update as large as the operand replaces it without reading the
 * indices, as TFLite Micro's shortcut does. */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_dynamic_update_slice(int32_t elem, int32_t rank, const int32_t *op_dims, const int32_t *up_dims,
                                      const int64_t *start, const void *operand, const void *update, void *out) {
    if (!op_dims || !up_dims || !operand || !update || !out || elem <= 0 || rank < 1 || rank > 6) return ODL_ERR_ARG;
    int64_t n_op = 1, n_up = 1;
    for (int32_t d = 0; d < rank; ++d) {
        if (up_dims[d] < 0 || up_dims[d] > op_dims[d]) return ODL_ERR_SHAPE;
        n_op *= op_dims[d];
        n_up *= up_dims[d];
    }
    if (n_op == n_up) {
        memcpy(out, update, (size_t)n_up * (size_t)elem);
        return ODL_OK;
    }
    if (!start) return ODL_ERR_ARG;
    if (out != operand) memcpy(out, operand, (size_t)n_op * (size_t)elem);
    if (n_up == 0) return ODL_OK;
    /* element strides and the clamped start's flat offset in the output */
    int64_t stride[6], ustride[6], base = 0;
    stride[rank - 1] = ustride[rank - 1] = 1;
    for (int32_t d = rank - 2; d >= 0; --d) {
        stride[d] = stride[d + 1] * op_dims[d + 1];
        ustride[d] = ustride[d + 1] * up_dims[d + 1];
    }
    for (int32_t d = 0; d < rank; ++d) {
        int64_t s = start[d] < 0 ? 0 : start[d];
        const int64_t hi = (int64_t)op_dims[d] - up_dims[d];
        if (s > hi) s = hi;
        base += s * stride[d];
    }
    /* one contiguous row of the last axis per update row, rows in update order */
    const size_t row = (size_t)up_dims[rank - 1] * (size_t)elem;
    const int64_t rows = n_up / up_dims[rank - 1];
    for (int64_t r = 0; r < rows; ++r) {
        int64_t off = base, rem = r * up_dims[rank - 1];
        for (int32_t d = 0; d < rank - 1; ++d) {
            off += (rem / ustride[d]) * stride[d];
            rem %= ustride[d];
        }
        memcpy((uint8_t *)out + (size_t)off * (size_t)elem, (const uint8_t *)update + (size_t)(r * (int64_t)row),
               row);
    }
    return ODL_OK;
}
