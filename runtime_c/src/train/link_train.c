/* TRAIN / EVAL / READ_WEIGHTS link commands (see odl/link_train.h). They
 * call odl_train_step / odl_eval_sample, so every method is served alike. */
#include <string.h>

#include "odl/link_train.h"
#include "odl/train.h"

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int run_sample(odl_link_server_t *srv, int train, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                      uint16_t *resp_len) {
    odl_ctx_t *ctx = srv->ctx;
    if (!ctx->model || !ctx->model->train) return ODL_ERR_TRAIN;
    const odl_tensor_t *in = odl_tensor_info(ctx, ctx->model->inputs[0]);
    if (!in || req_len != 4u + (uint32_t)in->bytes) return ODL_LINK_ST_BAD_PAYLOAD;
    if (*resp_len < 20) return ODL_LINK_ST_BAD_STATE;
    odl_train_stats_t st;
    const int32_t label = (int32_t)get_u32(req);
    /* STATS reports the instructions/cycles of the last TRAIN or EVAL too. */
    uint32_t before = srv->io.counter ? srv->io.counter(srv->io.user) : 0;
    odl_status_t s = train ? odl_train_step(ctx, req + 4, label, &st) : odl_eval_sample(ctx, req + 4, label, &st);
    uint32_t after = srv->io.counter ? srv->io.counter(srv->io.user) : 0;
    srv->last_counter = after - before;
    if (s != ODL_OK) return s;
    put_u32(resp, (uint32_t)st.loss_q16);
    put_u32(resp + 4, (uint32_t)st.correct);
    put_u32(resp + 8, (uint32_t)st.predicted);
    put_u32(resp + 12, st.step);
    put_u32(resp + 16, st.flags);
    *resp_len = 20;
    return ODL_OK;
}

static int on_train(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                    uint16_t *resp_len) {
    (void)user;
    return run_sample(srv, 1, req, req_len, resp, resp_len);
}

static int on_eval(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                   uint16_t *resp_len) {
    (void)user;
    return run_sample(srv, 0, req, req_len, resp, resp_len);
}

static int on_read_weights(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                           uint8_t *resp, uint16_t *resp_len) {
    (void)user;
    const odl_ctx_t *ctx = srv->ctx;
    const odl_train_config_t *tc = ctx->model ? ctx->model->train : 0;
    if (!tc) return ODL_ERR_TRAIN;
    if (req_len == 0) { /* summary: CRC-32 over every trainable tensor, in slot order */
        if (*resp_len < 10) return ODL_LINK_ST_BAD_STATE;
        uint32_t crc = 0, total = 0;
        for (uint16_t i = 0; i < tc->n_trainable; ++i) {
            const odl_tensor_t *t = odl_tensor_info(ctx, tc->trainable[i]);
            const uint8_t *p = (const uint8_t *)odl_tensor_ptr(ctx, tc->trainable[i]);
            if (!t || !p) return ODL_ERR_TRAIN;
            crc = odl_crc32(crc, p, (uint32_t)t->bytes);
            total += (uint32_t)t->bytes;
        }
        put_u32(resp, crc);
        put_u32(resp + 4, total);
        resp[8] = (uint8_t)tc->n_trainable;
        resp[9] = (uint8_t)(tc->n_trainable >> 8);
        *resp_len = 10;
        return ODL_OK;
    }
    if (req_len != 6) return ODL_LINK_ST_BAD_PAYLOAD;
    const uint16_t slot = (uint16_t)(req[0] | (req[1] << 8));
    const uint32_t off = get_u32(req + 2);
    if (slot >= tc->n_trainable) return ODL_ERR_ARG;
    const odl_tensor_t *t = odl_tensor_info(ctx, tc->trainable[slot]);
    const uint8_t *p = (const uint8_t *)odl_tensor_ptr(ctx, tc->trainable[slot]);
    if (!t || !p || off > (uint32_t)t->bytes) return ODL_ERR_ARG;
    uint32_t n = (uint32_t)t->bytes - off;
    if (n > *resp_len) n = *resp_len;
    memcpy(resp, p + off, n);
    *resp_len = (uint16_t)n;
    return ODL_OK;
}

/* TRAIN_STATUS: method u8, then u32 train steps, EVAL samples and correct
 * answers since the last training step (the last evaluation pass). */
static int on_train_status(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                           uint8_t *resp, uint16_t *resp_len) {
    (void)user;
    (void)req;
    const odl_ctx_t *ctx = srv->ctx;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    if (*resp_len < 13) return ODL_LINK_ST_BAD_STATE;
    resp[0] = (uint8_t)(ctx->model && ctx->model->train ? ctx->model->train->method : 0);
    put_u32(resp + 1, ctx->stats.train_steps);
    put_u32(resp + 5, ctx->stats.eval_samples);
    put_u32(resp + 9, ctx->stats.eval_correct);
    *resp_len = 13;
    return ODL_OK;
}

/* SET_LR: the rate shift of the following TRAINs (empty request: read it). */
static int on_set_lr(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                     uint16_t *resp_len) {
    (void)user;
    if (req_len > 1) return ODL_LINK_ST_BAD_PAYLOAD;
    if (*resp_len < 1) return ODL_LINK_ST_BAD_STATE;
    if (req_len == 1) {
        const odl_status_t s = odl_train_set_lr_shift(srv->ctx, req[0]);
        if (s != ODL_OK) return s;
    }
    resp[0] = (uint8_t)srv->ctx->lr_shift;
    *resp_len = 1;
    return ODL_OK;
}

odl_status_t odl_link_train_register(odl_link_server_t *srv) {
    if (!srv) return ODL_ERR_ARG;
    odl_status_t s = odl_link_register(srv, ODL_LINK_CMD_TRAIN, on_train, 0);
    if (s == ODL_OK) s = odl_link_register(srv, ODL_LINK_CMD_EVAL, on_eval, 0);
    if (s == ODL_OK) s = odl_link_register(srv, ODL_LINK_CMD_READ_WEIGHTS, on_read_weights, 0);
    if (s == ODL_OK) s = odl_link_register(srv, ODL_LINK_CMD_TRAIN_STATUS, on_train_status, 0);
    if (s == ODL_OK) s = odl_link_register(srv, ODL_LINK_CMD_SET_LR, on_set_lr, 0);
    return s;
}
