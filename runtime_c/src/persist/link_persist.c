/* Link commands of the weight store: COMMIT, READ_WEIGHTS, WRITE_WEIGHTS,
 * RESET. Payload layouts are in docs/store-format.md; integers LE.
 *
 * Idempotence: the link replays the cached answer of a repeated seq without
 * calling the handler; beyond that, COMMIT writes nothing when the weights
 * equal the active slot's, and WRITE_WEIGHTS / RESET set absolute state, so
 * running any of them twice leaves the device as running it once. */
#include <string.h>

#include "odl/link.h"
#include "odl/persist.h"
#include "odl/train.h"

#define SUMMARY_SIZE 39
#define COMMIT_RESP_SIZE 14
#define RESET_ROLLBACK 0
#define RESET_FACTORY 1

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t put_summary(const odl_store_t *st, uint8_t *resp) {
    uint32_t words[9] = {st->payload_len,     odl_store_ram_crc(st), st->generation,
                         st->committed_crc,   st->committed_steps,   st->ctx->model->hash,
                         st->commits_written, st->nv_bytes_written,  st->nv_erases};
    for (int i = 0; i < 9; ++i) put32(resp + 4 * i, words[i]);
    resp[36] = st->active == ODL_STORE_NO_SLOT ? 0xFF : (uint8_t)st->active;
    resp[37] = st->slot_state[0];
    resp[38] = st->slot_state[1];
    return SUMMARY_SIZE;
}

/* req: empty. resp: generation u32, slot u8, wrote u8, crc u32, bytes written u32. */
static int cmd_commit(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                      uint16_t *resp_len) {
    (void)srv;
    (void)req;
    odl_store_t *st = (odl_store_t *)user;
    *resp_len = 0;
    if (req_len != 0) return ODL_LINK_ST_BAD_PAYLOAD;
    uint8_t wrote = 0;
    odl_status_t s = odl_store_commit(st, &wrote);
    if (s != ODL_OK) return s;
    put32(resp, st->generation);
    resp[4] = st->active == ODL_STORE_NO_SLOT ? 0xFF : (uint8_t)st->active;
    resp[5] = wrote;
    put32(resp + 6, st->committed_crc);
    put32(resp + 10, st->nv_bytes_written);
    *resp_len = COMMIT_RESP_SIZE;
    return ODL_OK;
}

/* Weights in RAM, as the training commands lay them out (odl/link_train.h):
 *   req empty             -> CRC-32 of the payload u32, bytes u32, tensors u16
 *   req tensor u16, offset u32 -> that payload tensor's bytes from offset (as
 *                            many as fit; none at its end)
 *   req one byte 0        -> the store summary. */
static int cmd_read_weights(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                            uint8_t *resp, uint16_t *resp_len) {
    (void)srv;
    odl_store_t *st = (odl_store_t *)user;
    const odl_model_t *m = st->ctx->model;
    uint16_t cap = *resp_len;
    *resp_len = 0;
    if (req_len == 0) {
        uint16_t n = 0;
        while (odl_store_payload_tensor(m, n)) ++n;
        put32(resp, odl_store_ram_crc(st));
        put32(resp + 4, st->payload_len);
        resp[8] = (uint8_t)n;
        resp[9] = (uint8_t)(n >> 8);
        *resp_len = 10;
        return ODL_OK;
    }
    if (req_len == 1) {
        if (req[0] != 0) return ODL_LINK_ST_BAD_PAYLOAD;
        *resp_len = put_summary(st, resp);
        return ODL_OK;
    }
    if (req_len != 6) return ODL_LINK_ST_BAD_PAYLOAD;
    const odl_tensor_t *t = odl_store_payload_tensor(m, (uint32_t)(req[0] | (req[1] << 8)));
    uint32_t offset = get32(req + 2);
    if (!t || offset > (uint32_t)t->bytes) return ODL_ERR_ARG;
    uint32_t n = (uint32_t)t->bytes - offset;
    if (n > cap) n = cap;
    memcpy(resp, st->ctx->arena + t->offset + offset, n);
    *resp_len = (uint16_t)n;
    return ODL_OK;
}

/* Method state is derived from the weights (as after a load); 0 when the
 * model does not train. */
static odl_status_t retrain_init(odl_store_t *st) {
    if (!st->ctx->model->train || !st->ctx->ready) return ODL_OK;
    return odl_train_init(st->ctx);
}

/* req: offset u32, bytes -> copied into the weights in RAM (not committed).
 * Validated on write: the training method's init (the check the next boot
 * runs) must accept the new weights, else the old bytes (kept in the unused
 * response buffer) go back and the method's status is returned, so a COMMIT
 * can never store weights the device would refuse to load. */
static int cmd_write_weights(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                             uint8_t *resp, uint16_t *resp_len) {
    (void)srv;
    odl_store_t *st = (odl_store_t *)user;
    uint16_t cap = *resp_len;
    *resp_len = 0;
    if (req_len < 4 || req_len - 4u > cap) return ODL_LINK_ST_BAD_PAYLOAD;
    uint32_t offset = get32(req), n = (uint32_t)req_len - 4;
    odl_status_t s = odl_store_payload_read(st, offset, resp, n);
    if (s != ODL_OK) return s;
    s = odl_store_payload_write(st, offset, req + 4, n);
    if (s != ODL_OK) return s;
    s = retrain_init(st);
    if (s != ODL_OK) {
        odl_store_payload_write(st, offset, resp, n);
        retrain_init(st);
    }
    return s;
}

/* req: mode u8 (0 = reload the committed weights, 1 = factory reset).
 * resp: the store summary afterwards. */
static int cmd_reset(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                     uint16_t *resp_len) {
    (void)srv;
    odl_store_t *st = (odl_store_t *)user;
    *resp_len = 0;
    if (req_len != 1 || req[0] > RESET_FACTORY) return ODL_LINK_ST_BAD_PAYLOAD;
    odl_status_t s = req[0] == RESET_FACTORY ? odl_store_erase_all(st) : odl_store_load(st);
    if (s != ODL_OK) return s;
    *resp_len = put_summary(st, resp);
    return ODL_OK;
}

odl_status_t odl_persist_register(odl_link_server_t *srv, odl_store_t *st) {
    if (!srv || !st || !st->ctx) return ODL_ERR_ARG;
    static const struct {
        uint8_t cmd;
        odl_link_handler_t fn;
    } table[] = {
        {ODL_LINK_CMD_COMMIT, cmd_commit},
        {ODL_LINK_CMD_READ_WEIGHTS, cmd_read_weights},
        {ODL_LINK_CMD_WRITE_WEIGHTS, cmd_write_weights},
        {ODL_LINK_CMD_RESET, cmd_reset},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i) {
        odl_status_t s = odl_link_register(srv, table[i].cmd, table[i].fn, st);
        if (s != ODL_OK) return s;
    }
    return ODL_OK;
}
