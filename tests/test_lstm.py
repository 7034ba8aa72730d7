"""UNIDIRECTIONAL_SEQUENCE_LSTM beyond the converter fixtures (those run in
test_tflm_ops.py): hand-built two-batch LSTMs with an active cell clip
(time-major, and the 16x8 variant the converter cannot emit) against TFLite
Micro, state reset (host and over the link), the variants we refuse, and the C kernels against the
numpy twin on random shapes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_tflm_ops import check_model, samples
from tflite_build import T, single_op

from pytool import compile_model, load_host
from pytool.frontends.errors import ModelError
from pytool.frontends.tflite import load_tflite

LSTM_CODE, OPT_LSTM = 44, 71


def _lstm(time_major: bool, extra: dict | None = None, clip: float = 3.0, act: str = "int8") -> bytes:
    """int8 (8x8->16) or, act="int16", TFLite Micro's 16x8 LSTM (int16 activations, int64 biases)."""
    from ai_edge_litert import schema_py_generated as s

    rng = np.random.default_rng(5)
    nb, nt, ni, ns = 2, 3, 4, 5
    a16 = act == "int16"
    sx, sw, sr = (0.03 / 256, 0.012, 0.009) if a16 else (0.03, 0.012, 0.009)
    sh, zx, zh = (1 / 32768, 0, 0) if a16 else (1 / 128, -3, 2)
    xs = (nt, nb, ni) if time_major else (nb, nt, ni)
    bias_t = "int64" if a16 else "int32"
    t = [T(xs, act, sx, zx)]
    t += [T((ns, ni), "int8", sw, 0, rng.integers(-127, 128, (ns, ni), dtype=np.int8)) for _ in range(4)]
    t += [T((ns, ns), "int8", sr, 0, rng.integers(-127, 128, (ns, ns), dtype=np.int8)) for _ in range(4)]
    t += [T((ns,), bias_t, sx * sw, 0, rng.integers(-900, 900, ns).astype(bias_t) * (256 if a16 else 1))
          for _ in range(4)]
    t += [T((nb, ns), act, sh, zh, variable=True), T((nb, ns), "int16", 2.0**-11, 0, variable=True)]
    t += [T(xs[:2] + (ns,), act, sh, zh)]
    ins = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, 9, 10, 11, 12, -1, -1, 13, 14, -1, -1, -1, -1]
    for slot, tensor in (extra or {}).items():
        t.append(tensor)
        ins[slot] = len(t) - 1
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction, o.cellClip, o.timeMajor = 4, clip, time_major
    return single_op(LSTM_CODE, t, ins, [15], model_inputs=[0], options=o, options_type=OPT_LSTM)


@pytest.mark.parametrize(("time_major", "act", "clip"), [(True, "int8", 3.0), (False, "int8", 3.0),
                                                          (False, "int16", 3.0), (False, "int8", 1e-5)])
def test_hand_built_lstm_matches_tflite_micro(time_major, act, clip, tmp_path):
    """clip 1e-5 is below one cell quantum: TFLite Micro clamps the cell to 0."""
    path = tmp_path / "lstm.tflite"
    path.write_bytes(_lstm(time_major, act=act, clip=clip))
    check_model(path, tmp_path / "build", n=5, seed=4)


def test_reset_state_matches_tflite_micro_reset(build_root):
    from tflite_micro import runtime

    path = FIXTURES / "ops" / "lstm_seq_int8.tflite"
    net = load_host(compile_model(path, out_dir=build_root / "lstm_reset"))
    ip = runtime.Interpreter.from_file(str(path))
    xs = [x for (x,) in samples([("int8", (1, 6, 5))], 3, seed=9)]
    first = net.invoke(xs[0])
    for x in xs[1:]:
        net.invoke(x)
    assert not np.array_equal(net.invoke(xs[0]), first), "the state did not carry over"
    net.reset_state()
    ip.reset()
    ip.set_input(xs[0], 0)
    ip.invoke()
    again = net.invoke(xs[0])
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(again, np.array(ip.get_output(0)))


