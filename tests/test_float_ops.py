"""float32 ops inside int8 models (float islands, float heads) and
TFLite_Detection_PostProcess: the generated C on the host gives TFLite Micro's
bytes, and the numpy twins give the C's."""

from __future__ import annotations

import f32_models
import pytest
from test_tflm_ops import check_model

CASES = {"island": f32_models.island_model}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_model_matches_tflite_micro(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(CASES[name]())
    check_model(path, tmp_path / "build", n=3, seed=5)
