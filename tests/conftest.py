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


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def tflm_run(model_path: Path, xs: list) -> list[np.ndarray]:
    """TFLite Micro's Python interpreter: the MCU reference. Each sample is an
    array or a tuple of arrays (one per model input)."""
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(model_path))
    outs = []
    for x in xs:
        for k, xi in enumerate(_as_tuple(x)):
            ip.set_input(xi, k)
        ip.invoke()
        outs.append(np.array(ip.get_output(0)))
    return outs


def litert_run(model_path: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    """LiteRT with its reference (BUILTIN_REF) kernels."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    ip = Interpreter(model_path=str(model_path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ip.allocate_tensors()
    ins, o = ip.get_input_details(), ip.get_output_details()[0]
    outs = []
    for x in xs:
        for k, xi in enumerate(_as_tuple(x)):
            ip.set_tensor(ins[k]["index"], xi)
        ip.invoke()
        outs.append(ip.get_tensor(o["index"]).copy())
    return outs


def random_samples(entry: dict, n: int, seed: int) -> list:
    """n samples for a manifest entry: arrays, or tuples for multi-input models."""
    per_input = [random_inputs(tuple(s["shape"]), s["dtype"], n, seed + k) for k, s in enumerate(entry["inputs"])]
    if len(per_input) == 1:
        return per_input[0]
    return [tuple(p[i] for p in per_input) for i in range(n)]


def random_inputs(shape, dtype, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.int8:
        return [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(n)]
    return [rng.uniform(-1, 1, size=shape).astype(dtype) for _ in range(n)]


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("builds")
