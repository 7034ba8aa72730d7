"""TFLite Micro's signal-library custom ops (audio front ends): hand-built
single-op models and a micro_speech-like preprocessor chain, byte-compared
with the tflite-micro interpreter over consecutive invokes (the spectral
subtraction's noise estimate is state), plus the numpy twins."""

from __future__ import annotations

import numpy as np
import pytest
import tflm_three
from signal_build import (
    SS_OPTS,
    Node,
    filter_bank_tables,
    gain_lut,
    graph_model,
    hann,
    micro_speech_model,
    preprocessor_model,
)
from tflite_build import T

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.frontends.errors import ModelError
from pytool.reference import run_int8


def _draw(rng, dtype: str, shape: tuple, hi: int | None) -> np.ndarray:
    if dtype == "float32":
        return (rng.standard_normal(shape) * (hi or 1000)).astype(np.float32)
    if dtype == "uint64":
        return rng.integers(0, hi or 2**62, size=shape, dtype=np.uint64)
    info = np.iinfo(dtype)
    lo, top = (info.min, info.max) if hi is None else (max(info.min, -hi), min(info.max, hi))
    return rng.integers(lo, top, size=shape, endpoint=True).astype(dtype)


def check(model: bytes, tmp_path, n: int, seed: int, hi: int | None = None, feed=None) -> None:
    """C on the host == TFLite Micro == numpy twin, over n invokes of one instance each
    (tflm_three.run_three). A bool output [1] is a valid flag: while it is false TFLite
    Micro leaves output 0 stale (ours writes zeros), so output 0 is compared with it only
    when valid."""
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    g = load_graph(path)
    rng = np.random.default_rng(seed)

    def inputs(k: int) -> list:
        return feed(rng, k) if feed else [_draw(rng, g.tensors[t].dtype, g.tensors[t].shape, hi) for t in g.inputs]

    def stale(want: list, i: int) -> bool:
        return i == 0 and len(want) == 2 and want[1].dtype == bool and not want[1]

    tflm_three.run_three(path, tmp_path / "build", n, inputs, arena_size=256 * 1024, stale=stale)


# ---- model parts ---------------------------------------------------------------------------------


def _single(code: str, ins: list[T], outs: list[T], opts: dict, n_inputs: int | None = None) -> bytes:
    ts = ins + outs
    k = len(ins)
    model_inputs = list(range(n_inputs if n_inputs is not None else k))
    return graph_model(ts, [Node(code, list(range(k)), list(range(k, len(ts))), opts)], model_inputs,
                       list(range(k, len(ts))))


def window_model(rows: int, n: int, shift: int) -> bytes:
    return _single("SignalWindow", [T((rows, n), "int16"), T((n,), "int16", data=hann(n))],
                   [T((rows, n), "int16")], {"shift": shift}, 1)


