/* Host emulation of the few ACLE SIMD32 intrinsics the arm_dsp training
 * kernels use, so tests can run their C against the portable spec on random
 * shapes (the QEMU tests run the real instructions). Lane semantics as in
 * the Arm ARM: int16 lanes, products exact, QSUB16 saturating. */
#ifndef ODL_TEST_ACLE_EMU_H
#define ODL_TEST_ACLE_EMU_H

#include <stdint.h>

#define ODL_ACLE_EMULATION 1

static inline int32_t lo16(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v & 0xffffu); }
static inline int32_t hi16(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v >> 16); }
static inline uint32_t pack16(int32_t lo, int32_t hi) {
    return ((uint32_t)(uint16_t)lo) | ((uint32_t)(uint16_t)hi << 16);
}
static inline int32_t sat16(int32_t v) { return v > 32767 ? 32767 : (v < -32768 ? -32768 : v); }

static inline int32_t __smlabb(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)(lo16(a) * lo16(b)) + (uint32_t)acc);
}
static inline int32_t __smlabt(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)(lo16(a) * hi16(b)) + (uint32_t)acc);
}
static inline int32_t __qsub16(int32_t a, int32_t b) {
    return (int32_t)pack16(sat16(lo16(a) - lo16(b)), sat16(hi16(a) - hi16(b)));
}
/* SSUB16 (GE per lane where a - b >= 0) then SEL(a, b). */
static inline uint32_t odl_acle_clamp_lo16(uint32_t a, uint32_t b) {
    const int32_t l = lo16((int32_t)a) - lo16((int32_t)b) >= 0 ? lo16((int32_t)a) : lo16((int32_t)b);
    const int32_t h = hi16((int32_t)a) - hi16((int32_t)b) >= 0 ? hi16((int32_t)a) : hi16((int32_t)b);
    return pack16(l, h);
}

#endif
