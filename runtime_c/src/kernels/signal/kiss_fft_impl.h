/* The KISS FFT of rfft.c, included once per sample type and radix set.
 * The includer defines KF_TYPE (16, 32: Q15 / Q31 integers; 0: float),
 * KF_MIXED (1: radix 2, 3, 4, 5; 0: radix 2 and 4 only, so a power-of-two
 * build carries no radix-3/5 butterflies) and KF(name), the suffix of each
 * name; this file derives KF_T the sample type, KF_P its product type, KF_U
 * the unsigned of KF_T, KF_BITS, KF_MAX and KF_FLOAT (no scaling, HALF_OF a
 * multiply by 0.5), and undefines all of them at its end. Integer sums are
 * formed in KF_P and stored wrapped (the reference's kiss_fft_cpx stores;
 * int32 overflow wraps there). Float needs -ffp-contract=off (the runtime's
 * flags) to round every operation. */

#if KF_TYPE == 16
#define KF_T int16_t
#define KF_P int32_t
#define KF_U uint16_t
#define KF_BITS 16
#define KF_MAX 32767
#define KF_FLOAT 0
#elif KF_TYPE == 32
#define KF_T int32_t
#define KF_P int64_t
#define KF_U uint32_t
#define KF_BITS 32
#define KF_MAX 2147483647
#define KF_FLOAT 0
#else
#define KF_T float
#define KF_P float
#define KF_U uint32_t
#define KF_BITS 32
#define KF_MAX 1
#define KF_FLOAT 1
#endif

typedef struct {
    KF_T r, i;
} KF(cpx);

#if KF_FLOAT
static inline KF_T KF(w)(KF_P v) { return v; }
static inline KF_T KF(sround)(KF_P v) { return v; }
static inline KF_T KF(half)(KF_P v) { return v * 0.5f; }
#else
static inline KF_T KF(w)(KF_P v) { return (KF_T)(KF_U)(uint64_t)(int64_t)v; }
/* Q15 / Q31 rounding of a product sum. */
static inline KF_T KF(sround)(KF_P v) { return KF(w)((v + ((KF_P)1 << (KF_BITS - 2))) >> (KF_BITS - 1)); }
/* HALF_OF of a sum: int16 sums are computed in int, int32 sums wrap first. */
static inline KF_T KF(half)(KF_P v) { return KF(w)((KF_BITS == 32 ? (KF_P)KF(w)(v) : v) >> 1); }
#endif

static inline KF(cpx) KF(add)(KF(cpx) a, KF(cpx) b) {
    KF(cpx) o = {KF(w)((KF_P)a.r + b.r), KF(w)((KF_P)a.i + b.i)};
    return o;
}
static inline KF(cpx) KF(sub)(KF(cpx) a, KF(cpx) b) {
    KF(cpx) o = {KF(w)((KF_P)a.r - b.r), KF(w)((KF_P)a.i - b.i)};
    return o;
}
static inline KF(cpx) KF(fixdiv)(KF(cpx) c, int32_t k) {
#if KF_FLOAT
    (void)k; /* no scaling in the float build */
    return c;
#else
    const KF_P s = KF_MAX / k;
    KF(cpx) o = {KF(sround)(c.r * s), KF(sround)(c.i * s)};
    return o;
#endif
}
static inline KF(cpx) KF(cmul)(KF(cpx) a, const KF_T *b) {
    KF(cpx) o = {KF(sround)((KF_P)a.r * b[0] - (KF_P)a.i * b[1]), KF(sround)((KF_P)a.r * b[1] + (KF_P)a.i * b[0])};
    return o;
}

typedef struct {
    const KF_T *x;   /* forward: real samples; inverse: (re, im) bins */
    int32_t len;     /* forward: samples in the row (zero-padded beyond) */
    int32_t nc;      /* complex FFT length */
    const KF_T *sup; /* inverse: real-merge twiddles */
} KF(source);

