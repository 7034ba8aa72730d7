"""Accuracy of every digits artefact on the clean and field test sets (project venv).

    .venv/bin/python examples/digits/evaluate.py

Float models run in LiteRT and onnxruntime, int8 models in TFLite Micro (the MCU
reference). Also checks that the ONNX graph and the float .tflite agree to 1e-5.
Writes examples/digits/eval_results.json and prints it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
Predict = Callable[[np.ndarray], np.ndarray]  # (8,8,1) float sample -> (10,) scores


def litert_float(path: Path) -> Predict:
    from ai_edge_litert.interpreter import Interpreter

    ip = Interpreter(model_path=str(path))
    ip.allocate_tensors()
    i, o = ip.get_input_details()[0]["index"], ip.get_output_details()[0]["index"]

    def run(x: np.ndarray) -> np.ndarray:
        ip.set_tensor(i, x[None].astype(np.float32))
        ip.invoke()
        return ip.get_tensor(o)[0].copy()

    return run


def onnx_float(path: Path) -> Predict:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return lambda x: sess.run(None, {name: x[None].transpose(0, 3, 1, 2).astype(np.float32)})[0][0]


def tflm(path: Path) -> Predict:
    """int8 or float I/O model in TFLite Micro; int8 I/O is (de)quantized here."""
    from tflite_micro import runtime

    ip = runtime.Interpreter.from_file(str(path))
    din, dout = ip.get_input_details(0), ip.get_output_details(0)

    def qparams(d: dict) -> tuple[float, int]:
        q = d["quantization_parameters"]
        return float(np.ravel(q["scales"])[0]), int(np.ravel(q["zero_points"])[0])

    def run(x: np.ndarray) -> np.ndarray:
        if din["dtype"] == np.int8:
            s, z = qparams(din)
            xq = np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)
        else:
            xq = x.astype(np.float32)
        ip.set_input(xq[None], 0)
        ip.invoke()
        y = np.array(ip.get_output(0))[0]
        if dout["dtype"] == np.int8:
            s, z = qparams(dout)
            return (y.astype(np.float32) - z) * s
        return y

    return run


def accuracy(predict: Predict, x: np.ndarray, y: np.ndarray) -> float:
    pred = np.array([int(np.argmax(predict(s))) for s in x])
    return float(np.mean(pred == y))


def main() -> int:
    test = np.load(HERE / "test.npz")
    field_test = np.load(HERE / "field_test.npz")
    models: dict[str, Predict] = {
        "float_tflite (LiteRT)": litert_float(HERE / "digits_float.tflite"),
        "float_onnx (onnxruntime)": onnx_float(HERE / "digits_float.onnx"),
        "int8_tf (TFLite Micro)": tflm(HERE / "digits_int8_tf.tflite"),
    }
    if (HERE / "digits_int8_aieq.tflite").exists():
        models["int8_aieq (TFLite Micro)"] = tflm(HERE / "digits_int8_aieq.tflite")
    results: dict = {"accuracy": {}}
    for name, predict in models.items():
        results["accuracy"][name] = {
            "test": accuracy(predict, test["x"], test["y"]),
            "field_test": accuracy(predict, field_test["x"], field_test["y"]),
        }
    a, b = models["float_tflite (LiteRT)"], models["float_onnx (onnxruntime)"]
    diff = max(float(np.max(np.abs(a(s) - b(s)))) for s in test["x"][:100])
    results["onnx_vs_float_tflite_max_abs_diff"] = diff
    (HERE / "eval_results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    if diff > 1e-5:
        print(f"ONNX and float .tflite disagree: {diff:.3g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
