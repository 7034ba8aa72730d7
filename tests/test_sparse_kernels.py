"""Fixed-point backward kernels (runtime_c/src/train/bw_*.c): the C result
equals the numpy twin (pytool/training/sparse_kernels.py) bit for bit, and
both match a float64 Jacobian of the dequantized layer (built column by
column from a plain float forward) by cosine similarity and relative error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool.host import cbuild
from pytool.training import sparse_kernels as sk
from quantize.fixedpoint import quantize_multiplier

CDEF = """
typedef struct { int32_t n, h, w, c; } odl_dims4_t;
typedef struct { int32_t input_offset, output_offset; int32_t act_min, act_max; int32_t stride_h, stride_w;
                 int32_t dilation_h, dilation_w; int32_t pad_h, pad_w; int32_t depth_multiplier; } odl_conv_params_t;
typedef struct { int32_t stride_h, stride_w, filter_h, filter_w, pad_h, pad_w; int32_t act_min, act_max; }
    odl_pool_params_t;
int odl_softmax_ce_s8_bw_input(const int8_t *, int32_t, int32_t, int32_t, int32_t *, int32_t *);
int odl_act_s8_bw_input(int32_t, const int8_t *, int32_t, int32_t, const int32_t *, int32_t *);
int odl_reshape_s8_bw_input(int32_t, const int32_t *, int32_t *);
int odl_add_s8_bw_input(int32_t, const int8_t *, int32_t, int32_t, const int32_t *, int32_t *, int32_t *);
int odl_fully_connected_s8_bw_input(int32_t, int32_t, int32_t, const int8_t *, const int32_t *, const int32_t *,
                                    int32_t, const int32_t *, int32_t, int32_t *, int32_t *);
int odl_fully_connected_s8_bw_weight(int32_t, int32_t, int32_t, const int8_t *, int32_t, const int32_t *, int32_t,
                                     int64_t *, int64_t *);
int odl_conv2d_s8_bw_input(const odl_conv_params_t *, const odl_dims4_t *, const odl_dims4_t *, const int8_t *,
                           const int32_t *, const int32_t *, const odl_dims4_t *, const int32_t *, int32_t,
                           int32_t *, int32_t *);
int odl_conv2d_s8_bw_weight(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                            const odl_dims4_t *, const int32_t *, int32_t, int64_t *, int64_t *);
int odl_depthwise_conv2d_s8_bw_input(const odl_conv_params_t *, const odl_dims4_t *, const odl_dims4_t *,
                                     const int8_t *, const int32_t *, const int32_t *, const odl_dims4_t *,
                                     const int32_t *, int32_t, int32_t *, int32_t *);
int odl_depthwise_conv2d_s8_bw_weight(const odl_conv_params_t *, const odl_dims4_t *, const int8_t *,
                                      const odl_dims4_t *, const odl_dims4_t *, const int32_t *, int32_t,
                                      int64_t *, int64_t *);
int odl_average_pool2d_s8_bw_input(const odl_pool_params_t *, const odl_dims4_t *, const odl_dims4_t *,
                                   const int32_t *, int32_t, int32_t *, int32_t *);
int odl_max_pool2d_s8_bw_input(const odl_pool_params_t *, const odl_dims4_t *, const int8_t *, const odl_dims4_t *,
                               const int32_t *, int32_t, int32_t *, int32_t *);
int odl_move_s8_bw_input(int32_t, int32_t, const int32_t *, const int32_t *, int32_t, int32_t *, int32_t *);
int odl_table_s8_bw_input(int32_t, const int8_t *, const int16_t *, int32_t, const int32_t *, int32_t, int32_t *,
                          int32_t *);
int odl_mul_s8_bw_input(int32_t, const int8_t *, const int32_t *, int32_t, int32_t, int32_t, const int32_t *,
                        int32_t, int32_t *, int32_t *);