/* kiss_fftri's merged bin j (its tmpbuf[j]), from bins j and nc - j. */
static KF(cpx) KF(merged_at)(const KF(source) *s, int32_t j) {
    const KF_T *z = s->x;
    const int32_t nc = s->nc;
    if (j == 0) {
        const KF(cpx) t = {KF(w)((KF_P)z[0] + z[2 * nc]), KF(w)((KF_P)z[0] - z[2 * nc])};
        return KF(fixdiv)(t, 2);
    }
    const int32_t k = j <= nc / 2 ? j : nc - j;
    const KF(cpx) zk = {z[2 * k], z[2 * k + 1]}, znk = {z[2 * (nc - k)], KF(w)(-(KF_P)z[2 * (nc - k) + 1])};
    const KF(cpx) fk = KF(fixdiv)(zk, 2), fnkc = KF(fixdiv)(znk, 2);
    const KF(cpx) fek = KF(add)(fk, fnkc), fok = KF(cmul)(KF(sub)(fk, fnkc), s->sup + 2 * (k - 1));
    /* The reference writes bin k, then bin nc - k (conjugated): the middle bin keeps the second. */
    if (j < nc - j) return KF(add)(fek, fok);
    KF(cpx) o = KF(sub)(fek, fok);
    o.i = KF(w)(-(KF_P)o.i);
    return o;
}

/* Leaf input j of the complex FFT. */
static inline KF(cpx) KF(in_at)(const KF(source) *s, int32_t j) {
    if (s->sup) return KF(merged_at)(s, j);
    const KF_T *x = s->x;
    KF(cpx) c = {(KF_T)(2 * j < s->len ? x[2 * j] : 0), (KF_T)(2 * j + 1 < s->len ? x[2 * j + 1] : 0)};
    return c;
}

static void KF(bfly2)(KF(cpx) *f, int32_t fstride, const KF_T *tw, int32_t m) {
    for (int32_t u = 0; u < m; ++u) {
        const KF(cpx) a = KF(fixdiv)(f[u], 2), b = KF(fixdiv)(f[u + m], 2);
        const KF(cpx) t = KF(cmul)(b, tw + 2 * (u * fstride));
        f[u + m] = KF(sub)(a, t);
        f[u] = KF(add)(a, t);
    }
}

static void KF(bfly4)(KF(cpx) *f, int32_t fstride, const KF_T *tw, int32_t m, int32_t inverse) {
    for (int32_t u = 0; u < m; ++u) {
        KF(cpx) f0 = KF(fixdiv)(f[u], 4);
        const KF(cpx) f1 = KF(fixdiv)(f[u + m], 4), f2 = KF(fixdiv)(f[u + 2 * m], 4), f3 = KF(fixdiv)(f[u + 3 * m], 4);
        const KF(cpx) s0 = KF(cmul)(f1, tw + 2 * (u * fstride)), s1 = KF(cmul)(f2, tw + 2 * (2 * u * fstride));
        const KF(cpx) s2 = KF(cmul)(f3, tw + 2 * (3 * u * fstride));
        const KF(cpx) s5 = KF(sub)(f0, s1);
        f0 = KF(add)(f0, s1);
        const KF(cpx) s3 = KF(add)(s0, s2), s4 = KF(sub)(s0, s2);
        f[u + 2 * m] = KF(sub)(f0, s3);
        f[u] = KF(add)(f0, s3);
        /* the inverse transform swaps the two rotated outputs */
        const KF_P a = inverse ? -(KF_P)s4.i : s4.i, b = inverse ? -(KF_P)s4.r : s4.r;
        f[u + m].r = KF(w)(s5.r + a);
        f[u + m].i = KF(w)(s5.i - b);
        f[u + 3 * m].r = KF(w)(s5.r - a);
        f[u + 3 * m].i = KF(w)(s5.i + b);
    }
}

#if KF_MIXED
/* S_MUL: one rounded product (float: the product). */
static inline KF_T KF(smul)(KF_T a, KF_T b) { return KF(sround)((KF_P)a * b); }