def rfft_model(rows: int, length: int, fft: int) -> bytes:
    return _single("SignalRfft", [T((rows, length), "int16")], [T((rows, 2 * (fft // 2 + 1)), "int16")],
                   {"T": 7, "fft_length": fft})


def filter_bank_model(nc: int, bins: int) -> bytes:
    tabs = filter_bank_tables(nc, 3, bins - 2, nc)
    return _single("SignalFilterBank", [T((bins,), "uint32")] + [T(t.shape, "int16", data=t) for t in tabs],
                   [T((nc,), "uint64")], {"num_channels": nc}, 1)


def spectral_model(nc: int, clamping: bool) -> bytes:
    opts = {**SS_OPTS, "num_channels": nc, "clamping": clamping}
    return _single("SignalFilterBankSpectralSubtraction", [T((nc,), "uint32")],
                   [T((nc,), "uint32"), T((nc,), "uint32")], opts)


def pcan_model(nc: int, shift: int) -> bytes:
    return _single("SignalPCAN", [T((nc,), "uint32"), T((nc,), "uint32"), T((125,), "int16", data=gain_lut(nc))],
                   [T((nc,), "uint32")], {"snr_shift": shift}, 2)


CASES = {
    "window_rows": (lambda: window_model(3, 40, 12), None),
    "window_shift0": (lambda: window_model(1, 16, 0), None),
    "fft_auto_scale": (lambda: _single("SignalFftAutoScale", [T((64,), "int16")],
                                       [T((64,), "int16"), T((), "int32")], {}), 300),
    "fft_auto_scale_60": (lambda: _single("SignalFftAutoScale", [T((60,), "int16")],
                                          [T((60,), "int16"), T((), "int32")], {}), 900),
    "rfft_512_padded": (lambda: rfft_model(1, 480, 512), None),
    "rfft_256_rows": (lambda: rfft_model(2, 200, 256), 2000),
    "rfft_8": (lambda: rfft_model(1, 8, 8), None),
    "irfft_512": (lambda: _single("SignalIrfft", [T((1, 514), "int16")], [T((1, 512), "int16")],
                                  {"T": 7, "fft_length": 512}), None),
    "rfft_irfft_round_trip": (lambda: graph_model(
        [T((2, 60), "int16"), T((2, 66), "int16"), T((2, 64), "int16")],
        [Node("SignalRfft", [0], [1], {"T": 7, "fft_length": 64}),
         Node("SignalIrfft", [1], [2], {"T": 7, "fft_length": 64})], [0], [2]), None),
    "rfft_int32_rows": (lambda: _single("SignalRfft", [T((2, 60), "int32")], [T((2, 66), "int32")],
                                        {"T": 2, "fft_length": 64}), None),
    "irfft_int32": (lambda: _single("SignalIrfft", [T((1, 130), "int32")], [T((1, 128), "int32")],
                                    {"T": 2, "fft_length": 128}), 1 << 28),
    "rfft_float32": (lambda: _single("SignalRfft", [T((2, 50), "float32")], [T((2, 66), "float32")],
                                     {"T": 0, "fft_length": 64}), None),
    "irfft_float32": (lambda: _single("SignalIrfft", [T((1, 258), "float32")], [T((1, 256), "float32")],
                                      {"T": 0, "fft_length": 256}), None),
    "irfft_32_rows": (lambda: _single("SignalIrfft", [T((3, 34), "int16")], [T((3, 32), "int16")],
                                      {"T": 7, "fft_length": 32}), 1500),
    # mixed radix (fft_length / 2 with factors 3 and 5, odd halves included); FftAutoScale at any length
    "rfft_48_radix3": (lambda: rfft_model(2, 40, 48), None),
    "rfft_30_odd_half": (lambda: rfft_model(1, 30, 30), None),
    "rfft_int32_40_radix5": (lambda: _single("SignalRfft", [T((1, 40), "int32")], [T((1, 42), "int32")],
                                             {"T": 2, "fft_length": 40}), None),
    "rfft_float32_120": (lambda: _single("SignalRfft", [T((2, 100), "float32")], [T((2, 122), "float32")],
                                         {"T": 0, "fft_length": 120}), None),
    "irfft_60_radix3_5": (lambda: _single("SignalIrfft", [T((2, 62), "int16")], [T((2, 60), "int16")],
                                          {"T": 7, "fft_length": 60}), 3000),
    "irfft_int32_24": (lambda: _single("SignalIrfft", [T((1, 26), "int32")], [T((1, 24), "int32")],
                                       {"T": 2, "fft_length": 24}), 1 << 28),
    "irfft_float32_90": (lambda: _single("SignalIrfft", [T((1, 92), "float32")], [T((1, 90), "float32")],
                                         {"T": 0, "fft_length": 90}), None),
    "energy": (lambda: _single("SignalEnergy", [T((66,), "int16")], [T((33,), "uint32")],
                               {"end_index": 33, "start_index": 0}), None),
    "filter_bank": (lambda: filter_bank_model(12, 65), 1 << 30),
    "filter_bank_square_root": (lambda: _single("SignalFilterBankSquareRoot", [T((17,), "uint64"),
                                                T((), "int32", data=np.array(3, np.int32))], [T((17,), "uint32")],
                                                {}, 1), None),
    "spectral_subtraction": (lambda: spectral_model(10, False), 1 << 20),
    "spectral_subtraction_clamping": (lambda: spectral_model(9, True), 1 << 20),
    "pcan": (lambda: pcan_model(16, 6), 1 << 24),
    "filter_bank_log": (lambda: _single("SignalFilterBankLog", [T((23,), "uint32")], [T((23,), "int16")],
                                        {"input_correction_bits": 3, "output_scale": 1 << 6}), None),
}


def framer_model(rows: int, frames: int, size: int, step: int, prefill: bool) -> bytes:
    return _single("SignalFramer", [T((rows, frames * step), "int16")],
                   [T((rows, frames, size), "int16"), T((), "bool")],
                   {"frame_size": size, "frame_step": step, "prefill": prefill})


def stacker_model(nc: int, left: int, right: int, step: int) -> bytes:
    return _single("SignalStacker", [T((nc,), "int16")], [T((nc * (left + right + 1),), "int16"), T((), "bool")],
                   {"num_channels": nc, "stacker_left_context": left, "stacker_right_context": right,
                    "stacker_step": step})


CASES.update({
    "div_int32_broadcast": (lambda: _single(42, [T((3, 5), "int32"), T((1, 5), "int32")], [T((3, 5), "int32")], {}),
                            None),
    "cast_uint32_int32_int16": (lambda: graph_model(
        [T((9,), "uint32"), T((9,), "int32"), T((9,), "int16")], [Node(53, [0], [1]), Node(53, [1], [2])], [0], [1, 2]),
        None),
    "delay_rows": (lambda: _single("SignalDelay", [T((3, 10), "int16")], [T((3, 10), "int16")],
                                   {"delay_length": 4}), None),
    "delay_longer_than_frame": (lambda: _single("SignalDelay", [T((6,), "int16")], [T((6,), "int16")],
                                                {"delay_length": 15}), None),
    "overlap_add": (lambda: _single("SignalOverlapAdd", [T((2, 3, 8), "int16")], [T((2, 9), "int16")],
                                    {"T": 7, "frame_step": 3}), 20000),
    "overlap_add_float32": (lambda: _single("SignalOverlapAdd", [T((3, 6), "float32")], [T((6,), "float32")],
                                            {"T": 0, "frame_step": 2}), None),
    "framer_prefill": (lambda: framer_model(2, 3, 10, 4, True), None),
    "framer_no_prefill": (lambda: framer_model(1, 2, 7, 3, False), None),
    "stacker": (lambda: stacker_model(4, 2, 1, 1), None),
    "stacker_step2": (lambda: stacker_model(3, 0, 2, 2), None),
})


@pytest.mark.parametrize("name", sorted(CASES))
def test_signal_op_matches_tflite_micro(name, tmp_path):
    build, hi = CASES[name]
    check(build(), tmp_path, n=6 if name.startswith(("framer", "stacker", "delay", "overlap")) else 4,
          seed=len(name), hi=hi)


def test_fft_auto_scale_edge_inputs(tmp_path):
    """All zeros, a lone -32768 (the int16 max-abs wrap), small values."""
    rows = [np.zeros(16, np.int16), np.array([-32768] + [3] * 15, np.int16), np.array([1, -1] * 8, np.int16),
            np.array([5, -32768, 100] + [0] * 13, np.int16)]
    model = _single("SignalFftAutoScale", [T((16,), "int16")], [T((16,), "int16"), T((), "int32")], {})
    check(model, tmp_path, n=len(rows), seed=0, feed=lambda rng, k: [rows[k]])


def speech_like(rng, k: int) -> list[np.ndarray]:
    """Tone plus noise whose level changes per frame (the noise estimate moves)."""
    n = np.arange(480)
    amp = [800, 6000, 200, 20000, 50, 3000][k % 6]
    x = amp * np.sin(2 * np.pi * (300 + 200 * k) * n / 16000) + rng.normal(0, amp / 4 + 1, 480)
    return [np.clip(np.round(x), -32768, 32767).astype(np.int16)]


def test_preprocessor_chain_matches_tflite_micro_over_invokes(tmp_path):
    check(preprocessor_model(), tmp_path, n=8, seed=5, feed=speech_like)


def _window_with(raw: bytes) -> bytes:
    ts = [T((16,), "int16"), T((16,), "int16", data=hann(16)), T((16,), "int16")]
    return graph_model(ts, [Node("SignalWindow", [0, 1], [2], {})], [0], [2], raw_options={0: raw})


@pytest.mark.parametrize("raw, words", [
    (b"", "custom options are missing"),
    (b"\x01\x02\x03", "flexbuffer"),
    (None, "custom option 'shift' is missing"),
    ("text", "custom option 'shift' is str"),
])
def test_malformed_options_name_the_op_and_field(raw, words, tmp_path):
    from signal_build import custom_options

    from pytool.frontends.tflite import load_tflite

    if raw is None:
        raw = custom_options({"other": 1})
    elif raw == "text":
        raw = custom_options({"shift": "twelve"})
    path = tmp_path / "bad.tflite"
    path.write_bytes(_window_with(raw))
    with pytest.raises(ModelError) as e:
        load_tflite(str(path), path.read_bytes())
    msg = str(e.value)
    assert words in msg and "CUSTOM:SignalWindow" in msg and "\n" not in msg.strip()


def test_unsupported_rfft_length_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "r.tflite"
    path.write_bytes(rfft_model(1, 40, 28))  # 14 = 2 x 7: TFLite Micro crashes on KISS FFT's generic radix
    with pytest.raises(Exception, match="fft_length 28 is not supported"):
        compile_model(path, out_dir=tmp_path / "b")


def float_fft_model() -> bytes:
    """float32 Rfft -> Irfft -> OverlapAdd: the float KISS FFT (fft_length 240: radix 4, 2, 3 and 5)
    and state on a board."""
    t = [T((2, 60), "float32"), T((2, 242), "float32"), T((2, 240), "float32"), T((32,), "float32")]
    nodes = [Node("SignalRfft", [0], [1], {"T": 0, "fft_length": 240}),
             Node("SignalIrfft", [1], [2], {"T": 0, "fft_length": 240}),
             Node("SignalOverlapAdd", [2], [3], {"T": 0, "frame_step": 16})]
    return graph_model(t, nodes, [0], [3])


QEMU_MODELS = {
    "chain": (preprocessor_model, lambda rng, k: speech_like(rng, k)[0]),
    "micro_speech_int8": (lambda: micro_speech_model(), lambda rng, k: speech_like(rng, k)[0].reshape(1, 480)),
    "float_fft": (float_fft_model, lambda rng, k: (rng.standard_normal((2, 60)) * 100).astype(np.float32)),
}


@pytest.mark.qemu
@pytest.mark.parametrize("name", sorted(QEMU_MODELS))
def test_signal_models_on_qemu_match_the_host(name, tmp_path):
    """mps2-an386 (Cortex-M4F) over the serial link: the same bytes as the host
    C and TFLite Micro, invoke after invoke (the state carries)."""
    from tflite_micro import runtime

    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    build, feed = QEMU_MODELS[name]
    path = tmp_path / "m.tflite"
    path.write_bytes(build())
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path), arena_size=256 * 1024)
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    rng = np.random.default_rng(5)
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for k in range(5):
            x = feed(rng, k)
            ip.set_input(x, 0)
            ip.invoke()
            host = net.invoke(x)
            host = list(host) if isinstance(host, tuple | list) else [host]
            board = link.infer_all(x)
            for i, h in enumerate(host):
                want = np.array(ip.get_output(i))
                assert board[i].tobytes() == h.tobytes() == want.tobytes(), f"invoke {k} output {i}"


def test_reset_state_restarts_the_queues_and_the_noise_estimate(tmp_path):
    """odl_reset_state puts every signal state back as TFLite Micro's Reset does."""
    path = tmp_path / "f.tflite"
    path.write_bytes(framer_model(1, 2, 7, 3, False))
    net = load_host(compile_model(path, out_dir=tmp_path / "b1"))
    xs = [np.arange(6, dtype=np.int16).reshape(1, 6) + 10 * k for k in range(3)]
    first = [[a.copy() for a in net.invoke(x)] for x in xs]
    net.reset_state()
    again = [[a.copy() for a in net.invoke(x)] for x in xs]
    for a, b in zip(first, again):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    assert not first[0][1] and first[2][1]  # warm-up then valid: the state really carried
    path = tmp_path / "c.tflite"
    path.write_bytes(preprocessor_model())
    net = load_host(compile_model(path, out_dir=tmp_path / "b2"))
    x = speech_like(np.random.default_rng(1), 1)[0]
    y0 = [a.copy() for a in net.invoke(x)]
    y1 = [a.copy() for a in net.invoke(x)]
    net.reset_state()
    y2 = [a.copy() for a in net.invoke(x)]
    assert not np.array_equal(y0[1], y1[1])  # the noise estimate moved
    for u, v in zip(y0, y2):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("float_output", [False, True], ids=["int8_features", "float_features"])
def test_micro_speech_preprocessor_with_builtin_glue_matches_tflite_micro(float_output, tmp_path):
    """micro_speech's AudioPreprocessor graph: the signal chain plus RESHAPE,
    CAST uint32 <-> int32, int32 STRIDED_SLICE / CONCATENATION and either the
    int32 MUL / ADD / DIV / MAXIMUM / MINIMUM scaling to int8 features or a
    float32 tail (CAST, DIV by 25.6), over 6 invokes."""
    check(micro_speech_model(float_output=float_output), tmp_path, n=6, seed=2,
          feed=lambda rng, k: [speech_like(rng, k)[0].reshape(1, 480)])


def _random_model(rng, kind: int) -> tuple[bytes, int | None]:
    """One random option set of an op whose arithmetic has wrap / shift edges."""
    n = int(rng.integers(1, 30))
    if kind == 0:
        w = rng.integers(-32768, 32768, n).astype(np.int16)
        return _single("SignalWindow", [T((2, n), "int16"), T((n,), "int16", data=w)], [T((2, n), "int16")],
                       {"shift": int(rng.integers(0, 32))}, 1), None
    if kind == 1:
        opts = {"input_correction_bits": int(rng.integers(0, 32)), "output_scale": int(rng.integers(-2**31, 2**31))}
        return _single("SignalFilterBankLog", [T((n,), "uint32")], [T((n,), "int16")], opts), None
    if kind == 2:
        lut = rng.integers(-32768, 32768, 125).astype(np.int16)
        return _single("SignalPCAN", [T((n,), "uint32"), T((n,), "uint32"), T((125,), "int16", data=lut)],
                       [T((n,), "uint32")], {"snr_shift": int(rng.integers(0, 40))}, 2), None
    if kind == 3:
        keys = ("alternate_one_minus_smoothing", "alternate_smoothing", "min_signal_remaining", "one_minus_smoothing",
                "smoothing")
        opts = {**{k: int(rng.integers(0, 2**16)) for k in keys}, "clamping": bool(rng.integers(0, 2)),
                "num_channels": n, "smoothing_bits": int(rng.integers(0, 31)),
                "spectral_subtraction_bits": int(rng.integers(0, 40))}
        return _single("SignalFilterBankSpectralSubtraction", [T((n,), "uint32")],
                       [T((n,), "uint32"), T((n,), "uint32")], opts), None
    if kind == 4:
        s = np.array(rng.integers(0, 31), np.int32)
        return _single("SignalFilterBankSquareRoot", [T((n,), "uint64"), T((), "int32", data=s)],
                       [T((n,), "uint32")], {}, 1), int(rng.choice([2**20, 2**40, 2**62]))
    return (_single("SignalFftAutoScale", [T((n + 1,), "int16")], [T((n + 1,), "int16"), T((), "int32")], {}),
            int(rng.choice([1, 100, 20000, 32767])))


@pytest.mark.parametrize("seed", range(12))
def test_random_options_match_tflite_micro(seed, tmp_path):
    model, hi = _random_model(np.random.default_rng(100 + seed), seed % 6)
    check(model, tmp_path, n=3, seed=seed, hi=hi)


def test_float_reference_runs_the_integer_twin_with_exact_state(tmp_path):
    """`validate`'s float execution of a signal graph is its integer arithmetic:
    state (queues, noise estimates) carried as exact integers, not float32."""
    from pytool.frontends.tflite import load_tflite
    from pytool.reference import run_float

    path = tmp_path / "c.tflite"
    path.write_bytes(preprocessor_model())
    g = load_tflite(str(path), path.read_bytes())
    rng = np.random.default_rng(4)
    s_int: dict = {}
    s_float: dict = {}
    for k in range(4):
        x = speech_like(rng, k)[0]
        want = run_int8(g, [x], state=s_int)
        got = run_float(g, [x], state=s_float)
        for w, v in zip(want, got):
            np.testing.assert_array_equal(np.asarray(v), w)
    assert any(v.dtype == np.uint32 and v.max() > 0 for v in s_float.values())  # carried as integers
