/* Backward of the data-movement ops (PAD, TRANSPOSE, STRIDED_SLICE, SLICE,
 * CONCATENATION: a generated output -> input index map) and of element-wise
 * ops through a table of dy/dx per int8 input value (LOGISTIC, TANH,
 * HARD_SWISH, LEAKY_RELU). pytool/training/sparse_ops.py makes both. */
#include "odl/kernels_bw_s8.h"

odl_status_t odl_move_s8_bw_input(int32_t n_out, int32_t n_in, const int32_t *map, const int32_t *e_out,
                                  int32_t exp_out, int32_t *e_in, int32_t *exp_in) {
    if (n_out < 0 || n_in < 0 || !map || !e_out || !e_in || !exp_in) return ODL_ERR_ARG;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    for (int32_t i = 0; i < n_out; ++i) {
        const int32_t j = map[i];
        if (j < 0) continue;
        if (j >= n_in) return ODL_ERR_ARG;
        e_in[j] += e_out[i];
    }
    *exp_in = exp_out;
    odl_bw_normalize(e_in, n_in, exp_in);
    return ODL_OK;
}

odl_status_t odl_table_s8_bw_input(int32_t n, const int8_t *x, const int16_t *table, int32_t frac,
                                   const int32_t *e_out, int32_t exp_out, int32_t *e_in, int32_t *exp_in) {
    if (n < 0 || !x || !table || !e_out || !e_in || !exp_in) return ODL_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) e_in[i] = e_out[i] * table[x[i] + 128];
    *exp_in = exp_out - frac;
    odl_bw_normalize(e_in, n, exp_in);
    return ODL_OK;
}
