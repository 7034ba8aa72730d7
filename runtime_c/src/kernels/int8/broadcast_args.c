/* BROADCAST_ARGS (int32 or int64 shape vectors), as TFLite's reference: the
 * shapes right-aligned, a missing or 1 dim takes the other's; the values go
 * through int, as there (int64 dims truncated to 32 bits). Unequal dims other
 * than 1 are an error (TFLite Micro aborts on them). */
#include "odl/kernels_ext.h"

static int32_t dim_at(int32_t wide, int32_t n, const void *s, int32_t back) {
    const int32_t i = n - 1 - back;
    if (i < 0) return 1;
    return wide ? (int32_t)((const int64_t *)s)[i] : ((const int32_t *)s)[i];
}

odl_status_t odl_broadcast_args(int32_t wide, int32_t n1, const void *s1, int32_t n2, const void *s2, int32_t n_out,
                                void *out) {
    if (!s1 || !s2 || !out || n1 < 0 || n2 < 0 || n_out < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < n_out; ++i) {
        const int32_t a = dim_at(wide, n1, s1, i), b = dim_at(wide, n2, s2, i);
        if (a != 1 && b != 1 && a != b) return ODL_ERR_SHAPE;
        const int32_t d = a == 1 ? b : a;
        if (wide)
            ((int64_t *)out)[n_out - 1 - i] = d;
        else
            ((int32_t *)out)[n_out - 1 - i] = d;
    }
    return ODL_OK;
}
