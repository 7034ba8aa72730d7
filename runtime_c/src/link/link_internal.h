/* Shared between the link's framing (server.c) and its built-in commands
 * (commands.c). Not part of the public API. */
#ifndef ODL_LINK_INTERNAL_H
#define ODL_LINK_INTERNAL_H

#include "odl/link.h"

static inline void odl_link_put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void odl_link_put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t odl_link_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t odl_link_get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The built-in handler of cmd, or NULL. */
const odl_link_entry_t *odl_link_builtin(uint8_t cmd);

#endif