def test_link_reset_state_starts_a_new_sequence(build_root):
    """RESET_STATE over the serial link (the real C server in-process) zeroes
    the device's LSTM state as odl_reset_state does on the host."""
    from pytool.link import Link
    from pytool.link.hostsim import SimDevice, SimPort, build_device_module

    art = compile_model(FIXTURES / "ops" / "lstm_seq_int8.tflite", out_dir=build_root / "lstm_link")
    host = load_host(art)
    ffi, lib = build_device_module("lstm_link", (art.dir / "model.c").read_text().replace('#include "model.h"\n', ""))
    xs = [x for (x,) in samples([("int8", (1, 6, 5))], 3, seed=4)]
    with Link(SimPort(SimDevice(ffi, lib)), timeout=0.2, retries=2) as link:
        got = [link.infer(x) for x in xs]
        want = [host.invoke(x) for x in xs]
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        assert not np.array_equal(link.infer(xs[0]), got[0]), "the state did not carry over"
        link.reset_state()
        np.testing.assert_array_equal(link.infer(xs[0]), got[0])
        assert link.stats().invokes == 5


@pytest.mark.parametrize(("slot", "tensor", "words"), [
    (16, T((5, 5), "int8", 0.01, 0, np.ones((5, 5), np.int8)), "projection"),
    (20, T((5,), "int16", 0.001, 0, np.ones(5, np.int16)), "layer normalisation"),
    (9, T((5,), "int16", 0.001, 0, np.ones(5, np.int16)), "peephole"),
])
def test_lstm_variants_are_refused_with_the_reason(slot, tensor, words, tmp_path):
    path = tmp_path / "v.tflite"
    path.write_bytes(_lstm(False, {slot: tensor}))
    with pytest.raises(ModelError, match=words):
        load_tflite(str(path), path.read_bytes())


# --- C kernel == numpy twin on random shapes, scales, states and clips ------------------------------

LSTM_CDEF = """
typedef int... odl_status_t;
typedef struct {
    int32_t batches, steps, inputs, units, time_major;
    int32_t input_zero_point, hidden_zero_point;
    int32_t in_mult[4], in_shift[4];
    int32_t rec_mult[4], rec_shift[4];
    int32_t forget_mult, forget_shift;
    int32_t input_mult, input_shift;
    int32_t hidden_mult, hidden_shift;
    int32_t tanh_mult, tanh_shift;
    int32_t cell_clip;
    int32_t stateless;
} odl_lstm_params_t;
odl_status_t odl_lstm_s8(const odl_lstm_params_t *p, const int8_t *in, const int8_t *const w_in[4],
                         const int8_t *const w_rec[4], const int32_t *const bias[4], int8_t *hidden, int16_t *cell,
                         int8_t *out);
odl_status_t odl_lstm_s16(const odl_lstm_params_t *p, const int16_t *in, const int8_t *const w_in[4],
                          const int8_t *const w_rec[4], const int64_t *const bias[4], int16_t *hidden, int16_t *cell,
                          int16_t *out);
"""


@pytest.fixture(scope="module")
def lstm_c():
    from pytool.host.cbuild import ROOT, build

    k = ROOT / "runtime_c/src/kernels"
    src = [k / "int8/lstm.c", k / "int16/lstm.c", k / "int16/logistic.c", k / "int16/tanh.c", k / "int16/sigmoid_table.c",
           ROOT / "runtime_c/src/core/status.c"]
    return build("kernel_lstm", LSTM_CDEF, '#include "odl/kernels_ext.h"\n', src,
                 extra_include=[k / "int16"])


