/* ADD, RELU / RELU6 and RESHAPE in FP16 (see odl/kernels_f16.h). */
#include "f16_common.h"

static int same_numel(const odl_f16_tensor_t *a, const odl_f16_tensor_t *b) {
    return odl_f16_numel(a) == odl_f16_numel(b);
}

odl_status_t odl_add_f16_fw(int32_t act, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    if (!a || !b || !out || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    if (!same_numel(a, b) || !same_numel(a, out)) return ODL_ERR_SHAPE;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i)
        out->data[i] = R(odl_f16_act(act, F(a->data[i]) + F(b->data[i])));
    return ODL_OK;
}

odl_status_t odl_add_f16_bw_input(int32_t act, odl_f16_tensor_t *a, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    if (!a || !b || !out || !out->grad || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    if (!same_numel(a, b) || !same_numel(a, out)) return ODL_ERR_SHAPE;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i) {
        float g = odl_f16_act_grad(act, out->data[i], out->grad[i]);
        if (a->grad) odl_f16_accumulate(&a->grad[i], g);
        if (b->grad) odl_f16_accumulate(&b->grad[i], g);
    }
    return ODL_OK;
}

odl_status_t odl_act_f16_fw(int32_t act, const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    if (!in || !out || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    if (!same_numel(in, out)) return ODL_ERR_SHAPE;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i) out->data[i] = R(odl_f16_act(act, F(in->data[i])));
    return ODL_OK;
}

odl_status_t odl_act_f16_bw_input(int32_t act, odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    if (!in || !out || !out->grad || odl_f16_bad_act(act)) return ODL_ERR_ARG;
    if (!same_numel(in, out)) return ODL_ERR_SHAPE;
    if (!in->grad) return ODL_OK;
    for (int32_t i = 0, n = odl_f16_numel(out); i < n; ++i)
        odl_f16_accumulate(&in->grad[i], odl_f16_act_grad(act, out->data[i], out->grad[i]));
    return ODL_OK;
}

odl_status_t odl_reshape_f16_fw(const odl_f16_tensor_t *in, odl_f16_tensor_t *out) {
    return odl_act_f16_fw(ODL_F16_ACT_NONE, in, out);
}

odl_status_t odl_reshape_f16_bw_input(odl_f16_tensor_t *in, const odl_f16_tensor_t *out) {
    return odl_act_f16_bw_input(ODL_F16_ACT_NONE, in, out);
}