/* kf_bfly3: the inverse lives in the twiddles (epi3 = tw[fstride m]). */
static void KF(bfly3)(KF(cpx) *f, int32_t fstride, const KF_T *tw, int32_t m) {
    const KF_T *epi3 = tw + 2 * (fstride * m);
    for (int32_t u = 0; u < m; ++u) {
        KF(cpx) *f0 = f + u, *f1 = f + u + m, *f2 = f + u + 2 * m;
        *f0 = KF(fixdiv)(*f0, 3);
        *f1 = KF(fixdiv)(*f1, 3);
        *f2 = KF(fixdiv)(*f2, 3);
        const KF(cpx) s1 = KF(cmul)(*f1, tw + 2 * (u * fstride)), s2 = KF(cmul)(*f2, tw + 2 * (2 * u * fstride));
        const KF(cpx) s3 = KF(add)(s1, s2);
        KF(cpx) s0 = KF(sub)(s1, s2);
        f1->r = KF(w)((KF_P)f0->r - KF(half)(s3.r));
        f1->i = KF(w)((KF_P)f0->i - KF(half)(s3.i));
        s0.r = KF(smul)(s0.r, epi3[1]);
        s0.i = KF(smul)(s0.i, epi3[1]);
        *f0 = KF(add)(*f0, s3);
        f2->r = KF(w)((KF_P)f1->r + s0.i);
        f2->i = KF(w)((KF_P)f1->i - s0.r);
        f1->r = KF(w)((KF_P)f1->r - s0.i);
        f1->i = KF(w)((KF_P)f1->i + s0.r);
    }
}

/* kf_bfly5 (ya = tw[fstride m], yb = tw[2 fstride m]); sums in the reference's order. */
static void KF(bfly5)(KF(cpx) *f, int32_t fstride, const KF_T *tw, int32_t m) {
    const KF_T *ya = tw + 2 * (fstride * m), *yb = tw + 2 * (2 * fstride * m);
    for (int32_t u = 0; u < m; ++u) {
        KF(cpx) *o[5];
        for (int k = 0; k < 5; ++k) {
            o[k] = f + u + k * m;
            *o[k] = KF(fixdiv)(*o[k], 5);
        }
        const KF(cpx) s0 = *o[0];
        const KF(cpx) s1 = KF(cmul)(*o[1], tw + 2 * (u * fstride)), s2 = KF(cmul)(*o[2], tw + 2 * (2 * u * fstride));
        const KF(cpx) s3 = KF(cmul)(*o[3], tw + 2 * (3 * u * fstride)), s4 = KF(cmul)(*o[4], tw + 2 * (4 * u * fstride));
        const KF(cpx) s7 = KF(add)(s1, s4), s10 = KF(sub)(s1, s4), s8 = KF(add)(s2, s3), s9 = KF(sub)(s2, s3);
        o[0]->r = KF(w)(o[0]->r + ((KF_P)s7.r + s8.r));
        o[0]->i = KF(w)(o[0]->i + ((KF_P)s7.i + s8.i));
        KF(cpx) s5, s6, s11, s12;
        s5.r = KF(w)((KF_P)s0.r + KF(smul)(s7.r, ya[0]) + KF(smul)(s8.r, yb[0]));
        s5.i = KF(w)((KF_P)s0.i + KF(smul)(s7.i, ya[0]) + KF(smul)(s8.i, yb[0]));
        s6.r = KF(w)((KF_P)KF(smul)(s10.i, ya[1]) + KF(smul)(s9.i, yb[1]));
        s6.i = KF(w)(-(KF_P)KF(smul)(s10.r, ya[1]) - KF(smul)(s9.r, yb[1]));
        *o[1] = KF(sub)(s5, s6);
        *o[4] = KF(add)(s5, s6);
        s11.r = KF(w)((KF_P)s0.r + KF(smul)(s7.r, yb[0]) + KF(smul)(s8.r, ya[0]));
        s11.i = KF(w)((KF_P)s0.i + KF(smul)(s7.i, yb[0]) + KF(smul)(s8.i, ya[0]));
        s12.r = KF(w)(-(KF_P)KF(smul)(s10.i, yb[1]) + KF(smul)(s9.i, ya[1]));
        s12.i = KF(w)((KF_P)KF(smul)(s10.r, yb[1]) - KF(smul)(s9.r, ya[1]));
        *o[2] = KF(add)(s11, s12);
        *o[3] = KF(sub)(s11, s12);
    }
}
#endif

