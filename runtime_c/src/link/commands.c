/* Built-in link commands: INFO, SET_INPUT, INFER, GET_OUTPUT, STATS, ECHO,
 * RESET_STATE.
 * Payload layouts are specified in docs/design/link.md; all integers LE. */
#include <string.h>

#include "link_internal.h"
#include "odl/train.h"

/* Appends one tensor description to INFO: dtype, rank, dims (i32 each),
 * bytes, scale (f32 bits), zero_point. */
static uint16_t put_tensor(uint8_t *p, const odl_tensor_t *t) {
    uint16_t n = 0;
    p[n++] = t->dtype;
    p[n++] = t->rank;
    for (uint8_t i = 0; i < t->rank && i < ODL_MAX_RANK; ++i, n += 4) odl_link_put32(p + n, (uint32_t)t->dims[i]);
    odl_link_put32(p + n, (uint32_t)t->bytes);
    n += 4;
    uint32_t scale_bits;
    memcpy(&scale_bits, &t->scale, sizeof scale_bits);
    odl_link_put32(p + n, scale_bits);
    n += 4;
    odl_link_put32(p + n, (uint32_t)t->zero_point);
    return (uint16_t)(n + 4);
}

#define INFO_FIXED 17
#define TENSOR_DESC_MAX (2 + 4 * ODL_MAX_RANK + 12)

static int cmd_info(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                    uint16_t *resp_len) {
    (void)user;
    (void)req;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    const odl_model_t *m = srv->ctx->model;
    if (!m) return ODL_ERR_STATE;
    size_t name_len = strlen(srv->target_name);
    if (name_len > 255) name_len = 255;
    uint32_t need = INFO_FIXED + (uint32_t)name_len + (uint32_t)(m->n_inputs + m->n_outputs) * TENSOR_DESC_MAX;
    if (need > *resp_len) return ODL_LINK_ST_TOO_LARGE;
    resp[0] = ODL_LINK_VERSION;
    resp[1] = ODL_VERSION_MAJOR;
    resp[2] = ODL_VERSION_MINOR;
    resp[3] = m->train ? m->train->method : (uint8_t)ODL_TRAIN_NONE;
    odl_link_put16(resp + 4, ODL_LINK_MAX_PAYLOAD);
    resp[6] = (uint8_t)m->n_inputs;
    resp[7] = (uint8_t)m->n_outputs;
    odl_link_put32(resp + 8, m->hash);
    odl_link_put32(resp + 12, m->arena_size);
    resp[16] = (uint8_t)name_len;
    memcpy(resp + INFO_FIXED, srv->target_name, name_len);
    uint16_t n = (uint16_t)(INFO_FIXED + name_len);
    for (uint16_t i = 0; i < m->n_inputs; ++i) n += put_tensor(resp + n, odl_tensor_info(srv->ctx, m->inputs[i]));
    for (uint16_t i = 0; i < m->n_outputs; ++i)
        n += put_tensor(resp + n, odl_tensor_info(srv->ctx, m->outputs[i]));
    *resp_len = n;
    return ODL_OK;
}

/* Checks [offset, offset + len) against a tensor's size without overflow. */
static int in_bounds(const odl_tensor_t *t, uint32_t offset, uint32_t len) {
    uint32_t size = (uint32_t)t->bytes;
    return offset <= size && len <= size - offset;
}

/* req: index u8, offset u32, data. */
static int cmd_set_input(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                         uint16_t *resp_len) {
    (void)user;
    (void)resp;
    *resp_len = 0;
    if (req_len < 5) return ODL_LINK_ST_BAD_PAYLOAD;
    const odl_model_t *m = srv->ctx->model;
    if (req[0] >= m->n_inputs) return ODL_ERR_ARG;
    const odl_tensor_t *t = odl_tensor_info(srv->ctx, m->inputs[req[0]]);
    uint32_t offset = odl_link_get32(req + 1), n = (uint32_t)req_len - 5;
    if (!t || !in_bounds(t, offset, n)) return ODL_ERR_ARG;
    uint8_t *dst = (uint8_t *)odl_input_ptr(srv->ctx, req[0]);
    if (!dst || !(t->flags & ODL_T_ARENA)) return ODL_ERR_STATE;
    memcpy(dst + offset, req + 5, n);
    /* The planner may place outputs over inputs: old outputs are gone. */
    srv->have_output = 0;
    return ODL_OK;
}

