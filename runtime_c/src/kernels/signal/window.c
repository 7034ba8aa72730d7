/* SignalWindow and SignalFftAutoScale (pytool/ops/signal_window.py, signal_fft_auto_scale.py). */
#include "odl/kernels_signal.h"

void odl_signal_window_s16(const int16_t *x, const int16_t *window, int32_t rows, int32_t n, int32_t shift,
                           int16_t *y) {
    for (int32_t r = 0; r < rows; ++r, x += n, y += n) {
        for (int32_t i = 0; i < n; ++i) {
            /* >> of a negative product is arithmetic on every supported compiler (as in the reference). */
            const int32_t v = ((int32_t)x[i] * window[i]) >> shift;
            y[i] = (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
        }
    }
}

int32_t odl_signal_fft_auto_scale_s16(const int16_t *x, int32_t n, int16_t *y) {
    /* The reference keeps the running maximum in an int16: -(-32768) wraps
     * back to -32768 and later values compare against that. */
    int16_t mx = 0;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = x[i];
        if (v > mx) {
            mx = (int16_t)v;
        } else if (-v > mx) {
            mx = (int16_t)(uint16_t)(-v);
        }
    }
    int32_t bits = 16 - odl_signal_msb32((uint32_t)(int32_t)mx) - 1;
    if (bits < 0) bits = 0;
    for (int32_t i = 0; i < n; ++i) y[i] = (int16_t)(uint16_t)((uint32_t)(int32_t)x[i] << bits);
    return bits;
}
