"""float32 ops inside int8 models (float islands, float heads) and
TFLite_Detection_PostProcess: the generated C on the host gives TFLite Micro's
bytes, and the numpy twins give the C's."""

from __future__ import annotations

import f32_models
import numpy as np
import pytest
from test_tflm_ops import check_model, samples

from pytool import compile_model, load_host
from pytool.reference import run_int8

CASES = {"island": f32_models.island_model, "ssd_regular_nms": lambda: f32_models.ssd_head_model(True)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=3, seed=5)


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
