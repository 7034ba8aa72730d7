"""Which IR ops each supported ONNX operator becomes (float and QDQ models),
for the README's op table. tests/test_ops_table.py checks that this map and
the ONNX converter table name the same operators."""

from __future__ import annotations

ONNX_TO_IR: dict[str, tuple[str, ...]] = {
    "Conv": ("CONV_2D", "DEPTHWISE_CONV_2D", "PAD"),
    "BatchNormalization": ("MUL", "ADD"),
    "Gemm": ("FULLY_CONNECTED",),
    "MatMul": ("FULLY_CONNECTED",),
    "Relu": ("RELU",),
    "Clip": ("RELU6",),
    "Sigmoid": ("LOGISTIC",),
    "AveragePool": ("AVERAGE_POOL_2D", "PAD"),
    "MaxPool": ("MAX_POOL_2D",),
    "GlobalAveragePool": ("MEAN",),
    "GlobalMaxPool": ("MAX_POOL_2D",),
    "ReduceMean": ("MEAN",),
    "Add": ("ADD",),
    "Mul": ("MUL",),
    "Sub": ("ADD",),
    "Div": ("MUL",),
    "Pad": ("PAD",),
    "Reshape": ("RESHAPE",),
    "Flatten": ("RESHAPE",),
    "Squeeze": ("RESHAPE",),
    "Unsqueeze": ("RESHAPE",),
    "Identity": (),
    "Dropout": (),
    "Concat": ("CONCATENATION",),
    "Softmax": ("SOFTMAX",),
    "Transpose": ("TRANSPOSE",),
    "Constant": (),
    "QuantizeLinear": ("QUANTIZE",),
    "DequantizeLinear": ("DEQUANTIZE",),
    "LeakyRelu": ("LEAKY_RELU",),
    "HardSwish": ("HARD_SWISH",),
    "ConvTranspose": ("TRANSPOSE_CONV",),
    "Resize": ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"),
    "LSTM": ("UNIDIRECTIONAL_SEQUENCE_LSTM",),  # plus a RESHAPE / STRIDED_SLICE for Y and Y_h
    # shape plumbing around exported LSTMs: folded to constants, no IR op
    "Shape": (),
    "Gather": (),
    "ConstantOfShape": (),
    "Cast": (),
    "Expand": (),
    "Slice": (),
}
