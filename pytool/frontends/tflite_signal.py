"""Options of TFLite Micro's signal-library custom ops (audio front ends).

A custom op's options are a flexbuffer map in `custom_options`; TFLite Micro
reads them by position in the key-sorted map, we read them by name and
refuse a missing or non-integer option with one line naming the op and key.
SpectralSubtraction keeps its noise estimate inside the op in TFLite Micro;
here it becomes a variable tensor (zeroed like the reference's Prepare and
Reset), appended to the op's inputs."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op, Tensor

# op type -> the integer (or bool) options the kernel reads
OPTIONS: dict[str, tuple[str, ...]] = {
    "CUSTOM:SignalWindow": ("shift",),
    "CUSTOM:SignalFftAutoScale": (),
    "CUSTOM:SignalRfft": ("fft_length",),
    "CUSTOM:SignalEnergy": ("start_index", "end_index"),
    "CUSTOM:SignalFilterBank": ("num_channels",),
    "CUSTOM:SignalFilterBankSquareRoot": (),
    "CUSTOM:SignalFilterBankSpectralSubtraction": (
        "alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining",
        "num_channels", "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits"),
    "CUSTOM:SignalPCAN": ("snr_shift",),
    "CUSTOM:SignalFilterBankLog": ("input_correction_bits", "output_scale"),
}
STATEFUL = {"CUSTOM:SignalFilterBankSpectralSubtraction"}


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
        if len(op.outputs) != 2:
            raise ctx.error(f"expected 2 outputs (output, noise estimate), got {len(op.outputs)}")
        ref = g.tensors[op.outputs[1]]
        name = g.unique_name(f"{op.name}/noise_state")
        g.add_tensor(Tensor(name, ref.shape, "uint32"))
        g.meta.setdefault("variables", {})[name] = np.zeros(ref.shape, np.uint32)
        op.inputs = [*op.inputs, name]
