/* CRC-32 (zlib / IEEE 802.3, reflected 0xEDB88320) and COBS, whole-buffer
 * forms. The server decodes COBS incrementally (server.c); these are the
 * reference forms used by tests and by transports that hold whole frames. */
#include "odl/link.h"

/* 16-entry table: one nibble per step, 64 bytes of flash instead of 1 KB. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t odl_crc32(uint32_t crc, const uint8_t *data, uint32_t len) {
    uint32_t c = ~crc;
    for (uint32_t i = 0; i < len; ++i) {
        c ^= data[i];
        c = (c >> 4) ^ crc_nibble[c & 15u];
        c = (c >> 4) ^ crc_nibble[c & 15u];
    }
    return ~c;
}

uint32_t odl_cobs_encode(const uint8_t *src, uint32_t len, uint8_t *dst) {
    uint32_t code_at = 0, out = 1;
    uint8_t code = 1;
    for (uint32_t i = 0; i < len; ++i) {
        if (src[i] == 0) {
            dst[code_at] = code;
            code_at = out++;
            code = 1;
            continue;
        }
        dst[out++] = src[i];
        if (++code == 0xFF) {
            dst[code_at] = code;
            code = 1;
            /* A full block at the very end needs no empty block after it. */
            if (i + 1 == len) return out;
            code_at = out++;
        }
    }
    dst[code_at] = code;
    return out;
}

int32_t odl_cobs_decode(const uint8_t *src, uint32_t len, uint8_t *dst) {
    uint32_t in = 0, out = 0;
    while (in < len) {
        uint8_t code = src[in++];
        if (code == 0) return -1;
        for (uint8_t k = 1; k < code; ++k) {
            if (in >= len || src[in] == 0) return -1;
            dst[out++] = src[in++];
        }
        if (code != 0xFF && in < len) dst[out++] = 0;
    }
    return (int32_t)out;
}
