"""Op registry: one module per op, the Python half of each op.

Every op module defines
- ``OPCODE``: the code in runtime_c/include/odl/ops.def;
- ``infer_shapes(g, op) -> list[tuple]``: output shapes from input shapes/attrs;
- ``macs(g, op) -> int``: multiply-accumulates, for reports;
- ``ref_float(g, op, xs) -> list[np.ndarray]``: float32 semantics (the spec
  the float reference executor runs and the quantizer calibrates with);
- ``lower(g, op) -> Lowered``: the C op's full input list and int32 params
  (TFLite's Prepare step: multipliers, shifts, activation ranges, padding);
- ``ref_int8(g, op, low, xs) -> list[np.ndarray]``: the exact integer
  computation of the C kernel on the lowered inputs/params (its oracle).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

# op type -> module name; codes must match runtime_c/include/odl/ops.def
MODULES = {
    "CONV_2D": "conv_2d",
    "DEPTHWISE_CONV_2D": "depthwise_conv_2d",
    "FULLY_CONNECTED": "fully_connected",
    "AVERAGE_POOL_2D": "average_pool_2d",
    "MAX_POOL_2D": "max_pool_2d",
    "MEAN": "mean",
    "ADD": "add",
    "MUL": "mul",
    "PAD": "pad",
    "RESHAPE": "reshape",
    "CONCATENATION": "concatenation",
    "SOFTMAX": "softmax",
    "LOGISTIC": "logistic",
    "QUANTIZE": "quantize",
    "DEQUANTIZE": "dequantize",
    "TRANSPOSE": "transpose",
    "RELU": "relu",
    "RELU6": "relu6",
    "LEAKY_RELU": "leaky_relu",
    "TANH": "tanh",
    "HARD_SWISH": "hard_swish",
    "STRIDED_SLICE": "strided_slice",
    "SUB": "sub",
    "MAXIMUM": "maximum",
    "MINIMUM": "minimum",
    "SQUEEZE": "squeeze",
    "EXPAND_DIMS": "expand_dims",
    "SLICE": "slice",
    "SPLIT": "split",
    "SPLIT_V": "split_v",
    "PACK": "pack",
    "UNPACK": "unpack",
    "SUM": "sum",
    "TRANSPOSE_CONV": "transpose_conv",
    "RESIZE_NEAREST_NEIGHBOR": "resize_nearest_neighbor",
    "RESIZE_BILINEAR": "resize_bilinear",
    "PRELU": "prelu",
    "CAST": "cast",
    "GATHER": "gather",
    "SVDF": "svdf",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "unidirectional_sequence_lstm",
    "DIV": "div",
    "ARG_MAX": "arg_max",
    "ARG_MIN": "arg_min",
    "REDUCE_MAX": "reduce_max",
    "ABS": "abs",
    "PADV2": "padv2",
    "SPACE_TO_BATCH_ND": "space_to_batch_nd",
    "BATCH_TO_SPACE_ND": "batch_to_space_nd",
    "DEPTH_TO_SPACE": "depth_space",
    "SPACE_TO_DEPTH": "depth_space",
    "BATCH_MATMUL": "batch_matmul",
    "SQUARED_DIFFERENCE": "squared_difference",
    "RSQRT": "rsqrt",
    "BROADCAST_TO": "broadcast_to",
    "EQUAL": "comparisons",
    "NOT_EQUAL": "comparisons",
    "GREATER": "comparisons",
    "GREATER_EQUAL": "comparisons",
    "LESS": "comparisons",
    "LESS_EQUAL": "comparisons",
    "SELECT_V2": "select_v2",
    "MIRROR_PAD": "mirror_pad",
    "GATHER_ND": "gather_nd",
    "ADD_N": "add_n",
    "ELU": "elu",
    "L2_NORMALIZATION": "l2_normalization",
    "LOG_SOFTMAX": "log_softmax",
    "REDUCE_MIN": "reduce_min",
    "REVERSE_V2": "reverse_v2",
    "CUMSUM": "cumsum",
    "LOGICAL_AND": "logical",
    "LOGICAL_OR": "logical",
    "LOGICAL_NOT": "logical",
    "FILL": "fill",
    "EMBEDDING_LOOKUP": "embedding_lookup",
    "L2_POOL_2D": "l2_pool_2d",
    "DYNAMIC_UPDATE_SLICE": "dynamic_update_slice",
    "REDUCE_ALL": "reduce_all",
    "REDUCE_ANY": "reduce_all",
    "BROADCAST_ARGS": "broadcast_args",
    **dict.fromkeys(("NEG", "SQUARE", "FLOOR", "CEIL", "ROUND", "SQRT", "EXP", "LOG", "SIN", "COS", "FLOOR_DIV",
                     "FLOOR_MOD"),
                    "f32_math"),
    "READ_VARIABLE": "resource_variable",
    "ASSIGN_VARIABLE": "resource_variable",
    "IF": "control_flow",
    "WHILE": "control_flow",
    "CALL_ONCE": "control_flow",
    "CUSTOM:TFLite_Detection_PostProcess": "detection_postprocess",
    "CUSTOM:CIRCULAR_BUFFER": "circular_buffer",
    "CUSTOM:BasicClassifier": "basic_classifier",
    # TFLite Micro's signal library (custom ops; audio front ends)
    "CUSTOM:SignalWindow": "signal_window",
    "CUSTOM:SignalFftAutoScale": "signal_fft_auto_scale",
    "CUSTOM:SignalRfft": "signal_rfft",
    "CUSTOM:SignalEnergy": "signal_energy",
    "CUSTOM:SignalFilterBank": "signal_filter_bank",
    "CUSTOM:SignalFilterBankSquareRoot": "signal_filter_bank_square_root",
    "CUSTOM:SignalFilterBankSpectralSubtraction": "signal_spectral_subtraction",
    "CUSTOM:SignalPCAN": "signal_pcan",
    "CUSTOM:SignalFilterBankLog": "signal_filter_bank_log",
    "CUSTOM:SignalDelay": "signal_delay",
    "CUSTOM:SignalOverlapAdd": "signal_overlap_add",
    "CUSTOM:SignalFramer": "signal_framer",
    "CUSTOM:SignalStacker": "signal_stacker",
    "CUSTOM:SignalIrfft": "signal_irfft",
}


@dataclass
class Lowered:
    """How one IR op appears in the generated C.

    inputs: tensor names, None for an absent optional input (-1 in C), or a
    numpy array that becomes a new const tensor (e.g. per-channel multipliers).
    """

    inputs: list = field(default_factory=list)
    params: list[int] = field(default_factory=list)
    opcode: int | None = None  # a C op other than the module's OPCODE (e.g. the int16 kernels)


_cache: dict[str, ModuleType | None] = {}


def get(op_type: str) -> ModuleType | None:
    if op_type not in MODULES:
        return None
    if op_type not in _cache:
        try:
            _cache[op_type] = importlib.import_module(f"pytool.ops.{MODULES[op_type]}")
        except ModuleNotFoundError as e:
            if e.name != f"pytool.ops.{MODULES[op_type]}":
                raise
            _cache[op_type] = None
    return _cache[op_type]


def supported() -> list[str]:
    return [t for t in MODULES if get(t) is not None]


def as_int32(values) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.int64).astype(np.int32))
