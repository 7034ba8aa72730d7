/* Keys of the counter-based PRNG (see odl/prng.h). Each field is folded in
 * through the mixer, so neighbouring seeds, steps, streams or tensors give
 * unrelated streams. */
#include "odl/prng.h"

uint32_t odl_prng_key(uint32_t seed, uint32_t step, uint32_t stream, uint32_t tensor) {
    uint32_t h = odl_mix32(seed ^ 0x243f6a88u);
    h = odl_mix32(h ^ step);
    h = odl_mix32(h ^ (stream + 0x85a308d3u));
    h = odl_mix32(h ^ (tensor + 0x13198a2eu));
    return h;
}
