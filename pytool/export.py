"""Device weights -> a valid .tflite: the trained tensors read back over the
link (the weight store's payload, in the train config's order) replace the
same tensors of the int8 graph the build started from (model_int8.tflite).

Per method:
- sparse update trains int8 weights and int32 biases in place: exact.
- forward gradient holds weights as int16 at 1/128 of the int8 step; TFLite
  has no int8-activation x int16-weight kernels, so they are rounded to int8
  (the device keeps the int16 precision; docs/user-guide.md gives the
  measured agreement).
- FP16 backprop: the device's inference runs its head in FP16 (odl_fp16_invoke),
  which int8 kernels cannot reproduce. The export keeps the frozen int8 part,
  DEQUANTIZEs each boundary tensor, runs the head as float32 ops whose weights
  hold the device's FP16 values, and QUANTIZEs the logits into the int8 logits
  tensor, so the int8 tail (SOFTMAX) and the model's outputs are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pytool.ir import Graph, Op, Tensor

W16_SHIFT = 7  # ODL_W16_SHIFT: forward gradient's int16 weights are int8 LSB / 128


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


def _float_name(g: Graph, name: str) -> str:
    new = f"{name}/fp16_head"
    while new in g.tensors:
        new += "_"
    return new


def float_head(g: Graph, meta: dict, tensors: dict[str, np.ndarray]) -> Graph:
    """Rewrites g (in place) so the FP16-trained head runs as float32 ops with
    the device's FP16 weights between DEQUANTIZE and QUANTIZE."""
    from pytool.training import TrainSpec
    from pytool.training.fp16 import build_plan

    plan = build_plan(g, TrainSpec(**meta["train"]))
    # Frozen parameters of the head hold the dequantized int8 values on the device too.
    weights = {s.name: s.init.reshape(s.shape) for s in plan.slots if s.kind == "param"}
    for name, arr in tensors.items():
        ir_name = name.split(":", 1)[1] if name.startswith("fp16:") else name
        if ir_name not in weights:
            raise ValueError(f"trained tensor '{name}' is not a parameter of the build's FP16 head")
        weights[ir_name] = np.asarray(arr, np.float16).astype(np.float32).reshape(weights[ir_name].shape)
    first, last = plan.first_op, plan.layers[-1].op_index
    head = g.ops[first : last + 1]
    logits = head[-1].outputs[0]
    inside = {n for op in head for n in op.outputs} - {logits}
    for i, op in enumerate(g.ops[last + 1 :], start=last + 1):
        if any(n in inside for n in op.inputs):
            raise ValueError(f"{op.label(i)} reads a tensor inside the FP16 head; the device cannot run it either")
    if any(n in inside for n in g.outputs):
        raise ValueError("a model output lies inside the FP16 head; the device cannot compute it")
    floats: dict[str, str] = {}

    def float_tensor(name: str, data: np.ndarray | None = None) -> str:
        if name not in floats:
            floats[name] = _float_name(g, name)
            g.add_tensor(Tensor(floats[name], g.tensors[name].shape, "float32", data=data))
        return floats[name]

    ops = [Op("DEQUANTIZE", [b], [float_tensor(b)], name=f"{b}/dequantize") for b, _ in plan.boundaries]
    for op in head:
        ins = [float_tensor(n, weights.get(n)) if (n in weights or n in floats or n in inside) else n
               for n in op.inputs]
        ops.append(Op(op.type, ins, [float_tensor(n) for n in op.outputs], dict(op.attrs), op.name))
    ops.append(Op("QUANTIZE", [floats[logits]], [logits], name=f"{logits}/quantize"))
    g.ops = g.ops[:first] + ops + g.ops[last + 1 :]
    used = {n for op in g.ops for n in (*op.inputs, *op.outputs)} | set(g.inputs) | set(g.outputs)
    for name in [n for n in g.tensors if n not in used]:
        del g.tensors[name]  # the int8 head's weights and activations
    return g


def apply_weights(g: Graph, meta: dict, tensors: dict[str, np.ndarray]) -> Graph:
    if meta.get("train", {}).get("method") == "fp16":
        return float_head(g, meta, tensors)
    for name, arr in tensors.items():
        t = g.tensors.get(name)
        if t is None:
            raise ValueError(f"trained tensor '{name}' is not in the build's model")
        if arr.dtype == np.int16 and t.dtype == "int8":
            t.data = np.clip(np.round(arr.astype(np.float64) / (1 << W16_SHIFT)), -127, 127).astype(np.int8)
        else:
            t.data = arr.astype(t.np_dtype).reshape(t.shape)
    return g


def export_graph(build_dir: str | Path, payload: bytes) -> Graph:
    """The build's int8 graph with the device's weights applied."""
    from pytool.frontends import load_model

    build_dir = Path(build_dir)
    meta = json.loads((build_dir / "model.json").read_text())
    if "trainable_order" not in meta or not (build_dir / "model_int8.tflite").exists():
        raise ValueError(f"{build_dir} is not a training build (compile or finetune with --train/--method)")
    g = load_model(build_dir / "model_int8.tflite")
    return apply_weights(g, meta, split_payload(meta, payload))


def export_tflite(build_dir: str | Path, payload: bytes, out_path: str | Path) -> Path:
    from pytool.frontends.tflite_writer import write_tflite

    write_tflite(export_graph(build_dir, payload), out_path)
    return Path(out_path)