/* Copies bytes of output index from offset; returns the status. */
static int copy_output(odl_link_server_t *srv, uint8_t index, uint32_t offset, uint32_t len, uint8_t *resp) {
    const odl_model_t *m = srv->ctx->model;
    if (index >= m->n_outputs) return ODL_ERR_ARG;
    const odl_tensor_t *t = odl_tensor_info(srv->ctx, m->outputs[index]);
    const uint8_t *src = (const uint8_t *)odl_output_ptr(srv->ctx, index);
    if (!t || !src || !in_bounds(t, offset, len)) return ODL_ERR_ARG;
    memcpy(resp, src + offset, len);
    return ODL_OK;
}

/* req: empty. resp: the leading bytes of output 0 (as many as fit). */
static int cmd_infer(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                     uint16_t *resp_len) {
    (void)user;
    (void)req;
    uint16_t cap = *resp_len;
    *resp_len = 0;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    srv->have_output = 0;
    uint32_t before = srv->io.counter ? srv->io.counter(srv->io.user) : 0;
    odl_status_t s = odl_invoke(srv->ctx);
    uint32_t after = srv->io.counter ? srv->io.counter(srv->io.user) : 0;
    srv->last_counter = after - before; /* unsigned: survives one wrap */
    if (s != ODL_OK) return s;
    srv->have_output = 1;
    if (srv->ctx->model->n_outputs == 0) return ODL_OK;
    const odl_tensor_t *t = odl_tensor_info(srv->ctx, srv->ctx->model->outputs[0]);
    uint32_t n = (uint32_t)t->bytes < cap ? (uint32_t)t->bytes : cap;
    int st = copy_output(srv, 0, 0, n, resp);
    if (st == ODL_OK) *resp_len = (uint16_t)n;
    return st;
}

/* req: index u8, offset u32, len u16. resp: the bytes. */
static int cmd_get_output(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                          uint16_t *resp_len) {
    (void)user;
    uint16_t cap = *resp_len;
    *resp_len = 0;
    if (req_len != 7) return ODL_LINK_ST_BAD_PAYLOAD;
    if (!srv->have_output) return ODL_LINK_ST_BAD_STATE;
    uint16_t len = odl_link_get16(req + 5);
    if (len > cap) return ODL_LINK_ST_TOO_LARGE;
    int st = copy_output(srv, req[0], odl_link_get32(req + 1), len, resp);
    if (st == ODL_OK) *resp_len = len;
    return st;
}

#define STATS_SIZE 37

static int cmd_stats(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                     uint16_t *resp_len) {
    (void)user;
    (void)req;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    const odl_stats_t *st = &srv->ctx->stats;
    const odl_link_counters_t *c = &srv->counters;
    uint32_t stack = srv->io.stack_high_water ? srv->io.stack_high_water(srv->io.user) : 0;
    uint32_t words[9] = {st->invokes, st->train_steps, st->last_op, srv->last_counter, stack,
                         c->frames_ok, c->frames_replayed, c->frames_rejected, c->bytes_skipped};
    for (int i = 0; i < 9; ++i) odl_link_put32(resp + 4 * i, words[i]);
    /* flags: 1 counter, 2 stack, 4 output, 8 the last invoke stopped early (CIRCULAR_BUFFER) */
    resp[36] = (uint8_t)((srv->io.counter ? 1 : 0) | (srv->io.stack_high_water ? 2 : 0) | (srv->have_output ? 4 : 0) |
                         (st->stopped ? 8 : 0));
    *resp_len = STATS_SIZE;
    return ODL_OK;
}

static int cmd_echo(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                    uint16_t *resp_len) {
    (void)srv;
    (void)user;
    memcpy(resp, req, req_len);
    *resp_len = req_len;
    return ODL_OK;
}

/* req: empty. Starts a new sequence: the model's state tensors go back to
 * their initial values, as odl_reset_state does; weights are untouched. */
static int cmd_reset_state(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                           uint16_t *resp_len) {
    (void)user;
    (void)req;
    (void)resp;
    *resp_len = 0;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    return odl_reset_state(srv->ctx);
}

static const odl_link_entry_t builtins[] = {
    {ODL_LINK_CMD_INFO, cmd_info, 0},           {ODL_LINK_CMD_SET_INPUT, cmd_set_input, 0},
    {ODL_LINK_CMD_INFER, cmd_infer, 0},         {ODL_LINK_CMD_GET_OUTPUT, cmd_get_output, 0},
    {ODL_LINK_CMD_STATS, cmd_stats, 0},         {ODL_LINK_CMD_ECHO, cmd_echo, 0},
    {ODL_LINK_CMD_RESET_STATE, cmd_reset_state, 0},
};

const odl_link_entry_t *odl_link_builtin(uint8_t cmd) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; ++i)
        if (builtins[i].cmd == cmd) return &builtins[i];
    return 0;
}
