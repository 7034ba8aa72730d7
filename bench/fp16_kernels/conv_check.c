/* Hardware FP16 conversion against the portable integer routines, on one
 * board: every one of the 65536 halves widened, and for every half h the
 * FP32 values h, h +- 1 ulp and the midpoints to its neighbours (+- 1 ulp)
 * narrowed, plus FP32 subnormals, overflow, infinities and NaNs with several
 * payloads; on Helium also the half-precision VFMAS / VADD the arm_mve kernels
 * use. The FPSCR starts hostile (FZ, AHP set, DN clear) and
 * odl_f16_fp_enter() must make the instructions agree. Prints
 * "<check> <mismatches> <cases>" lines and "done" (tests/test_fp16_hwconv.py). */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "odl/f16.h"

#ifdef __ARM_FEATURE_MVE
#include <arm_mve.h>
#endif

static void put(const char *s) { board_uart_write((const uint8_t *)s, (uint32_t)strlen(s)); }

static void put_u32(uint32_t v) {
    char buf[11];
    int i = (int)sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && i > 0);
    board_uart_write((const uint8_t *)buf + i, (uint32_t)(sizeof buf - (size_t)i));
}

static void line(const char *what, uint32_t bad, uint32_t n) {
    put(what);
    put(" ");
    put_u32(bad);
    put(" ");
    put_u32(n);
    put("\n");
}

static int is_nan32(uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }

/* Widened values must be equal bit for bit, NaNs only as NaNs (their FP32
 * payload never reaches stored bits, see odl/f16.h). */
static int same_widened(float a, float b) {
    uint32_t x = odl_f32_bits(a), y = odl_f32_bits(b);
    return x == y || (is_nan32(x) && is_nan32(y));
}

static uint32_t narrow_cases(uint32_t *bad_out, odl_f16_t (*fn)(float)) {
    uint32_t n = 0, bad = 0;
    for (uint32_t h = 0; h < 0x10000u; ++h) {
        if (((h >> 10) & 0x1fu) == 0x1fu) continue;
        uint32_t u = odl_f32_bits(odl_f16_to_f32_soft((odl_f16_t)h));
        uint32_t nb = odl_f32_bits(odl_f16_to_f32_soft((odl_f16_t)(h + 1u)));
        float mid = odl_bits_f32(u) + (odl_bits_f32(nb) - odl_bits_f32(u)) * 0.5f;
        uint32_t m = odl_f32_bits(mid);
        uint32_t cases[7] = {u, u + 1u, u - 1u, m, m + 1u, m - 1u, u ^ 0x1000u};
        for (int k = 0; k < 7; ++k) {
            float f = odl_bits_f32(cases[k]);
            n++;
            if (fn(f) != odl_f32_to_f16_soft(f)) bad++;
        }
    }
    static const uint32_t special[] = {0x00000001u, 0x00400000u, 0x007fffffu, 0x80000001u, 0x807fffffu,
                                       0x33000000u, 0x33000001u, 0xb3000000u, 0x477fe000u, 0x477fefffu,
                                       0x477ff000u, 0x477ff001u, 0x47800000u, 0xc77ff000u, 0x7f7fffffu,
                                       0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
                                       0xff800001u, 0x7fbfffffu, 0x7fffffffu, 0xffffffffu, 0x7fc02000u};
    for (uint32_t k = 0; k < sizeof special / sizeof special[0]; ++k) {
        float f = odl_bits_f32(special[k]);
        n++;
        if (fn(f) != odl_f32_to_f16_soft(f)) bad++;
    }
    *bad_out = bad;
    return n;
}

static odl_f16_t narrow_scalar(float f) { return odl_f32_to_f16(f); }

#ifdef __ARM_FEATURE_MVE
/* MVE VCVTB.F16.F32 of a vector holding f in every lane. */
static odl_f16_t narrow_vector(float f) {
    float16x8_t z = vreinterpretq_f16_u16(vdupq_n_u16(0));
    float16x8_t r = vcvtbq_f16_f32(z, vdupq_n_f32(f));
    return vgetq_lane_u16(vreinterpretq_u16_f16(r), 2);
}
#endif

