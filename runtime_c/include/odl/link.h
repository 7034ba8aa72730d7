/* tinyodl serial link: device side of the host <-> device protocol.
 *
 * Wire format (docs/design/link.md is the full specification):
 *   wire frame    = COBS(decoded frame) 0x00
 *   decoded frame = header(8) payload(len) crc32(4, LE, zlib polynomial over
 *                   header + payload)
 *   header        = version u8, command u8, flags u8, status u8,
 *                   seq u16 LE, len u16 LE
 *
 * No heap, no globals: every byte of state lives in odl_link_server_t, whose
 * buffers are sized by ODL_LINK_MAX_PAYLOAD (override with -D). The receive
 * side decodes COBS byte by byte as data arrives and the transmit side encodes
 * while writing, so no encoded copy of a frame is ever held.
 */
#ifndef ODL_LINK_H
#define ODL_LINK_H

#include <stdint.h>

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ODL_LINK_MAX_PAYLOAD
#define ODL_LINK_MAX_PAYLOAD 4096
#endif
#if ODL_LINK_MAX_PAYLOAD < 256 || ODL_LINK_MAX_PAYLOAD > 65535
#error "ODL_LINK_MAX_PAYLOAD must be within [256, 65535]"
#endif

/* Extra handlers that training / persistence code may register at run time. */
#ifndef ODL_LINK_MAX_HANDLERS
#define ODL_LINK_MAX_HANDLERS 16
#endif

/* Bytes of COBS output staged before each io->write call. */
#ifndef ODL_LINK_TX_CHUNK
#define ODL_LINK_TX_CHUNK 64
#endif

/* Longest device -> host log line (longer text is cut). */
#ifndef ODL_LINK_MAX_LOG
#define ODL_LINK_MAX_LOG 120
#endif

#define ODL_LINK_VERSION 1
#define ODL_LINK_HEADER_SIZE 8
#define ODL_LINK_CRC_SIZE 4
#define ODL_LINK_FRAME_MAX (ODL_LINK_HEADER_SIZE + ODL_LINK_MAX_PAYLOAD + ODL_LINK_CRC_SIZE)
/* seq of a NACK whose request could not be trusted, and of unsolicited frames. */
#define ODL_LINK_SEQ_NONE 0xFFFFu

/* Header flags. */
#define ODL_LINK_F_RESPONSE 0x01 /* device -> host answer */
#define ODL_LINK_F_EVENT 0x02    /* unsolicited device -> host frame (LOG) */
#define ODL_LINK_F_REPLAY 0x04   /* answer re-sent from the cache, not re-executed */

/* Command codes. Codes are stable: never reuse one. */
typedef enum {
    ODL_LINK_CMD_INFO = 0x01,
    ODL_LINK_CMD_SET_INPUT = 0x02,
    ODL_LINK_CMD_INFER = 0x03,
    ODL_LINK_CMD_GET_OUTPUT = 0x04,
    ODL_LINK_CMD_STATS = 0x05,
    ODL_LINK_CMD_LOG = 0x06, /* device -> host only */
    ODL_LINK_CMD_ECHO = 0x07,
    ODL_LINK_CMD_RESET_STATE = 0x08, /* zero the model's state tensors (LSTM, SVDF) */
    /* Reserved for training and persistence (registered by their modules). */
    ODL_LINK_CMD_TRAIN = 0x10,
    ODL_LINK_CMD_EVAL = 0x11,
    ODL_LINK_CMD_COMMIT = 0x12,
    ODL_LINK_CMD_READ_WEIGHTS = 0x13,
    ODL_LINK_CMD_RESET = 0x14,
    ODL_LINK_CMD_WRITE_WEIGHTS = 0x15,
    ODL_LINK_CMD_SET_LABEL = 0x16,
    ODL_LINK_CMD_TRAIN_STATUS = 0x17,
    ODL_LINK_CMD_SET_LR = 0x18, /* rate of the following TRAINs: configured / 2^shift */
    /* 0x40..0x7F: free for application commands. */
} odl_link_cmd_t;

/* Status byte of a response: 0 = ACK; 1..63 = an odl_status_t returned by the
 * command; 0x40.. = link-level rejections below. */
