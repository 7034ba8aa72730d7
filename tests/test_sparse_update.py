"""Sparse-update weight write-back (runtime_c/src/train/bw_update*.c): the
portable C equals its numpy twin (pytool/training/sparse_kernels.py), and the
arm_dsp version (SIMD32 intrinsics emulated on the host by tests/c/acle_emu.h)
equals the portable one byte for byte on random row lengths, weights,
residuals, rows and factors, including the clamps. The QEMU tests run the
real instructions (test_sparse_qemu.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool.host import cbuild
from pytool.training import sparse_kernels as sk
from pytool.training import sparse_ref as sr
from pytool.training.prng import prng_words

RT = cbuild.RUNTIME / "src"
CDEF = """
void odl_update_master_s8(int32_t, int8_t *, uint8_t *, const int16_t *, int32_t);
void odl_update_master_s8_dsp(int32_t, int8_t *, uint8_t *, const int16_t *, int32_t);
void odl_update_round_s8(int32_t, int8_t *, const int16_t *, int32_t);
void odl_update_stochastic_s8(int32_t, int8_t *, const int16_t *, int32_t, uint32_t);
void odl_bw_input_x128_s8(int32_t, const int8_t *, int32_t, int16_t *);
int32_t odl_bw_row_to_s16(int32_t, const int64_t *, int16_t *);
int32_t odl_sp_row_factor(int64_t, int32_t, int32_t, int32_t, int32_t);
"""
PRELUDE = f"""
#include "odl/sparse_update.h"
#include "acle_emu.h"
#define odl_update_master_s8 odl_update_master_s8_dsp
#include "{RT / 'train' / 'arm_dsp' / 'bw_update_master.c'}"
#undef odl_update_master_s8
"""
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def lib():
    return cbuild.build("sparse_update", CDEF, PRELUDE, cbuild.runtime_sources(),
                        extra_include=[cbuild.ROOT / "tests" / "c"])


def _row(draw, n):
    return np.array(draw(st.lists(st.integers(-32767, 32767), min_size=n, max_size=n)), np.int16)


@st.composite
def rows(draw):
    n = draw(st.integers(1, 37))
    w = np.array(draw(st.lists(st.integers(-127, 127), min_size=n, max_size=n)), np.int8)
    u = np.array(draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)), np.uint8)
    big = draw(st.booleans())
    c = draw(st.integers(-32767, 32767) if big else st.integers(-300, 300))
    return w, u, _row(draw, n), c


def _call(lib, ffi_fn, w, u, g, c):
    from cffi import FFI

    ffi = FFI()
    wb, ub = bytearray(w.tobytes()), bytearray(u.tobytes())
    gb = ffi.new("int16_t[]", [int(v) for v in g])
    ffi_fn(len(w), ffi.from_buffer("int8_t[]", wb), ffi.from_buffer("uint8_t[]", ub), gb, c)
    return np.frombuffer(bytes(wb), np.int8), np.frombuffer(bytes(ub), np.uint8)


@SETTINGS
@given(rows())
def test_master_update_dsp_equals_portable_equals_numpy(lib, case):
    _, lib = lib
    w, u, g, c = case
    pw, pu = _call(lib, lib.odl_update_master_s8, w, u, g, c)
    dw, du = _call(lib, lib.odl_update_master_s8_dsp, w, u, g, c)
    nw, nu = sk.update_master(w, u, g, c)
    assert np.array_equal(pw, dw) and np.array_equal(pu, du)
    assert np.array_equal(pw, nw) and np.array_equal(pu, nu)
    assert pw.min() >= -127


def test_master_update_clamps_both_ends(lib):
    _, lib = lib
    n = 9
    w = np.array([127, -127, 126, -126, 0, 127, -127, 5, -5], np.int8)
    u = np.array([255, 0, 200, 10, 128, 128, 128, 128, 128], np.uint8)
    g = np.full(n, 32767, np.int16)
    for c in (32767, -32767, 1, -1):
        pw, pu = _call(lib, lib.odl_update_master_s8, w, u, g, c)
        dw, du = _call(lib, lib.odl_update_master_s8_dsp, w, u, g, c)
        assert np.array_equal(pw, dw) and np.array_equal(pu, du)
        v = pw.astype(np.int64) * 256 + pu
        assert v.min() >= -127 * 256 and v.max() <= 32767
    # a big step down saturates at the top, one up stops at -127 * 256
    pw, pu = _call(lib, lib.odl_update_master_s8, w, u, g, -32767)
    assert pw[0] == 127 and pu[0] == 255
    pw, pu = _call(lib, lib.odl_update_master_s8, w, u, g, 32767)
    assert pw[1] == -127 and pu[1] == 0


@SETTINGS
@given(rows(), st.integers(0, 2**32 - 1))
def test_round_and_stochastic_updates_equal_numpy(lib, case, key):
    ffi, lib = lib
    w, _, g, c = case
    wb = bytearray(w.tobytes())
    gb = ffi.new("int16_t[]", [int(v) for v in g])
    lib.odl_update_round_s8(len(w), ffi.from_buffer("int8_t[]", wb), gb, c)
    assert np.array_equal(np.frombuffer(bytes(wb), np.int8), sk.update_round(w, g, c))
    wb = bytearray(w.tobytes())
    lib.odl_update_stochastic_s8(len(w), ffi.from_buffer("int8_t[]", wb), gb, c, key)
    want = sk.update_stochastic(w, g, c, prng_words(key, len(w)))
    assert np.array_equal(np.frombuffer(bytes(wb), np.int8), want)


@SETTINGS
@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=40), st.integers(0, 30))
def test_gradient_row_to_int16_equals_numpy(lib, vals, down):
    ffi, lib = lib
    grad = np.array(vals, np.int64) >> down
    out = ffi.new("int16_t[]", len(grad))
    sg = lib.odl_bw_row_to_s16(len(grad), ffi.new("int64_t[]", [int(v) for v in grad]), out)
    want, wsg = sk.row_to_s16(grad)
    assert sg == wsg and np.array_equal(np.frombuffer(ffi.buffer(out), np.int16), want)
    assert np.abs(want).max() <= 2**14


@SETTINGS
@given(st.integers(-(2**15), 2**15), st.integers(-40, 20), st.integers(2**30, 2**31 - 1), st.integers(-20, 10),
       st.integers(0, 40))
def test_row_factor_equals_numpy(lib, raw, exp, mult, shift, frac):
    _, lib = lib
    assert lib.odl_sp_row_factor(raw, exp, mult, shift, frac) == sr.row_factor(raw, exp, mult, shift, frac)


def test_input_row_is_input_times_128(lib):
    ffi, lib = lib
    x = np.arange(-128, 128, dtype=np.int8)
    out = ffi.new("int16_t[]", len(x))
    lib.odl_bw_input_x128_s8(len(x), ffi.from_buffer("int8_t[]", bytearray(x.tobytes())), -127, out)
    assert np.array_equal(np.frombuffer(ffi.buffer(out), np.int16), sk.input_x128(x, -127))


# ---------------------------------------------------------------- arm_dsp conv bw_weight vs the portable one

CONV_CDEF = """
typedef struct { int32_t n, h, w, c; } odl_dims4_t;
typedef struct { int32_t input_offset, output_offset; int32_t act_min, act_max; int32_t stride_h, stride_w;
                 int32_t dilation_h, dilation_w; int32_t pad_h, pad_w; int32_t depth_multiplier; } odl_conv_params_t;
