/* Firmware entry: runtime + generated model + board support.
 *
 * Default: serve the serial link forever (odl/link.h). With ODL_FW_SELFTEST:
 * run one inference on a deterministic input, print the outputs in hex and
 * the instruction count, then exit — a check that needs no link.
 * ODL_FW_PROFILE (with ODL_FW_SELFTEST): run the ops one by one and print
 * each op's instruction count ("OP <index> <count>") before the outputs. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "model.h"
#include "odl/odl.h"

#ifndef ODL_TARGET_NAME
#define ODL_TARGET_NAME "unknown"
#endif

extern const odl_model_t odl_model;

static uint8_t arena[ODL_MODEL_ARENA_SIZE > 0 ? ODL_MODEL_ARENA_SIZE : 1] ODL_ALIGN(16);
static odl_ctx_t ctx;

#ifdef ODL_FW_SELFTEST

static void put_str(const char *s) { board_uart_write((const uint8_t *)s, (uint32_t)strlen(s)); }

static void put_u32(uint32_t v) {
    char buf[11];
    int i = (int)sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && i > 0);
    board_uart_write((const uint8_t *)buf + i, (uint32_t)(sizeof buf - (size_t)i));
}

static void put_hex(const uint8_t *p, int32_t n) {
    static const char digits[] = "0123456789abcdef";
    for (int32_t i = 0; i < n; ++i) {
        uint8_t pair[2] = {(uint8_t)digits[p[i] >> 4], (uint8_t)digits[p[i] & 0xF]};
        board_uart_write(pair, 2);
    }
}

/* Same rule as pytool/targets/selftest.py: integer tensors get byte
 * (7*k + 3 + 13*input) mod 256, float tensors the value (k mod 17 - 8) / 8. */
static void fill_input(uint32_t which, const odl_tensor_t *t, uint8_t *p) {
    if (t->dtype == ODL_DT_FLOAT32) {
        float *f = (float *)p;
        for (int32_t k = 0; k < t->bytes / 4; ++k) f[k] = (float)(k % 17 - 8) / 8.0f;
    } else {
        for (int32_t k = 0; k < t->bytes; ++k) p[k] = (uint8_t)(7 * k + 3 + 13 * (int32_t)which);
    }
}

int main(void) {
    board_init();
    /* Wait for the host's start byte: a client that has just connected may
     * discard what arrived before it was ready (pyserial resets its input). */
    while (board_uart_read_byte() < 0) {
    }
    put_str("ODL SELFTEST " ODL_TARGET_NAME "\n");
    odl_status_t s = odl_init(&ctx, &odl_model, arena, sizeof arena);
    if (s == ODL_OK) {
        for (uint32_t i = 0; i < odl_model.n_inputs; ++i)
            fill_input(i, odl_tensor_info(&ctx, odl_model.inputs[i]), odl_input_ptr(&ctx, i));
    }
#ifdef ODL_FW_PROFILE
    uint32_t insns = 0;
    /* One count per op of the main schedule: a control-flow op's count holds the
     * subgraph ops it runs (nested right after it, n_nested of them). */
    for (uint32_t i = 0; s == ODL_OK && i < odl_model.n_ops; i += 1u + odl_model.ops[i].n_nested) {
        const uint32_t start = board_counter();
        s = odl_invoke_range(&ctx, i, i + 1);
        const uint32_t op_insns = board_counter() - start;
        insns += op_insns;
        put_str("OP ");
        put_u32(i);
        put_str(" ");
        put_u32(op_insns);
        put_str("\n");
    }
#else
    uint32_t start = board_counter();
    if (s == ODL_OK) s = odl_invoke(&ctx);
    uint32_t insns = board_counter() - start;
#endif
    put_str("STATUS ");
    put_str(odl_status_name(s));
    put_str("\n");
    if (s == ODL_OK) {
        for (uint32_t i = 0; i < odl_model.n_outputs; ++i) {
            const odl_tensor_t *t = odl_tensor_info(&ctx, odl_model.outputs[i]);
            put_str("OUT ");
            put_u32(i);
            put_str(" ");
            put_hex((const uint8_t *)odl_output_ptr(&ctx, i), t->bytes);
            put_str("\n");
        }
    }
    put_str("COUNTER ");
    put_u32(insns);
    put_str("\nSTACK ");
    put_u32(board_stack_high_water());
    put_str("\nARENA ");
    put_u32((uint32_t)sizeof arena);
    put_str("\nEND\n");
    return s == ODL_OK ? 0 : 1;
}

#else /* serve the serial link */

#include "odl/link.h"
#include "nv_board.h"
#include "odl/persist.h"
#include "odl/link_train.h"
#include "odl/link_fleet.h"

static int io_read_byte(void *user) {
    (void)user;
    return board_uart_read_byte();
}

static void io_write(void *user, const uint8_t *buf, uint32_t n) {
    (void)user;
    board_uart_write(buf, n);
}

static uint32_t io_counter(void *user) {
    (void)user;
    return board_counter();
}

static uint32_t io_stack_high_water(void *user) {
    (void)user;
    return board_stack_high_water();
}

int main(void) {
    board_init();
    /* An init failure is reported through the link (INFO carries it). */
    (void)odl_init(&ctx, &odl_model, arena, sizeof arena);
    /* Committed weights replace the factory ones before anything runs; a
     * model without trainable tensors touches no medium at all. */
    static odl_store_t store;
    int persist = 0;
    if (ctx.ready && odl_store_payload_size(&odl_model) > 0) {
        odl_nv_driver_t nv;
        persist = board_nv_init(&nv) == ODL_OK && odl_store_init(&store, &ctx, &nv) == ODL_OK &&
                  odl_store_load(&store) == ODL_OK;
    }
    static const odl_link_io_t io = {io_read_byte, io_write, io_counter, io_stack_high_water, 0};
    static odl_link_server_t server;
    odl_link_server_init(&server, &ctx, &io, ODL_TARGET_NAME);
    if (odl_model.train) (void)odl_link_train_register(&server);
    if (odl_model.train) (void)odl_link_fleet_register(&server); /* forward-gradient fleet rounds */
    if (persist) (void)odl_persist_register(&server, &store);
    for (;;) odl_link_server_poll(&server);
}

#endif
