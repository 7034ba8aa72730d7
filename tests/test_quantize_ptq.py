"""int8 PTQ on small synthetic float graphs: TFLite int8 spec rules, ranges,
degenerate tensors, errors, the per-layer report, .tflite writing and
quantize_file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pytool.frontends import load_model
from pytool.frontends.tflite_writer import graph_to_tflite_bytes, write_tflite
from pytool.ir import Graph, Op, Tensor
from pytool.reference import run_float, run_int8
from quantize import CalibrationError, quantize_file, quantize_graph, quantize_inputs
from quantize.fp16 import convert_graph_tensors
from quantize.ranges import TensorStats, asymmetric_params, choose_range, mse_range
from quantize.report import render_report

FIXTURES = Path(__file__).parent / "fixtures" / "models"


def _conv_attrs(act: str = "RELU") -> dict:
    return {"stride": (1, 1), "dilation": (1, 1), "padding": "SAME", "activation": act}


def small_cnn(seed: int = 0, zero_channel: bool = False) -> Graph:
    """x[1,6,6,2] -> CONV(4, relu) -> DW(m=2) -> MAXPOOL -> RESHAPE -> FC(5) -> SOFTMAX."""
    rng = np.random.default_rng(seed)
    g = Graph(name="small_cnn")

    def t(name, shape, data=None, dtype="float32"):
        g.add_tensor(Tensor(name, shape, dtype, data))

    t("x", (1, 6, 6, 2))
    w1 = rng.normal(0, 0.5, (4, 3, 3, 2)).astype(np.float32)
    if zero_channel:
        w1[2] = 0.0
    t("w1", w1.shape, w1)
    t("b1", (4,), rng.normal(0, 0.1, 4).astype(np.float32))
    t("c1", (1, 6, 6, 4))
    t("w2", (1, 3, 3, 8), rng.normal(0, 0.5, (1, 3, 3, 8)).astype(np.float32))
    t("b2", (8,), rng.normal(0, 0.1, 8).astype(np.float32))
    t("c2", (1, 6, 6, 8))
    t("p", (1, 3, 3, 8))
    t("shape", (2,), np.array([1, 72], np.int32), "int32")
    t("r", (1, 72))
    t("w3", (5, 72), rng.normal(0, 0.2, (5, 72)).astype(np.float32))
    t("b3", (5,), rng.normal(0, 0.1, 5).astype(np.float32))
    t("logits", (1, 5))
    t("y", (1, 5))
    g.ops = [
        Op("CONV_2D", ["x", "w1", "b1"], ["c1"], _conv_attrs(), name="conv"),
        Op("DEPTHWISE_CONV_2D", ["c1", "w2", "b2"], ["c2"], {**_conv_attrs("RELU6"), "depth_multiplier": 2}, name="dw"),
        Op("MAX_POOL_2D", ["c2"], ["p"], {"stride": (2, 2), "filter": (2, 2), "padding": "VALID", "activation": "NONE"}),
        Op("RESHAPE", ["p", "shape"], ["r"], {}),
        Op("FULLY_CONNECTED", ["r", "w3", "b3"], ["logits"], {"activation": "NONE", "keep_num_dims": False}),
        Op("SOFTMAX", ["logits"], ["y"], {"beta": 1.0}),
    ]
    g.inputs, g.outputs = ["x"], ["y"]
    g.validate()
    return g


def calib_data(n: int = 24, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 2, (n, 6, 6, 2)).astype(np.float32)


@pytest.fixture(scope="module")
def quantized():
    g = small_cnn()
    gq, report = quantize_graph(g, calib_data(), progress=False)
    return g, gq, report


# ---- parameter choice ------------------------------------------------------------


@pytest.mark.parametrize("lo,hi", [(-1.0, 2.0), (0.0, 6.0), (0.5, 3.0), (-4.0, -0.25), (-0.001, 1000.0)])
def test_asymmetric_params_include_zero_exactly(lo: float, hi: float) -> None:
    scale, zp = asymmetric_params(lo, hi)
    assert -128 <= zp <= 127
    # The range always includes 0, and 0 is exactly representable (q = zp).
    rmin, rmax = min(lo, 0.0), max(hi, 0.0)
    assert scale == pytest.approx((rmax - rmin) / 255, rel=1e-6)
    assert (-128 - zp) * scale <= rmin + scale and (127 - zp) * scale >= rmax - scale


def test_asymmetric_params_degenerate_range_is_finite() -> None:
    scale, zp = asymmetric_params(0.0, 0.0)
    assert scale > 0 and math.isfinite(scale) and zp == 0


def test_range_methods_clip_outliers() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 200_000), [80.0]])
    s = TensorStats()
    s.update_minmax(x)
    s.start_histogram()
    s.update_histogram(x)
    assert choose_range(s, "minmax") == (s.min, s.max)
    lo, hi = choose_range(s, "percentile", 99.9)
    assert 2.5 < hi < 5 and -5 < lo < -2.5  # |x| 99.9th percentile of N(0,1) is ~3.3
    def mse(lo: float, hi: float) -> float:
        scale, zp = asymmetric_params(lo, hi)
        q = np.clip(np.floor(x / scale + 0.5) + zp, -128, 127)
        return float(np.mean((x - (q - zp) * scale) ** 2))

    mlo, mhi = mse_range(s)
    assert mhi < s.max  # the outlier is clipped ...
    assert mse(mlo, mhi) < 0.8 * mse(s.min, s.max)  # ... and the real error drops
    with pytest.raises(ValueError, match="unknown range method 'kl'"):
        choose_range(s, "kl")


# ---- the TFLite int8 spec on a quantized graph ---------------------------------------


def test_weights_bias_and_activation_rules(quantized) -> None:
    g, gq, _ = quantized
    for w, axis in (("w1", 0), ("w2", 3), ("w3", 0)):
        t = gq.tensors[w]
        assert t.dtype == "int8" and t.quant.axis == axis
        assert t.data.min() >= -127 and t.data.max() <= 127
        assert np.all(t.quant.zero_point == 0)
        amax = np.moveaxis(np.abs(g.tensors[w].data), axis, 0).reshape(t.shape[axis], -1).max(axis=1)
        np.testing.assert_allclose(t.quant.scale, amax / 127, rtol=1e-6)
        # Each channel's largest weight maps to +-127.
        assert np.all(np.moveaxis(np.abs(t.data), axis, 0).reshape(t.shape[axis], -1).max(axis=1) == 127)
    for b, x, w in (("b1", "x", "w1"), ("b2", "c1", "w2"), ("b3", "r", "w3")):
        t = gq.tensors[b]
        assert t.dtype == "int32" and np.all(t.quant.zero_point == 0)
        want = np.float32(gq.tensors[x].quant.scale[0]) * gq.tensors[w].quant.scale
        np.testing.assert_allclose(t.quant.scale, want, rtol=1e-6)
        np.testing.assert_allclose(t.data * t.quant.scale, g.tensors[b].data, atol=float(t.quant.scale.max()))
    y = gq.tensors["y"].quant
    assert (float(y.scale[0]), int(y.zero_point[0])) == (1 / 256, -128)
    for a, b in (("c2", "p"), ("p", "r")):  # MAX_POOL and RESHAPE share quantization
        qa, qb = gq.tensors[a].quant, gq.tensors[b].quant
        assert (qa.scale[0], qa.zero_point[0]) == (qb.scale[0], qb.zero_point[0])
    assert gq.tensors["x"].dtype == "int8" and gq.tensors["y"].dtype == "int8"
    assert gq.tensors["shape"].dtype == "int32"


def test_activation_ranges_follow_calibration(quantized) -> None:
    g, gq, _ = quantized
    vals = [run_float(g, [x[None]], keep_all=True) for x in calib_data()]
    for name in ("x", "c1", "logits"):
        lo = min(0.0, min(float(v[name].min()) for v in vals))
        hi = max(0.0, max(float(v[name].max()) for v in vals))
        q = gq.tensors[name].quant
        assert float(q.scale[0]) == pytest.approx((hi - lo) / 255, rel=1e-5)
    assert int(gq.tensors["c1"].quant.zero_point[0]) == -128  # post-RELU range starts at 0


def test_per_tensor_weights() -> None:
    g = small_cnn()
    gq, report = quantize_graph(g, calib_data(8), per_channel=False, progress=False)
    for w in ("w1", "w2", "w3"):
        q = gq.tensors[w].quant
        assert q.scale.size == 1
        assert float(q.scale[0]) == pytest.approx(np.abs(g.tensors[w].data).max() / 127, rel=1e-6)
    assert not report.per_channel


def test_degenerate_tensors_do_not_divide_by_zero() -> None:
    g = small_cnn(zero_channel=True)
    zeros = np.zeros((4, 6, 6, 2), np.float32)  # every activation is 0 or bias-only
    with np.errstate(all="raise"):
        gq, report = quantize_graph(g, zeros, method="mse", progress=False)
    for t in gq.tensors.values():
        if t.quant is not None:
            assert np.all(np.isfinite(t.quant.scale)) and np.all(t.quant.scale > 0)
    assert np.all(gq.tensors["w1"].data[2] == 0)
    assert gq.tensors["x"].quant.scale[0] == 1.0 and gq.tensors["x"].quant.zero_point[0] == 0
    assert report.by_tensor("x").sqnr_db == math.inf  # zeros are exact


# ---- the report -----------------------------------------------------------------


def test_report_sqnr_matches_numpy_recomputation(quantized) -> None:
    g, gq, report = quantized
    xs = calib_data()
    sig: dict[str, float] = {}
    noise: dict[str, float] = {}
    clipped: dict[str, int] = {}
    count: dict[str, int] = {}
    for x in xs:
        f = run_float(g, [x[None]], keep_all=True)
        # independent input quantization: float32 divide, round half away from zero
        qx = gq.tensors["x"].quant
        v = (x[None] / np.float32(qx.scale[0])).astype(np.float64)
        qin = np.clip(np.trunc(v + np.copysign(0.5, v)) + qx.zero_point[0], -128, 127).astype(np.int8)
        q = run_int8(gq, [qin], keep_all=True)
        for name in ("x", "c1", "c2", "p", "r", "logits", "y"):
            qp = gq.tensors[name].quant
            s, z = float(qp.scale[0]), int(qp.zero_point[0])
            deq = (q[name].astype(np.float64) - z) * s
            sig[name] = sig.get(name, 0.0) + float(np.sum(f[name].astype(np.float64) ** 2))
            noise[name] = noise.get(name, 0.0) + float(np.sum((f[name] - deq) ** 2))
            out = (f[name] < (-128.5 - z) * s) | (f[name] > (127.5 - z) * s)
            clipped[name] = clipped.get(name, 0) + int(out.sum())
            count[name] = count.get(name, 0) + f[name].size
    assert [r.tensor for r in report] == ["x", "c1", "c2", "p", "r", "logits", "y"]
    for r in report:
        assert r.sqnr_db == pytest.approx(10 * np.log10(sig[r.tensor] / noise[r.tensor]), abs=1e-6)
        assert r.clip_ratio == pytest.approx(clipped[r.tensor] / count[r.tensor])
        assert r.scale == pytest.approx(float(gq.tensors[r.tensor].quant.scale[0]))
    assert all(r.sqnr_db > 20 for r in report)
    assert report.by_tensor("c2").op == "DEPTHWISE_CONV_2D"
    table = render_report(report)
    assert table.row_count == len(report)


def test_quantize_inputs_matches_report_inputs(quantized) -> None:
    _, gq, report = quantized
    s, z = report.inputs["x"]
    x = np.array([[[[0.0, s * 2.5], [-s * 2.5, 100.0]]]], np.float32)
    sub = Graph(tensors={"x": Tensor("x", x.shape, "int8")}, inputs=["x"])
    sub.tensors["x"].quant = gq.tensors["x"].quant
    q = quantize_inputs(sub, [x])[0]
    np.testing.assert_array_equal(q.ravel(), [z, z + 3, z - 3, 127])  # halves away from zero, clamped


# ---- errors ---------------------------------------------------------------------


def test_calibration_errors_name_the_input() -> None:
    g = small_cnn()
    with pytest.raises(CalibrationError, match=r"input 'x': expected shape \[1, 6, 6, 2\].*got \[1, 5, 5, 2\]"):
        quantize_graph(g, [np.zeros((1, 5, 5, 2), np.float32)], progress=False)
    with pytest.raises(CalibrationError, match=r"input 'x': expected float data.*got int32"):
        quantize_graph(g, [np.zeros((1, 6, 6, 2), np.int32)], progress=False)
    with pytest.raises(CalibrationError, match="empty"):
        quantize_graph(g, [], progress=False)
    with pytest.raises(CalibrationError, match="empty"):
        quantize_graph(g, iter(()), progress=False)
    with pytest.raises(CalibrationError, match="NaN"):
        quantize_graph(g, [np.full((1, 6, 6, 2), np.nan, np.float32)], progress=False)
    with pytest.raises(CalibrationError, match="1 input.*got 2"):
        quantize_graph(g, [[np.zeros((1, 6, 6, 2), np.float32)] * 2], progress=False)
    with pytest.raises(ValueError, match="unknown range method"):
        quantize_graph(g, calib_data(2), method="entropy", progress=False)


def test_already_quantized_graph_is_rejected() -> None:
    g = load_model(FIXTURES / "conv_1x1.tflite")
    with pytest.raises(ValueError, match="already quantized"):
        quantize_graph(g, [np.zeros(g.tensors[g.inputs[0]].shape, np.float32)], progress=False)


# ---- .tflite writing ---------------------------------------------------------------


def _tflm_run(data: bytes, xs: list[np.ndarray], n_out: int) -> list[np.ndarray]:
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_bytes(data)
    for i, x in enumerate(xs):
        ip.set_input(x, i)
    ip.invoke()
    return [ip.get_output(i) for i in range(n_out)]


def _litert_run(data: bytes, xs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    ip = Interpreter(model_content=data)
    ip.allocate_tensors()
    for d, x in zip(ip.get_input_details(), xs):
        ip.set_tensor(d["index"], x)
    ip.invoke()
    return [ip.get_tensor(d["index"]) for d in ip.get_output_details()]


def test_written_quantized_model_runs_bit_exact_in_tflite_micro(quantized, tmp_path) -> None:
    g, gq, _ = quantized
    path = write_tflite(gq, tmp_path / "small.tflite")
    data = path.read_bytes()
    back = load_model(path)
    assert [op.type for op in back.ops] == [op.type for op in gq.ops]
    np.testing.assert_array_equal(back.tensors["w2"].data, gq.tensors["w2"].data)
    assert back.tensors["w2"].quant.axis == 3
    for x in calib_data(6, seed=5):
        qin = quantize_inputs(gq, [x[None]])
        ours = run_int8(gq, qin)[0]
        np.testing.assert_array_equal(_tflm_run(data, qin, 1)[0], ours)
        lite = _litert_run(data, qin)[0]
        assert np.abs(lite.astype(int) - ours.astype(int)).max() <= 8  # LiteRT rounds some halves differently


ROUND_TRIP = ["conv_dilation2_same", "dw_m2_s2_valid", "fc_softmax", "avgpool_same", "mean_hw", "add_broadcast",
              "mul_two_inputs", "pad_conv", "concat_channels", "logistic", "transpose", "float_io_conv",
              "mobilenet_tiny", "mobilenet_tiny_float"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_writer_round_trips_converter_models(name: str) -> None:
    """Read a converter-made model into the IR, write it back: TFLite Micro and
    LiteRT compute the same outputs from both files."""
    src = (FIXTURES / f"{name}.tflite").read_bytes()
    g = load_model(FIXTURES / f"{name}.tflite")
    ours = graph_to_tflite_bytes(g)
    rng = np.random.default_rng(0)
    xs = []
    for n in g.inputs:
        t = g.tensors[n]
        if t.dtype == "int8":
            xs.append(rng.integers(-128, 128, t.shape).astype(np.int8))
        else:
            xs.append(rng.standard_normal(t.shape).astype(np.float32))
    for a, b in zip(_tflm_run(src, xs, len(g.outputs)), _tflm_run(ours, xs, len(g.outputs))):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_litert_run(src, xs), _litert_run(ours, xs)):
        np.testing.assert_array_equal(a, b)


# ---- quantize_file and FP16 on graphs ---------------------------------------------------


def test_quantize_file_from_npz_and_npy_folder(tmp_path) -> None:
    g = small_cnn()
    float_path = write_tflite(g, tmp_path / "small_float.tflite")
    x = calib_data(10)
    np.savez(tmp_path / "calib.npz", x=x, y=np.arange(10))
    folder = tmp_path / "calib"
    folder.mkdir()
    for i in range(10):
        np.save(folder / f"{i:03d}.npy", x[i])
    r1 = quantize_file(float_path, tmp_path / "calib.npz", tmp_path / "a.tflite", progress=False)
    r2 = quantize_file(float_path, folder, tmp_path / "b.tflite", progress=False)
    assert r1.calibration_samples == r2.calibration_samples == 10
    assert (tmp_path / "a.tflite").read_bytes() == (tmp_path / "b.tflite").read_bytes()
    assert load_model(tmp_path / "a.tflite").is_quantized
    np.savez(tmp_path / "bad.npz", x=np.zeros((3, 7, 7, 2), np.float32))
    with pytest.raises(CalibrationError, match=r"'x'.*expected shape \[1, 6, 6, 2\]"):
        quantize_file(float_path, tmp_path / "bad.npz", tmp_path / "c.tflite", progress=False)
    np.savez(tmp_path / "two.npz", a=x, b=x)
    with pytest.raises(CalibrationError, match="name the calibration inputs 'x'"):
        quantize_file(float_path, tmp_path / "two.npz", tmp_path / "c.tflite", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CalibrationError, match="no .npy files"):
        quantize_file(float_path, empty, tmp_path / "c.tflite", progress=False)


def test_fp16_conversion_of_graph_weights() -> None:
    g = small_cnn()
    g.tensors["w3"].data[0, 0] = 1e6
    report = convert_graph_tensors(g, ["w3", "b3"])
    assert g.tensors["w3"].dtype == "float16" and g.tensors["w3"].data.dtype == np.float16
    assert report.by_name("w3").saturated == 1 and report.by_name("b3").saturated == 0
    assert float(g.tensors["w3"].data[0, 0]) == 65504.0
