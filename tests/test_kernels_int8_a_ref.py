"""int8 kernels, part A: the integer references against float semantics
(within a few LSB), ref_float against plain float64 loops, and ref_int8
against the TFLite Micro interpreter on the converter-made fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels_int8_a import build_mean, build_pool, qp

from pytool import ops as opreg
from pytool.host import cbuild
from pytool.ir import Graph, Op, QuantParams, Tensor
from pytool.reference import run_float, run_int8

# ---------------------------------------------------------------- float vs int8


def _quantize(x, s, z):
    return np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_int8_tracks_float(kind):
    """Dequantized int8 output within 2 LSB of ref_float on the dequantized inputs."""
    rng = np.random.default_rng(7)
    s_x, z_x = 0.03, -5
    x = rng.uniform(-3, 3, (1, 6, 6, 4) if kind != "FULLY_CONNECTED" else (3, 16)).astype(np.float32)
    if kind == "CONV_2D":
        wf = rng.normal(0, 0.3, (5, 3, 3, 4))
    elif kind == "DEPTHWISE_CONV_2D":
        wf = rng.normal(0, 0.3, (1, 3, 3, 8))
    else:
        wf = rng.normal(0, 0.3, (6, 16))
    axis = 3 if kind == "DEPTHWISE_CONV_2D" else 0
    red = tuple(i for i in range(wf.ndim) if i != axis)
    ws = (np.abs(wf).max(axis=red) / 127).astype(np.float32)
    shp = [1] * wf.ndim
    shp[axis] = -1
    wq = np.clip(np.round(wf / ws.reshape(shp)), -127, 127).astype(np.int8)
    nch = ws.size
    bf = rng.normal(0, 0.5, nch)
    bs = (np.float64(np.float32(s_x)) * ws.astype(np.float64)).astype(np.float32)
    g = Graph()
    g.add_tensor(Tensor("x", x.shape, "int8", quant=qp(s_x, z_x)))
    g.add_tensor(Tensor("w", wf.shape, "int8", data=wq, quant=QuantParams(ws, np.zeros(nch, np.int64), axis)))
    g.add_tensor(
        Tensor("b", (nch,), "int32", data=np.round(bf / bs), quant=QuantParams(bs, np.zeros(nch), 0))
    )
    attrs = {"activation": "RELU6"}
    if kind != "FULLY_CONNECTED":
        attrs.update(stride=(2, 1), dilation=(1, 1), padding="SAME")
    if kind == "DEPTHWISE_CONV_2D":
        attrs["depth_multiplier"] = 2
    op = Op(kind, ["x", "w", "b"], ["y"], attrs, name="k")
    g.ops.append(op)
    s_y, z_y = 6 / 255, -128
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "int8", quant=qp(s_y, z_y)))
    g.inputs, g.outputs = ["x"], ["y"]
    xq = _quantize(x, s_x, z_x)
    (yf,) = run_float(g, [(xq.astype(np.float64) - z_x) * np.float32(s_x)])
    (yq,) = run_int8(g, [xq])
    deq = (yq.astype(np.float64) - z_y) * np.float32(s_y)
    assert np.abs(deq - yf).max() <= 2 * s_y
    assert int(yq.max()) - int(yq.min()) > 20  # the case exercises a real range


@pytest.mark.parametrize("kind", ["AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"])
def test_int8_pool_mean_tracks_float(kind):
    rng = np.random.default_rng(3)
    s, z = 0.02, 7
    xq = rng.integers(-128, 128, (1, 5, 7, 3)).astype(np.int8)
    if kind == "MEAN":
        g, op, _ = build_mean((1, 5, 7, 3), [1, 2], True, s, z, 0.004, -3, 0)
        s_y, z_y = 0.004, -3
    else:
        g, op, _ = build_pool(
            dict(
                kind=kind,
                n=1,
                h=5,
                w=7,
                c=3,
                filt=(3, 2),
                stride=(2, 2),
                padding="SAME",
                act="NONE",
                s=s,
                z=z,
                seed=0,
            )
        )
        s_y, z_y = s, z
    (yf,) = run_float(g, [(xq.astype(np.float64) - z) * np.float32(s)])
    (yq,) = run_int8(g, [xq])
    assert np.abs((yq.astype(np.float64) - z_y) * s_y - yf).max() <= 1.01 * s_y


# ---------------------------------------------------------------- ref_float vs loops


def _float_graph(kind, x_shape, attrs, consts):
    g = Graph()
    g.add_tensor(Tensor("x", x_shape, "float32"))
    names = ["x"]
    for name, arr in consts:
        g.add_tensor(Tensor(name, arr.shape, str(arr.dtype), data=arr))
        names.append(name)
    op = Op(kind, names, ["y"], attrs, name="f")
    g.ops.append(op)
    g.add_tensor(Tensor("y", opreg.get(kind).infer_shapes(g, op)[0], "float32"))
    return g, op


def _loop_conv(x, w, b, stride, dil, pad, out_hw, depthwise, m=1):
    n, h, wd, c = x.shape
    oc = w.shape[3] if depthwise else w.shape[0]
    y = np.zeros((n, *out_hw, oc))
    for bi in range(n):
        for oy in range(out_hw[0]):
            for ox in range(out_hw[1]):
                for o in range(oc):
                    acc = b[o]
                    for fy in range(w.shape[1]):
                        for fx in range(w.shape[2]):
                            iy, ix = (
                                oy * stride[0] - pad[0] + fy * dil[0],
                                ox * stride[1] - pad[1] + fx * dil[1],
                            )
                            if 0 <= iy < h and 0 <= ix < wd:
                                if depthwise:
                                    acc += x[bi, iy, ix, o // m] * w[0, fy, fx, o]
                                else:
                                    acc += np.dot(x[bi, iy, ix, :], w[o, fy, fx, :])
                    y[bi, oy, ox, o] = acc
    return y


def test_ref_float_conv_depthwise_fc_against_loops():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 7, 6, 3)).astype(np.float32)
    w = rng.normal(size=(4, 3, 2, 3)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    g, op = _float_graph(
        "CONV_2D",
        x.shape,
        dict(stride=(2, 1), dilation=(2, 1), padding="SAME", activation="NONE"),
        [("w", w), ("b", b)],
    )
    # SAME: out 4x6; total pad h = (4-1)*2 + 5 - 7 = 4 -> top 2; w: (6-1)*1 + 2 - 6 = 1 -> left 0
    want = _loop_conv(x, w, b, (2, 1), (2, 1), (2, 0), (4, 6), False)
    np.testing.assert_allclose(
        opreg.get("CONV_2D").ref_float(g, op, [x, w, b])[0], want, rtol=1e-5, atol=1e-5
    )

    wd = rng.normal(size=(1, 3, 3, 6)).astype(np.float32)
    bd = rng.normal(size=6).astype(np.float32)
    g, op = _float_graph(
        "DEPTHWISE_CONV_2D",
        x.shape,
        dict(stride=(1, 2), dilation=(1, 1), padding="SAME", activation="RELU", depth_multiplier=2),
        [("w", wd), ("b", bd)],
    )
    # SAME: pad h total (7-1)*1 + 3 - 7 = 2 -> top 1; w total (3-1)*2 + 3 - 6 = 1 -> left 0
    want = np.maximum(_loop_conv(x, wd, bd, (1, 2), (1, 1), (1, 0), (7, 3), True, m=2), 0)
    np.testing.assert_allclose(
        opreg.get("DEPTHWISE_CONV_2D").ref_float(g, op, [x, wd, bd])[0], want, rtol=1e-5, atol=1e-5
    )

    wf = rng.normal(size=(5, 18)).astype(np.float32)
    g, op = _float_graph(
        "FULLY_CONNECTED", (7, 18), {"activation": "NONE", "keep_num_dims": False}, [("w", wf)]
    )
    xf = x.reshape(7, 18)
    want = np.array(
        [[sum(float(xf[i, k]) * float(wf[o, k]) for k in range(18)) for o in range(5)] for i in range(7)]
    )
    np.testing.assert_allclose(
        opreg.get("FULLY_CONNECTED").ref_float(g, op, [xf, wf])[0], want, rtol=1e-5, atol=1e-5
    )


def test_ref_float_pools_and_mean_against_loops():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 4, 3)).astype(np.float32)
    attrs = dict(filter=(3, 3), stride=(2, 2), padding="SAME", activation="NONE")
    ga, opa = _float_graph("AVERAGE_POOL_2D", x.shape, attrs, [])
    gm, opm = _float_graph("MAX_POOL_2D", x.shape, attrs, [])
    avg = opreg.get("AVERAGE_POOL_2D").ref_float(ga, opa, [x])[0]
    mx = opreg.get("MAX_POOL_2D").ref_float(gm, opm, [x])[0]
    assert avg.shape == mx.shape == (2, 3, 2, 3)
    # SAME: pad total h = (3-1)*2 + 3 - 5 = 2 -> top 1; w = (2-1)*2 + 3 - 4 = 1 -> left 0
    for b in range(2):
        for oy in range(3):
            for ox in range(2):
                ys = [y for y in range(oy * 2 - 1, oy * 2 + 2) if 0 <= y < 5]
                xs = [v for v in range(ox * 2, ox * 2 + 3) if 0 <= v < 4]
                win = x[b][np.ix_(ys, xs)]  # only valid elements are averaged
                np.testing.assert_allclose(avg[b, oy, ox], win.mean(axis=(0, 1)), rtol=1e-5)
                np.testing.assert_allclose(mx[b, oy, ox], win.max(axis=(0, 1)))
    for keep in (True, False):
        g, op = _float_graph("MEAN", x.shape, {"keep_dims": keep}, [("axes", np.array([1, 2], np.int32))])
        got = opreg.get("MEAN").ref_float(g, op, [x, np.array([1, 2])])[0]
        want = np.array(
            [
                [sum(float(x[b, i, j, c]) for i in range(5) for j in range(4)) / 20 for c in range(3)]
                for b in range(2)
            ]
        )
        assert got.shape == ((2, 1, 1, 3) if keep else (2, 3))
        np.testing.assert_allclose(got.reshape(2, 3), want, rtol=1e-5)


# ---------------------------------------------------------------- against tflite-micro

PART_A = {
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "AVERAGE_POOL_2D",
    "MAX_POOL_2D",
    "MEAN",
    "PAD",
    "TRANSPOSE",
    "CONCATENATION",
    "RESHAPE",
}
FIXTURES = cbuild.ROOT / "tests" / "fixtures"


def _tflm_agrees(path, n_trials: int = 8) -> None:
    from tflite_micro import runtime

    from pytool.frontends import load_model

    g = load_model(path)
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(0)
    for _ in range(n_trials):
        x = rng.integers(-128, 128, g.tensors[g.inputs[0]].shape).astype(np.int8)
        ip.set_input(x.reshape(ip.get_input_details(0)["shape"]), 0)
        ip.invoke()
        np.testing.assert_array_equal(run_int8(g, [x])[0].reshape(-1), ip.get_output(0).reshape(-1))


def _part_a_fixtures() -> list[str]:
    import json

    entries = json.loads((FIXTURES / "manifest.json").read_text())
    return [
        e["file"] for e in entries if e["kind"] == "int8" and e["io"] == "int8" and set(e["ops"]) <= PART_A
    ]


@pytest.mark.parametrize("file", _part_a_fixtures())
def test_ref_int8_matches_tflite_micro_on_fixtures(file):
    """The integer oracle (which the C matches byte for byte) equals TFLite Micro."""
    _tflm_agrees(FIXTURES / file)


def test_mean_with_shared_quantization_matches_tflite_micro(tmp_path):
    """The mean_hw fixture rewritten so output quantization = input's: TFLite Micro
    still requantizes (no truncating same-scale path)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    buf = (FIXTURES / "models" / "mean_hw.tflite").read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    sg = m.subgraphs[0]
    (mean,) = [
        o for o in sg.operators if m.operatorCodes[o.opcodeIndex].builtinCode == schema.BuiltinOperator.MEAN
    ]
    qin, qout = sg.tensors[mean.inputs[0]].quantization, sg.tensors[mean.outputs[0]].quantization
    qout.scale, qout.zeroPoint = list(qin.scale), list(qin.zeroPoint)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    path = tmp_path / "mean_same.tflite"
    path.write_bytes(bytes(b.Output()))
    _tflm_agrees(path, n_trials=40)
