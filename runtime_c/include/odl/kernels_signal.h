/* Kernels of TFLite Micro's signal-library ops (audio front ends): the
 * integer arithmetic of tflite-micro's signal/src, written for the odl
 * runtime (no heap, no libm). uint32 / uint64 tensors use the int32 / int64
 * storage codes; these kernels read them unsigned. */
#ifndef ODL_KERNELS_SIGNAL_H
#define ODL_KERNELS_SIGNAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bit length of x, 32 for 0 (TFLite Micro's MostSignificantBit32 as GCC builds it). */
static inline int32_t odl_signal_msb32(uint32_t x) {
    int32_t n = 0;
    if (!x) return 32;
    while (x) {
        x >>= 1;
        ++n;
    }
    return n;
}

/* rows x n int16 times the window, >> shift, saturated. */
void odl_signal_window_s16(const int16_t *x, const int16_t *window, int32_t rows, int32_t n, int32_t shift,
                           int16_t *y);

/* y = x << s (s from the largest magnitude); returns s. */
int32_t odl_signal_fft_auto_scale_s16(const int16_t *x, int32_t n, int16_t *y);

/* One row: len int16 samples zero-padded to fft_length -> fft_length / 2 + 1
 * (re, im) pairs. factors: KISS FFT's [p, m] list of the fft_length / 2 point
 * complex FFT (radix 4, 2, 3, 5); tw: fft_length / 2 twiddles, sup:
 * fft_length / 4 real-split twiddles, both (re, im) int16. */
void odl_signal_rfft_s16(const int16_t *x, int32_t len, int32_t fft_length, const int32_t *factors,
                         const int16_t *tw, const int16_t *sup, int16_t *y);
/* The same at FIXED_POINT=32 (Q31 tables) and in float. */
void odl_signal_rfft_s32(const int32_t *x, int32_t len, int32_t fft_length, const int32_t *factors,
                         const int32_t *tw, const int32_t *sup, int32_t *y);
void odl_signal_rfft_f32(const float *x, int32_t len, int32_t fft_length, const int32_t *factors, const float *tw,
                         const float *sup, float *y);

/* One row: fft_length / 2 + 1 (re, im) bins -> fft_length int16 samples
 * (kiss_fftri); tw / sup are the inverse tables. */
void odl_signal_irfft_s16(const int16_t *x, int32_t fft_length, const int32_t *factors, const int16_t *tw,
                          const int16_t *sup, int16_t *y);
void odl_signal_irfft_s32(const int32_t *x, int32_t fft_length, const int32_t *factors, const int32_t *tw,
                          const int32_t *sup, int32_t *y);
/* float: the output is divided by fft_length, as TFLite Micro's float Irfft does. */
void odl_signal_irfft_f32(const float *x, int32_t fft_length, const int32_t *factors, const float *tw,
                          const float *sup, float *y);

/* The same restricted to radix 2 and 4 (power-of-two fft_length): identical
 * output, without the radix-3/5 butterflies in the link. */
void odl_signal_rfft_pow2_s16(const int16_t *x, int32_t len, int32_t fft_length, const int32_t *factors,
                              const int16_t *tw, const int16_t *sup, int16_t *y);
void odl_signal_rfft_pow2_s32(const int32_t *x, int32_t len, int32_t fft_length, const int32_t *factors,
                              const int32_t *tw, const int32_t *sup, int32_t *y);
void odl_signal_rfft_pow2_f32(const float *x, int32_t len, int32_t fft_length, const int32_t *factors,
                              const float *tw, const float *sup, float *y);
void odl_signal_irfft_pow2_s16(const int16_t *x, int32_t fft_length, const int32_t *factors, const int16_t *tw,
                               const int16_t *sup, int16_t *y);
void odl_signal_irfft_pow2_s32(const int32_t *x, int32_t fft_length, const int32_t *factors, const int32_t *tw,
                               const int32_t *sup, int32_t *y);
void odl_signal_irfft_pow2_f32(const float *x, int32_t fft_length, const int32_t *factors, const float *tw,
                               const float *sup, float *y);

/* re^2 + im^2 of bins [start, end); other bins of y are set to 0. */
void odl_signal_energy_s16(const int16_t *spectrum, int32_t start, int32_t end, int32_t n_out, uint32_t *y);

typedef struct {
    int32_t num_channels;
    const int16_t *weights, *unweights;
    const int16_t *freq_starts, *weight_starts, *widths; /* num_channels + 1 each */
} odl_signal_filter_bank_t;

void odl_signal_filter_bank_u32(const odl_signal_filter_bank_t *fb, const uint32_t *x, uint64_t *y);

/* Sqrt64(x) >> shift (0 for a shift outside 0..31). */
uint32_t odl_signal_sqrt64(uint64_t x);
void odl_signal_filter_bank_sqrt_u64(const uint64_t *x, int32_t n, int32_t shift, uint32_t *y);

typedef struct {
    uint32_t smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing;
    uint32_t smoothing_bits, spectral_subtraction_bits, min_signal_remaining;
    int32_t clamping;
} odl_signal_spectral_subtraction_t;

/* noise (the op's state) is updated in place and copied to noise_out. */
void odl_signal_spectral_subtraction_u32(const odl_signal_spectral_subtraction_t *p, int32_t n, const uint32_t *x,
                                         uint32_t *noise, uint32_t *y, uint32_t *noise_out);

/* gain_lut has at least 125 entries. */
void odl_signal_pcan_u32(const uint32_t *x, const uint32_t *noise, const int16_t *gain_lut, int32_t n,
                         int32_t snr_shift, uint32_t *y);

void odl_signal_filter_bank_log_u32(const uint32_t *x, int32_t n, int32_t correction_bits, int32_t output_scale,
                                    int16_t *y);

/* The stateful queue ops. TFLite Micro keeps circular buffers inside the op;
 * here the state is a variable tensor holding the queued samples in order
 * (then, for Framer and Stacker, their count; for Stacker a first-frame flag). */

/* rows x n samples delayed by d: state holds the last d samples of each row. */
void odl_signal_delay_s16(const int16_t *x, int32_t rows, int32_t n, int32_t d, int16_t *state, int16_t *y);

/* rows x frames x size in, rows x frames * step out; state: rows x size. */
void odl_signal_overlap_add_s16(const int16_t *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                                int16_t *state, int16_t *y);

void odl_signal_overlap_add_f32(const float *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                                float *state, float *y);

/* rows x frames * step in, rows x frames x size out; state: rows x (capacity + 1). Returns valid. */
int32_t odl_signal_framer_s16(const int16_t *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                              int32_t capacity, int16_t *state, int16_t *y);

/* channels in, buffer out; state: buffer + 2. Returns valid. */
int32_t odl_signal_stacker_s16(const int16_t *x, int32_t channels, int32_t left, int32_t buffer, int32_t step_size,
                               int16_t *state, int16_t *y);

#ifdef __cplusplus
}
#endif

#endif
