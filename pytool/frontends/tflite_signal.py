"""Options of TFLite Micro's signal-library custom ops (audio front ends).

A custom op's options are a flexbuffer map in `custom_options`; TFLite Micro
reads them by position in the key-sorted map, we read them by name and
refuse a missing or non-integer option with one line naming the op and key.
Ops that keep state inside the TFLite Micro kernel (SpectralSubtraction's
noise estimate, the queues of Delay, Framer, Stacker, OverlapAdd) get it as a
variable tensor appended to their inputs, initialised as the reference's
Prepare / Reset leaves it."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op, Tensor

# op type -> the integer (or bool) options the kernel reads
OPTIONS: dict[str, tuple[str, ...]] = {
    "CUSTOM:SignalWindow": ("shift",),
    "CUSTOM:SignalFftAutoScale": (),
    "CUSTOM:SignalRfft": ("fft_length",),
    "CUSTOM:SignalIrfft": ("fft_length",),
    "CUSTOM:SignalEnergy": ("start_index", "end_index"),
    "CUSTOM:SignalFilterBank": ("num_channels",),
    "CUSTOM:SignalFilterBankSquareRoot": (),
    "CUSTOM:SignalFilterBankSpectralSubtraction": (
        "alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining",
        "num_channels", "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits"),
    "CUSTOM:SignalPCAN": ("snr_shift",),
    "CUSTOM:SignalFilterBankLog": ("input_correction_bits", "output_scale"),
    "CUSTOM:SignalDelay": ("delay_length",),
    "CUSTOM:SignalOverlapAdd": ("frame_step",),
    "CUSTOM:SignalFramer": ("frame_size", "frame_step", "prefill"),
    "CUSTOM:SignalStacker": ("num_channels", "stacker_left_context", "stacker_right_context", "stacker_step"),
}


def _noise_state(g: Graph, op: Op, error) -> np.ndarray:
    if len(op.outputs) != 2:
        raise error(f"expected 2 outputs (output, noise estimate), got {len(op.outputs)}")
    return np.zeros(g.tensors[op.outputs[1]].shape, np.uint32)


def _queue_state(module: str):
    def make(g: Graph, op: Op, error) -> np.ndarray:
        from importlib import import_module

        if len(op.inputs) != 1:
            raise error(f"expected 1 input, got {len(op.inputs)}")
        x = g.tensors[op.inputs[0]]
        return import_module(f"pytool.ops.{module}").state_spec(x.shape, op.attrs, x.dtype)

    return make


# Ops whose TFLite Micro kernel keeps state inside the op: the initial value of the variable we add.
STATEFUL = {
    "CUSTOM:SignalFilterBankSpectralSubtraction": _noise_state,
    "CUSTOM:SignalDelay": _queue_state("signal_delay"),
    "CUSTOM:SignalOverlapAdd": _queue_state("signal_overlap_add"),
    "CUSTOM:SignalFramer": _queue_state("signal_framer"),
    "CUSTOM:SignalStacker": _queue_state("signal_stacker"),
}


def decode_options(raw: bytes, op_type: str, keys: tuple[str, ...], error) -> dict:
    if not keys:
        return {}
    from flatbuffers import flexbuffers

    if not raw:
        raise error(f"custom options are missing (a flexbuffer map with {', '.join(keys)} is expected)")
    try:
        m = flexbuffers.Loads(bytes(raw))
    except Exception as e:  # the flexbuffer decoder raises many kinds on garbage
        raise error(f"custom options are not a valid flexbuffer ({type(e).__name__}: {e})") from None
    if not isinstance(m, dict):
        raise error(f"custom options are a flexbuffer {type(m).__name__}, a map is expected")
    out = {}
    for k in keys:
        if k not in m:
            raise error(f"custom option '{k}' is missing")
        v = m[k]
        if isinstance(v, bool | int | np.integer) and not isinstance(v, float):
            out[k] = int(v)
        else:
            raise error(f"custom option '{k}' is {type(v).__name__} {v!r}, an integer is expected")
    return out


def read_attrs(g: Graph, op: Op, fb_op, ctx) -> None:
    raw = fb_op.CustomOptionsAsNumpy()
    raw = b"" if isinstance(raw, int) else raw.tobytes()
    op.attrs = decode_options(raw, op.type, OPTIONS[op.type], ctx.error)
    if op.type in STATEFUL:
        init = STATEFUL[op.type](g, op, ctx.error)
        name = g.unique_name(f"{op.name}/state")
        g.add_tensor(Tensor(name, init.shape, init.dtype.name))
        g.meta.setdefault("variables", {})[name] = init
        op.inputs = [*op.inputs, name]
