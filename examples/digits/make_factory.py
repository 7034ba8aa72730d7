"""Train the digits "factory model" and write every artefact of the adaptation task.

Run with the TensorFlow venv (then evaluate.py runs in the project venv):

    /work/tfvenv/bin/python examples/digits/make_factory.py

Writes into examples/digits/: digits_float.tflite, digits_int8_tf.tflite,
digits_int8_aieq.tflite (if ai-edge-quantizer works), digits_float.onnx, calib.npz,
test.npz, field.npz, field_test.npz and factory_results.json (Keras-side numbers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from shift import load_scaled, make_field, split_indices  # noqa: E402
from write_onnx import keras_to_onnx  # noqa: E402

MAIN_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"
SEED = 0
EPOCHS = 40
N_CALIB = 200


def build(batch_size: int | None) -> keras.Model:
    """conv3x3x8 + BN + relu -> conv3x3x16/2 + relu -> flatten -> FC32 relu -> FC10 -> softmax."""
    x = keras.Input((8, 8, 1), batch_size=batch_size, name="image")
    y = layers.Conv2D(8, 3, padding="same", name="conv1")(x)
    y = layers.BatchNormalization(name="bn1")(y)
    y = layers.ReLU(name="relu1")(y)
    y = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv2")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(32, activation="relu", name="fc1")(y)
    y = layers.Dense(10, name="fc2")(y)
    y = layers.Softmax(name="softmax")(y)
    return keras.Model(x, y, name="digits_factory")


def train(x: np.ndarray, y: np.ndarray) -> keras.Model:
    keras.utils.set_random_seed(SEED)
    model = build(None)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0, shuffle=True)
    fixed = build(1)  # batch 1 keeps Flatten a single RESHAPE in the converted graph
    fixed.set_weights(model.get_weights())
    return fixed


def to_tflite(model: keras.Model, calib: np.ndarray | None) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if calib is not None:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([c[None]] for c in calib)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def aieq_quantize(float_path: Path, calib: np.ndarray, out_path: Path) -> str:
    """Second int8 peer made by ai-edge-quantizer; returns a status line for the report."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        from ai_edge_quantizer import quantizer, recipe

        sig = Interpreter(model_path=str(float_path)).get_signature_list()
        sig_name = next(iter(sig))
        input_name = sig[sig_name]["inputs"][0]
        qt = quantizer.Quantizer(str(float_path))
        qt.load_quantization_recipe(recipe.static_wi8_ai8())
        data = {sig_name: [{input_name: c[None].astype(np.float32)} for c in calib]}
        result = qt.quantize(qt.calibrate(data))
        result.export_model(str(out_path), overwrite=True)
        return "ok"
    except Exception as exc:  # record why, keep the rest of the task going
        out_path.unlink(missing_ok=True)
        return f"failed: {type(exc).__name__}: {exc}"


def field_retrain_last_layer(model: keras.Model, fx: np.ndarray, fy: np.ndarray, tx: np.ndarray,
                             ty: np.ndarray) -> dict:
    """Float32 headroom: retrain only fc2 (and then fc1+fc2) on field data."""
    out = {}
    for name, trainable in (("fc2", {"fc2"}), ("fc1+fc2", {"fc1", "fc2"})):
        keras.utils.set_random_seed(SEED)
        m = build(None)
        m.set_weights(model.get_weights())
        for layer in m.layers:
            layer.trainable = layer.name in trainable
        m.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        m.fit(fx, fy, batch_size=16, epochs=60, verbose=0)
        out[name] = float(m.evaluate(tx, ty, verbose=0)[1])
    return out


def main() -> int:
    x, y = load_scaled()
    tr, te, _ = split_indices()
    x_train, y_train, x_test, y_test = x[tr], y[tr], x[te], y[te]
    calib = x_train[np.random.default_rng(SEED).permutation(len(x_train))[:N_CALIB]]
    fx, fy, ftx, fty = make_field(seed=0)

    model = train(x_train, y_train)
    keras_acc = {
        "test": float(np.mean(np.argmax(model.predict(x_test, batch_size=1, verbose=0), 1) == y_test)),
        "field_test": float(np.mean(np.argmax(model.predict(ftx, batch_size=1, verbose=0), 1) == fty)),
    }

    np.savez(HERE / "calib.npz", x=calib)
    np.savez(HERE / "test.npz", x=x_test, y=y_test)
    np.savez(HERE / "field.npz", x=fx, y=fy)
    np.savez(HERE / "field_test.npz", x=ftx, y=fty)

    (HERE / "digits_float.tflite").write_bytes(to_tflite(model, None))
    (HERE / "digits_int8_tf.tflite").write_bytes(to_tflite(model, calib))
    aieq = aieq_quantize(HERE / "digits_float.tflite", calib, HERE / "digits_int8_aieq.tflite")

    onnx_model = keras_to_onnx(model)
    (HERE / "digits_float.onnx").write_bytes(onnx_model.SerializeToString())
    from onnx.reference import ReferenceEvaluator

    ref = ReferenceEvaluator(onnx_model)
    probe = x_test[:50]
    onnx_out = np.concatenate([ref.run(None, {"image": s[None].transpose(0, 3, 1, 2)})[0] for s in probe])
    keras_out = model.predict(probe, batch_size=1, verbose=0)
    onnx_err = float(np.max(np.abs(onnx_out - keras_out)))
    if onnx_err > 1e-5:
        print(f"ONNX graph disagrees with Keras: max abs diff {onnx_err:.3g}", file=sys.stderr)
        return 1

    results = {
        "split": {"factory_train": len(tr), "clean_test": len(te), "field_train": len(fy),
                  "field_test": len(fty)},
        "keras_float_accuracy": keras_acc,
        "onnx_reference_vs_keras_max_abs_diff": onnx_err,
        "field_float_retrain_accuracy": field_retrain_last_layer(model, fx, fy, ftx, fty),
        "aieq": aieq,
        "params": int(model.count_params()),
    }
    (HERE / "factory_results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    if MAIN_VENV_PY.exists():
        return subprocess.call([str(MAIN_VENV_PY), str(HERE / "evaluate.py")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
