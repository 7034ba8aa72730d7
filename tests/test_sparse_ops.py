"""Fixed-point backward of the ops the sparse update passes through besides
the weighted layers (runtime_c/src/train/bw_*.c): the C equals the numpy twin
(pytool/training/sparse_kernels.py) bit for bit, and both match a float64
Jacobian of the op at the operating point (cosine > 0.9999)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_sparse_kernels import SETTINGS, _arr, _buf, _close, _errors, _vjp, lib  # noqa: F401

from pytool.training import sparse_kernels as sk


def _maxpool_float(x, f, stride, pad, out_hw):
    B, H, W, C = x.shape
    y = np.zeros((B, *out_hw, C))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            y0, x0 = oy * stride - pad[0], ox * stride - pad[1]
            y[:, oy, ox, :] = x[:, max(0, y0) : min(H, y0 + f), max(0, x0) : min(W, x0 + f), :].max(axis=(1, 2))
    return y


@SETTINGS
@given(st.integers(0, 3), st.integers(0, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_max_pool_bw(lib, h_extra, w_extra, f, c, stride, same, ties, seed):  # noqa: F811
    ffi, cl = lib
    rng = np.random.default_rng(seed)
    h, w = f + h_extra, f + w_extra
    if same:
        oh, ow = -(-h // stride), -(-w // stride)
        ph, pw = max(0, ((oh - 1) * stride + f - h) // 2), max(0, ((ow - 1) * stride + f - w) // 2)
    else:
        oh, ow, ph, pw = (h - f) // stride + 1, (w - f) // stride + 1, 0, 0
    n_in = h * w * c
    if ties:  # few levels: windows with equal maxima take the first one
        x = rng.integers(-3, 3, (1, h, w, c)).astype(np.int64)
    else:
        x = (rng.permutation(256)[:n_in] - 128).reshape(1, h, w, c).astype(np.int64)
    e, exp = _errors(rng, (1, oh, ow, c))
    p = ffi.new("odl_pool_params_t *", (stride, stride, f, f, ph, pw, -128, 127))
    e_in, exp_in = ffi.new("int32_t[]", n_in), ffi.new("int32_t *")
    assert cl.odl_max_pool2d_s8_bw_input(p, ffi.new("odl_dims4_t *", (1, h, w, c)), _buf(ffi, "int8_t", x),
                                         ffi.new("odl_dims4_t *", (1, oh, ow, c)), _buf(ffi, "int32_t", e), exp,
                                         e_in, exp_in) == 0
    got = _arr(ffi, e_in, n_in, np.int32)
    ref, ref_exp = sk.maxpool_bw_input(e, exp, x, (stride, stride), (f, f), (ph, pw))
    assert exp_in[0] == ref_exp and np.array_equal(got, ref.reshape(-1))
    if not ties:  # distinct values: max is linear near x, its Jacobian picks the argmax
        x0 = x.astype(np.float64)
        base = _maxpool_float(x0, f, stride, (ph, pw), (oh, ow))

        def lin(v):
            return (_maxpool_float(x0 + 0.01 * v, f, stride, (ph, pw), (oh, ow)) - base) / 0.01

        _close(got * 2.0 ** exp_in[0], _vjp(lin, np.zeros(x.shape), e * 2.0**exp))
