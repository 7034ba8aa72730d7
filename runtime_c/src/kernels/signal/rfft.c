/* SignalRfft and SignalIrfft, int16, int32 and float32 (pytool/ops/signal_rfft.py,
 * signal_irfft.py; numpy twin signal_kissfft.py): KISS FFT 1.3.0's fixed-point
 * (FIXED_POINT=16 / 32, and float) complex FFT, real split (kiss_fftr) and real merge
 * (kiss_fftri), rewritten without allocation (kiss_fft_impl.h, once per type
 * and radix set: odl_signal_rfft_<type> takes radix 2, 3, 4, 5, and
 * odl_signal_rfft_pow2_<type> radix 2 and 4 only, so that a power-of-two
 * model's firmware links no radix-3/5 code; the arithmetic is the same).
 * Forward: the complex FFT of n = fft_length / 2 points runs in the output row
 * (which holds n + 1 complex values), reading the zero-padded input in place;
 * the real split then works pairwise in place (each pair read before written).
 * Inverse: the FFT's leaves compute each merged bin from the input on the fly
 * (each is read exactly once), so the merge buffer is not needed either. */
#include "odl/kernels_signal.h"

#define KF_TYPE 16
#define KF_MIXED 1
#define KF(name) name##_s16
#include "kiss_fft_impl.h"

#define KF_TYPE 32
#define KF_MIXED 1
#define KF(name) name##_s32
#include "kiss_fft_impl.h"

#define KF_TYPE 0
#define KF_MIXED 1
#define KF(name) name##_f32
#include "kiss_fft_impl.h"

#define KF_TYPE 16
#define KF_MIXED 0
#define KF(name) name##_pow2_s16
#include "kiss_fft_impl.h"

#define KF_TYPE 32
#define KF_MIXED 0
#define KF(name) name##_pow2_s32
#include "kiss_fft_impl.h"

#define KF_TYPE 0
#define KF_MIXED 0
#define KF(name) name##_pow2_f32
#include "kiss_fft_impl.h"
