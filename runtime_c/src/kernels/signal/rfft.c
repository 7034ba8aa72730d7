/* SignalRfft and SignalIrfft int16 (pytool/ops/signal_rfft.py, signal_irfft.py,
 * numpy twin signal_kissfft.py): KISS FFT 1.3.0's fixed-point (FIXED_POINT=16)
 * complex FFT, real split (kiss_fftr) and real merge (kiss_fftri), rewritten
 * without allocation.
 * Forward: the complex FFT of n = fft_length / 2 points runs in the output row
 * (which holds n + 1 complex values), reading the zero-padded input in place;
 * the real split then works pairwise in place (each pair read before written).
 * Inverse: the FFT's leaves compute each merged bin from the input on the fly
 * (each is read exactly once), so the merge buffer is not needed either. */
#include "odl/kernels_signal.h"

typedef struct {
    int16_t r, i;
} cpx16;

/* Q15 rounding product sums, truncated to int16 like the reference's casts. */
static inline int16_t sround(int32_t v) { return (int16_t)(uint16_t)(uint32_t)((v + (1 << 14)) >> 15); }
static inline int16_t w16(int32_t v) { return (int16_t)(uint16_t)(uint32_t)v; }

static inline cpx16 fixdiv(cpx16 c, int32_t k) {
    const int32_t s = 32767 / k;
    cpx16 o = {sround(c.r * s), sround(c.i * s)};
    return o;
}

static inline cpx16 cmul(cpx16 a, const int16_t *b) {
    cpx16 o = {sround((int32_t)a.r * b[0] - (int32_t)a.i * b[1]), sround((int32_t)a.r * b[1] + (int32_t)a.i * b[0])};
    return o;
}

typedef struct {
    const int16_t *x;   /* forward: real samples; inverse: (re, im) bins */
    int32_t len;        /* forward: samples in the row (zero-padded beyond) */
    int32_t nc;         /* complex FFT length */
    const int16_t *sup; /* inverse: real-merge twiddles */
} source_t;

/* kiss_fftri's merged bin j (tmpbuf[j]), from bins j and nc - j. */
static cpx16 merged_at(const source_t *s, int32_t j) {
    const int16_t *z = s->x;
    const int32_t nc = s->nc;
    if (j == 0) {
        const cpx16 t = {w16(z[0] + z[2 * nc]), w16(z[0] - z[2 * nc])};
        return fixdiv(t, 2);
    }
    const int32_t k = j <= nc / 2 ? j : nc - j;
    const cpx16 fk = fixdiv((cpx16){z[2 * k], z[2 * k + 1]}, 2);
    const cpx16 fnkc = fixdiv((cpx16){z[2 * (nc - k)], w16(-(int32_t)z[2 * (nc - k) + 1])}, 2);
    const cpx16 fek = {w16(fk.r + fnkc.r), w16(fk.i + fnkc.i)}, t = {w16(fk.r - fnkc.r), w16(fk.i - fnkc.i)};
    const cpx16 fok = cmul(t, s->sup + 2 * (k - 1));
    /* The reference writes bin k, then bin nc - k (conjugated): the middle bin keeps the second. */
    if (j < nc - j) {
        const cpx16 o = {w16(fek.r + fok.r), w16(fek.i + fok.i)};
        return o;
    }
    const cpx16 o = {w16(fek.r - fok.r), w16(-(int32_t)w16(fek.i - fok.i))};
    return o;
}

/* Leaf input j of the complex FFT. */
static inline cpx16 in_at(const source_t *s, int32_t j) {
    if (s->sup) return merged_at(s, j);
    const int16_t *x = s->x;
    cpx16 c = {(int16_t)(2 * j < s->len ? x[2 * j] : 0), (int16_t)(2 * j + 1 < s->len ? x[2 * j + 1] : 0)};
    return c;
}

static void bfly2(cpx16 *f, int32_t fstride, const int16_t *tw, int32_t m) {
    for (int32_t u = 0; u < m; ++u) {
        const cpx16 a = fixdiv(f[u], 2), b = fixdiv(f[u + m], 2);
        const cpx16 t = cmul(b, tw + 2 * (u * fstride));
        f[u + m].r = w16(a.r - t.r);
        f[u + m].i = w16(a.i - t.i);
        f[u].r = w16(a.r + t.r);
        f[u].i = w16(a.i + t.i);
    }
}

