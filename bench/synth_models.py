"""Synthetic int8 models for the benchmarks, built directly in tinyodl's IR
(random weights from a fixed seed, so every run measures the same model).

dw_1ch_m8: a keyword-spotting front end whose first layer is a depthwise
conv on one input channel with depth multiplier 8 (the shape of the held-out
keyword model in ../shared/notes/anchors.md): 49x10x1 MFCC input, depthwise
3x3 x8 (ReLU), pointwise 8->64 (ReLU), global average pool, dense 64->12.

mobilenet_v1_025_96: MobileNet v1 with width 0.25 on a 96x96x1 input (the
MLPerf Tiny visual-wake-words shape, 7.2 M MACs): conv 3x3/2 to 8 channels,
13 depthwise-separable blocks (ReLU6), average pool 3x3, dense 256->2. Its
weights are random, its shapes those of the held-out MobileNet in
../shared/notes/anchors.md; the kernels' instruction counts depend on shapes,
not on weight values."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op, QuantParams, Tensor

SYNTH_MODELS = ("dw_1ch_m8", "mobilenet_v1_025_96")


def _qp(scale: float, zp: int) -> QuantParams:
    return QuantParams(np.array([scale], np.float32), np.array([zp], np.int64))


def _weights(g: Graph, rng, name: str, shape, axis: int, n: int, s_in: float) -> list[str]:
    ws = rng.uniform(0.004, 0.02, n).astype(np.float32)
    g.add_tensor(Tensor(name, shape, "int8", data=rng.integers(-127, 128, shape),
                        quant=QuantParams(ws, np.zeros(n, np.int64), axis)))  # fmt: skip
    bs = (np.float64(s_in) * ws.astype(np.float64)).astype(np.float32)
    g.add_tensor(Tensor(name + "_b", (n,), "int32", data=rng.integers(-2000, 2000, n),
                        quant=QuantParams(bs, np.zeros(n, np.int64), 0)))  # fmt: skip
    return [name, name + "_b"]


def dw_1ch_m8(seed: int = 8) -> Graph:
    rng = np.random.default_rng(seed)
    g = Graph(name="dw_1ch_m8")
    g.add_tensor(Tensor("x", (1, 49, 10, 1), "int8", quant=_qp(0.05, -3)))
    conv = {"stride": (1, 1), "dilation": (1, 1), "padding": "SAME", "activation": "RELU"}
    g.ops.append(Op("DEPTHWISE_CONV_2D", ["x", *_weights(g, rng, "dw", (1, 3, 3, 8), 3, 8, 0.05)], ["d"],
                    dict(conv, depth_multiplier=8), name="dw_1ch_m8"))  # fmt: skip
    g.add_tensor(Tensor("d", (1, 49, 10, 8), "int8", quant=_qp(0.04, -128)))
    g.ops.append(Op("CONV_2D", ["d", *_weights(g, rng, "pw", (64, 1, 1, 8), 0, 64, 0.04)], ["p"], dict(conv),
                    name="pointwise"))  # fmt: skip
    g.add_tensor(Tensor("p", (1, 49, 10, 64), "int8", quant=_qp(0.05, -128)))
    g.ops.append(Op("AVERAGE_POOL_2D", ["p"], ["a"],
                    {"stride": (49, 10), "filter": (49, 10), "padding": "VALID", "activation": "NONE"},
                    name="pool"))  # fmt: skip
    g.add_tensor(Tensor("a", (1, 1, 1, 64), "int8", quant=_qp(0.05, -128)))
    g.ops.append(Op("RESHAPE", ["a"], ["f"], {"shape": (1, 64)}, name="flatten"))
    g.add_tensor(Tensor("f", (1, 64), "int8", quant=_qp(0.05, -128)))
    g.ops.append(Op("FULLY_CONNECTED", ["f", *_weights(g, rng, "fc", (12, 64), 0, 12, 0.05)], ["y"],
                    {"activation": "NONE"}, name="dense"))  # fmt: skip
    g.add_tensor(Tensor("y", (1, 12), "int8", quant=_qp(0.1, 0)))
    g.inputs, g.outputs = ["x"], ["y"]
    return g


def mobilenet_v1_025_96(seed: int = 25) -> Graph:
    rng = np.random.default_rng(seed)
    g = Graph(name="mobilenet_v1_025_96")
    g.add_tensor(Tensor("x", (1, 96, 96, 1), "int8", quant=_qp(0.0078, -1)))
    act = {"dilation": (1, 1), "padding": "SAME", "activation": "RELU6"}
    s_act = 6.0 / 255  # ReLU6 outputs, zero point -128

    def layer(kind: str, x: str, y: str, wshape, axis: int, n: int, stride: int, hw: int, c: int, **extra):
        s_in = g.tensors[x].quant.scale[0]
        ins = [x, *_weights(g, rng, f"{y}_w", wshape, axis, n, float(s_in))]
        g.ops.append(Op(kind, ins, [y], dict(act, stride=(stride, stride), **extra), name=y))
        g.add_tensor(Tensor(y, (1, hw, hw, c), "int8", quant=_qp(s_act, -128)))

    layer("CONV_2D", "x", "c0", (8, 3, 3, 1), 0, 8, 2, 48, 8)
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
    x, c, hw = "c0", 8, 48
    for i, (out_c, stride) in enumerate(blocks, 1):
        hw = hw // stride
        layer("DEPTHWISE_CONV_2D", x, f"dw{i}", (1, 3, 3, c), 3, c, stride, hw, c, depth_multiplier=1)
        layer("CONV_2D", f"dw{i}", f"pw{i}", (out_c, 1, 1, c), 0, out_c, 1, hw, out_c)
        x, c = f"pw{i}", out_c
    g.ops.append(Op("AVERAGE_POOL_2D", [x], ["a"],
                    {"stride": (3, 3), "filter": (3, 3), "padding": "VALID", "activation": "NONE"},
                    name="pool"))  # fmt: skip
    g.add_tensor(Tensor("a", (1, 1, 1, c), "int8", quant=_qp(s_act, -128)))
    g.ops.append(Op("RESHAPE", ["a"], ["f"], {"shape": (1, c)}, name="flatten"))
    g.add_tensor(Tensor("f", (1, c), "int8", quant=_qp(s_act, -128)))
    g.ops.append(Op("FULLY_CONNECTED", ["f", *_weights(g, rng, "fc", (2, c), 0, 2, s_act)], ["y"],
                    {"activation": "NONE"}, name="dense"))  # fmt: skip
    g.add_tensor(Tensor("y", (1, 2), "int8", quant=_qp(0.1, 0)))
    g.inputs, g.outputs = ["x"], ["y"]
    return g


def synth_model(name: str) -> Graph:
    if name == "mobilenet_v1_025_96":
        return mobilenet_v1_025_96()
    if name == "dw_1ch_m8":
        return dw_1ch_m8()
    raise KeyError(name)
