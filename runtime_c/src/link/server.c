/* Link framing: incremental COBS receive, CRC and length checks, replay of
 * the last answer for a repeated seq, dispatch through the handler tables,
 * and COBS-on-the-fly transmit. See docs/design/link.md. */
#include <string.h>

#include "link_internal.h"

#define FRAME_MIN (ODL_LINK_HEADER_SIZE + ODL_LINK_CRC_SIZE)

static void rx_reset(odl_link_server_t *srv) {
    srv->rx_len = 0;
    srv->rx_block_left = 0;
    srv->rx_zero_due = 0;
    srv->rx_overflow = 0;
    srv->rx_started = 0;
}

odl_status_t odl_link_server_init(odl_link_server_t *srv, odl_ctx_t *ctx, const odl_link_io_t *io,
                                  const char *target_name) {
    if (!srv || !ctx || !io || !io->read_byte || !io->write) return ODL_ERR_ARG;
    memset(srv, 0, sizeof(*srv));
    srv->ctx = ctx;
    srv->io = *io;
    srv->target_name = target_name ? target_name : "";
    srv->last_seq = ODL_LINK_SEQ_NONE;
    rx_reset(srv);
    return ODL_OK;
}

odl_status_t odl_link_register(odl_link_server_t *srv, uint8_t cmd, odl_link_handler_t fn, void *user) {
    if (!srv || !fn) return ODL_ERR_ARG;
    for (uint8_t i = 0; i < srv->n_handlers; ++i) {
        if (srv->handlers[i].cmd == cmd) {
            srv->handlers[i].fn = fn;
            srv->handlers[i].user = user;
            return ODL_OK;
        }
    }
    if (srv->n_handlers >= ODL_LINK_MAX_HANDLERS) return ODL_ERR_ARENA;
    odl_link_entry_t *e = &srv->handlers[srv->n_handlers++];
    e->cmd = cmd;
    e->fn = fn;
    e->user = user;
    return ODL_OK;
}

/* ---- transmit ---------------------------------------------------------- */

typedef struct {
    odl_link_server_t *srv;
    uint32_t fill;
} stager_t;

static void stage_byte(stager_t *s, uint8_t b) {
    s->srv->stage[s->fill++] = b;
    if (s->fill == ODL_LINK_TX_CHUNK) {
        s->srv->io.write(s->srv->io.user, s->srv->stage, s->fill);
        s->fill = 0;
    }
}

/* Writes 0x00 COBS(buf) 0x00. The leading delimiter separates the frame from
 * anything else the firmware may have printed on the same UART. */
static void send_cobs(odl_link_server_t *srv, const uint8_t *buf, uint32_t len) {
    stager_t s = {srv, 0};
    stage_byte(&s, 0);
    uint32_t i = 0;
    for (;;) {
        uint32_t j = i;
        while (j < len && buf[j] != 0 && j - i < 254u) ++j;
        stage_byte(&s, (uint8_t)(j - i + 1));
        for (uint32_t k = i; k < j; ++k) stage_byte(&s, buf[k]);
        if (j - i == 254u) {
            if (j == len) break;
            i = j;
            continue;
        }
        if (j == len) break;
        i = j + 1; /* skip the zero the block stands for */
    }
    stage_byte(&s, 0);
    if (s.fill) srv->io.write(srv->io.user, srv->stage, s.fill);
}

/* Fills header and CRC around the payload already at buf + header. */
static uint32_t seal(uint8_t *buf, uint8_t cmd, uint8_t flags, uint8_t status, uint16_t seq, uint16_t len) {
    buf[0] = ODL_LINK_VERSION;
    buf[1] = cmd;
    buf[2] = flags;
    buf[3] = status;
    odl_link_put16(buf + 4, seq);
    odl_link_put16(buf + 6, len);
    uint32_t n = ODL_LINK_HEADER_SIZE + (uint32_t)len;
    odl_link_put32(buf + n, odl_crc32(0, buf, n));
    return n + ODL_LINK_CRC_SIZE;
}

/* A rejection whose request cannot be trusted: seq ODL_LINK_SEQ_NONE, not cached. */
static void nack_untrusted(odl_link_server_t *srv, uint8_t status) {
    uint8_t buf[FRAME_MIN];
    srv->counters.frames_rejected++;
    srv->counters.bytes_skipped += srv->rx_len;
    send_cobs(srv, buf, seal(buf, 0, ODL_LINK_F_RESPONSE, status, ODL_LINK_SEQ_NONE, 0));
}

void odl_link_log(odl_link_server_t *srv, const char *text) {
    uint8_t buf[ODL_LINK_HEADER_SIZE + ODL_LINK_MAX_LOG + ODL_LINK_CRC_SIZE];
    if (!srv || !text) return;
    uint16_t n = 0;
    while (n < ODL_LINK_MAX_LOG && text[n]) {
        buf[ODL_LINK_HEADER_SIZE + n] = (uint8_t)text[n];
        ++n;
    }
    uint8_t flags = ODL_LINK_F_RESPONSE | ODL_LINK_F_EVENT;
    send_cobs(srv, buf, seal(buf, ODL_LINK_CMD_LOG, flags, ODL_OK, ODL_LINK_SEQ_NONE, n));
}

/* ---- receive ----------------------------------------------------------- */