typedef enum {
    ODL_LINK_ST_BAD_FRAME = 0x40,   /* invalid COBS or shorter than header + CRC */
    ODL_LINK_ST_BAD_CRC = 0x41,     /* CRC-32 mismatch */
    ODL_LINK_ST_BAD_LENGTH = 0x42,  /* len field disagrees with the frame size */
    ODL_LINK_ST_TOO_LARGE = 0x43,   /* frame longer than ODL_LINK_MAX_PAYLOAD */
    ODL_LINK_ST_BAD_VERSION = 0x44, /* protocol version not spoken here */
    ODL_LINK_ST_UNKNOWN_CMD = 0x45, /* no handler for the command */
    ODL_LINK_ST_BAD_STATE = 0x46,   /* command not valid now (e.g. GET_OUTPUT before INFER) */
    ODL_LINK_ST_BAD_PAYLOAD = 0x47, /* payload malformed for the command */
} odl_link_status_t;

typedef struct {
    int (*read_byte)(void *user); /* next received byte, or -1 when none is waiting */
    void (*write)(void *user, const uint8_t *buf, uint32_t len);
    uint32_t (*counter)(void *user);          /* instructions/cycles, may be NULL */
    uint32_t (*stack_high_water)(void *user); /* bytes, may be NULL */
    void *user;
} odl_link_io_t;

typedef struct odl_link_server odl_link_server_t;

/* A command handler. req/req_len: request payload. resp: room for
 * *resp_len bytes (in: capacity, out: bytes written). Returns the status byte
 * (ODL_OK, an odl_status_t or an odl_link_status_t). A handler runs once per
 * seq: a repeated request is answered from the cache without calling it. */
typedef int (*odl_link_handler_t)(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                                  uint8_t *resp, uint16_t *resp_len);

typedef struct {
    uint8_t cmd;
    odl_link_handler_t fn;
    void *user;
} odl_link_entry_t;

typedef struct {
    uint32_t frames_ok;       /* requests executed */
    uint32_t frames_replayed; /* repeated seq answered from the cache */
    uint32_t frames_rejected; /* NACKed before execution (framing, CRC, length) */
    uint32_t bytes_skipped;   /* decoded bytes of rejected frames and overflow */
} odl_link_counters_t;

struct odl_link_server {
    odl_ctx_t *ctx;
    odl_link_io_t io;
    const char *target_name;
    uint8_t have_output;  /* a successful INFER has run since init */

    /* Receive: incremental COBS decoder into rx. */
    uint8_t rx[ODL_LINK_FRAME_MAX];
    uint32_t rx_len;
    uint8_t rx_block_left; /* data bytes still due in the current COBS block */
    uint8_t rx_zero_due;   /* the current block ends with an implicit zero */
    uint8_t rx_overflow;   /* frame too long: drop until the next delimiter */
    uint8_t rx_started;    /* at least one byte of the current frame seen */

    /* Transmit: tx holds the last response, which doubles as the replay
     * cache for a repeated seq (valid while last_seq != ODL_LINK_SEQ_NONE). */
    uint8_t tx[ODL_LINK_FRAME_MAX];
    uint32_t tx_len;
    uint16_t last_seq;
    uint32_t last_req_crc; /* CRC of the request that produced tx */
    uint8_t stage[ODL_LINK_TX_CHUNK];

    /* Measured by INFER for STATS. */
    uint32_t last_counter;
    odl_link_counters_t counters;

    odl_link_entry_t handlers[ODL_LINK_MAX_HANDLERS];
    uint8_t n_handlers;
};

/* ctx must already be initialised with odl_init; io is copied. */
odl_status_t odl_link_server_init(odl_link_server_t *srv, odl_ctx_t *ctx, const odl_link_io_t *io,
                                  const char *target_name);
/* Consumes every byte waiting, answers each complete frame. Never blocks. */
odl_status_t odl_link_server_poll(odl_link_server_t *srv);
/* Adds or replaces the handler of cmd (built-in commands may be overridden).
 * ODL_ERR_ARENA when the table is full. */
odl_status_t odl_link_register(odl_link_server_t *srv, uint8_t cmd, odl_link_handler_t fn, void *user);
/* Sends one text line to the host as an unsolicited LOG frame. */
void odl_link_log(odl_link_server_t *srv, const char *text);

/* Building blocks, exported for tests and for other transports. */
uint32_t odl_crc32(uint32_t crc, const uint8_t *data, uint32_t len); /* zlib.crc32 */
/* Returns the encoded length (at most len + len / 254 + 1), no delimiter. */
uint32_t odl_cobs_encode(const uint8_t *src, uint32_t len, uint8_t *dst);
/* Returns the decoded length, or -1 for invalid input (a zero byte or a
 * block running past the end). dst needs len bytes. */
int32_t odl_cobs_decode(const uint8_t *src, uint32_t len, uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif /* ODL_LINK_H */