#ifdef __ARM_FEATURE_MVE
/* Half-precision Helium arithmetic the arm_mve kernels use, against the FP32
 * spec: VFMAS.F16 x * g + 0 must be R(0 + F(g) * F(x)) (the fused FC
 * gradient) and VADD.F16 a + b must be R(F(a) + F(b)) (accumulation), for
 * every half x or a and a spread of g or b (subnormals, signed zeros, inf,
 * NaN among them): subnormals must survive (FZ16 = 0). */
static uint32_t half_arith_cases(uint32_t *bad_out, int add) {
    uint32_t n = 0, bad = 0;
    for (uint32_t gi = 0; gi < 0x10000u; gi += add ? 331u : 97u) {
        const uint16_t g = (uint16_t)gi;
        const float fg = odl_f16_to_f32_soft(g);
        for (uint32_t h = 0; h < 0x10000u; h += 8) {
            uint16_t xs[8], rs[8];
            for (int q = 0; q < 8; ++q) xs[q] = (uint16_t)(h + (uint32_t)q);
            uint16x8_t r = vld1q_u16(xs), gv = vdupq_n_u16(g);
            if (add)
                __asm__ volatile("vadd.f16 %q0, %q0, %q1" : "+w"(r) : "w"(gv));
            else
                __asm__ volatile("vfmas.f16 %q0, %q1, %2" : "+w"(r) : "w"(gv), "r"(0u));
            vst1q_u16(rs, r);
            for (int q = 0; q < 8; ++q) {
                const float fx = odl_f16_to_f32_soft(xs[q]);
                n++;
                if (rs[q] != odl_f32_to_f16_soft(add ? fx + fg : 0.0f + fg * fx)) bad++;
            }
        }
    }
    *bad_out = bad;
    return n;
}
#endif

int main(void) {
    board_init();
#ifdef ODL_F16_HW_ARM
    /* hostile mode: FZ, AHP, DN clear; odl_f16_fp_enter must fix it. On
     * Armv8.1-M the LTPSIZE field (bits 16-18) keeps its value (4 outside a
     * tail-predicated loop; compiled low-overhead loops fault otherwise). */
    uint32_t cur;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(cur));
    uint32_t hostile = (1u << 26) | (1u << 24) | (cur & (7u << 16));
    __asm__ volatile("vmsr fpscr, %0" : : "r"(hostile) : "memory");
    odl_f16_fp_mode_t saved = odl_f16_fp_enter();
#endif
    uint32_t bad = 0;
    for (uint32_t h = 0; h < 0x10000u; ++h)
        if (!same_widened(odl_f16_to_f32((odl_f16_t)h), odl_f16_to_f32_soft((odl_f16_t)h))) bad++;
    line("widen", bad, 0x10000u);
    uint32_t n = narrow_cases(&bad, narrow_scalar);
    line("narrow", bad, n);
#ifdef __ARM_FEATURE_MVE
    bad = 0;
    for (uint32_t h = 0; h < 0x10000u; ++h) {
        float16x8_t v = vreinterpretq_f16_u16(vdupq_n_u16((uint16_t)h));
        float w = vgetq_lane_f32(vcvtbq_f32_f16(v), 1);
        if (!same_widened(w, odl_f16_to_f32_soft((odl_f16_t)h))) bad++;
    }
    line("mve_widen", bad, 0x10000u);
    n = narrow_cases(&bad, narrow_vector);
    line("mve_narrow", bad, n);
    n = half_arith_cases(&bad, 0);
    line("mve_fma16", bad, n);
    n = half_arith_cases(&bad, 1);
    line("mve_add16", bad, n);
#endif
#ifdef ODL_F16_HW_ARM
    odl_f16_fp_leave(saved);
    uint32_t now;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(now));
    line("fpscr_restored", (now & 0x07c00000u) != (hostile & 0x07c00000u), 1);
#endif
    put("done\n");
    return 0;
}