/* KISS FFT's kf_work: depth = number of factors (radix 2, 3, 4, 5, or 2 and 4 when !KF_MIXED; the
 * decoders' plan checks refuse others). */
static void KF(work)(KF(cpx) *out, const KF(source) *src, int32_t f, int32_t fstride, const int32_t *fac,
                     const KF_T *tw) {
    const int32_t p = fac[0], m = fac[1];
    if (m == 1) {
        for (int32_t q = 0; q < p; ++q) out[q] = KF(in_at)(src, f + q * fstride);
    } else {
        for (int32_t q = 0; q < p; ++q) KF(work)(out + q * m, src, f + q * fstride, fstride * p, fac + 2, tw);
    }
    switch (p) {
    case 2: KF(bfly2)(out, fstride, tw, m); break;
#if KF_MIXED
    case 3: KF(bfly3)(out, fstride, tw, m); break;
    case 5: KF(bfly5)(out, fstride, tw, m); break;
#endif
    default: KF(bfly4)(out, fstride, tw, m, src->sup != 0); break;
    }
}

void KF(odl_signal_rfft)(const KF_T *x, int32_t len, int32_t fft_length, const int32_t *factors, const KF_T *tw,
                         const KF_T *sup, KF_T *y) {
    const int32_t nc = fft_length / 2;
    KF(cpx) *z = (KF(cpx) *)(void *)y;
    const KF(source) src = {x, len, nc, 0};
    KF(work)(z, &src, 0, 1, factors, tw);
    const KF(cpx) tdc = KF(fixdiv)(z[0], 2);
    z[0].r = KF(w)((KF_P)tdc.r + tdc.i);
    z[0].i = 0;
    z[nc].r = KF(w)((KF_P)tdc.r - tdc.i);
    z[nc].i = 0;
    for (int32_t k = 1; k <= nc / 2; ++k) {
        const KF(cpx) fpk = KF(fixdiv)(z[k], 2);
        const KF(cpx) znk = {z[nc - k].r, KF(w)(-(KF_P)z[nc - k].i)};
        const KF(cpx) fpnk = KF(fixdiv)(znk, 2);
        const KF(cpx) f1k = KF(add)(fpk, fpnk), f2k = KF(sub)(fpk, fpnk);
        const KF(cpx) t = KF(cmul)(f2k, sup + 2 * (k - 1));
        z[k].r = KF(half)((KF_P)f1k.r + t.r);
        z[k].i = KF(half)((KF_P)f1k.i + t.i);
        z[nc - k].r = KF(half)((KF_P)f1k.r - t.r);
        z[nc - k].i = KF(half)((KF_P)t.i - f1k.i);
    }
}

void KF(odl_signal_irfft)(const KF_T *x, int32_t fft_length, const int32_t *factors, const KF_T *tw, const KF_T *sup,
                          KF_T *y) {
    const KF(source) src = {x, 0, fft_length / 2, sup};
    KF(work)((KF(cpx) *)(void *)y, &src, 0, 1, factors, tw);
#if KF_FLOAT
    for (int32_t i = 0; i < fft_length; ++i) y[i] /= (float)fft_length; /* TFLite Micro's float Irfft scales */
#endif
}

#undef KF_T
#undef KF_P
#undef KF_U
#undef KF_BITS
#undef KF_MAX
#undef KF_FLOAT
#undef KF_TYPE
#undef KF_MIXED
#undef KF