int odl_conv2d_s8_bw_weight(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                            const odl_dims4_t *, const int32_t *, int32_t, int64_t *, int64_t *);
int odl_conv2d_s8_bw_weight_portable(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *,
                                     const odl_dims4_t *, const odl_dims4_t *, const int32_t *, int32_t, int64_t *,
                                     int64_t *);
typedef struct { int32_t stride_h, stride_w, filter_h, filter_w, pad_h, pad_w; int32_t act_min, act_max; }
    odl_pool_params_t;
typedef struct { const odl_pool_params_t *pool; int32_t mode, act_min, act_max; } odl_bw_pool_mask_t;
int odl_conv2d_s8_bw_weight_pooled(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *,
                                   const odl_dims4_t *, const odl_dims4_t *, const int8_t *, const odl_bw_pool_mask_t *,
                                   const odl_dims4_t *, const int32_t *, int32_t, int64_t *, int64_t *);
int odl_conv2d_s8_bw_weight_pooled_portable(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *,
                                            const odl_dims4_t *, const odl_dims4_t *, const int8_t *,
                                            const odl_bw_pool_mask_t *, const odl_dims4_t *, const int32_t *, int32_t,
                                            int64_t *, int64_t *);
int odl_max_pool2d_s8_bw_input(const odl_pool_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                               const int32_t *, int32_t, int32_t *, int32_t *);
int odl_act_s8_bw_input(int32_t, const int8_t *, int32_t, int32_t, const int32_t *, int32_t *);
int odl_sat_s8_bw_input(int32_t, const int8_t *, const int32_t *, int32_t *);
"""


def _dsp_prelude(name: str) -> str:
    """Includes an arm_dsp file by path; its text in a comment so that an edit rebuilds the module."""
    import hashlib

    path = RT / "train" / "arm_dsp" / name
    tag = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f'/* {tag} */\n#include "odl/kernels_bw_s8.h"\n#include "{path}"\n'


@pytest.fixture(scope="module")
def conv_lib():
    """The arm_dsp file (plain C) in place of the portable bw_conv_2d.c, which it includes renamed."""
    srcs = [p for p in cbuild.runtime_sources() if p.name != "bw_conv_2d.c"]
    return cbuild.build("sparse_conv_dsp", CONV_CDEF, _dsp_prelude("bw_conv_2d.c"), srcs)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7), st.integers(1, 3),
       st.integers(1, 4), st.integers(1, 2), st.integers(1, 2), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 2**31))
def test_conv_bw_weight_dsp_equals_portable(conv_lib, kh, kw, h, w, c, o, sh, sw, ph, pw, dh, seed):
    ffi, lib = conv_lib
    rng = np.random.default_rng(seed)
    oh = (h + 2 * ph - (kh - 1) * dh - 1) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    if oh <= 0 or ow <= 0:
        return
    x = rng.integers(-128, 128, (1, h, w, c)).astype(np.int8)
    e = rng.integers(-(2**15) + 1, 2**15, (1, oh, ow, o)).astype(np.int32)
    e[rng.random(e.shape) < 0.5] = 0
    p = ffi.new("odl_conv_params_t *", (int(rng.integers(-128, 128)), 0, -128, 127, sh, sw, dh, 1, ph, pw, 1))
    dims = [ffi.new("odl_dims4_t *", d) for d in ((1, h, w, c), (o, kh, kw, c), (1, oh, ow, o))]
    xb, eb = ffi.new("int8_t[]", x.reshape(-1).tolist()), ffi.new("int32_t[]", e.reshape(-1).tolist())
    for ch in range(o):
        got, want = ffi.new("int64_t[]", kh * kw * c), ffi.new("int64_t[]", kh * kw * c)
        gb, wb = ffi.new("int64_t *"), ffi.new("int64_t *")
        assert lib.odl_conv2d_s8_bw_weight(p, dims[0], xb, dims[1], dims[2], eb, ch, got, gb) == 0
        assert lib.odl_conv2d_s8_bw_weight_portable(p, dims[0], xb, dims[1], dims[2], eb, ch, want, wb) == 0
        assert list(got) == list(want) and gb[0] == wb[0]


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9), st.integers(1, 3),
       st.integers(1, 4), st.integers(1, 3), st.integers(0, 1), st.integers(0, 1), st.integers(0, 2),
       st.booleans(), st.integers(0, 1), st.integers(0, 2**31))
def test_conv_bw_weight_through_max_pool(conv_lib, kh, kw, h, w, c, o, f, extra, pad, mode, ties, ppad, seed):
    """The fused kernel (conv bw_weight from a disjoint max-pool's output error, the
    conv's mask at the routed element) equals max-pool backward, mask, then bw_weight,
    and its arm_dsp version equals the portable one (incl. errors of 2^15)."""
    ffi, lib = conv_lib
    rng = np.random.default_rng(seed)
    s_pool = f + extra  # stride >= filter: disjoint windows
    ph = pad * (kh // 2)
    oh, ow = h + 2 * ph - kh + 1, w + 2 * pad * (kw // 2) - kw + 1
    ppad = min(ppad, f - 1)  # windows cut by the pool's padding and by the image end (ceil)
    py, px = -(-(oh + ppad) // s_pool), -(-(ow + ppad) // s_pool)
    if min(oh, ow, py, px) <= 0:
        return
    x = rng.integers(-128, 128, (1, h, w, c))
    y = rng.integers(-2, 2, (1, oh, ow, o)) if ties else rng.integers(-128, 128, (1, oh, ow, o))
    y[rng.random(y.shape) < 0.2] = rng.choice([-128, 127])
    ep = rng.integers(-(2**15), 2**15 + 1, (1, py, px, o))
    ep[rng.random(ep.shape) < 0.3] = 0
    lo, hi = (-128, 127) if mode == 2 else (int(rng.integers(-128, 0)), int(rng.integers(0, 128)))
    p = ffi.new("odl_conv_params_t *", (int(rng.integers(-128, 129)), 0, -128, 127, 1, 1, 1, 1, ph,
                                        pad * (kw // 2), 1))
    pp = ffi.new("odl_pool_params_t *", (s_pool, s_pool, f, f, ppad, ppad, -128, 127))
    m = ffi.new("odl_bw_pool_mask_t *", (pp, mode, lo, hi))
    dx, dw, dy = (ffi.new("odl_dims4_t *", d) for d in ((1, h, w, c), (o, kh, kw, c), (1, oh, ow, o)))
    dp = ffi.new("odl_dims4_t *", (1, py, px, o))
    xb, yb = ffi.new("int8_t[]", x.reshape(-1).tolist()), ffi.new("int8_t[]", y.reshape(-1).tolist())
    eb = ffi.new("int32_t[]", ep.reshape(-1).tolist())
    dense, ex = ffi.new("int32_t[]", oh * ow * o), ffi.new("int32_t *")
    assert lib.odl_max_pool2d_s8_bw_input(pp, dy, yb, dp, eb, 0, dense, ex) == 0 and ex[0] == 0
    if mode == 2:
        assert lib.odl_sat_s8_bw_input(oh * ow * o, yb, dense, dense) == 0
    elif mode == 1:
        assert lib.odl_act_s8_bw_input(oh * ow * o, yb, lo, hi, dense, dense) == 0
    k = kh * kw * c
    for ch in range(o):
        rows = [(ffi.new("int64_t[]", k), ffi.new("int64_t *")) for _ in range(3)]
        assert lib.odl_conv2d_s8_bw_weight_portable(p, dx, xb, dw, dy, dense, ch, *rows[0]) == 0
        assert lib.odl_conv2d_s8_bw_weight_pooled_portable(p, dx, xb, dw, dy, yb, m, dp, eb, ch, *rows[1]) == 0
        assert lib.odl_conv2d_s8_bw_weight_pooled(p, dx, xb, dw, dy, yb, m, dp, eb, ch, *rows[2]) == 0
        want = (list(rows[0][0]), rows[0][1][0])
        assert all((list(g), b[0]) == want for g, b in rows[1:]), ch


POOL_CDEF = """
typedef struct { int32_t n, h, w, c; } odl_dims4_t;
typedef struct { int32_t stride_h, stride_w, filter_h, filter_w, pad_h, pad_w; int32_t act_min, act_max; }
    odl_pool_params_t;
int odl_max_pool2d_s8_bw_input(const odl_pool_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                               const int32_t *, int32_t, int32_t *, int32_t *);
int odl_max_pool2d_s8_bw_input_portable(const odl_pool_params_t *, const odl_dims4_t *, const int8_t *,
                                        const odl_dims4_t *, const int32_t *, int32_t, int32_t *, int32_t *);
"""


@pytest.fixture(scope="module")
def pool_lib():
    srcs = [p for p in cbuild.runtime_sources() if p.name != "bw_pool.c"]
    return cbuild.build("sparse_pool_dsp", POOL_CDEF, _dsp_prelude("bw_pool.c"), srcs)


@SETTINGS
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 5), st.booleans(), st.integers(0, 2**31))
def test_max_pool_bw_dsp_equals_portable(pool_lib, h, w, c, ties, seed):
    ffi, lib = pool_lib
    rng = np.random.default_rng(seed)
    oh, ow = h // 2, w // 2
    x = rng.integers(-2, 2, (h, w, c)) if ties else rng.integers(-128, 128, (h, w, c))
    e = rng.integers(-(2**15) + 1, 2**15, (oh, ow, c))
    e[rng.random(e.shape) < 0.3] = 0
    p = ffi.new("odl_pool_params_t *", (2, 2, 2, 2, 0, 0, -128, 127))
    din, dout = ffi.new("odl_dims4_t *", (1, h, w, c)), ffi.new("odl_dims4_t *", (1, oh, ow, c))
    xb, eb = ffi.new("int8_t[]", x.reshape(-1).tolist()), ffi.new("int32_t[]", e.reshape(-1).tolist() or [0])
    outs = []
    for fn in (lib.odl_max_pool2d_s8_bw_input, lib.odl_max_pool2d_s8_bw_input_portable):
        ei, ex = ffi.new("int32_t[]", h * w * c), ffi.new("int32_t *")
        assert fn(p, din, xb, dout, eb, -9, ei, ex) == 0
        outs.append((list(ei), ex[0]))
    assert outs[0] == outs[1]
