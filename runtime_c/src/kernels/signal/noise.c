/* SignalFilterBankSpectralSubtraction and SignalPCAN
 * (pytool/ops/signal_spectral_subtraction.py, signal_pcan.py). */
#include "odl/kernels_signal.h"

void odl_signal_spectral_subtraction_u32(const odl_signal_spectral_subtraction_t *p, int32_t n, const uint32_t *x,
                                         uint32_t *noise, uint32_t *y, uint32_t *noise_out) {
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t sm = (i & 1) ? p->alternate_smoothing : p->smoothing;
        const uint32_t osm = (i & 1) ? p->alternate_one_minus_smoothing : p->one_minus_smoothing;
        const uint32_t up = x[i] << p->smoothing_bits;
        noise[i] = (uint32_t)(((uint64_t)up * sm + (uint64_t)noise[i] * osm) >> p->spectral_subtraction_bits);
        uint32_t est = noise[i];
        if (est > up) {
            est = up;
            if (p->clamping) noise[i] = est;
        }
        const uint32_t floor = (uint32_t)(((uint64_t)x[i] * p->min_signal_remaining) >> p->spectral_subtraction_bits);
        const uint32_t sub = (up - est) >> p->smoothing_bits;
        y[i] = sub > floor ? sub : floor;
        noise_out[i] = noise[i];
    }
}

/* The reference's piecewise quadratic gain; products wrap as int32. */
static int16_t wide_dynamic(uint32_t x, const int16_t *lut) {
    if (x <= 2) return lut[x];
    const int32_t interval = odl_signal_msb32(x);
    lut += 4 * interval - 6;
    const int32_t frac = (int32_t)((interval < 11 ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
    int32_t r = ((int32_t)lut[2] * frac) >> 5;
    r = (int32_t)((uint32_t)r + ((uint32_t)(int32_t)lut[1] << 5));
    r = (int32_t)((uint32_t)r * (uint32_t)frac);
    r = (r + (1 << 14)) >> 15;
    r += lut[0];
    return (int16_t)(uint16_t)(uint32_t)r;
}

void odl_signal_pcan_u32(const uint32_t *x, const uint32_t *noise, const int16_t *gain_lut, int32_t n,
                         int32_t snr_shift, uint32_t *y) {
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)wide_dynamic(noise[i], gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)x[i] * gain) >> snr_shift);
        /* PcanShrink: x^2 / 4 below 2, x - 1 above (Q12 in, Q6 out). */
        y[i] = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - (1u << 6);
    }
}
