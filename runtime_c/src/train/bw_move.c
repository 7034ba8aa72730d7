/* Backward of the data-movement ops (PAD, TRANSPOSE, STRIDED_SLICE, SLICE,
 * CONCATENATION: a generated output -> input index map) and of element-wise
 * ops through a table of dy/dx per int8 input value (LOGISTIC, TANH,
 * HARD_SWISH, LEAKY_RELU), and MUL (times the other operand's real value).
 * pytool/training/sparse_ops.py makes the maps and tables. */
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

odl_status_t odl_mul_s8_bw_input(int32_t n, const int8_t *other, const int32_t *map, int32_t other_zp, int32_t mult,
                                 int32_t shift, const int32_t *e_out, int32_t exp_out, int32_t *e_in,
                                 int32_t *exp_in) {
    if (n < 0 || !other || !map || !e_out || !e_in || !exp_in) return ODL_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t t = e_out[i] * (other[map[i]] - other_zp); /* |t| < 2^23 */
        e_in[i] = (int32_t)odl_bw_round_shift((int64_t)t * mult, 24);
    }
    *exp_in = exp_out + shift - 7;
    odl_bw_normalize(e_in, n, exp_in);
    return ODL_OK;
}
