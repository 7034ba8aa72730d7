"""The optimised kernels' requantization (arm_dsp/dsp_requant.h, plain C)
against the portable odl_mul_by_quantized_multiplier, compiled for the host:
edge values of x, every shift in range and random multipliers, plus
hypothesis-drawn triples, must agree exactly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CHECKER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "odl/fixedpoint.h"
#include "dsp_requant.h"

static uint64_t s = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }

static long check(int32_t x, int32_t m, int32_t sh) {
    int32_t want = odl_mul_by_quantized_multiplier(x, m, sh), got = odl_dsp_requantize(x, m, sh);
    if (want != got) { printf("MISMATCH %d %d %d %d %d\n", x, m, sh, want, got); return 1; }
    return 0;
}

int main(int argc, char **argv) {
    long bad = 0;
    if (argc == 4) return (int)check(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]));
    static const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1,
                                 1 << 30, -(1 << 30), (1 << 30) - 1, -(1 << 30) + 1, 65535, -65536};
    static const int32_t ms[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250};
    for (int32_t sh = -31; sh <= 30; ++sh) {
        for (unsigned i = 0; i < sizeof xs / sizeof *xs; ++i)
            for (unsigned j = 0; j < sizeof ms / sizeof *ms; ++j) bad += check(xs[i], ms[j], sh);
        for (int k = 0; k < 200000; ++k) {
            int32_t x = (int32_t)rnd(), m = (int32_t)(rnd() >> 1);
            if (k & 1) x >>= rnd() % 31;  /* small magnitudes too: typical accumulators */
            if (k & 2) m |= 1 << 30;       /* TFLite multipliers are in [2^30, 2^31) */
            bad += check(x, m, sh);
        }
    }
    printf("%ld\n", bad);
    return bad != 0;
}
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    d = tmp_path_factory.mktemp("requant")
    (d / "check.c").write_text(CHECKER)
    exe = d / "check"
    subprocess.run(
        ["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'runtime_c' / 'include'}",
         f"-I{ROOT / 'runtime_c' / 'src' / 'kernels' / 'int8' / 'arm_dsp'}", str(d / "check.c"), "-o", str(exe)],
        check=True,
    )  # fmt: skip
    return exe


def test_requantize_matches_portable_on_edges_and_random(checker):
    r = subprocess.run([str(checker)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "0", r.stdout[-500:]


@settings(max_examples=300, deadline=None)
@given(
    x=st.integers(-(2**31), 2**31 - 1),
    m=st.integers(0, 2**31 - 1),
    shift=st.integers(-31, 30),
)
def test_requantize_matches_portable_hypothesis(checker, x, m, shift):
    r = subprocess.run([str(checker), str(x), str(m), str(shift)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
