/* float32 SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM: TFLite Micro's float
 * reference kernels (svdf_common.cc EvalFloatSvdfReference; lstm_eval.h
 * LstmStep with float tensors), the same operation order so the bits match.
 * Twins: pytool/ops/svdf.py and unidirectional_sequence_lstm.py. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "odl/kernels_f32.h"

/* TFLite Micro's ActivationValFloat for the fused activations SVDF accepts:
 * TfLiteMax(0, a) is (0 < a ? a : 0), so -0 and NaN give +0. */
static float svdf_act(int32_t act, float a) {
    switch (act) {
    case ODL_F32_SVDF_RELU: return 0.0f < a ? a : 0.0f;
    case ODL_F32_SVDF_RELU_N1_TO_1: {
        const float m = 1.0f < a ? 1.0f : a;
        return -1.0f < m ? m : -1.0f;
    }
    case ODL_F32_SVDF_RELU6: {
        const float m = 6.0f < a ? 6.0f : a;
        return 0.0f < m ? m : 0.0f;
    }
    case ODL_F32_SVDF_TANH: return odl_tanhf(a);
    case ODL_F32_SVDF_SIGN_BIT: return signbit(a) ? 1.0f : 0.0f;
    default: return a;
    }
}

odl_status_t odl_svdf_f32(const odl_f32_svdf_dims_t *d, int32_t act, const float *x, const float *wf,
                          const float *wt, const float *bias, float *state, float *y) {
    const int32_t nb = d->batches, ni = d->inputs, nf = d->filters, nm = d->memory, rank = d->rank;
    if (!x || !wf || !wt || !state || !y || nb <= 0 || ni <= 0 || nf <= 0 || nm <= 0 || rank <= 0 || nf % rank)
        return ODL_ERR_ARG;
    const int32_t units = nf / rank, total = nb * nf * nm;
    memmove(state, state + 1, (size_t)(total - 1) * sizeof *state); /* shift left by one */
    for (int32_t b = 0; b < nb; ++b) /* newest column: x . w_feature per filter */
        for (int32_t f = 0; f < nf; ++f) {
            float dot = 0.0f;
            for (int32_t k = 0; k < ni; ++k) dot += wf[f * ni + k] * x[b * ni + k];
            state[(b * nf + f) * nm + nm - 1] = dot;
        }
    for (int32_t b = 0; b < nb; ++b)
        for (int32_t u = 0; u < units; ++u) {
            float out = bias ? bias[u] : 0.0f;
            for (int32_t r = 0; r < rank; ++r) { /* each filter's time dot, then the rank sum in order */
                const int32_t f = u * rank + r;
                float s = 0.0f;
                for (int32_t j = 0; j < nm; ++j) s += wt[f * nm + j] * state[(b * nf + f) * nm + j];
                out += s;
            }
            y[b * units + u] = svdf_act(act, out);
        }
    return ODL_OK;
}

static float sigmoid(float v) { /* TFLite's float Logistic, with its cut-offs */
    if (v > 16.619047164916992188f) return 1.0f;
    if (v < -9.0f) return odl_expf(v);
    return 1.0f / (1.0f + odl_expf(-v));
}

/* One gate pre-activation of one unit: FC(x) + FC(h), each summed in input order, then + bias (the
 * recurrent FC has none: + 0) and clamped to +-FLT_MAX (TFLite's kActNone range), as TFLite Micro's two
 * FullyConnected calls and AddElementWise. */
static float gate_pre(const odl_f32_lstm_dims_t *d, int g, int32_t unit, const float *x, const float *h,
                      const float *const w_in[4], const float *const w_rec[4], const float *const bias[4]) {
    const float *wi = w_in[g] + (int64_t)unit * d->inputs, *wr = w_rec[g] + (int64_t)unit * d->units;
    float a = 0.0f, r = 0.0f;
    for (int32_t k = 0; k < d->inputs; ++k) a += x[k] * wi[k];
    for (int32_t k = 0; k < d->units; ++k) r += h[k] * wr[k];
    return odl_f32_clamp(a + bias[g][unit], -FLT_MAX, FLT_MAX) + odl_f32_clamp(r + 0.0f, -FLT_MAX, FLT_MAX);
}

/* Gates i, f, c, o of each unit from the old hidden state (every step is element-wise past the FCs, so
 * unit by unit gives TFLite Micro's gate-by-gate results); the new hidden row goes to y, then into h. */
static void step(const odl_f32_lstm_dims_t *d, const float *x, float *h, float *c, float *y,
                 const float *const w_in[4], const float *const w_rec[4], const float *const bias[4]) {
    for (int32_t j = 0; j < d->units; ++j) {
        const float i = sigmoid(gate_pre(d, 0, j, x, h, w_in, w_rec, bias));
        const float f = sigmoid(gate_pre(d, 1, j, x, h, w_in, w_rec, bias));
        const float g = odl_tanhf(gate_pre(d, 2, j, x, h, w_in, w_rec, bias));
        const float o = sigmoid(gate_pre(d, 3, j, x, h, w_in, w_rec, bias));
        float v = odl_f32_clamp(f * c[j], -FLT_MAX, FLT_MAX) + odl_f32_clamp(i * g, -FLT_MAX, FLT_MAX);
        if (d->cell_clip > 0.0f) { /* std::max(std::min(clip, v), -clip) */
            const float m = v < d->cell_clip ? v : d->cell_clip;
            v = m < -d->cell_clip ? -d->cell_clip : m;
        }
        c[j] = v;
        y[j] = odl_f32_clamp(odl_tanhf(v) * o, -FLT_MAX, FLT_MAX);
    }
    memcpy(h, y, (size_t)d->units * sizeof *h);
}

odl_status_t odl_lstm_f32(const odl_f32_lstm_dims_t *d, const float *x, const float *const w_in[4],
                          const float *const w_rec[4], const float *const bias[4], float *h, float *c, float *y) {
    if (!d || !x || !h || !c || !y || d->batches <= 0 || d->steps <= 0 || d->inputs <= 0 || d->units <= 0)
        return ODL_ERR_ARG;
    for (int g = 0; g < 4; ++g)
        if (!w_in[g] || !w_rec[g] || !bias[g]) return ODL_ERR_ARG;
    const int64_t ns = d->units;
    if (d->stateless) {
        memset(h, 0, (size_t)(d->batches * ns) * sizeof *h);
        memset(c, 0, (size_t)(d->batches * ns) * sizeof *c);
    }
    for (int32_t b = 0; b < d->batches; ++b)
        for (int32_t t = 0; t < d->steps; ++t) {
            const int64_t row = d->time_major ? (int64_t)t * d->batches + b : (int64_t)b * d->steps + t;
            step(d, x + row * d->inputs, h + b * ns, c + b * ns, y + row * ns, w_in, w_rec, bias);
        }
    return ODL_OK;
}
