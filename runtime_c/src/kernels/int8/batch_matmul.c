/* BATCH_MATMUL, int8 (int32 accumulator) and int16 (int64 accumulator, zero
 * points 0), bit-exact with TFLite Micro's reference BatchMatMul: per output
 * sum_k (l - zl) * (r - zr), rescaled as FULLY_CONNECTED (int16: the 64-bit
 * MultiplyByQuantizedMultiplier). Batch dims (5-D, leading three) broadcast.
 * adj_x / adj_y read the operand transposed in place (TFLite Micro copies it
 * first; the sums are the same). */
#include "../int16/requant64.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

/* Element offsets of the batch and matrix axes of one operand (5-D dims). */
typedef struct {
    int32_t batch[3];
    int32_t row, col; /* strides of the matrix's logical row / column */
} bmm_strides_t;

static bmm_strides_t bmm_strides(const int32_t *d, int32_t adj) {
    bmm_strides_t s;
    const int32_t mat = d[3] * d[4];
    s.batch[2] = d[2] == 1 ? 0 : mat;
    s.batch[1] = d[1] == 1 ? 0 : mat * d[2];
    s.batch[0] = d[0] == 1 ? 0 : mat * d[2] * d[1];
    s.row = adj ? 1 : d[4];
    s.col = adj ? d[4] : 1;
    return s;
}

#define ODL_BMM_BODY(ACC_T, RESCALE, OUT_T)                                                                  \
    const bmm_strides_t sl = bmm_strides(p->lhs_dims, p->adj_x), sr = bmm_strides(p->rhs_dims, p->adj_y);   \
    const int32_t rows = p->adj_x ? p->lhs_dims[4] : p->lhs_dims[3];                                         \
    const int32_t depth = p->adj_x ? p->lhs_dims[3] : p->lhs_dims[4];                                        \
    const int32_t cols = p->adj_y ? p->rhs_dims[3] : p->rhs_dims[4];                                         \
    int32_t nb[3];                                                                                           \
    for (int d = 0; d < 3; ++d) nb[d] = p->lhs_dims[d] > p->rhs_dims[d] ? p->lhs_dims[d] : p->rhs_dims[d];   \
    for (int32_t b0 = 0; b0 < nb[0]; ++b0)                                                                   \
        for (int32_t b1 = 0; b1 < nb[1]; ++b1)                                                               \
            for (int32_t b2 = 0; b2 < nb[2]; ++b2) {                                                         \
                const size_t lo_ = (size_t)b0 * sl.batch[0] + (size_t)b1 * sl.batch[1] + (size_t)b2 * sl.batch[2]; \
                const size_t ro_ = (size_t)b0 * sr.batch[0] + (size_t)b1 * sr.batch[1] + (size_t)b2 * sr.batch[2]; \
                for (int32_t i = 0; i < rows; ++i)                                                           \
                    for (int32_t j = 0; j < cols; ++j) {                                                     \
                        ACC_T acc = 0;                                                                       \
                        for (int32_t k = 0; k < depth; ++k)                                                  \
                            acc += (ACC_T)((int32_t)lhs[lo_ + (size_t)i * sl.row + (size_t)k * sl.col] -     \
                                           p->lhs_zero_point) *                                              \
                                   (ACC_T)((int32_t)rhs[ro_ + (size_t)k * sr.row + (size_t)j * sr.col] -     \
                                           p->rhs_zero_point);                                               \
                        const int32_t v = p->output_zero_point + RESCALE(acc, p->output_multiplier, p->output_shift); \
                        *out++ = (OUT_T)odl_clamp_i32(v, p->act_min, p->act_max);                            \
                    }                                                                                        \
            }

static int bmm_args_ok(const odl_batch_matmul_params_t *p, const void *lhs, const void *rhs, const void *out) {
    if (!p || !lhs || !rhs || !out || p->output_shift > 31 || p->output_shift < -31) return 0;
    for (int d = 0; d < 3; ++d)
        if (p->lhs_dims[d] != p->rhs_dims[d] && p->lhs_dims[d] != 1 && p->rhs_dims[d] != 1) return 0;
    const int32_t dl = p->adj_x ? p->lhs_dims[3] : p->lhs_dims[4];
    const int32_t dr = p->adj_y ? p->rhs_dims[4] : p->rhs_dims[3];
    return dl == dr;
}

/* The int8 sum wraps as TFLite Micro's int32 accumulator would. */
static int32_t bmm_wrap_rescale(uint32_t acc, int32_t m, int32_t s) {
    return odl_mul_by_quantized_multiplier((int32_t)acc, m, s);
}

odl_status_t odl_batch_matmul_s8(const odl_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                                 int8_t *out) {
    if (!bmm_args_ok(p, lhs, rhs, out)) return ODL_ERR_ARG;
    ODL_BMM_BODY(uint32_t, bmm_wrap_rescale, int8_t)
    return ODL_OK;
}

odl_status_t odl_batch_matmul_s16(const odl_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                                  int16_t *out) {
    if (!bmm_args_ok(p, lhs, rhs, out)) return ODL_ERR_ARG;
    ODL_BMM_BODY(int64_t, odl_mul_by_quantized_multiplier64, int16_t)
    return ODL_OK;
}
