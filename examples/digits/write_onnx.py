"""Write the digits factory model as an ONNX graph from its Keras weights.

The graph looks like a PyTorch export: NCHW input [1,1,8,8], Conv -> BatchNormalization
-> Relu -> Conv(stride 2) -> Relu -> Flatten -> Gemm -> Relu -> Gemm -> Softmax. The BN
is kept as its own node (not folded) so importers have to fold it. Keras flattens in
HWC order and ONNX in CHW order, so fc1's columns are permuted instead of inserting a
Transpose: the graph stays the one a channels-first framework would produce.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME padding (extra pixel at the end) as ONNX (begin, end)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def keras_to_onnx(model) -> onnx.ModelProto:  # model: keras.Model built by make_factory.build
    w = {layer.name: layer.get_weights() for layer in model.layers}
    conv1_k, conv1_b = w["conv1"]
    gamma, beta, mean, var = w["bn1"]
    eps = float(model.get_layer("bn1").epsilon)
    conv2_k, conv2_b = w["conv2"]
    fc1_k, fc1_b = w["fc1"]
    fc2_k, fc2_b = w["fc2"]

    h2, w2, c2 = model.get_layer("conv2").output.shape[1:]
    fc1_chw = fc1_k.reshape(h2, w2, c2, -1).transpose(3, 2, 0, 1).reshape(fc1_k.shape[1], -1)

    inits = {
        "conv1.weight": conv1_k.transpose(3, 2, 0, 1), "conv1.bias": conv1_b,
        "bn1.weight": gamma, "bn1.bias": beta, "bn1.running_mean": mean, "bn1.running_var": var,
        "conv2.weight": conv2_k.transpose(3, 2, 0, 1), "conv2.bias": conv2_b,
        "fc1.weight": fc1_chw, "fc1.bias": fc1_b,
        "fc2.weight": fc2_k.T, "fc2.bias": fc2_b,
    }
    initializers = [numpy_helper.from_array(np.ascontiguousarray(v, dtype=np.float32), k)
                    for k, v in inits.items()]
    p1 = same_pads(8, 3, 1)
    p2 = same_pads(8, 3, 2)
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight", "conv1.bias"], ["conv1_out"], name="conv1",
                         kernel_shape=[3, 3], strides=[1, 1], pads=[p1[0], p1[0], p1[1], p1[1]]),
        helper.make_node("BatchNormalization", ["conv1_out", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                                "bn1.running_var"], ["bn1_out"], name="bn1", epsilon=eps),
        helper.make_node("Relu", ["bn1_out"], ["relu1_out"], name="relu1"),
        helper.make_node("Conv", ["relu1_out", "conv2.weight", "conv2.bias"], ["conv2_out"], name="conv2",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[p2[0], p2[0], p2[1], p2[1]]),
        helper.make_node("Relu", ["conv2_out"], ["relu2_out"], name="relu2"),
        helper.make_node("Flatten", ["relu2_out"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["fc1_out"], name="fc1", transB=1),
        helper.make_node("Relu", ["fc1_out"], ["relu3_out"], name="relu3"),
        helper.make_node("Gemm", ["relu3_out", "fc2.weight", "fc2.bias"], ["logits"], name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "digits_factory",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        initializer=initializers,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="tinyodl-examples")
    onnx_model.ir_version = 8  # readable by older onnxruntime builds too
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model
