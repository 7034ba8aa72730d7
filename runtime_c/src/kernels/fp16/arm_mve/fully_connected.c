/* FULLY_CONNECTED FP16 training kernels with Helium (MVE): the same bytes as
 * ../fully_connected.c, which is included below under other names for its
 * shape checks (see mve_f16.h for the exactness rules). */
#define odl_fc_f16_fw odl_fc_f16_fw_portable
#define odl_fc_f16_bw_input odl_fc_f16_bw_input_portable
#define odl_fc_f16_bw_weight odl_fc_f16_bw_weight_portable
#include "../fully_connected.c"
#undef odl_fc_f16_fw
#undef odl_fc_f16_bw_input
#undef odl_fc_f16_bw_weight

#include "mve_f16.h"

odl_status_t odl_fc_f16_fw(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    odl_mve_gemm_fw(in->data, n, k, w->data, o, b ? b->data : 0, p->act, out->data);
    return ODL_OK;
}

odl_status_t odl_fc_f16_bw_input(const odl_f16_fc_params_t *p, odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                                 const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    if (!in->grad) return ODL_OK;
    odl_mve_gemm_bw_input(out->data, out->grad, n, o, w->data, k, p->act, in->grad);
    return ODL_OK;
}

odl_status_t odl_fc_f16_bw_weight(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                  odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    if (w->grad) odl_mve_gemm_bw_weight(out->data, out->grad, n, o, in->data, k, p->act, w->grad);
    if (b && b->grad)
        for (int32_t j = 0; j < o; ++j) {
            float acc = 0.0f;
            for (int32_t r = 0; r < n; ++r)
                acc = acc + odl_f16_act_grad(p->act, out->data[r * o + j], out->grad[r * o + j]);
            odl_f16_accumulate(&b->grad[j], acc);
        }
    return ODL_OK;
}
