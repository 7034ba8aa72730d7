"""Shared test helpers: fixture lookup and the reference interpreters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def manifest() -> list[dict]:
    return json.loads((FIXTURES / "manifest.json").read_text())


def fixture_path(name: str) -> Path:
    return FIXTURES / "models" / f"{name}.tflite"


def tflm_run(model_path: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    """TFLite Micro's Python interpreter: the MCU reference."""
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(model_path))
    outs = []
    for x in xs:
        ip.set_input(x, 0)
        ip.invoke()
        outs.append(np.array(ip.get_output(0)))
    return outs


def litert_run(model_path: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    """LiteRT with its reference (BUILTIN_REF) kernels."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    ip = Interpreter(model_path=str(model_path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ip.allocate_tensors()
    i, o = ip.get_input_details()[0], ip.get_output_details()[0]
    outs = []
    for x in xs:
        ip.set_tensor(i["index"], x)
        ip.invoke()
        outs.append(ip.get_tensor(o["index"]).copy())
    return outs


def random_inputs(shape, dtype, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.int8:
        return [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(n)]
    return [rng.uniform(-1, 1, size=shape).astype(dtype) for _ in range(n)]


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("builds")
