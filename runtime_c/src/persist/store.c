/* Power-fail-safe A/B weight store (odl/persist.h, docs/store-format.md).
 *
 * Invariant: a slot validates only if its magic, written last, is complete,
 * its header CRC holds and its payload CRC holds. A commit only ever touches
 * the slot that does not hold the active weights, so a cut at any byte
 * leaves the previous generation loadable. */
#include <string.h>

#include "odl/link.h" /* odl_crc32 */
#include "odl/persist.h"
#include "odl/train.h"

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Serial-number order, so generations keep ordering across a 2^32 wrap. */
static int newer(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* Payload tensors, in payload order: the train config's trainable list when
 * the model has one (the order the training commands use), else every
 * ODL_T_TRAINABLE tensor in table order. */
typedef struct {
    const odl_model_t *m;
    uint32_t next;
} payload_iter_t;

static const odl_tensor_t *next_payload(payload_iter_t *it) {
    const odl_model_t *m = it->m;
    if (m->train) {
        while (it->next < m->train->n_trainable) {
            int32_t idx = m->train->trainable[it->next++];
            if (idx >= 0 && idx < (int32_t)m->n_tensors && m->tensors[idx].bytes > 0) return &m->tensors[idx];
        }
        return 0;
    }
    while (it->next < m->n_tensors) {
        const odl_tensor_t *t = &m->tensors[it->next++];
        if ((t->flags & ODL_T_TRAINABLE) && t->bytes > 0) return t;
    }
    return 0;
}

uint32_t odl_store_payload_size(const odl_model_t *model) {
    uint32_t n = 0;
    if (!model) return 0;
    payload_iter_t it = {model, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;) n += (uint32_t)t->bytes;
    return n;
}

const odl_tensor_t *odl_store_payload_tensor(const odl_model_t *model, uint32_t k) {
    if (!model) return 0;
    payload_iter_t it = {model, 0};
    const odl_tensor_t *t = next_payload(&it);
    for (; t && k > 0; --k) t = next_payload(&it);
    return t;
}

static uint32_t slot_base(const odl_store_t *st, int slot) { return (uint32_t)slot * st->nv.slot_size; }

odl_status_t odl_store_init(odl_store_t *st, odl_ctx_t *ctx, const odl_nv_driver_t *nv) {
    if (!st || !ctx || !ctx->model || !nv || !nv->read || !nv->write || !nv->erase) return ODL_ERR_ARG;
    memset(st, 0, sizeof(*st));
    const odl_model_t *m = ctx->model;
    payload_iter_t it = {m, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;)
        if (!(t->flags & ODL_T_ARENA)) return ODL_ERR_MODEL;
    st->ctx = ctx;
    st->nv = *nv;
    st->payload_len = odl_store_payload_size(m);
    if (nv->slot_size < ODL_STORE_HEADER_SIZE || st->payload_len > nv->slot_size - ODL_STORE_HEADER_SIZE)
        return ODL_ERR_STORE;
    st->active = ODL_STORE_NO_SLOT;
    st->next_generation = 1;
    return ODL_OK;
}

/* Walks payload bytes [offset, offset + len) tensor by tensor; copies into
 * buf (to_arena = 0) or from buf into the arena (to_arena = 1). */
static odl_status_t payload_copy(const odl_store_t *st, uint32_t offset, uint8_t *buf, uint32_t len, int to_arena) {
    if (offset > st->payload_len || len > st->payload_len - offset) return ODL_ERR_ARG;
    uint32_t pos = 0;
    payload_iter_t it = {st->ctx->model, 0};
    for (const odl_tensor_t *t; len > 0 && (t = next_payload(&it)) != 0;) {
        uint32_t size = (uint32_t)t->bytes;
        if (offset < pos + size) {
            uint32_t skip = offset - pos;
            uint32_t n = size - skip < len ? size - skip : len;
            uint8_t *p = st->ctx->arena + t->offset + skip;
            if (to_arena)
                memcpy(p, buf, n);
            else
                memcpy(buf, p, n);
            buf += n;
            offset += n;
            len -= n;
        }
        pos += size;
    }
    return ODL_OK;
}

odl_status_t odl_store_payload_read(const odl_store_t *st, uint32_t offset, uint8_t *buf, uint32_t len) {
    if (!st || !st->ctx || (!buf && len)) return ODL_ERR_ARG;
    return payload_copy(st, offset, buf, len, 0);
}

odl_status_t odl_store_payload_write(odl_store_t *st, uint32_t offset, const uint8_t *buf, uint32_t len) {
    if (!st || !st->ctx || (!buf && len)) return ODL_ERR_ARG;
    /* The copy only reads buf in this direction. */
    return payload_copy(st, offset, (uint8_t *)(uintptr_t)buf, len, 1);
}

uint32_t odl_store_ram_crc(const odl_store_t *st) {
    uint32_t crc = 0;
    if (!st || !st->ctx) return 0;
    payload_iter_t it = {st->ctx->model, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;)
        crc = odl_crc32(crc, st->ctx->arena + t->offset, (uint32_t)t->bytes);
    return crc;
}

/* CRC-32 of medium bytes [offset, offset + len), read in chunks. */
static odl_status_t nv_crc(const odl_store_t *st, uint32_t offset, uint32_t len, uint32_t *crc) {
    uint8_t chunk[ODL_STORE_CHUNK];
    uint32_t c = 0;
    while (len > 0) {
        uint32_t n = len < ODL_STORE_CHUNK ? len : ODL_STORE_CHUNK;
        odl_status_t s = st->nv.read(st->nv.user, offset, chunk, n);
        if (s != ODL_OK) return s;
        c = odl_crc32(c, chunk, n);
        offset += n;
        len -= n;
    }
    *crc = c;
    return ODL_OK;
}

static void encode_header(const odl_store_header_t *h, uint8_t out[ODL_STORE_HEADER_SIZE]) {
    put32(out + 0, h->magic);
    out[4] = (uint8_t)h->format;
    out[5] = (uint8_t)(h->format >> 8);
    out[6] = (uint8_t)h->header_size;
    out[7] = (uint8_t)(h->header_size >> 8);
    put32(out + 8, h->model_hash);
    put32(out + 12, h->generation);
    put32(out + 16, h->payload_len);
    put32(out + 20, h->payload_crc);
    put32(out + 24, h->train_steps);
    put32(out + 28, odl_crc32(0, out, 28));
}

odl_status_t odl_store_read_header(const odl_store_t *st, int slot, odl_store_header_t *h, odl_slot_state_t *state) {
    uint8_t raw[ODL_STORE_HEADER_SIZE];
    if (!st || !st->ctx || !h || !state || slot < 0 || slot > 1) return ODL_ERR_ARG;
    odl_status_t s = st->nv.read(st->nv.user, slot_base(st, slot), raw, sizeof raw);
    if (s != ODL_OK) return s;
    h->magic = get32(raw);
    h->format = (uint16_t)(raw[4] | (raw[5] << 8));
    h->header_size = (uint16_t)(raw[6] | (raw[7] << 8));
    h->model_hash = get32(raw + 8);
    h->generation = get32(raw + 12);
    h->payload_len = get32(raw + 16);
    h->payload_crc = get32(raw + 20);
    h->train_steps = get32(raw + 24);
    h->header_crc = get32(raw + 28);
    if (h->magic != ODL_STORE_MAGIC)
        *state = ODL_SLOT_EMPTY;
    else if (h->header_crc != odl_crc32(0, raw, 28) || h->format != ODL_STORE_FORMAT ||
             h->header_size != ODL_STORE_HEADER_SIZE)
        *state = ODL_SLOT_BAD_HEADER;
    else if (h->model_hash != st->ctx->model->hash || h->payload_len != st->payload_len)
        *state = ODL_SLOT_OTHER_MODEL;
    else
        *state = ODL_SLOT_VALID; /* header only: the payload is checked by the caller */
    return ODL_OK;
}

/* Reads slot k's payload straight into the arena tensors. */
static odl_status_t load_slot(odl_store_t *st, int slot) {
    uint32_t at = slot_base(st, slot) + ODL_STORE_HEADER_SIZE;
    payload_iter_t it = {st->ctx->model, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;) {
        odl_status_t s = st->nv.read(st->nv.user, at, st->ctx->arena + t->offset, (uint32_t)t->bytes);
        if (s != ODL_OK) return s;
        at += (uint32_t)t->bytes;
    }
    return ODL_OK;
}

static void load_factory(odl_store_t *st) {
    payload_iter_t it = {st->ctx->model, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;) {
        uint8_t *p = st->ctx->arena + t->offset;
        if ((t->flags & ODL_T_INIT) && t->data)
            memcpy(p, t->data, (size_t)t->bytes);
        else
            memset(p, 0, (size_t)t->bytes);
    }
    st->active = ODL_STORE_NO_SLOT;
    st->generation = 0;
    st->committed_steps = 0;
    st->committed_crc = odl_store_ram_crc(st);
}

/* Method state (e.g. FP16 master copies, optimiser moments) is derived from
 * the weights, so it is rebuilt whenever the weights are replaced. */
static odl_status_t reinit_training(odl_store_t *st) {
    if (!st->ctx->model->train || !st->ctx->ready) return ODL_OK;
    return odl_train_init(st->ctx);
}

odl_status_t odl_store_load(odl_store_t *st) {
    if (!st || !st->ctx) return ODL_ERR_ARG;
    odl_store_header_t h[2];
    odl_slot_state_t state[2];
    int have_gen = 0;
    uint32_t max_gen = 0;
    for (int k = 0; k < 2; ++k) {
        odl_status_t s = odl_store_read_header(st, k, &h[k], &state[k]);
        if (s != ODL_OK) return s;
        if (state[k] >= ODL_SLOT_OTHER_MODEL && (!have_gen || newer(h[k].generation, max_gen))) {
            max_gen = h[k].generation;
            have_gen = 1;
        }
    }
    st->next_generation = have_gen ? max_gen + 1 : 1;
    if (st->next_generation == 0) st->next_generation = 1; /* 0 means "factory" */
    /* Newest first; a slot that fails its payload check falls through. */
    int order[2] = {0, 1};
    if (state[0] == ODL_SLOT_VALID && state[1] == ODL_SLOT_VALID && newer(h[1].generation, h[0].generation)) {
        order[0] = 1;
        order[1] = 0;
    } else if (state[0] != ODL_SLOT_VALID) {
        order[0] = 1;
        order[1] = 0;
    }
    for (int i = 0; i < 2; ++i) {
        int k = order[i];
        if (state[k] != ODL_SLOT_VALID) continue;
        odl_status_t s = load_slot(st, k);
        if (s != ODL_OK) return s;
        if (odl_store_ram_crc(st) != h[k].payload_crc) {
            state[k] = ODL_SLOT_BAD_PAYLOAD;
            continue;
        }
        st->active = (int8_t)k;
        st->generation = h[k].generation;
        st->committed_crc = h[k].payload_crc;
        st->committed_steps = h[k].train_steps;
        st->slot_state[0] = (uint8_t)state[0];
        st->slot_state[1] = (uint8_t)state[1];
        return reinit_training(st);
    }
    load_factory(st);
    st->slot_state[0] = (uint8_t)state[0];
    st->slot_state[1] = (uint8_t)state[1];
    return reinit_training(st);
}

/* 1 when the active slot's payload equals the arena's, byte for byte. */
static odl_status_t active_equals_ram(const odl_store_t *st, int *equal) {
    uint8_t nv[ODL_STORE_CHUNK], ram[ODL_STORE_CHUNK];
    uint32_t at = slot_base(st, st->active) + ODL_STORE_HEADER_SIZE;
    *equal = 0;
    for (uint32_t off = 0; off < st->payload_len; off += ODL_STORE_CHUNK) {
        uint32_t n = st->payload_len - off < ODL_STORE_CHUNK ? st->payload_len - off : ODL_STORE_CHUNK;
        odl_status_t s = st->nv.read(st->nv.user, at + off, nv, n);
        if (s != ODL_OK) return s;
        payload_copy(st, off, ram, n, 0);
        if (memcmp(nv, ram, n) != 0) return ODL_OK;
    }
    *equal = 1;
    return ODL_OK;
}

static odl_status_t nv_write(odl_store_t *st, uint32_t offset, const uint8_t *buf, uint32_t len) {
    st->nv_write_calls++;
    st->nv_bytes_written += len;
    return st->nv.write(st->nv.user, offset, buf, len);
}

/* The slot a commit may overwrite: never the active one. With no active
 * slot, prefer one holding nothing worth keeping. */
static int commit_target(const odl_store_t *st) {
    if (st->active != ODL_STORE_NO_SLOT) return 1 - st->active;
    return st->slot_state[1] < st->slot_state[0] ? 1 : 0;
}

odl_status_t odl_store_commit(odl_store_t *st, uint8_t *wrote) {
    if (!st || !st->ctx) return ODL_ERR_ARG;
    if (wrote) *wrote = 0;
    uint32_t crc = odl_store_ram_crc(st);
    odl_status_t s;
    if (st->active != ODL_STORE_NO_SLOT && crc == st->committed_crc) {
        int equal;
        s = active_equals_ram(st, &equal);
        if (s != ODL_OK) return s;
        if (equal) return ODL_OK;
    }
    int target = commit_target(st);
    uint32_t base = slot_base(st, target);
    st->slot_state[target] = ODL_SLOT_EMPTY;
    st->nv_erases++;
    s = st->nv.erase(st->nv.user, base, ODL_STORE_HEADER_SIZE + st->payload_len);
    if (s != ODL_OK) return s;
    const odl_model_t *m = st->ctx->model;
    uint32_t at = base + ODL_STORE_HEADER_SIZE;
    payload_iter_t it = {m, 0};
    for (const odl_tensor_t *t; (t = next_payload(&it)) != 0;) {
        s = nv_write(st, at, st->ctx->arena + t->offset, (uint32_t)t->bytes);
        if (s != ODL_OK) return s;
        at += (uint32_t)t->bytes;
    }
    uint32_t back;
    s = nv_crc(st, base + ODL_STORE_HEADER_SIZE, st->payload_len, &back);
    if (s != ODL_OK) return s;
    if (back != crc) return ODL_ERR_STORE; /* never seal a payload that did not stick */
    odl_store_header_t h = {ODL_STORE_MAGIC, ODL_STORE_FORMAT, ODL_STORE_HEADER_SIZE, m->hash,
                            st->next_generation, st->payload_len, crc, st->ctx->stats.train_steps, 0};
    uint8_t raw[ODL_STORE_HEADER_SIZE];
    encode_header(&h, raw);
    /* Body first, magic last: until all four magic bytes land, the slot is
     * empty to a reader, whatever the cut left in the body. */
    s = nv_write(st, base + 4, raw + 4, ODL_STORE_HEADER_SIZE - 4);
    if (s == ODL_OK) s = nv_write(st, base, raw, 4);
    if (s != ODL_OK) return s;
    odl_slot_state_t state;
    s = odl_store_read_header(st, target, &h, &state);
    if (s != ODL_OK) return s;
    if (state != ODL_SLOT_VALID || h.payload_crc != crc) return ODL_ERR_STORE;
    st->slot_state[target] = ODL_SLOT_VALID;
    st->active = (int8_t)target;
    st->generation = h.generation;
    st->committed_crc = crc;
    st->committed_steps = h.train_steps;
    st->next_generation = h.generation + 1 ? h.generation + 1 : 1;
    st->commits_written++;
    if (wrote) *wrote = 1;
    return ODL_OK;
}

odl_status_t odl_store_erase_all(odl_store_t *st) {
    if (!st || !st->ctx) return ODL_ERR_ARG;
    int first = st->active == ODL_STORE_NO_SLOT ? 0 : 1 - st->active;
    for (int i = 0; i < 2; ++i) {
        int k = i == 0 ? first : 1 - first;
        st->nv_erases++;
        odl_status_t s = st->nv.erase(st->nv.user, slot_base(st, k), ODL_STORE_HEADER_SIZE + st->payload_len);
        if (s != ODL_OK) return s;
        st->slot_state[k] = ODL_SLOT_EMPTY;
    }
    load_factory(st);
    return reinit_training(st);
}
