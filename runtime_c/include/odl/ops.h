/* Op dispatch: every op decoder has the same shape. */
#ifndef ODL_OPS_H
#define ODL_OPS_H

#include "odl/kernels_int8.h"
#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
#define ODL_OP(name, code, fn) ODL_OP_##name = code,
#include "odl/ops.def"
#undef ODL_OP
    ODL_OP_MAX_CODE
} odl_opcode_t;

/* Decoders: read the op's tensors and params, call the typed kernel. */
#define ODL_OP(name, code, fn) odl_status_t odl_op_##fn(odl_ctx_t *ctx, const odl_op_t *op);
#include "odl/ops.def"
#undef ODL_OP

/* The decoder of op code N as odl_op_code_N: generated models list decoders by
 * code, and only the wrappers they name pull a decoder into the link. */
#define ODL_OP(name, code, fn) \
    static inline odl_status_t odl_op_code_##code(odl_ctx_t *ctx, const odl_op_t *op) { return odl_op_##fn(ctx, op); }
#include "odl/ops.def"
#undef ODL_OP

/* Every op by its code (links every decoder: tools and tests only). */
odl_status_t odl_op_dispatch(odl_ctx_t *ctx, const odl_op_t *op);
const char *odl_op_name(uint16_t code);

/* Helpers for decoders. Return NULL on a bad index. */
static inline const odl_tensor_t *odl_op_in_info(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_inputs && op->inputs[i] >= 0) ? odl_tensor_info(ctx, op->inputs[i]) : 0;
}
static inline const odl_tensor_t *odl_op_out_info(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_outputs) ? odl_tensor_info(ctx, op->outputs[i]) : 0;
}
static inline void *odl_op_in(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_inputs && op->inputs[i] >= 0) ? odl_tensor_ptr(ctx, op->inputs[i]) : 0;
}
static inline void *odl_op_out(const odl_ctx_t *ctx, const odl_op_t *op, int i) {
    return (i < op->n_outputs) ? odl_tensor_ptr(ctx, op->outputs[i]) : 0;
}

/* A rank-4 tensor's NHWC dims; 0 when the rank is not 4 (or t is NULL). */
static inline int odl_dims4_of(const odl_tensor_t *t, odl_dims4_t *d) {
    if (!t || t->rank != 4) return 0;
    d->n = t->dims[0];
    d->h = t->dims[1];
    d->w = t->dims[2];
    d->c = t->dims[3];
    return 1;
}

/* Right-aligns a shape of rank <= 4 into n, h, w, c (numpy broadcasting);
 * rank 5 is flattened into c. 0 on a non-positive dim. */
static inline int odl_dims4_broadcast_of(const odl_tensor_t *t, odl_dims4_t *d) {
    int32_t v[4] = {1, 1, 1, 1};
    if (t->rank > ODL_MAX_RANK) return 0;
    for (int i = 0; i < t->rank; ++i)
        if (t->dims[i] <= 0) return 0;
    if (t->rank == 5) {
        v[3] = odl_tensor_numel(t);
    } else {
        for (int i = 0; i < t->rank; ++i) v[4 - t->rank + i] = t->dims[i];
    }
    d->n = v[0], d->h = v[1], d->w = v[2], d->c = v[3];
    return 1;
}

/* The 4-D views of a numpy-broadcast binary op a, b -> y (rank <= ODL_MAX_RANK):
 * shapes right-aligned, output axes of size 1 dropped, and neighbouring axes
 * that each input spans (or broadcasts) alike merged into one, which keeps
 * every element's position. So a rank-5 broadcast (GroupNormalization's
 * [1, H, W, G, C/G] against [1, 1, 1, G, 1]) runs whenever at most four
 * groups remain. 0 when more do, or a dim is not positive or not broadcast. */
static inline int odl_broadcast_views4(const odl_tensor_t *ta, const odl_tensor_t *tb, const odl_tensor_t *ty,
                                       odl_dims4_t *da, odl_dims4_t *db, odl_dims4_t *dy) {
    const int r = ty->rank;
    int32_t va[4] = {1, 1, 1, 1}, vb[4] = {1, 1, 1, 1}, vy[4] = {1, 1, 1, 1};
    int n = 0, pa = -1, pb = -1;
    if (r > ODL_MAX_RANK || ta->rank > r || tb->rank > r) return 0;
    for (int i = 0; i < r; ++i) {
        const int ia = i - (r - ta->rank), ib = i - (r - tb->rank);
        const int32_t a = ia >= 0 ? ta->dims[ia] : 1, b = ib >= 0 ? tb->dims[ib] : 1, y = ty->dims[i];
        if (y <= 0 || (a != y && a != 1) || (b != y && b != 1)) return 0;
        if (y == 1) continue;
        const int fa = a == y, fb = b == y;
        if (n == 0 || fa != pa || fb != pb) {
            if (n == 4) return 0;
            ++n;
            pa = fa, pb = fb;
        }
        vy[n - 1] *= y;
        va[n - 1] *= a;
        vb[n - 1] *= b;
    }
    /* Right-align the n groups into n, h, w, c. */
    int32_t *v[3] = {va, vb, vy};
    odl_dims4_t *d[3] = {da, db, dy};
    for (int k = 0; k < 3; ++k) {
        int32_t w[4] = {1, 1, 1, 1};
        for (int i = 0; i < n; ++i) w[4 - n + i] = v[k][i];
        d[k]->n = w[0], d[k]->h = w[1], d[k]->w = w[2], d[k]->c = w[3];
    }
    return 1;
}

/* An int32 tensor of exactly n elements (per-channel multipliers, biases). */
static inline int odl_is_i32_vector(const odl_tensor_t *t, int32_t n) {
    return t && t->dtype == ODL_DT_INT32 && odl_tensor_numel(t) == n;
}

/* Shared checks of the int8 binary element-wise decoders (ADD, MUL): int8
 * operands, broadcastable dims (odl_broadcast_views4), byte sizes. */
odl_status_t odl_op_binary_s8_dims(const odl_ctx_t *ctx, const odl_op_t *op, odl_dims4_t *da, odl_dims4_t *db,
                                   odl_dims4_t *dy);

#ifdef __cplusplus
}
#endif

#endif
