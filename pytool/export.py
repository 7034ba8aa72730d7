"""Device weights -> a valid .tflite: the trained tensors read back over the
link (the weight store's payload, in the train config's order) replace the
same tensors of the int8 graph the build started from (model_int8.tflite).

Per method: sparse update trains int8 weights and int32 biases in place, so
the export is exact. Forward gradient holds weights as int16 at 1/128 of the
int8 step; they are rounded to int8 (the device's own inference keeps the
int16 precision). FP16 weights are re-quantized per channel (symmetric int8,
bias at s_in·s_w), since TFLite has no FP16-weight/int8-activation kernels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pytool.ir import Graph, QuantParams


def split_payload(meta: dict, payload: bytes) -> dict[str, np.ndarray]:
    """{tensor name as in the tensor table: array} from the store payload."""
    out, pos = {}, 0
    for idx in meta["trainable_order"]:
        ti = meta["tensor_info"][idx]
        n = int(np.prod(ti["shape"])) * np.dtype(ti["dtype"]).itemsize
        out[ti["name"]] = np.frombuffer(payload[pos : pos + n], dtype=ti["dtype"]).reshape(ti["shape"])
        pos += n
    if pos != len(payload):
        raise ValueError(f"device weights are {len(payload)} bytes, the build's trainable tensors {pos}: "
                         "is the device running this build?")
    return out


def _requantize_fp16(g: Graph, name: str, w: np.ndarray, biases: dict) -> None:
    t = g.tensors[name]
    w = w.astype(np.float32)
    if t.dtype == "int32":  # a bias: fixed up after its weights (needs s_w)
        biases[name] = w
        return
    axis = t.quant.axis if t.quant is not None else 0
    red = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.maximum(np.abs(w).max(axis=red), 1e-12) / 127.0
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    t.data = q
    t.quant = QuantParams(scale.astype(np.float32), np.zeros(scale.size, np.int64), axis)


def apply_weights(g: Graph, meta: dict, tensors: dict[str, np.ndarray]) -> Graph:
    method = meta.get("train", {}).get("method")
    fp16_biases: dict[str, np.ndarray] = {}
    for name, arr in tensors.items():
        ir_name = name.split(":", 1)[1] if name.startswith("fp16:") else name
        t = g.tensors.get(ir_name)
        if t is None:
            raise ValueError(f"trained tensor '{name}' is not in the build's model")
        if method == "fp16":
            _requantize_fp16(g, ir_name, arr, fp16_biases)
        elif arr.dtype == np.int16 and t.dtype == "int8":
            shift = 7  # ODL_W16_SHIFT: int16 weights are int8 LSB / 128
            t.data = np.clip(np.round(arr.astype(np.float64) / (1 << shift)), -127, 127).astype(np.int8)
        else:
            t.data = arr.astype(t.np_dtype).reshape(t.shape)
    for op in g.ops:  # fp16: biases follow the re-quantized weights
        if len(op.inputs) > 2 and op.inputs[2] in fp16_biases:
            s_in = float(g.tensors[op.inputs[0]].quant.scale[0])
            s_w = g.tensors[op.inputs[1]].quant.scale.astype(np.float64)
            b = fp16_biases[op.inputs[2]]
            bs = (s_in * s_w).astype(np.float32)
            g.tensors[op.inputs[2]].data = np.round(b / bs).astype(np.int32)
            g.tensors[op.inputs[2]].quant = QuantParams(bs, np.zeros(bs.size, np.int64), 0)
    return g


def export_tflite(build_dir: str | Path, payload: bytes, out_path: str | Path) -> Path:
    from pytool.frontends import load_model
    from pytool.frontends.tflite_writer import write_tflite

    build_dir = Path(build_dir)
    meta = json.loads((build_dir / "model.json").read_text())
    if "trainable_order" not in meta or not (build_dir / "model_int8.tflite").exists():
        raise ValueError(f"{build_dir} is not a training build (compile or finetune with --train/--method)")
    g = load_model(build_dir / "model_int8.tflite")
    apply_weights(g, meta, split_payload(meta, payload))
    write_tflite(g, out_path)
    return Path(out_path)
