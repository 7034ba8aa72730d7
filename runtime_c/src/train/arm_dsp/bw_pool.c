/* Pooling backward for cores with the DSP extension: the portable kernels,
 * plus a straight path for the common 2x2 / stride 2 / no-padding max-pool
 * (the four candidates compared in the portable scan order, first largest
 * wins, no window bookkeeping). Same values as ../bw_pool.c. */
#include "odl/kernels_bw_s8.h"

#define odl_max_pool2d_s8_bw_input odl_max_pool2d_s8_bw_input_portable
#include "../bw_pool.c"
#undef odl_max_pool2d_s8_bw_input

odl_status_t odl_max_pool2d_s8_bw_input(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                        const odl_dims4_t *out_dims, const int32_t *e_out, int32_t exp_out,
                                        int32_t *e_in, int32_t *exp_in) {
    if (!p || !in_dims || !x || !out_dims || !e_out || !e_in || !exp_in || p->filter_h != 2 || p->filter_w != 2 ||
        p->stride_h != 2 || p->stride_w != 2 || p->pad_h != 0 || p->pad_w != 0 || out_dims->c != in_dims->c ||
        out_dims->n != in_dims->n || 2 * out_dims->h > in_dims->h || 2 * out_dims->w > in_dims->w)
        return odl_max_pool2d_s8_bw_input_portable(p, in_dims, x, out_dims, e_out, exp_out, e_in, exp_in);
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w, row = W * C;
    const int32_t n_in = in_dims->n * H * W * C;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    const int32_t *eo = e_out;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            int32_t k0 = ((b * H + 2 * oy) * W) * C;
            for (int32_t ox = 0; ox < out_dims->w; ++ox, k0 += 2 * C)
                for (int32_t c = 0; c < C; ++c) {
                    const int32_t e = *eo++;
                    if (e == 0) continue;
                    int32_t at = k0 + c, best = x[at];
                    if (x[at + C] > best) best = x[at = k0 + c + C];
                    if (x[k0 + c + row] > best) best = x[at = k0 + c + row];
                    if (x[k0 + c + row + C] > best) at = k0 + c + row + C;
                    e_in[at] += e;
                }
        }
    *exp_in = exp_out; /* windows do not overlap: every error moves once, no normalizing */
    return ODL_OK;
}
