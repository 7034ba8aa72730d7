/* Embedding a tinyodl model in C: one inference on a fixed input, the
 * output bytes printed as hex. With a training model (compiled with
 * --train) it also runs one training step on the same sample.
 *
 * The input is the input tensor's zero point everywhere plus a small ramp,
 * so tests can recompute the same sample on the host. */
#include <stdio.h>
#include <string.h>

#include "model.h" /* ODL_MODEL_ARENA_SIZE, odl_model; includes odl/odl.h */
#include "odl/train.h"

/* The arena: ODL_MODEL_ARENA_SIZE bytes, 16-byte aligned (the planner's
 * offset alignment; odl_init refuses an arena not aligned to 4). */
static uint8_t arena[ODL_MODEL_ARENA_SIZE] ODL_ALIGN(16);
static odl_ctx_t ctx;

int main(void) {
    odl_status_t s = odl_init(&ctx, &odl_model, arena, sizeof arena);
    if (s != ODL_OK) {
        printf("odl_init: %s\n", odl_status_name(s));
        return 1;
    }
    const odl_tensor_t *in = odl_tensor_info(&ctx, odl_model.inputs[0]);
    int8_t *x = (int8_t *)odl_input_ptr(&ctx, 0);
    for (int32_t i = 0; i < in->bytes; ++i) x[i] = (int8_t)(in->zero_point + (i % 16) * 4);

    s = odl_invoke(&ctx);
    if (s != ODL_OK) {
        printf("odl_invoke: %s\n", odl_status_name(s));
        return 1;
    }
    const odl_tensor_t *o = odl_tensor_info(&ctx, odl_model.outputs[0]);
    const uint8_t *y = (const uint8_t *)odl_output_ptr(&ctx, 0);
    printf("output:");
    for (int32_t i = 0; i < o->bytes; ++i) printf(" %02x", y[i]);
    printf("\n");

    if (odl_model.train) {
        /* odl_train_step copies the input itself: pass the sample, a label. */
        static int8_t sample[4096];
        if ((uint32_t)in->bytes > sizeof sample) return 1;
        for (int32_t i = 0; i < in->bytes; ++i) sample[i] = (int8_t)(in->zero_point + (i % 16) * 4);
        odl_train_stats_t st;
        s = odl_train_step(&ctx, sample, 3, &st);
        printf("train_step: %s loss_q16=%ld predicted=%ld\n", odl_status_name(s), (long)st.loss_q16,
               (long)st.predicted);
        if (s != ODL_OK) return 1;
    }
    return 0;
}
