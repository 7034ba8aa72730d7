"""EMBEDDING_LOOKUP in every type combination TFLite Micro's kernel takes
(float32 and int8 rows copied, int8 rows times the scale into float32):
the generated C gives TFLite Micro's bytes on the host and on mps2-an386, the
numpy twin the C's; an index out of range fails in both."""

from __future__ import annotations

import numpy as np
import pytest
from f32_models import Builder

from pytool import compile_model, load_host
from pytool.host import OdlError
from pytool.reference import run_int8

EMBEDDING_LOOKUP = 7
ROWS = 6


def lookup_model(value_input: bool = False) -> bytes:
    """lookup [5] int32 -> float32 rows [6, 3, 2], int8 rows [6, 4] (int8 out)
    and the same int8 rows into float32 (hybrid, scale 0.037); value_input
    makes the float32 rows a model input."""
    b = Builder(3)
    idx = b.t((5,), "int32")
    fv = b.t((ROWS, 3, 2)) if value_input else b.const((ROWS, 3, 2), -4, 4)
    q = b.rng.integers(-128, 128, (ROWS, 4)).astype(np.int8)
    qv = b.t((ROWS, 4), "int8", 0.037, 0, data=q)
    fy, qy, hy = b.t((5, 3, 2)), b.t((5, 4), "int8", 0.037, 0), b.t((5, 4))
    b.op(EMBEDDING_LOOKUP, [idx, fv], [fy])
    b.op(EMBEDDING_LOOKUP, [idx, qv], [qy])
    b.op(EMBEDDING_LOOKUP, [idx, qv], [hy])
    return b.build([idx, fv] if value_input else [idx], [fy, qy, hy])


def _inputs(rng, value_input: bool) -> list:
    xs = [rng.integers(0, ROWS, 5).astype(np.int32)]
    return xs + [rng.uniform(-3, 3, (ROWS, 3, 2)).astype(np.float32)] if value_input else xs


@pytest.mark.parametrize("value_input", [False, True])
def test_embedding_lookup_matches_tflite_micro(value_input, tmp_path):
    from tflite_micro import runtime

    path = tmp_path / "m.tflite"
    path.write_bytes(lookup_model(value_input))
    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(1)
    for _ in range(3):
        xs = _inputs(rng, value_input)
        for i, x in enumerate(xs):
            ip.set_input(x, i)
        ip.invoke()
        got, ref = net.invoke(*xs), run_int8(art.graph, xs)
        for i, (c, r) in enumerate(zip(got, ref)):
            w = np.array(ip.get_output(i))
            assert c.dtype == w.dtype and c.tobytes() == w.tobytes(), f"output {i}"
            assert r.tobytes() == c.tobytes(), f"output {i}: numpy twin"
    assert got[2].dtype == np.float32 and np.any(got[2] != np.round(got[2]))  # the hybrid output is scaled


def test_hybrid_lookup_of_per_channel_rows_takes_the_first_scale(tmp_path):
    """TFLite Micro's tensor params keep the first of several scales; so does ours."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s
    from tflite_micro import runtime

    m = s.ModelT.InitFromPackedBuf(lookup_model(), 0)
    q = m.subgraphs[0].tensors[2].quantization  # the int8 rows
    q.scale, q.zeroPoint, q.quantizedDimension = [0.037, 0.05, 0.01, 0.2, 0.3, 0.11], [0] * ROWS, 0
    b = flatbuffers.Builder(4096)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    path = tmp_path / "pc.tflite"
    path.write_bytes(bytes(b.Output()))
    x = np.array([0, 1, 2, 3, 5], np.int32)
    ip = runtime.Interpreter.from_file(str(path))
    ip.set_input(x, 0)
    ip.invoke()
    got = load_host(compile_model(path, out_dir=tmp_path / "build")).invoke(x)[2]
    assert got.tobytes() == np.array(ip.get_output(2)).tobytes()


def test_embedding_lookup_index_out_of_range_fails(tmp_path):
    from tflite_micro import runtime

    path = tmp_path / "m.tflite"
    path.write_bytes(lookup_model())
    net = load_host(compile_model(path, out_dir=tmp_path / "build"))
    ip = runtime.Interpreter.from_file(str(path))
    for bad in (ROWS, -1):
        x = np.array([0, 1, bad, 2, 3], np.int32)
        ip.set_input(x, 0)
        with pytest.raises(RuntimeError):
            ip.invoke()
        with pytest.raises(OdlError):
            net.invoke(x)


def test_embedding_lookup_refuses_what_tflite_micro_refuses(tmp_path):
    b = Builder(0)
    idx, v, y = b.t((2,), "int32"), b.const((4, 3)), b.t((2, 3), "int8", 0.1, 0)
    b.op(EMBEDDING_LOOKUP, [idx, v], [y])
    path = tmp_path / "bad.tflite"
    path.write_bytes(b.build([idx], [y]))
    with pytest.raises(Exception, match=r"EMBEDDING_LOOKUP .*float32 value to int8 output"):
        compile_model(path, out_dir=tmp_path / "build")


@pytest.mark.qemu
def test_embedding_lookup_on_qemu_matches_host(tmp_path):
    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = tmp_path / "m.tflite"
    path.write_bytes(lookup_model())
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    rng = np.random.default_rng(2)
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for _ in range(3):
            xs = _inputs(rng, False)
            for w, c in zip(net.invoke(*xs), link.infer_all(*xs)):
                assert c.reshape(-1).tobytes() == w.reshape(-1).tobytes()
