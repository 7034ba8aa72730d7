/* Counter-based PRNG: a pure function of its key, so any random number can be
 * regenerated at any time instead of being stored (forward-gradient
 * perturbations, stochastic rounding). 32-bit integer ops only, identical on
 * every target; pytool/training/prng.py is its numpy twin.
 *
 *   key  = odl_prng_key(seed, step, stream, tensor)
 *   word = odl_prng_word(key, counter)     (32 random bits per counter)
 *
 * Element e of a tensor reads bit (e % 32) of odl_prng_word(key, e / 32). */
#ifndef ODL_PRNG_H
#define ODL_PRNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A bijective 32-bit mixer (two multiply-xorshift rounds). */
static inline uint32_t odl_mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

uint32_t odl_prng_key(uint32_t seed, uint32_t step, uint32_t stream, uint32_t tensor);

static inline uint32_t odl_prng_word(uint32_t key, uint32_t counter) {
    return odl_mix32(key + counter * 0x9e3779b9u);
}

/* Rademacher sign of element e: +1 or -1. */
static inline int32_t odl_prng_sign(uint32_t key, uint32_t e) {
    return 1 - 2 * (int32_t)((odl_prng_word(key, e >> 5) >> (e & 31u)) & 1u);
}

#ifdef __cplusplus
}
#endif

#endif
