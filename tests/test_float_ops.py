"""float32 ops inside int8 models (float islands, float heads) and
TFLite_Detection_PostProcess: the generated C on the host gives TFLite Micro's
bytes, and the numpy twins give the C's."""

from __future__ import annotations

import f32_models
import numpy as np
import pytest
from conftest import FIXTURES
from test_tflm_ops import check_model, samples

from pytool import compile_model, load_host
from pytool.reference import run_int8

CASES = {"island": f32_models.island_model, "island2": f32_models.island2_model,
         "movement": f32_models.movement_model, "movement2": f32_models.movement2_model,
         "compare": f32_models.compare_model, "resize_bilinear": f32_models.resize_bilinear_model,
         "leftovers": f32_models.leftovers_model, "batch_matmul": f32_models.batch_matmul_model,
         "transpose_conv": f32_models.transpose_conv_model, "math": f32_models.math_model,
         "ssd_regular_nms": lambda: f32_models.ssd_head_model(True)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=3, seed=5)


@pytest.mark.parametrize("name", ["island_cnn", "float_head"])
def test_converter_float_island_matches_tflite_micro(name, tmp_path):
    """Converter-made (selective quantization, float I/O): see
    tests/fixtures/make_float_fixtures.py."""
    from tflite_micro import runtime

    path = FIXTURES / "float_ops" / f"{name}.tflite"
    art = compile_model(path, out_dir=tmp_path / "build")
    net, g = load_host(art), art.graph
    assert any(g.tensors[n].dtype == "float32" for op in g.ops if op.type != "DEQUANTIZE" for n in op.outputs)
    for name, buf in art.program.plan.buffers.items():  # float32 activations take 4 bytes an element
        if name in g.tensors and g.tensors[name].dtype == "float32":
            assert buf.size >= 4 * g.tensors[name].numel
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = rng.uniform(-1.2, 1.2, g.tensors[g.inputs[0]].shape).astype(np.float32)
        ip.set_input(x, 0)
        ip.invoke()
        want = np.array(ip.get_output(0))
        got = net.invoke(x)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        np.testing.assert_array_equal(run_int8(g, [x])[0], got)


def test_fast_nms_matches_tflite_micro_on_written_detections(tmp_path):
    """Fast NMS writes only num_detections entries (TFLite Micro leaves the
    rest as they were; ours are zero), so those are compared."""
    from tflite_micro import runtime

    path = tmp_path / "ssd_fast.tflite"
    path.write_bytes(f32_models.ssd_head_model(False))
    art = compile_model(path, out_dir=tmp_path / "build")
    net, g = load_host(art), art.graph
    ip = runtime.Interpreter.from_file(str(path))
    counts = set()
    for x in samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], 4, 9):
        for i, xi in enumerate(x):
            ip.set_input(xi, i)
        ip.invoke()
        want = [np.array(ip.get_output(i)) for i in range(4)]
        got, ref = list(net.invoke(*x)), run_int8(g, list(x))
        k = int(want[3][0])
        counts.add(k)
        assert got[3].tobytes() == want[3].tobytes()
        for w, c, r in zip(want[:3], got[:3], ref[:3]):
            assert c[:, :k].tobytes() == w[:, :k].tobytes()
            assert not c[:, k:].any()
            np.testing.assert_array_equal(r, c)
    assert len(counts) > 1 and 0 < min(counts) < 10  # partly filled, varying


def _graph(tmp_path, data: bytes, strict: bool = True):
    from pytool.frontends.tflite import load_tflite

    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    return load_tflite(str(path), data, strict=strict)


def test_float_op_without_kernel_is_refused_by_name(tmp_path):
    from pytool.commands.inspect import why_unsupported
    from pytool.frontends.errors import ModelError

    with pytest.raises(ModelError, match=r"op #1 .*LOGICAL_NOT on float32 is not supported"):
        _graph(tmp_path, f32_models.unsupported_float_model())
    g = _graph(tmp_path, f32_models.unsupported_float_model(), strict=False)
    assert [why_unsupported(g, i, op) is None for i, op in enumerate(g.ops)] == [True, False, True]


def test_training_refuses_layers_behind_float_ops(tmp_path):
    from pytool.training import TrainSpecError, resolve_trainable

    g = _graph(tmp_path, f32_models.int8_conv_then_float())
    with pytest.raises(TrainSpecError, match=r"layer #0 CONV_2D .* feeds float32 op #1 DEQUANTIZE"):
        resolve_trainable(g, "last:1")
    g = _graph(tmp_path, f32_models.island_model())
    with pytest.raises(TrainSpecError, match=r"FULLY_CONNECTED .* is float32"):
        resolve_trainable(g, "last:1")


@pytest.mark.qemu
@pytest.mark.parametrize("name", ["island", "island2", "leftovers", "math", "ssd_regular_nms"])
def test_float_model_on_qemu_matches_host(name, tmp_path):
    """newlib's expf / tanhf / exp on the Cortex-M4 give the host's float bytes."""
    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    art = compile_model(path, out_dir=tmp_path / "model")
    net, g = load_host(art), art.graph
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    xs = samples([(g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs], 3, seed=13)
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for x in xs:
            want = net.invoke(*x)
            want = list(want) if isinstance(want, tuple | list) else [want]
            got = link.infer_all(*x)
            for w, c in zip(want, got):
                assert c.reshape(-1).tobytes() == w.reshape(-1).tobytes()


def test_expf_matches_glibc_and_its_c_table():
    """odl_expf's twin gives glibc's expf bits (2 known inputs of 2^31 aside,
    where glibc's FMA variant rounds differently); the C table is generated."""
    import ctypes
    import ctypes.util

    from conftest import ROOT

    from pytool.ops.f32_expf import C_PATH, c_source, expf

    assert (ROOT / C_PATH).read_text() == c_source()
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    lib.expf.restype, lib.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    x = np.random.default_rng(1).uniform(-110, 95, 20000).astype(np.float32)
    x = np.concatenate([x, np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 88.7, -103.9])])
    want = np.array([lib.expf(float(v)) for v in x], np.float32)
    known = {float.fromhex("0x1.04845ep+5"), float.fromhex("-0x1.f8cbb2p+5")}
    same = (expf(x).view(np.uint32) == want.view(np.uint32)) | np.isin(x, list(known))
    assert same.all(), x[~same]