int odl_mean_s8_bw_input(int32_t, int32_t, int32_t, const int32_t *, int32_t, int32_t *, int32_t *);
"""
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def lib():
    return cbuild.build("sparse_kernels", CDEF, '#include "odl/kernels_bw_s8.h"\n', cbuild.runtime_sources())


def _buf(ffi, ctype: str, arr: np.ndarray):
    return ffi.new(f"{ctype}[]", [int(v) for v in np.asarray(arr).reshape(-1)] or [0])


def _arr(ffi, ptr, n: int, dtype) -> np.ndarray:
    return np.frombuffer(ffi.buffer(ptr, n * np.dtype(dtype).itemsize), dtype).astype(np.int64).copy()


def _close(got: np.ndarray, want: np.ndarray) -> None:
    got, want = got.reshape(-1), want.reshape(-1)
    nw = np.linalg.norm(want)
    if nw == 0:
        assert np.abs(got).max() == 0
        return
    cos = float(got @ want / (np.linalg.norm(got) * nw + 1e-300))
    assert cos > 0.9999, cos
    # a lone small error scaled by a weight scale rounds to an integer with ~9 bits left
    assert np.linalg.norm(got - want) / nw < 5e-3


def _errors(rng, shape):
    e = rng.integers(-(2**15) + 1, 2**15, size=shape).astype(np.int64)
    e[rng.random(shape) < 0.2] = 0
    return e, int(rng.integers(-30, -8))


def _wscales(rng, n):
    s = rng.uniform(0.002, 0.05, n)
    mq = [quantize_multiplier(float(v)) for v in s]
    mult = np.array([m for m, _ in mq], np.int64)
    shift = np.array([k for _, k in mq], np.int64)
    return mult * 2.0 ** (shift - 31), mult, shift


def _vjp(f, x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """dL/dx of L = <dy, f(x)> for a linear f, one basis vector at a time."""
    flat = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        flat[i] = float((f(e.reshape(x.shape)) * dy).sum())
    return flat.reshape(x.shape)


def conv_float(x, w, stride, dil, pad, out_hw, depth_mult=0):
    """Plain float64 (depthwise when depth_mult > 0) convolution, no bias."""
    B, H, W, C = x.shape
    n_out = w.shape[3] if depth_mult else w.shape[0]
    y = np.zeros((B, *out_hw, n_out))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            for ky in range(w.shape[1]):
                iy = oy * stride[0] - pad[0] + ky * dil[0]
                for kx in range(w.shape[2]):
                    ix = ox * stride[1] - pad[1] + kx * dil[1]
                    if 0 <= iy < H and 0 <= ix < W:
                        if depth_mult:
                            y[:, oy, ox, :] += np.repeat(x[:, iy, ix, :], depth_mult, axis=-1) * w[0, ky, kx, :]
                        else:
                            y[:, oy, ox, :] += x[:, iy, ix, :] @ w[:, ky, kx, :].T
    return y


@st.composite
def conv_cases(draw, depthwise: bool):
    k = draw(st.integers(1, 3))
    stride = draw(st.sampled_from([(1, 1), (2, 2), (1, 2)]))
    dil = draw(st.sampled_from([(1, 1), (2, 1)])) if k > 1 else (1, 1)
    h, w = draw(st.integers(k * dil[0], 6)), draw(st.integers(k * dil[1], 6))
    c = draw(st.integers(1, 4))
    m = draw(st.integers(1, 2)) if depthwise else 1
    o = c * m if depthwise else draw(st.integers(1, 5))
    same = draw(st.booleans())
    if same:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
        ph = max(0, ((oh - 1) * stride[0] + (k - 1) * dil[0] + 1 - h) // 2)
        pw = max(0, ((ow - 1) * stride[1] + (k - 1) * dil[1] + 1 - w) // 2)
    else:
        oh, ow = (h - (k - 1) * dil[0] - 1) // stride[0] + 1, (w - (k - 1) * dil[1] - 1) // stride[1] + 1
        ph = pw = 0
    return dict(k=k, stride=stride, dil=dil, shape=(1, h, w, c), m=m, o=o, out=(oh, ow), pad=(ph, pw),
                seed=draw(st.integers(0, 2**31)))


def _conv_run(lib, case, depthwise: bool):
    rng = np.random.default_rng(case["seed"])
    k, o = case["k"], case["o"]
    wshape = (1, k, k, o) if depthwise else (o, k, k, case["shape"][3])
    w = rng.integers(-127, 128, wshape).astype(np.int64)
    sw, mult, shift = _wscales(rng, o)
    zx, sx = int(rng.integers(-20, 20)), 0.03
    x = rng.integers(-128, 128, case["shape"]).astype(np.int64)
    e, exp = _errors(rng, (1, *case["out"], o))
    return rng, w, sw, mult, shift, zx, sx, x, e, exp, wshape


@SETTINGS
@given(conv_cases(False))
def test_conv2d_bw(lib, case):
    _check_conv(lib, case, False)


@SETTINGS
@given(conv_cases(True))
def test_depthwise_bw(lib, case):
    _check_conv(lib, case, True)


def _check_conv(lib_, case, depthwise):
    ffi, lib = lib_
    _, w, sw, mult, shift, zx, sx, x, e, exp, wshape = _conv_run(lib_, case, depthwise)
    p = ffi.new("odl_conv_params_t *", dict(input_offset=-zx, output_offset=0, act_min=-128, act_max=127,
                                            stride_h=case["stride"][0], stride_w=case["stride"][1],
                                            dilation_h=case["dil"][0], dilation_w=case["dil"][1],
                                            pad_h=case["pad"][0], pad_w=case["pad"][1], depth_multiplier=case["m"]))
    ind = ffi.new("odl_dims4_t *", case["shape"])
    wd = ffi.new("odl_dims4_t *", wshape)
    od = ffi.new("odl_dims4_t *", (1, *case["out"], case["o"]))
    n_in = int(np.prod(case["shape"]))
    e_in, exp_in = ffi.new("int32_t[]", n_in), ffi.new("int32_t *")
    fn_in = lib.odl_depthwise_conv2d_s8_bw_input if depthwise else lib.odl_conv2d_s8_bw_input
    fn_w = lib.odl_depthwise_conv2d_s8_bw_weight if depthwise else lib.odl_conv2d_s8_bw_weight
    assert fn_in(p, ind, wd, _buf(ffi, "int8_t", w), _buf(ffi, "int32_t", mult), _buf(ffi, "int32_t", shift), od,
                 _buf(ffi, "int32_t", e), exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, n_in, np.int32)
    geo = (case["stride"], case["dil"], case["pad"])
    if depthwise:
        ref, ref_exp = sk.dw_bw_input(e, exp, w, mult, shift, case["shape"], *geo, case["m"])
    else:
        ref, ref_exp = sk.conv_bw_input(e, exp, w, mult, shift, case["shape"], *geo)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref.reshape(-1))
    # float64: dL/dx_real = J^T dL/dy_real with the dequantized filter
    dm = case["m"] if depthwise else 0
    w_real = w * (sw if depthwise else sw[:, None, None, None])
    dy = e * 2.0**exp
    fx = _vjp(lambda xx: conv_float(xx, w_real, *geo, case["out"], dm), np.zeros(case["shape"]), dy)
    _close(got * 2.0**exp_in[0], fx)
    # weight gradient of every channel, raw * 2^exp * s_x = dL/dW_real
    x_real = sx * (x - zx)
    kk = int(np.prod(wshape[1:3])) * (1 if depthwise else wshape[3])
    g, gb = ffi.new("int64_t[]", kk), ffi.new("int64_t *")
    for ch in range(case["o"]):
        assert fn_w(p, ind, _buf(ffi, "int8_t", x), wd, od, _buf(ffi, "int32_t", e), ch, g, gb) == 0
        raw = _arr(ffi, g, kk, np.int64)
        if depthwise:
            ref_g, ref_b = sk.dw_bw_weight(e, x, -zx, wshape, *geo, case["m"], ch)
        else:
            ref_g, ref_b = sk.conv_bw_weight(e, x, -zx, wshape, *geo, ch)
        assert np.array_equal(raw, ref_g) and gb[0] == ref_b

        def f_w(wc, ch=ch):
            full = np.zeros(wshape)
            if depthwise:
                full[0, :, :, ch] = wc.reshape(wshape[1:3])
            else:
                full[ch] = wc.reshape(wshape[1:])
            return conv_float(x_real, full, *geo, case["out"], dm)[..., ch]

        fw = _vjp(f_w, np.zeros(kk), dy[..., ch])
        _close(raw * 2.0**exp * sx, fw)
        assert gb[0] * 2.0**exp == pytest.approx(dy[..., ch].sum())


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 40), st.integers(1, 12), st.booleans(), st.integers(0, 2**31))
def test_fully_connected_bw(lib, batches, in_d, out_d, per_channel, seed):
    ffi, c = lib
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, (out_d, in_d)).astype(np.int64)
    sw, mult, shift = _wscales(rng, out_d if per_channel else 1)
    e, exp = _errors(rng, (batches, out_d))
    n_in = batches * in_d
    e_in, exp_in = ffi.new("int32_t[]", n_in), ffi.new("int32_t *")
    assert c.odl_fully_connected_s8_bw_input(batches, in_d, out_d, _buf(ffi, "int8_t", w), _buf(ffi, "int32_t", mult),
                                             _buf(ffi, "int32_t", shift), int(per_channel), _buf(ffi, "int32_t", e),
                                             exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, n_in, np.int32)
    ref, ref_exp = sk.fc_bw_input(e, exp, w, mult, shift)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref.reshape(-1))
    w_real = w * (sw[:, None] if per_channel else sw[0])
    dy = e * 2.0**exp
    fx = _vjp(lambda xx: xx @ w_real.T, np.zeros((batches, in_d)), dy)
    _close(got * 2.0**exp_in[0], fx)
    zx, sx = int(rng.integers(-10, 10)), 0.05
    x = rng.integers(-128, 128, (batches, in_d)).astype(np.int64)
    g, gb = ffi.new("int64_t[]", in_d), ffi.new("int64_t *")
    for ch in range(out_d):
        assert c.odl_fully_connected_s8_bw_weight(batches, in_d, out_d, _buf(ffi, "int8_t", x), -zx,
                                                  _buf(ffi, "int32_t", e), ch, g, gb) == 0
        raw = _arr(ffi, g, in_d, np.int64)
        ref_g, ref_b = sk.fc_bw_weight(e, x, -zx, ch)
        assert np.array_equal(raw, ref_g) and gb[0] == ref_b
        fw = _vjp(lambda wr: (sx * (x - zx)) @ wr, np.zeros(in_d), dy[:, ch])
        _close(raw * 2.0**exp * sx, fw)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
       st.booleans(), st.integers(0, 2**31))
def test_average_pool_bw(lib, h_extra, w_extra, f, c, stride, same, seed):
    ffi, cl = lib
    rng = np.random.default_rng(seed)
    h, w = f + h_extra, f + w_extra
    if same:
        oh, ow = -(-h // stride), -(-w // stride)
        ph, pw = max(0, ((oh - 1) * stride + f - h) // 2), max(0, ((ow - 1) * stride + f - w) // 2)
    else:
        oh, ow, ph, pw = (h - f) // stride + 1, (w - f) // stride + 1, 0, 0
    e, exp = _errors(rng, (1, oh, ow, c))
    p = ffi.new("odl_pool_params_t *", (stride, stride, f, f, ph, pw, -128, 127))
    n_in = h * w * c
    e_in, exp_in = ffi.new("int32_t[]", n_in), ffi.new("int32_t *")
    assert cl.odl_average_pool2d_s8_bw_input(p, ffi.new("odl_dims4_t *", (1, h, w, c)),
                                             ffi.new("odl_dims4_t *", (1, oh, ow, c)), _buf(ffi, "int32_t", e), exp,
                                             e_in, exp_in) == 0
    got = _arr(ffi, e_in, n_in, np.int32)
    ref, ref_exp = sk.avgpool_bw_input(e, exp, (1, h, w, c), (stride, stride), (f, f), (ph, pw))
    assert exp_in[0] == ref_exp and np.array_equal(got, ref.reshape(-1))

    def pool(xx):
        y = np.zeros((1, oh, ow, c))
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * stride - ph, ox * stride - pw
                win = xx[:, max(0, y0) : min(h, y0 + f), max(0, x0) : min(w, x0 + f), :]
                y[:, oy, ox, :] = win.mean(axis=(1, 2))
        return y

    _close(got * 2.0**exp_in[0], _vjp(pool, np.zeros((1, h, w, c)), e * 2.0**exp))


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 50), st.integers(1, 8), st.integers(0, 2**31))
def test_mean_bw(lib, outer, reduce, inner, seed):
    ffi, c = lib
    rng = np.random.default_rng(seed)
    e, exp = _errors(rng, (outer, inner))
    n = outer * reduce * inner
    e_in, exp_in = ffi.new("int32_t[]", n), ffi.new("int32_t *")
    assert c.odl_mean_s8_bw_input(outer, reduce, inner, _buf(ffi, "int32_t", e), exp, e_in, exp_in) == 0
    got = _arr(ffi, e_in, n, np.int32)
    ref, ref_exp = sk.mean_bw_input(e, exp, outer, reduce, inner)
    assert exp_in[0] == ref_exp and np.array_equal(got, ref)
    fx = _vjp(lambda xx: xx.mean(axis=1), np.zeros((outer, reduce, inner)), e * 2.0**exp)
    _close(got * 2.0**exp_in[0], fx)


@SETTINGS
@given(st.integers(1, 60), st.sampled_from(["RELU", "RELU6", "NONE"]), st.integers(0, 2**31))
def test_activation_add_reshape_bw(lib, n, act, seed):
    """Masks come from the int8 output: zero where the clamp is active."""
    ffi, c = lib
    rng = np.random.default_rng(seed)
    zy, sy = int(rng.integers(-128, -100)), 0.05
    act_min, act_max = {"RELU": (zy, 127), "RELU6": (zy, min(127, zy + round(6 / sy))), "NONE": (-128, 127)}[act]
    y = rng.integers(act_min, act_max + 1, n)
    e, _ = _errors(rng, n)
    out = ffi.new("int32_t[]", n)
    assert c.odl_act_s8_bw_input(n, _buf(ffi, "int8_t", y), act_min, act_max, _buf(ffi, "int32_t", e), out) == 0
    got = _arr(ffi, out, n, np.int32)
    assert np.array_equal(got, sk.act_bw(y, act_min, act_max, e))
    # float: derivative of clamp(v, lo, hi) at the dequantized output; the
    # int8 range itself is a clamp too
    real = sy * (y - zy)
    lo, hi = {"RELU": (0, np.inf), "RELU6": (0, 6), "NONE": (-np.inf, np.inf)}[act]
    lo, hi = max(lo, sy * (-128 - zy)), min(hi, sy * (127 - zy))
    inside = (real > lo + 1e-9) & (real < hi - 1e-9)
    assert np.array_equal(got != 0, inside & (e != 0))
    o2 = ffi.new("int32_t[]", n)
    assert c.odl_add_s8_bw_input(n, _buf(ffi, "int8_t", y), act_min, act_max, _buf(ffi, "int32_t", e), out, o2) == 0
    assert np.array_equal(_arr(ffi, o2, n, np.int32), got) and np.array_equal(_arr(ffi, out, n, np.int32), got)
    assert c.odl_reshape_s8_bw_input(n, _buf(ffi, "int32_t", e), out) == 0
    assert np.array_equal(_arr(ffi, out, n, np.int32), e)


@SETTINGS
@given(st.integers(2, 12), st.integers(0, 2**31))
def test_softmax_ce_bw(lib, n, seed):
    ffi, c = lib
    rng = np.random.default_rng(seed)
    q = rng.integers(-128, 128, n)
    label, scale = int(rng.integers(0, n)), float(rng.uniform(0.02, 0.2))
    sq16 = round(scale * 65536)
    e, exp = ffi.new("int32_t[]", n), ffi.new("int32_t *")
    assert c.odl_softmax_ce_s8_bw_input(_buf(ffi, "int8_t", q), n, sq16, label, e, exp) == 0
    got = _arr(ffi, e, n, np.int32)
    ref, ref_exp = sk.softmax_ce_bw(q, sq16, label)
    assert exp[0] == ref_exp and np.array_equal(got, ref)
    z = (q - q.max()) * sq16 / 65536.0
    p = np.exp(z) / np.exp(z).sum()
    p[label] -= 1
    np.testing.assert_allclose(got * 2.0 ** exp[0], p, atol=2e-3)
    assert c.odl_softmax_ce_s8_bw_input(_buf(ffi, "int8_t", q), n, sq16, n, e, exp) != 0
