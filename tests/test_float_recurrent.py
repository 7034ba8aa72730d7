"""float32 SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM inside int8 models (TFLite
Micro's float reference kernels, state kept across invokes): the generated C
gives TFLite Micro's bytes on the host over several invokes and the numpy
twins the C's; the same models give the host's bytes on mps2-an386."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from f32_models import DEQ, Builder
from test_tflm_ops import check_model, samples
from tflite_build import T

from pytool import compile_model, load_host

SVDF, LSTM = 27, 44


def _svdf_opts(rank: int, act: int):
    from ai_edge_litert import schema_py_generated as s

    o = s.SVDFOptionsT()
    o.rank, o.fusedActivationFunction = rank, act
    return o, s.BuiltinOptions.SVDFOptions


def _variable(b: Builder, shape) -> int:
    b.tensors.append(T(tuple(shape), "float32", variable=True))
    return len(b.tensors) - 1


def _add_svdf(b: Builder) -> tuple[list[int], list[int]]:
    """int8 x [2, 10] -> DEQUANTIZE -> SVDF rank 1 with RELU; SVDF rank 2, no activation
    (TFLite Micro crashes on a float SVDF without bias, so both have one)."""
    x = b.t((2, 10), "int8", 0.05, -3)
    xf = b.t((2, 10))
    b.op(DEQ, [x], [xf])
    outs = []
    for rank, act in ((1, 1), (2, 0)):
        nf, nm = 8, 5
        ins = [xf, b.const((nf, 10)), b.const((nf, nm)), b.const((nf // rank,)), _variable(b, (2, nf * nm))]
        outs.append(b.t((2, nf // rank)))
        b.op(SVDF, ins, [outs[-1]], *_svdf_opts(rank, act))
    return [x], outs


def _add_lstm(b: Builder) -> tuple[list[int], list[int]]:
    """int8 x [T=4, B=2, I=3] -> DEQUANTIZE -> time-major float LSTM (6 units, cell clip 0.4)."""
    from ai_edge_litert import schema_py_generated as s

    x = b.t((4, 2, 3), "int8", 0.04, 2)
    xf, y = b.t((4, 2, 3)), b.t((4, 2, 6))
    b.op(DEQ, [x], [xf])
    ins = [xf] + [b.const((6, 3), -0.8, 0.8) for _ in range(4)] + [b.const((6, 6), -0.8, 0.8) for _ in range(4)]
    ins += [-1] * 3 + [b.const((6,), -0.5, 0.5) for _ in range(4)] + [-1] * 2
    ins += [_variable(b, (2, 6)), _variable(b, (2, 6))] + [-1] * 4
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction, o.cellClip, o.timeMajor = 4, 0.4, True
    b.op(LSTM, ins, [y], o, s.BuiltinOptions.UnidirectionalSequenceLSTMOptions)
    return [x], [y]


def model(*parts) -> bytes:
    b = Builder(21)
    ins, outs = [], []
    for add in parts:
        i, o = add(b)
        ins, outs = ins + i, outs + o
    return b.build(ins, outs)


CASES = {"svdf": lambda: model(_add_svdf), "lstm_time_major_clip": lambda: model(_add_lstm)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_recurrent_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=6, seed=3)


def test_converter_float_lstm_matches_tflite_micro(tmp_path):
    """tf-keras LSTM left float by selective quantization between int8 FCs
    (tests/fixtures/make_float_fixtures.py)."""
    from tflite_micro import runtime

    from pytool.reference import run_int8

    path = FIXTURES / "float_ops" / "float_lstm.tflite"
    art = compile_model(path, out_dir=tmp_path / "build")
    net, g = load_host(art), art.graph
    assert any(op.type == "UNIDIRECTIONAL_SEQUENCE_LSTM" and g.tensors[op.outputs[0]].dtype == "float32"
               for op in g.ops)
    ip = runtime.Interpreter.from_file(str(path))
    rng, state = np.random.default_rng(8), {}
    for _ in range(4):  # the state carries over
        x = rng.uniform(-1.2, 1.2, g.tensors[g.inputs[0]].shape).astype(np.float32)
        ip.set_input(x, 0)
        ip.invoke()
        want, got = np.array(ip.get_output(0)), net.invoke(x)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        np.testing.assert_array_equal(run_int8(g, [x], state=state)[0], got)


@pytest.mark.qemu
def test_float_recurrent_on_qemu_matches_host(tmp_path):
    """odl_expf and newlib's tanhf on the Cortex-M4 give the host's bytes, states carried over invokes."""
    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = tmp_path / "both.tflite"
    path.write_bytes(model(_add_svdf, _add_lstm))
    art = compile_model(path, out_dir=tmp_path / "model")
    net, g = load_host(art), art.graph
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    xs = samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], 4, seed=13)
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for x in xs:
            want = net.invoke(*x)
            for w, c in zip(want, link.infer_all(*x)):
                assert c.reshape(-1).tobytes() == w.reshape(-1).tobytes()