def _random_lstm(rng, nb, nt, ni, ns, time_major, clip, stateless, act):
    from pytool.ir import Graph, Op, QuantParams, Tensor

    def q(s, z=0):
        return QuantParams.per_tensor(float(s), int(z))

    g = Graph()
    xs = (nt, nb, ni) if time_major else (nb, nt, ni)
    a16 = act == "int16"
    sx, sh = rng.uniform(0.005, 0.05) / (256 if a16 else 1), rng.uniform(0.002, 0.02) / (256 if a16 else 1)
    zx, zh = (0, 0) if a16 else (rng.integers(-20, 20), rng.integers(-10, 10))
    names = ["x"]
    g.add_tensor(Tensor("x", xs, act, quant=q(sx, zx)))
    for kind, cols in (("wi", ni), ("wr", ns)):
        for k in range(4):
            n = f"{kind}{k}"
            g.add_tensor(Tensor(n, (ns, cols), "int8", rng.integers(-127, 128, (ns, cols), dtype=np.int8),
                                q(rng.uniform(0.002, 0.05))))
            names.append(n)
    for k in range(4):
        n = f"b{k}"
        bias = rng.integers(-4000, 4000, ns) * (256 if a16 else 1)
        g.add_tensor(Tensor(n, (ns,), "int64" if a16 else "int32", bias.astype("int64" if a16 else "int32"),
                            q(sx * 0.01)))
        names.append(n)
    g.add_tensor(Tensor("h", (nb, ns), act, quant=q(sh, zh)))
    g.add_tensor(Tensor("c", (nb, ns), "int16", quant=q(2.0 ** -int(rng.integers(9, 16)))))
    g.add_tensor(Tensor("y", xs[:2] + (ns,), act, quant=g.tensors["h"].quant))
    g.meta["variables"] = {"h": np.zeros((nb, ns), act), "c": np.zeros((nb, ns), np.int16)}
    op = Op("UNIDIRECTIONAL_SEQUENCE_LSTM", names + ["h", "c"], ["y"],
            {"time_major": time_major, "cell_clip": clip, "activation": "TANH", "stateless": stateless}, name="l")
    g.ops.append(op)
    return g, op


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 9), st.integers(1, 9), st.booleans(),
       st.sampled_from([0.0, 1e-6, 0.3, 1.5, 20.0]), st.booleans(), st.sampled_from(["int8", "int16"]),
       st.integers(0, 2**31 - 1))
def test_lstm_kernel_matches_numpy_twin(lstm_c, nb, nt, ni, ns, time_major, clip, stateless, act, seed):
    from pytool.ops import unidirectional_sequence_lstm as lstm

    ffi, lib = lstm_c
    rng = np.random.default_rng(seed)
    g, op = _random_lstm(rng, nb, nt, ni, ns, time_major, clip, stateless, act)
    low = lstm.lower(g, op)
    info = np.iinfo(act)
    x = rng.integers(info.min, info.max + 1, g.tensors["x"].shape, dtype=act)
    h = rng.integers(info.min, info.max + 1, (nb, ns), dtype=act)
    c = rng.integers(-32768, 32768, (nb, ns), dtype=np.int16)
    consts = [g.tensors[n].data for n in op.inputs[1:13]]
    want_y, want_h, want_c = lstm.ref_int8(g, op, low, [x, *consts, h, c])
    p = low.params
    par = ffi.new("odl_lstm_params_t *", {
        "batches": nb, "steps": nt, "inputs": ni, "units": ns, "time_major": p[0], "input_zero_point": p[1],
        "hidden_zero_point": p[2], "in_mult": p[3:7], "in_shift": p[7:11], "rec_mult": p[11:15],
        "rec_shift": p[15:19], "forget_mult": p[19], "forget_shift": p[20], "input_mult": p[21],
        "input_shift": p[22], "hidden_mult": p[23], "hidden_shift": p[24], "tanh_mult": p[25],
        "tanh_shift": p[26], "cell_clip": p[27], "stateless": p[28]})
    keep = [np.ascontiguousarray(a) for a in consts]
    w_in = ffi.new("int8_t *[4]", [ffi.cast("int8_t *", a.ctypes.data) for a in keep[0:4]])
    w_rec = ffi.new("int8_t *[4]", [ffi.cast("int8_t *", a.ctypes.data) for a in keep[4:8]])
    bt, at = ("int64_t", "int16_t") if act == "int16" else ("int32_t", "int8_t")
    bias = ffi.new(f"{bt} *[4]", [ffi.cast(f"{bt} *", a.ctypes.data) for a in keep[8:12]])
    hc, cc = h.copy(), c.copy()
    y = np.zeros(want_y.shape, act)
    fn = lib.odl_lstm_s16 if act == "int16" else lib.odl_lstm_s8
    assert fn(par, ffi.cast(f"{at} *", x.ctypes.data), w_in, w_rec, bias, ffi.cast(f"{at} *", hc.ctypes.data),
              ffi.cast("int16_t *", cc.ctypes.data), ffi.cast(f"{at} *", y.ctypes.data)) == 0
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(hc, want_h)
    np.testing.assert_array_equal(cc, want_c)