static void bfly4(cpx16 *f, int32_t fstride, const int16_t *tw, int32_t m, int32_t inverse) {
    for (int32_t u = 0; u < m; ++u) {
        cpx16 f0 = fixdiv(f[u], 4);
        const cpx16 f1 = fixdiv(f[u + m], 4), f2 = fixdiv(f[u + 2 * m], 4), f3 = fixdiv(f[u + 3 * m], 4);
        const cpx16 s0 = cmul(f1, tw + 2 * (u * fstride)), s1 = cmul(f2, tw + 2 * (2 * u * fstride));
        const cpx16 s2 = cmul(f3, tw + 2 * (3 * u * fstride));
        const cpx16 s5 = {w16(f0.r - s1.r), w16(f0.i - s1.i)};
        f0.r = w16(f0.r + s1.r);
        f0.i = w16(f0.i + s1.i);
        const cpx16 s3 = {w16(s0.r + s2.r), w16(s0.i + s2.i)}, s4 = {w16(s0.r - s2.r), w16(s0.i - s2.i)};
        f[u + 2 * m].r = w16(f0.r - s3.r);
        f[u + 2 * m].i = w16(f0.i - s3.i);
        f[u].r = w16(f0.r + s3.r);
        f[u].i = w16(f0.i + s3.i);
        const int32_t a = inverse ? -s4.i : s4.i, b = inverse ? -s4.r : s4.r;
        f[u + m].r = w16(s5.r + a);
        f[u + m].i = w16(s5.i - b);
        f[u + 3 * m].r = w16(s5.r - a);
        f[u + 3 * m].i = w16(s5.i + b);
    }
}

/* KISS FFT's kf_work: depth = number of factors (log4 n + 1 at most). */
static void work(cpx16 *out, const source_t *src, int32_t f, int32_t fstride, const int32_t *fac,
                 const int16_t *tw) {
    const int32_t p = fac[0], m = fac[1];
    if (m == 1) {
        for (int32_t q = 0; q < p; ++q) out[q] = in_at(src, f + q * fstride);
    } else {
        for (int32_t q = 0; q < p; ++q) work(out + q * m, src, f + q * fstride, fstride * p, fac + 2, tw);
    }
    if (p == 2) {
        bfly2(out, fstride, tw, m);
    } else {
        bfly4(out, fstride, tw, m, src->sup != 0);
    }
}

void odl_signal_rfft_s16(const int16_t *x, int32_t len, int32_t fft_length, const int32_t *factors,
                         const int16_t *tw, const int16_t *sup, int16_t *y) {
    const int32_t nc = fft_length / 2;
    cpx16 *z = (cpx16 *)(void *)y;
    const source_t src = {x, len, nc, 0};
    work(z, &src, 0, 1, factors, tw);
    const cpx16 tdc = fixdiv(z[0], 2);
    z[0].r = w16(tdc.r + tdc.i);
    z[0].i = 0;
    z[nc].r = w16(tdc.r - tdc.i);
    z[nc].i = 0;
    for (int32_t k = 1; k <= nc / 2; ++k) {
        const cpx16 fpk = fixdiv(z[k], 2);
        cpx16 fpnk = {z[nc - k].r, w16(-(int32_t)z[nc - k].i)};
        fpnk = fixdiv(fpnk, 2);
        const cpx16 f1k = {w16(fpk.r + fpnk.r), w16(fpk.i + fpnk.i)};
        const cpx16 f2k = {w16(fpk.r - fpnk.r), w16(fpk.i - fpnk.i)};
        const cpx16 t = cmul(f2k, sup + 2 * (k - 1));
        z[k].r = w16((f1k.r + t.r) >> 1);
        z[k].i = w16((f1k.i + t.i) >> 1);
        z[nc - k].r = w16((f1k.r - t.r) >> 1);
        z[nc - k].i = w16((t.i - f1k.i) >> 1);
    }
}

void odl_signal_irfft_s16(const int16_t *x, int32_t fft_length, const int32_t *factors, const int16_t *tw,
                          const int16_t *sup, int16_t *y) {
    const source_t src = {x, 0, fft_length / 2, sup};
    work((cpx16 *)(void *)y, &src, 0, 1, factors, tw);
}