static const odl_link_entry_t *find_handler(const odl_link_server_t *srv, uint8_t cmd) {
    for (uint8_t i = 0; i < srv->n_handlers; ++i)
        if (srv->handlers[i].cmd == cmd) return &srv->handlers[i];
    return odl_link_builtin(cmd);
}

/* A frame whose CRC holds: its seq is trusted from here on. */
static void execute(odl_link_server_t *srv, uint32_t req_crc) {
    const uint8_t *rx = srv->rx;
    uint8_t cmd = rx[1];
    uint16_t seq = odl_link_get16(rx + 4);
    uint16_t len = odl_link_get16(rx + 6);
    if (rx[2] & ODL_LINK_F_RESPONSE) { /* our own kind of frame echoed back: never answer it */
        srv->counters.frames_rejected++;
        return;
    }
    /* Same seq and same bytes as the last request: a retry after a lost
     * answer. Re-send, never re-execute. A different request under the same
     * seq (a restarted host) executes normally. */
    if (seq == srv->last_seq && req_crc == srv->last_req_crc && srv->tx_len) {
        srv->counters.frames_replayed++;
        if (!(srv->tx[2] & ODL_LINK_F_REPLAY)) {
            uint32_t n = srv->tx_len - ODL_LINK_CRC_SIZE;
            srv->tx[2] |= ODL_LINK_F_REPLAY;
            odl_link_put32(srv->tx + n, odl_crc32(0, srv->tx, n));
        }
        send_cobs(srv, srv->tx, srv->tx_len);
        return;
    }
    if (seq == ODL_LINK_SEQ_NONE) { /* reserved for untrusted answers and events: never executed */
        srv->counters.frames_rejected++;
        uint8_t buf[FRAME_MIN];
        send_cobs(srv, buf, seal(buf, cmd, ODL_LINK_F_RESPONSE, ODL_LINK_ST_BAD_FRAME, ODL_LINK_SEQ_NONE, 0));
        return;
    }
    int status;
    uint16_t out_len = 0;
    if (rx[0] != ODL_LINK_VERSION) {
        status = ODL_LINK_ST_BAD_VERSION;
    } else if ((uint32_t)len + FRAME_MIN != srv->rx_len) {
        status = ODL_LINK_ST_BAD_LENGTH;
    } else {
        const odl_link_entry_t *h = find_handler(srv, cmd);
        if (!h) {
            status = ODL_LINK_ST_UNKNOWN_CMD;
        } else {
            out_len = ODL_LINK_MAX_PAYLOAD;
            status = h->fn(srv, h->user, rx + ODL_LINK_HEADER_SIZE, len, srv->tx + ODL_LINK_HEADER_SIZE,
                           &out_len);
            if (out_len > ODL_LINK_MAX_PAYLOAD) { /* a handler overran: never send it */
                status = ODL_ERR_LINK;
                out_len = 0;
            }
            if (status < 0 || status > 0xFF) status = ODL_ERR_LINK;
            if (status != ODL_OK) out_len = 0; /* an error carries no payload (nor what a handler left) */
        }
    }
    srv->counters.frames_ok++;
    srv->tx_len = seal(srv->tx, cmd, ODL_LINK_F_RESPONSE, (uint8_t)status, seq, out_len);
    srv->last_seq = seq;
    srv->last_req_crc = req_crc;
    send_cobs(srv, srv->tx, srv->tx_len);
}

static void end_frame(odl_link_server_t *srv) {
    if (!srv->rx_started) return; /* empty frame: a bare delimiter, used to resync */
    if (srv->rx_overflow) {
        nack_untrusted(srv, ODL_LINK_ST_TOO_LARGE);
    } else if (srv->rx_block_left != 0 || srv->rx_len < FRAME_MIN) {
        nack_untrusted(srv, ODL_LINK_ST_BAD_FRAME);
    } else {
        uint32_t n = srv->rx_len - ODL_LINK_CRC_SIZE;
        uint32_t crc = odl_crc32(0, srv->rx, n);
        if (crc != odl_link_get32(srv->rx + n))
            nack_untrusted(srv, ODL_LINK_ST_BAD_CRC);
        else
            execute(srv, crc);
    }
    rx_reset(srv);
}

static void rx_append(odl_link_server_t *srv, uint8_t b) {
    if (srv->rx_len >= ODL_LINK_FRAME_MAX) {
        srv->rx_overflow = 1;
        srv->counters.bytes_skipped++;
        return;
    }
    srv->rx[srv->rx_len++] = b;
}

static void rx_byte(odl_link_server_t *srv, uint8_t b) {
    if (b == 0) {
        end_frame(srv);
        return;
    }
    srv->rx_started = 1;
    if (srv->rx_overflow) {
        srv->counters.bytes_skipped++;
        return;
    }
    if (srv->rx_block_left == 0) { /* a COBS code byte opens a block */
        if (srv->rx_zero_due) rx_append(srv, 0);
        srv->rx_block_left = (uint8_t)(b - 1);
        srv->rx_zero_due = (uint8_t)(b != 0xFF);
    } else {
        rx_append(srv, b);
        srv->rx_block_left--;
    }
}

odl_status_t odl_link_server_poll(odl_link_server_t *srv) {
    if (!srv || !srv->ctx) return ODL_ERR_ARG;
    for (;;) {
        int c = srv->io.read_byte(srv->io.user);
        if (c < 0) break;
        rx_byte(srv, (uint8_t)c);
    }
    return ODL_OK;
}
