/* FULLY_CONNECTED in FP16 storage / FP32 arithmetic (see odl/kernels_f16.h). */
#include <string.h>

#include "f16_common.h"

static odl_status_t fc_dims(const odl_f16_tensor_t *in, const odl_f16_tensor_t *w, const odl_f16_tensor_t *out,
                            int32_t *n, int32_t *k, int32_t *o) {
    *n = in->dims[0];
    *o = w->dims[0];
    if (*n <= 0 || *o <= 0) return ODL_ERR_SHAPE;
    *k = odl_f16_numel(w) / *o;
    if (odl_f16_numel(in) != *n * *k || odl_f16_numel(out) != *n * *o) return ODL_ERR_SHAPE;
    return ODL_OK;
}

odl_status_t odl_fc_f16_fw(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    for (int32_t r = 0; r < n; ++r) {
        const odl_f16_t *x = in->data + r * k;
        for (int32_t j = 0; j < o; ++j) {
            const odl_f16_t *wr = w->data + j * k;
            float acc = 0.0f;
            for (int32_t i = 0; i < k; ++i) acc = acc + F(wr[i]) * F(x[i]);
            if (b && b->data) acc = acc + F(b->data[j]);
            out->data[r * o + j] = R(odl_f16_act(p->act, acc));
        }
    }
    return ODL_OK;
}

odl_status_t odl_fc_f16_bw_input(const odl_f16_fc_params_t *p, odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                                 const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    if (!in->grad) return ODL_OK;
    for (int32_t r = 0; r < n; ++r) {
        const odl_f16_t *y = out->data + r * o, *g = out->grad + r * o;
        for (int32_t i = 0; i < k; ++i) {
            float acc = 0.0f;
            for (int32_t j = 0; j < o; ++j) acc = acc + odl_f16_act_grad(p->act, y[j], g[j]) * F(w->data[j * k + i]);
            odl_f16_accumulate(&in->grad[r * k + i], acc);
        }
    }
    return ODL_OK;
}

odl_status_t odl_fc_f16_bw_weight(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                  odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    for (int32_t j = 0; j < o; ++j) {
        if (w->grad) {
            for (int32_t i = 0; i < k; ++i) {
                float acc = 0.0f;
                for (int32_t r = 0; r < n; ++r)
                    acc = acc + odl_f16_act_grad(p->act, out->data[r * o + j], out->grad[r * o + j]) *
                                    F(in->data[r * k + i]);
                odl_f16_accumulate(&w->grad[j * k + i], acc);
            }
        }
        if (b && b->grad) {
            float acc = 0.0f;
            for (int32_t r = 0; r < n; ++r)
                acc = acc + odl_f16_act_grad(p->act, out->data[r * o + j], out->grad[r * o + j]);
            odl_f16_accumulate(&b->grad[j], acc);
        }
    }
    return ODL_OK;
}

/* w <- R(F(w) - c * F(g)) over n halves (plain SGD, c = lr / loss scale). */
static void sgd_apply(odl_f16_t *w, const odl_f16_t *g, int32_t n, float c) {
    for (int32_t i = 0; i < n; ++i) w[i] = R(F(w[i]) - c * F(g[i]));
}

odl_status_t odl_fc_f16_bw_weight_sgd(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                      odl_f16_tensor_t *b, const odl_f16_tensor_t *out, float c) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    /* the gradients hold this call's gradient alone */
    if (w->grad) memset(w->grad, 0, (size_t)odl_f16_numel(w) * sizeof *w->grad);
    if (b && b->grad) memset(b->grad, 0, (size_t)odl_f16_numel(b) * sizeof *b->grad);
    s = odl_fc_f16_bw_weight(p, in, w, b, out);
    if (s != ODL_OK) return s;
    if (w->grad) sgd_apply(w->data, w->grad, odl_f16_numel(w), c);
    if (b && b->grad) sgd_apply(b->data, b->grad, odl_f16_numel(b), c);
    return ODL_OK;
}
