/* SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot and
 * SignalFilterBankLog (pytool/ops/signal_*.py): tflite-micro's signal/src
 * arithmetic, unsigned where the reference is unsigned. */
#include "odl/kernels_signal.h"

void odl_signal_energy_s16(const int16_t *spectrum, int32_t start, int32_t end, int32_t n_out, uint32_t *y) {
    for (int32_t i = 0; i < n_out; ++i) {
        if (i < start || i >= end) {
            y[i] = 0;
            continue;
        }
        const int32_t re = spectrum[2 * i], im = spectrum[2 * i + 1];
        /* Two -32768 squares overflow int32 in the reference; unsigned gives its bits. */
        y[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
    }
}

void odl_signal_filter_bank_u32(const odl_signal_filter_bank_t *fb, const uint32_t *x, uint64_t *y) {
    uint64_t acc_w = 0;
    for (int32_t i = 0; i <= fb->num_channels; ++i) {
        uint64_t acc_u = 0;
        const uint32_t *e = x + fb->freq_starts[i];
        const int16_t *w = fb->weights + fb->weight_starts[i], *u = fb->unweights + fb->weight_starts[i];
        for (int32_t j = 0; j < fb->widths[i]; ++j) {
            acc_w += (uint64_t)(int64_t)w[j] * e[j];
            acc_u += (uint64_t)(int64_t)u[j] * e[j];
        }
        if (i) y[i - 1] = acc_w; /* channel 0's weighted sum is scratch */
        acc_w = acc_u;
    }
}

static uint32_t sqrt32(uint32_t num) {
    if (num == 0) return 0;
    uint32_t res = 0;
    const int32_t mx = (32 - odl_signal_msb32(num)) | 1;
    uint32_t bit = (uint32_t)1 << (31 - mx);
    for (int32_t it = (31 - mx) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF) ++res;
    return res & 0xFFFF; /* the reference returns uint16 */
}

uint32_t odl_signal_sqrt64(uint64_t num) {
    if ((num >> 32) == 0) return sqrt32((uint32_t)num);
    uint64_t res = 0;
    const int32_t mx = (64 - (32 + odl_signal_msb32((uint32_t)(num >> 32)))) | 1;
    uint64_t bit = (uint64_t)1 << (63 - mx);
    for (int32_t it = (63 - mx) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFu) ++res;
    return (uint32_t)res;
}

void odl_signal_filter_bank_sqrt_u64(const uint64_t *x, int32_t n, int32_t shift, uint32_t *y) {
    for (int32_t i = 0; i < n; ++i) y[i] = (shift >= 0 && shift < 32) ? odl_signal_sqrt64(x[i]) >> shift : 0;
}

/* log2 correction table of the reference (data). */
static const uint16_t log_lut[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791,
    4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578,
    5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498,
    5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697,
    4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286,
    3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353,
    1224, 1094, 963,  830,  695,  559,  421,  282,  142,  0,    0};

static uint32_t log32(uint32_t x, uint32_t out_scale) {
    const int32_t integer = odl_signal_msb32(x) - 1;
    int32_t frac = (int32_t)(x - ((uint32_t)1 << integer));
    frac = integer < 16 ? (int32_t)((uint32_t)frac << (16 - integer)) : frac >> (integer - 16);
    const int32_t seg = frac >> 9;
    const int32_t c0 = log_lut[seg], c1 = log_lut[seg + 1];
    const int32_t rel = ((c1 - c0) * (frac - 512 * seg)) >> 16;
    const uint32_t log2 = ((uint32_t)integer << 16) + (uint32_t)(frac + c0 + rel);
    const uint32_t loge = (uint32_t)((45426ull * log2 + 32768u) >> 16);
    return (out_scale * loge + 32768u) >> 16;
}

void odl_signal_filter_bank_log_u32(const uint32_t *x, int32_t n, int32_t correction_bits, int32_t output_scale,
                                    int16_t *y) {
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t s = x[i] << correction_bits;
        if (s > 1) {
            const uint32_t v = log32(s, (uint32_t)output_scale);
            y[i] = (int16_t)(v < INT16_MAX ? v : INT16_MAX);
        } else {
            y[i] = 0;
        }
    }
}
