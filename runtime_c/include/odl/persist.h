/* tinyodl weight store: power-fail-safe A/B slots in non-volatile memory.
 *
 * The payload is the bytes of the trainable arena tensors: those of the
 * train config's list, in its order, or (a model without one) every
 * ODL_T_TRAINABLE tensor in table order. Each slot is a 32-byte header followed by the payload. A
 * commit erases the inactive slot, writes its payload, reads it back, then
 * writes the header body and, last of all, the 4-byte magic: a write cut at
 * any byte leaves that slot invalid and the other slot untouched. Boot loads
 * the newest valid slot whose model hash matches, else the other, else the
 * model's factory (init) data. docs/store-format.md has the byte layout.
 *
 * No heap, no globals; stack use is one ODL_STORE_CHUNK buffer plus a header.
 * The same code runs over any odl_nv_driver_t: a host file, a semihosting
 * file under QEMU, or flash sectors on a board.
 */
#ifndef ODL_PERSIST_H
#define ODL_PERSIST_H

#include <stdint.h>

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ODL_STORE_MAGIC 0x574C444Fu /* "ODLW" as bytes */
#define ODL_STORE_FORMAT 1
#define ODL_STORE_HEADER_SIZE 32
#define ODL_STORE_NO_SLOT (-1)

/* Bytes read per driver call while checking or comparing a slot. */
#ifndef ODL_STORE_CHUNK
#define ODL_STORE_CHUNK 64
#endif

/* Non-volatile memory seen as one linear range of two slots: slot k holds
 * bytes [k * slot_size, (k + 1) * slot_size). The store writes each byte at
 * most once between erases, so flash that only clears bits works. */
typedef struct odl_nv_driver {
    odl_status_t (*read)(void *user, uint32_t offset, uint8_t *buf, uint32_t len);
    odl_status_t (*write)(void *user, uint32_t offset, const uint8_t *buf, uint32_t len);
    /* Afterwards at least [offset, offset + len) reads as 0xFF (flash
     * rounds out to its erase unit; offset is always a slot start). */
    odl_status_t (*erase)(void *user, uint32_t offset, uint32_t len);
    uint32_t slot_size;
    void *user;
} odl_nv_driver_t;

/* One slot's header as decoded (all fields little endian on the medium). */
typedef struct {
    uint32_t magic;
    uint16_t format;
    uint16_t header_size;
    uint32_t model_hash;
    uint32_t generation;
    uint32_t payload_len;
    uint32_t payload_crc;
    uint32_t train_steps; /* ctx->stats.train_steps when committed */
    uint32_t header_crc;  /* CRC-32 of the 28 bytes before it */
} odl_store_header_t;

/* Why a slot was or was not used at the last load (for reports). */
typedef enum {
    ODL_SLOT_EMPTY = 0,      /* erased or never written (bad magic) */
    ODL_SLOT_BAD_HEADER = 1, /* magic present but header CRC/format wrong */
    ODL_SLOT_OTHER_MODEL = 2,/* valid header of another model or payload size */
    ODL_SLOT_BAD_PAYLOAD = 3,/* payload CRC mismatch */
    ODL_SLOT_VALID = 4,
} odl_slot_state_t;

typedef struct {
    odl_ctx_t *ctx;
    odl_nv_driver_t nv;
    uint32_t payload_len;
    int8_t active;            /* slot the RAM weights came from / went to, or ODL_STORE_NO_SLOT */
    uint8_t slot_state[2];    /* odl_slot_state_t as of the last load/commit */
    uint32_t generation;      /* of the active slot; 0 = factory weights */
    uint32_t next_generation; /* 1 + the highest generation of any valid header */
    uint32_t committed_crc;   /* payload CRC of the active slot (of the factory data when none) */
    uint32_t committed_steps; /* train_steps recorded by the active slot */
    /* Medium traffic since odl_store_init (flash wear, retry tests). */
    uint32_t commits_written; /* commits that wrote a slot */
    uint32_t nv_write_calls;
    uint32_t nv_bytes_written;
    uint32_t nv_erases;
} odl_store_t;

/* Bytes of the payload of a model: sum of its trainable arena tensors. */
uint32_t odl_store_payload_size(const odl_model_t *model);
/* The k-th tensor of the payload, or NULL past the last. */
const odl_tensor_t *odl_store_payload_tensor(const odl_model_t *model, uint32_t k);

/* Binds the store to an initialised context and a driver (copied).
 * ODL_ERR_MODEL when a trainable tensor is not in the arena, ODL_ERR_STORE
 * when header + payload do not fit a slot. Reads nothing yet. */
odl_status_t odl_store_init(odl_store_t *st, odl_ctx_t *ctx, const odl_nv_driver_t *nv);

/* Boot / roll back: puts the newest valid committed weights (or the factory
 * weights) into the arena and re-prepares the training method's state from
 * them. ODL_OK whichever source was used (st->active tells); an error only
 * when the driver fails or the training method cannot be re-initialised. */
odl_status_t odl_store_load(odl_store_t *st);

/* Saves the arena's trainable tensors as a new generation in the inactive
 * slot. When they equal the active slot's payload byte for byte nothing is
 * written (*wrote = 0), so repeating a commit never wears the medium or
 * moves the generation. wrote may be NULL. */
odl_status_t odl_store_commit(odl_store_t *st, uint8_t *wrote);

/* Factory reset: erases the older slot, then the active one, and puts the
 * factory weights into the arena. Cut between the two erases, the device
 * boots into the last committed weights, never into anything else. */
odl_status_t odl_store_erase_all(odl_store_t *st);

/* CRC-32 (zlib) of the arena's current payload. */
uint32_t odl_store_ram_crc(const odl_store_t *st);

/* Copies payload bytes [offset, offset + len) from / to the arena tensors. */
odl_status_t odl_store_payload_read(const odl_store_t *st, uint32_t offset, uint8_t *buf, uint32_t len);
odl_status_t odl_store_payload_write(odl_store_t *st, uint32_t offset, const uint8_t *buf, uint32_t len);

/* Decodes and checks the header of slot k; *state tells what was found. */
odl_status_t odl_store_read_header(const odl_store_t *st, int slot, odl_store_header_t *h,
                                   odl_slot_state_t *state);

/* Link commands COMMIT, READ_WEIGHTS, WRITE_WEIGHTS and RESET on top of a
 * store (runtime_c/src/persist/link_persist.c). The store must outlive srv. */
struct odl_link_server;
odl_status_t odl_persist_register(struct odl_link_server *srv, odl_store_t *st);

#ifdef __cplusplus
}
#endif

#endif /* ODL_PERSIST_H */
