"""FP16 kernels: C == numpy twin bit for bit on random shapes, and every
backward function against float64 gradients (linear maps differentiated by
their action on unit vectors) within a bound in FP16 epsilon."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool.host import cbuild
from pytool.training import fp16_ref as R

EPS16 = 2.0**-10
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

CDEF = """
typedef uint16_t odl_f16_t;
typedef struct { odl_f16_t *data; odl_f16_t *grad; int32_t dims[4]; } odl_f16_tensor_t;
typedef struct { int32_t act; } odl_f16_fc_params_t;
typedef struct { int32_t stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, filter_h, filter_w,
                 depth_multiplier, act; } odl_f16_conv_params_t;
int odl_fc_f16_fw(const odl_f16_fc_params_t *, const odl_f16_tensor_t *, const odl_f16_tensor_t *,
                  const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_fc_f16_bw_input(const odl_f16_fc_params_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *,
                        const odl_f16_tensor_t *);
int odl_fc_f16_bw_weight(const odl_f16_fc_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *,
                         odl_f16_tensor_t *, const odl_f16_tensor_t *);
"""
for _op in ("conv2d", "pwconv", "dwconv"):
    CDEF += f"""
int odl_{_op}_f16_fw(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, const odl_f16_tensor_t *,
                    const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_{_op}_f16_bw_input(const odl_f16_conv_params_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *,
                          const odl_f16_tensor_t *);
int odl_{_op}_f16_bw_weight(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *,
                           odl_f16_tensor_t *, const odl_f16_tensor_t *);
"""
CDEF += """
int odl_avgpool_f16_fw(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_avgpool_f16_bw_input(const odl_f16_conv_params_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_maxpool_f16_fw(const odl_f16_conv_params_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_maxpool_f16_bw_input(const odl_f16_conv_params_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_mean_f16_fw(const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_mean_f16_bw_input(odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_add_f16_fw(int32_t, const odl_f16_tensor_t *, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_add_f16_bw_input(int32_t, odl_f16_tensor_t *, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_act_f16_fw(int32_t, const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_act_f16_bw_input(int32_t, odl_f16_tensor_t *, const odl_f16_tensor_t *);
int odl_reshape_f16_fw(const odl_f16_tensor_t *, odl_f16_tensor_t *);
int odl_softmax_ce_f16(odl_f16_tensor_t *, int32_t, int32_t, float, float *, int32_t *);
int odl_mse_f16(odl_f16_tensor_t *, int32_t, int32_t, float, float *, int32_t *);
void conv_f32_to_f16(const float *x, uint16_t *h, int n);
void conv_f16_to_f32(const uint16_t *h, float *x, int n);
void math_f32(int which, const float *x, float *y, int n);
"""
PRELUDE = """
#include "odl/kernels_f16.h"
void conv_f32_to_f16(const float *x, uint16_t *h, int n) { for (int i = 0; i < n; ++i) h[i] = odl_f32_to_f16(x[i]); }
void conv_f16_to_f32(const uint16_t *h, float *x, int n) { for (int i = 0; i < n; ++i) x[i] = odl_f16_to_f32(h[i]); }
void math_f32(int which, const float *x, float *y, int n) {
    for (int i = 0; i < n; ++i)
        y[i] = which == 0 ? odl_f16_expf(x[i]) : which == 1 ? odl_f16_logf(x[i]) : odl_f16_sqrtf(x[i]);
}
"""


@pytest.fixture(scope="module")
def c():
    srcs = [p for p in cbuild.runtime_sources() if "kernels/fp16" in p.as_posix()]
    return cbuild.build("fp16_kernels", CDEF, PRELUDE, srcs)


class CT:
    """A C tensor view over numpy buffers (values and gradient as FP16 bits)."""

    def __init__(self, c, vals, dims, grad=None):
        ffi, _ = c
        self.bits = R.f16_bits(vals).reshape(-1).copy()
        self.gbits = None if grad is None else R.f16_bits(grad).reshape(-1).copy()
        self.t = ffi.new("odl_f16_tensor_t *")
        self.t.data = ffi.cast("odl_f16_t *", ffi.from_buffer(self.bits))
        self.t.grad = ffi.cast("odl_f16_t *", ffi.from_buffer(self.gbits)) if self.gbits is not None else ffi.NULL
        self.t.dims = list(dims) + [1] * (4 - len(dims))

    def value(self, shape):
        return R.from_bits(self.bits).reshape(shape)

    def gradient(self, shape):
        return R.from_bits(self.gbits).reshape(shape)


def rand16(rng, shape, scale=1.0):
    return R.to_f16(rng.standard_normal(shape).astype(np.float32) * np.float32(scale))


def conv_params(c, **kw):
    p = c[0].new("odl_f16_conv_params_t *")
    base = dict(stride_h=1, stride_w=1, pad_top=0, pad_left=0, dil_h=1, dil_w=1, filter_h=1, filter_w=1,
                depth_multiplier=1, act=0)
    base.update(kw)
    for k, v in base.items():
        setattr(p, k, int(v))
    return p, base


# --- conversions and math --------------------------------------------------------------------


def test_conversions_match_numpy(c):
    ffi, lib = c
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 400_000, dtype=np.uint64).astype(np.uint32)
    edges = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x477FEFFF, 0x477FF000,
                      0x38800000, 0x33000000, 0x33000001, 0x337FFFFF, 0x387FE000, 0x387FF000, 0x3F801000,
                      0x3F803000, 0x3F801001], np.uint32)
    x = np.concatenate([bits, edges]).view(np.float32)
    h = np.zeros(x.size, np.uint16)
    lib.conv_f32_to_f16(ffi.from_buffer("float[]", x), ffi.from_buffer("uint16_t[]", h), x.size)
    assert np.array_equal(h, R.f16_bits(x))
    every = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    back = np.zeros(65536, np.float32)
    lib.conv_f16_to_f32(ffi.from_buffer("uint16_t[]", every), ffi.from_buffer("float[]", back), 65536)
    want = every.view(np.float16).astype(np.float32)
    finite = np.isfinite(want) | np.isinf(want)
    assert np.array_equal(back[finite].view(np.uint32), want[finite].view(np.uint32))
    assert np.isnan(back[~finite]).all()


@pytest.mark.parametrize("which,lo,hi,fn", [(0, -110.0, 0.0, np.exp), (1, 1.0, 1e6, np.log), (2, 0.0, 1e4, np.sqrt)])
def test_math_bit_exact_and_accurate(c, which, lo, hi, fn):
    ffi, lib = c
    rng = np.random.default_rng(which)
    x = rng.uniform(lo, hi, 20000).astype(np.float32)
    x[:3] = [lo, hi, (lo + hi) / 2]
    y = np.zeros_like(x)
    lib.math_f32(which, ffi.from_buffer("float[]", x), ffi.from_buffer("float[]", y), x.size)
    twin = R.expf(x) if which == 0 else (np.array([R.logf(v) for v in x]) if which == 1 else R.sqrtf(x))
    assert np.array_equal(y.view(np.uint32), np.asarray(twin, np.float32).view(np.uint32))
    exact = fn(x.astype(np.float64))
    ok = exact > 1e-37 if which == 0 else np.ones(x.size, bool)
    assert np.all(np.abs(y[ok] - exact[ok]) <= 4e-7 * np.abs(exact[ok]) + 1e-7)


# --- float64 gradients of linear maps --------------------------------------------------------


def vjp_linear(fn, x, g):
    """J^T g of a map that is linear in x, exact in float64, via unit vectors."""
    out = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        out[i] = np.sum(fn(e.reshape(x.shape)) * g)
    return out.reshape(x.shape)


def assert_close(got, want, scale, rel=1e-5):
    """|got - want| <= 2 eps16 |want| + rel * sum|terms| + FP16 subnormal step
    (rel covers the FP32 accumulation, or FP16 roundings per contribution)."""
    err = np.abs(got.astype(np.float64) - want)
    bound = 2 * EPS16 * np.abs(want) + rel * scale + 2.0**-24
    assert np.all(err <= bound), f"max excess {np.max(err - bound)}"


def conv64(x, w, p, depthwise=False):
    n, h, wd, ic = x.shape
    kh, kw = w.shape[1], w.shape[2]
    oh = (h + 2 * p["pad_top"] - (kh - 1) * p["dil_h"] - 1) // p["stride_h"] + 1
    ow = (wd + 2 * p["pad_left"] - (kw - 1) * p["dil_w"] - 1) // p["stride_w"] + 1
    oc = w.shape[3] if depthwise else w.shape[0]
    y = np.zeros((n, max(oh, 0), max(ow, 0), oc))
    if oh < 1 or ow < 1:
        return y
    xp = np.pad(x, ((0, 0), (p["pad_top"], kh * p["dil_h"] + p["stride_h"] * oh), (p["pad_left"],
                kw * p["dil_w"] + p["stride_w"] * ow), (0, 0)))
    for ky in range(kh):
        for kx in range(kw):
            oy0, ox0 = ky * p["dil_h"], kx * p["dil_w"]
            win = xp[:, oy0 : oy0 + oh * p["stride_h"] : p["stride_h"], ox0 : ox0 + ow * p["stride_w"] : p["stride_w"]]
            if depthwise:
                y += np.repeat(win, oc // ic, axis=-1) * w[0, ky, kx]
            else:
                y += np.einsum("nhwc,oc->nhwo", win, w[:, ky, kx, :])
    return y


conv_cases = st.fixed_dictionaries({
    "n": st.integers(1, 2), "h": st.integers(3, 6), "w": st.integers(3, 6), "ic": st.integers(1, 3),
    "oc": st.integers(1, 4), "k": st.integers(1, 3), "stride": st.integers(1, 2), "dil": st.integers(1, 2),
    "pad": st.integers(0, 1), "act": st.integers(0, 2), "seed": st.integers(0, 10_000),
})


def _run_conv(c, case, kind):
    rng = np.random.default_rng(case["seed"])
    k, dep = case["k"], kind == "dwconv"
    m = case["oc"] if dep else 1
    x = rand16(rng, (case["n"], case["h"], case["w"], case["ic"]))
    w = rand16(rng, (1, k, k, case["ic"] * m) if dep else (case["oc"], k, k, case["ic"]), 0.5)
    b = rand16(rng, (w.shape[3] if dep else w.shape[0],), 0.5)
    p, geo = conv_params(c, stride_h=case["stride"], stride_w=case["stride"], dil_h=case["dil"], dil_w=case["dil"],
                         pad_top=case["pad"] * (k // 2), pad_left=case["pad"] * (k // 2), depth_multiplier=m,
                         act=case["act"])
    pre64 = conv64(x.astype(np.float64), w.astype(np.float64), geo, dep)
    if min(pre64.shape[1:3]) < 1:
        return None
    y_shape = pre64.shape
    g = rand16(rng, y_shape, 4.0)
    cx, cw, cb = CT(c, x, x.shape, grad=rand16(rng, x.shape)), CT(c, w, w.shape, np.zeros(w.shape)), CT(c, b, b.shape, np.zeros(b.shape))
    gx0 = cx.gradient(x.shape).copy()
    cy = CT(c, np.zeros(y_shape), y_shape, grad=g)
    fw, bwi, bww = (getattr(c[1], f"odl_{kind}_f16_{s}") for s in ("fw", "bw_input", "bw_weight"))
    assert fw(p, cx.t, cw.t, cb.t, cy.t) == 0
    y = cy.value(y_shape)
    twin = R.dw_fw if dep else R.conv_fw
    assert np.array_equal(R.f16_bits(y), R.f16_bits(twin(x, w, b, geo, R.to_f16, y_shape[1:3])))
    assert bwi(p, cx.t, cw.t, cy.t) == 0 and bww(p, cx.t, cw.t, cb.t, cy.t) == 0
    gp = R.act_grad(geo["act"], y, g)
    twin_i, twin_w = (R.dw_bw_input, R.dw_bw_weight) if dep else (R.conv_bw_input, R.conv_bw_weight)
    gx_t = twin_i(x.shape, w, y, g, geo, gx0, R.to_f16)
    gw_t, gb_t = twin_w(x, y, g, geo, np.zeros(w.shape, np.float32), np.zeros(b.shape, np.float32), R.to_f16)
    assert np.array_equal(R.f16_bits(cx.gradient(x.shape)), R.f16_bits(gx_t))
    assert np.array_equal(R.f16_bits(cw.gradient(w.shape)), R.f16_bits(gw_t))
    assert np.array_equal(R.f16_bits(cb.gradient(b.shape)), R.f16_bits(gb_t))
    # float64 gradients of the pre-activation map, through the stored output's mask
    gp64, x64, w64 = gp.astype(np.float64), x.astype(np.float64), w.astype(np.float64)
    fx = lambda e: conv64(e, w64, geo, dep)  # noqa: E731
    fw_ = lambda e: conv64(x64, e, geo, dep)  # noqa: E731
    want_x = gx0 + vjp_linear(fx, x64, gp64)
    assert_close(cx.gradient(x.shape), want_x, np.abs(gx0) + vjp_linear(lambda e: conv64(e, np.abs(w64), geo, dep), x64, np.abs(gp64)))
    want_w = vjp_linear(fw_, w64, gp64)
    assert_close(cw.gradient(w.shape), want_w, vjp_linear(lambda e: conv64(np.abs(x64), e, geo, dep), w64, np.abs(gp64)))
    assert_close(cb.gradient(b.shape), gp64.reshape(-1, b.size).sum(0), np.abs(gp64).reshape(-1, b.size).sum(0))
    pre = pre64 + b.astype(np.float64)
    ref = R.act_fw(geo["act"], pre.astype(np.float32)).astype(np.float64)  # act of the exact sum, for the bound
    assert_close(y, np.where(geo["act"] == 0, pre, ref), conv64(np.abs(x64), np.abs(w64), geo, dep) + np.abs(b))
    return y, cw.gradient(w.shape)


@SETTINGS
@given(case=conv_cases)
def test_conv2d(c, case):
    _run_conv(c, case, "conv2d")


@SETTINGS
@given(case=conv_cases)
def test_depthwise(c, case):
    _run_conv(c, case, "dwconv")


@SETTINGS
@given(case=conv_cases)
def test_pointwise_equals_conv_1x1(c, case):
    case = dict(case, k=1, stride=1, dil=1, pad=0)
    a = _run_conv(c, case, "pwconv")
    b = _run_conv(c, case, "conv2d")
    assert np.array_equal(R.f16_bits(a[0]), R.f16_bits(b[0])) and np.array_equal(R.f16_bits(a[1]), R.f16_bits(b[1]))


@SETTINGS
@given(n=st.integers(1, 3), k=st.integers(1, 40), o=st.integers(1, 12), act=st.integers(0, 2), seed=st.integers(0, 9999))
def test_fully_connected(c, n, k, o, act, seed):
    ffi, lib = c
    rng = np.random.default_rng(seed)
    x, w, b = rand16(rng, (n, k)), rand16(rng, (o, k), 0.3), rand16(rng, (o,))
    g = rand16(rng, (n, o), 2.0)
    cx, cw, cb = CT(c, x, (n, 1, 1, k), np.zeros(x.shape)), CT(c, w, (o, k), np.zeros(w.shape)), CT(c, b, (o,), np.zeros(o))
    cy = CT(c, np.zeros((n, o)), (n, 1, 1, o), g)
    p = ffi.new("odl_f16_fc_params_t *", {"act": act})
    assert lib.odl_fc_f16_fw(p, cx.t, cw.t, cb.t, cy.t) == 0
    y = cy.value((n, o))
    assert np.array_equal(R.f16_bits(y), R.f16_bits(R.fc_fw(x, w, b, act, R.to_f16)))
    assert lib.odl_fc_f16_bw_input(p, cx.t, cw.t, cy.t) == 0
    assert lib.odl_fc_f16_bw_weight(p, cx.t, cw.t, cb.t, cy.t) == 0
    z = np.zeros
    assert np.array_equal(R.f16_bits(cx.gradient(x.shape)),
                          R.f16_bits(R.fc_bw_input(x.shape, w, y, g, act, z(x.shape, np.float32), R.to_f16)))
    gw_t, gb_t = R.fc_bw_weight(x, y, g, act, z(w.shape, np.float32), z(o, np.float32), R.to_f16)
    assert np.array_equal(R.f16_bits(cw.gradient(w.shape)), R.f16_bits(gw_t))
    assert np.array_equal(R.f16_bits(cb.gradient((o,))), R.f16_bits(gb_t))
    gp = R.act_grad(act, y, g).astype(np.float64)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    assert_close(cx.gradient(x.shape), vjp_linear(lambda e: e @ w64.T, x64, gp), np.abs(gp) @ np.abs(w64))
    assert_close(cw.gradient(w.shape), vjp_linear(lambda e: x64 @ e.T, w64, gp), np.abs(gp).T @ np.abs(x64))
    assert_close(y, R.act_fw(act, (x64 @ w64.T + b).astype(np.float32)), np.abs(x64) @ np.abs(w64).T + np.abs(b))


@SETTINGS
@given(case=st.fixed_dictionaries({"n": st.integers(1, 2), "h": st.integers(2, 7), "w": st.integers(2, 7),
                                   "c": st.integers(1, 3), "f": st.integers(1, 3), "s": st.integers(1, 2),
                                   "pad": st.integers(0, 1), "act": st.integers(0, 2), "seed": st.integers(0, 9999)}))
def test_pools(c, case):
    ffi, lib = c
    rng = np.random.default_rng(case["seed"])
    f, s = case["f"], case["s"]
    pad = case["pad"] * (f // 2)
    shape = (case["n"], case["h"], case["w"], case["c"])
    oh, ow = (case["h"] + 2 * pad - f) // s + 1, (case["w"] + 2 * pad - f) // s + 1
    if min(oh, ow) < 1 or pad >= f:
        return
    # distinct values: the max pool has one argmax per window
    x = R.to_f16((rng.permutation(np.prod(shape)).reshape(shape) - np.prod(shape) / 2).astype(np.float32) / 8)
    p, geo = conv_params(c, stride_h=s, stride_w=s, filter_h=f, filter_w=f, pad_top=pad, pad_left=pad, act=case["act"])
    y_shape = (case["n"], oh, ow, case["c"])
    g = rand16(rng, y_shape)
    for kind in ("avgpool", "maxpool"):
        cx, cy = CT(c, x, shape, np.zeros(shape)), CT(c, np.zeros(y_shape), y_shape, g)
        assert getattr(lib, f"odl_{kind}_f16_fw")(p, cx.t, cy.t) == 0
        assert getattr(lib, f"odl_{kind}_f16_bw_input")(p, cx.t, cy.t) == 0
        y, gx = cy.value(y_shape), cx.gradient(shape)
        z = np.zeros(shape, np.float32)
        if kind == "avgpool":
            t_y, t_g = R.avgpool_fw(x, geo, R.to_f16, (oh, ow)), R.avgpool_bw_input(shape, y, g, geo, z, R.to_f16)
        else:
            t_y, t_g = R.maxpool_fw(x, geo, R.to_f16, (oh, ow)), R.maxpool_bw_input(x, y, g, geo, z, R.to_f16)
        assert np.array_equal(R.f16_bits(y), R.f16_bits(t_y)) and np.array_equal(R.f16_bits(gx), R.f16_bits(t_g))
        # float64: pooling by explicit windows, gradient by unit vectors (avg) or finite differences (max)
        x64, gp = x.astype(np.float64), R.act_grad(geo["act"], y, g).astype(np.float64)

        def pool64(v, kind=kind):
            out = np.zeros(y_shape)
            for oy in range(oh):
                for ox in range(ow):
                    y0, x0 = max(oy * s - pad, 0), max(ox * s - pad, 0)
                    win = v[:, y0 : oy * s - pad + f, x0 : ox * s - pad + f]
                    out[:, oy, ox] = win.mean((1, 2)) if kind == "avgpool" else win.max((1, 2))
            return out

        if kind == "avgpool":
            want = vjp_linear(pool64, x64, gp)
            assert_close(gx, want, vjp_linear(pool64, np.abs(x64), np.abs(gp)))
        else:
            h = 1e-4
            want, want_abs = np.zeros(shape), np.zeros(shape)
            for i in range(x.size):
                e = np.zeros(x.size)
                e[i] = h
                e = e.reshape(shape)
                want.reshape(-1)[i] = np.sum((pool64(x64 + e) - pool64(x64 - e)) * gp) / (2 * h)
                want_abs.reshape(-1)[i] = np.sum(np.abs((pool64(x64 + e) - pool64(x64 - e)) * gp)) / (2 * h)
            # one FP16 rounding per window that routes to the element
            assert_close(gx, want, want_abs, rel=EPS16 * f * f)


def test_mean_add_act_reshape(c):
    ffi, lib = c
    rng = np.random.default_rng(3)
    shape = (2, 3, 4, 5)
    x, b, g = rand16(rng, shape), rand16(rng, shape), rand16(rng, shape)
    # MEAN over H, W == a whole-plane average pool
    gm = rand16(rng, (2, 1, 1, 5))
    cx, cy = CT(c, x, shape, np.zeros(shape)), CT(c, np.zeros((2, 1, 1, 5)), (2, 1, 1, 5), gm)
    assert lib.odl_mean_f16_fw(cx.t, cy.t) == 0 and lib.odl_mean_f16_bw_input(cx.t, cy.t) == 0
    geo = R.mean_geo(shape)
    assert np.array_equal(R.f16_bits(cy.value((2, 1, 1, 5))), R.f16_bits(R.avgpool_fw(x, geo, R.to_f16, (1, 1))))
    assert_close(cy.value((2, 1, 1, 5)), x.astype(np.float64).mean((1, 2), keepdims=True), np.abs(x).mean((1, 2), keepdims=True))
    assert_close(cx.gradient(shape), np.broadcast_to(gm.astype(np.float64) / 12, shape), np.abs(gm) / 12)
    for act in (0, 1, 2):
        ca, cb = CT(c, x, shape, np.zeros(shape)), CT(c, b * 4, shape, np.zeros(shape))
        cy = CT(c, np.zeros(shape), shape, g)
        assert lib.odl_add_f16_fw(act, ca.t, cb.t, cy.t) == 0 and lib.odl_add_f16_bw_input(act, ca.t, cb.t, cy.t) == 0
        y = cy.value(shape)
        assert np.array_equal(R.f16_bits(y), R.f16_bits(R.to_f16(R.act_fw(act, x + b * 4))))
        mask = R.act_grad(act, y, g)
        assert np.array_equal(R.f16_bits(ca.gradient(shape)), R.f16_bits(mask))
        assert np.array_equal(R.f16_bits(cb.gradient(shape)), R.f16_bits(mask))
        c1, c2 = CT(c, x * 8, shape, np.zeros(shape)), CT(c, np.zeros(shape), shape, g)
        assert lib.odl_act_f16_fw(act, c1.t, c2.t) == 0 and lib.odl_act_f16_bw_input(act, c1.t, c2.t) == 0
        want = np.clip(x * 8, 0, 6 if act == 2 else np.inf) if act else x * 8
        assert np.array_equal(c2.value(shape), want.astype(np.float32))
        d = (x * 8 > 0) & ((x * 8 < 6) if act == 2 else True) if act else np.ones(shape, bool)
        assert np.array_equal(c1.gradient(shape), np.where(d, g, 0).astype(np.float32))
    c1, c2 = CT(c, x, shape, None), CT(c, np.zeros(120), (120,), None)
    assert lib.odl_reshape_f16_fw(c1.t, c2.t) == 0 and np.array_equal(c2.value((120,)), x.reshape(-1))


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_losses(c, loss):
    ffi, lib = c
    rng = np.random.default_rng(5)
    for _trial in range(40):
        n = int(rng.integers(2, 12))
        z, label, scale = rand16(rng, (n,), 3.0), int(rng.integers(0, n)), float(2 ** rng.integers(0, 12))
        cz = CT(c, z, (n,), np.zeros(n))
        lv, am = ffi.new("float *"), ffi.new("int32_t *")
        fn = lib.odl_softmax_ce_f16 if loss == "ce" else lib.odl_mse_f16
        assert fn(cz.t, n, label, scale, lv, am) == 0
        t_loss, t_arg, t_grad = (R.softmax_ce if loss == "ce" else R.mse)(z, label, scale, R.to_f16)
        assert np.float32(lv[0]).view(np.uint32) == np.float32(t_loss).view(np.uint32) and am[0] == t_arg
        assert np.array_equal(R.f16_bits(cz.gradient((n,))), R.f16_bits(t_grad))
        z64, onehot = z.astype(np.float64), np.eye(n)[label]
        if loss == "ce":
            p = np.exp(z64 - z64.max()) / np.exp(z64 - z64.max()).sum()
            want_l, want_g = -np.log(p[label]), p - onehot
        else:
            want_l, want_g = np.mean((z64 - onehot) ** 2), 2 * (z64 - onehot) / n
        assert abs(lv[0] - want_l) <= 1e-5 * (1 + abs(want_l))
        assert_close(cz.gradient((n,)) / scale, want_g, np.abs(want_g) + 1e-6)
        assert am[0] == int(np.argmax(z))
    bad = CT(c, np.zeros(3), (3,), np.zeros(3))
    assert lib.odl_softmax_ce_f16(bad.t, 3, 3, 1.0, ffi.new("float *"), ffi.new("int32_t *")) != 0