def test_float_tflite_lstm_is_quantized_and_runs(tmp_path):
    """A float .tflite LSTM: the float IR equals LiteRT's float kernel; our
    quantizer makes it the int8 LSTM, within 2 output quanta of the float IR."""
    from ai_edge_litert import schema_py_generated as s
    from ai_edge_litert.interpreter import Interpreter

    from pytool.frontends import load_model
    from pytool.reference import run_float

    rng = np.random.default_rng(8)
    nt, ni, ns = 5, 3, 4
    t = [T((1, nt, ni), "float32")]
    t += [T((ns, ni), "float32", data=rng.normal(0, 0.6, (ns, ni)).astype(np.float32)) for _ in range(4)]
    t += [T((ns, ns), "float32", data=rng.normal(0, 0.6, (ns, ns)).astype(np.float32)) for _ in range(4)]
    t += [T((ns,), "float32", data=rng.normal(0, 0.3, ns).astype(np.float32)) for _ in range(4)]
    t += [T((1, ns), "float32", variable=True), T((1, ns), "float32", variable=True), T((1, nt, ns), "float32")]
    ins = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, 9, 10, 11, 12, -1, -1, 13, 14, -1, -1, -1, -1]
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction = 4
    path = tmp_path / "float_lstm.tflite"
    path.write_bytes(single_op(LSTM_CODE, t, ins, [15], model_inputs=[0], options=o, options_type=OPT_LSTM))
    xs = [rng.uniform(-2, 2, (1, nt, ni)).astype(np.float32) for _ in range(10)]
    g = load_model(path)
    ip = Interpreter(model_path=str(path))
    ip.allocate_tensors()
    ip.set_tensor(ip.get_input_details()[0]["index"], xs[0])
    ip.invoke()
    want = ip.get_tensor(ip.get_output_details()[0]["index"])
    np.testing.assert_allclose(run_float(g, [xs[0]])[0], want, rtol=0, atol=1e-5)
    art = compile_model(path, out_dir=tmp_path / "build", calib=xs)
    net = load_host(art)
    qi, qo = art.meta["inputs"][0], art.meta["outputs"][0]
    for x in xs[:3]:
        net.reset_state()  # the float reference starts every sequence from zero
        xq = np.clip(np.round(x / qi["scale"]) + qi["zero_point"], -128, 127).astype(np.int8)
        y = (net.invoke(xq).astype(np.float32) - qo["zero_point"]) * qo["scale"]
        assert np.max(np.abs(y - run_float(g, [x])[0])) <= 2 * qo["scale"]


@pytest.mark.parametrize("name", ["lstm_seq_int8", "lstm_stacked_int8"])
def test_lstm_written_back_to_tflite_runs_the_same_in_tflite_micro(name, tmp_path):
    """The .tflite writer (training's model_int8.tflite, export) restores the
    24 inputs, the options and the variable flags."""
    from tflite_micro import runtime

    from pytool.frontends import load_model
    from pytool.frontends.tflite_writer import write_tflite

    src = FIXTURES / "ops" / f"{name}.tflite"
    g = load_model(src)
    out = write_tflite(g, tmp_path / "rt.tflite")
    a, b = runtime.Interpreter.from_file(str(src)), runtime.Interpreter.from_file(str(out))
    for (x,) in samples([("int8", g.tensors[g.inputs[0]].shape)], 3, seed=1):
        a.set_input(x, 0)
        b.set_input(x, 0)
        a.invoke()
        b.invoke()
        np.testing.assert_array_equal(np.array(b.get_output(0)), np.array(a.get_output(0)))


def test_dense_after_a_frozen_lstm_trains(build_root):
    from pytool.training import TrainSpec

    path = FIXTURES / "ops" / "lstm_last_dense_int8.tflite"
    art = compile_model(path, out_dir=build_root / "lstm_fp16",
                        train=TrainSpec(method="fp16", trainable="last:1", loss="ce", lr=0.05))
    net = load_host(art)
    xs = [x for (x,) in samples([("int8", (1, 5, 4))], 6, seed=2)]
    losses = []
    for _ in range(20):
        total = 0.0
        for k, x in enumerate(xs):
            net.reset_state()  # each sample is its own sequence
            total += net.train_step(x, k % 3)["loss"]
        losses.append(total)
    assert losses[-1] < 0.85 * losses[0], losses  # 7.21 -> 5.77 (deterministic)
