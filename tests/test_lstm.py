"""UNIDIRECTIONAL_SEQUENCE_LSTM beyond the converter fixtures (those run in
test_tflm_ops.py): a hand-built time-major, two-batch LSTM with an active cell
clip against TFLite Micro, state reset, and the variants we refuse."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from test_tflm_ops import check_model, samples
from tflite_build import T, single_op

from pytool import compile_model, load_host
from pytool.frontends.errors import ModelError
from pytool.frontends.tflite import load_tflite

LSTM_CODE, OPT_LSTM = 44, 71


def _lstm(time_major: bool, extra: dict | None = None, clip: float = 3.0) -> bytes:
    from ai_edge_litert import schema_py_generated as s

    rng = np.random.default_rng(5)
    nb, nt, ni, ns = 2, 3, 4, 5
    sx, sw, sr = 0.03, 0.012, 0.009
    xs = (nt, nb, ni) if time_major else (nb, nt, ni)
    t = [T(xs, "int8", sx, -3)]
    t += [T((ns, ni), "int8", sw, 0, rng.integers(-127, 128, (ns, ni), dtype=np.int8)) for _ in range(4)]
    t += [T((ns, ns), "int8", sr, 0, rng.integers(-127, 128, (ns, ns), dtype=np.int8)) for _ in range(4)]
    t += [T((ns,), "int32", sx * sw, 0, rng.integers(-900, 900, ns, dtype=np.int32)) for _ in range(4)]
    t += [T((nb, ns), "int8", 1 / 128, 2, variable=True), T((nb, ns), "int16", 2.0**-11, 0, variable=True)]
    t += [T(xs[:2] + (ns,), "int8", 1 / 128, 2)]
    ins = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, 9, 10, 11, 12, -1, -1, 13, 14, -1, -1, -1, -1]
    for slot, tensor in (extra or {}).items():
        t.append(tensor)
        ins[slot] = len(t) - 1
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction, o.cellClip, o.timeMajor = 4, clip, time_major
    return single_op(LSTM_CODE, t, ins, [15], model_inputs=[0], options=o, options_type=OPT_LSTM)


@pytest.mark.parametrize("time_major", [True, False])
def test_hand_built_lstm_matches_tflite_micro(time_major, tmp_path):
    path = tmp_path / "lstm.tflite"
    path.write_bytes(_lstm(time_major))
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
