"""Rfft / Irfft link only the FFT their model needs: the lowering picks one C
op per sample type and radix set (power of two or mixed 2/3/4/5), the
power-of-two decoders refuse other plans, and a power-of-two int16 front
end's firmware holds none of the other FFTs."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_cdef import RUNTIME_CDEF
from signal_build import preprocessor_model
from test_signal_ops import CASES, float_fft_model

from pytool import compile_model
from pytool import ops as opreg
from pytool.host import cbuild
from pytool.reference import run_int8

CDEF = RUNTIME_CDEF + """
int odl_op_dispatch(odl_ctx_t *, const odl_op_t *);
"""
DTYPE_CODE = {"int16": 2, "int32": 3, "float32": 5}
ODL_OK, ODL_ERR_UNSUPPORTED = 0, 3

# model -> the (op type, C opcode) its lowering picks
PICKS = {
    "rfft_512_padded": [("CUSTOM:SignalRfft", 117)],
    "rfft_48_radix3": [("CUSTOM:SignalRfft", 114)],
    "rfft_int32_rows": [("CUSTOM:SignalRfft", 118)],
    "rfft_int32_40_radix5": [("CUSTOM:SignalRfft", 115)],
    "rfft_float32": [("CUSTOM:SignalRfft", 119)],
    "irfft_512": [("CUSTOM:SignalIrfft", 123)],
    "irfft_60_radix3_5": [("CUSTOM:SignalIrfft", 120)],
    "irfft_int32": [("CUSTOM:SignalIrfft", 124)],
    "irfft_int32_24": [("CUSTOM:SignalIrfft", 121)],
    "irfft_float32": [("CUSTOM:SignalIrfft", 125)],
    "irfft_float32_90": [("CUSTOM:SignalIrfft", 122)],
}


def _lowered(g) -> list:
    return [(op, opreg.get(op.type).lower(g, op)) for op in g.ops if "fft" in op.type.lower()]


@pytest.mark.parametrize("name", sorted(PICKS))
def test_lowering_picks_the_typed_radix_op(name, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(CASES[name][0]())
    art = compile_model(path, out_dir=tmp_path / "b")
    assert [(op.type, low.opcode) for op, low in _lowered(art.graph)] == PICKS[name]
    assert [(c.type, c.opcode) for c in art.program.ops if "fft" in c.type.lower()] == PICKS[name]


@pytest.fixture(scope="module")
def lib():
    return cbuild.build("signal_fft_link", CDEF, '#include "odl/ops.h"\n', cbuild.runtime_sources())


def _run(lib, code: int, arrays: list[np.ndarray], out: np.ndarray, params: list[int]) -> int:
    ffi, c = lib
    entries = [*arrays, out]
    tensors = ffi.new("odl_tensor_t[]", len(entries))
    keep = []
    for k, a in enumerate(entries):
        t = tensors[k]
        t.dtype, t.rank, t.bytes, t.offset = DTYPE_CODE[a.dtype.name], a.ndim, a.nbytes, -1
        for d in range(a.ndim):
            t.dims[d] = a.shape[d]
        keep.append(ffi.from_buffer(a))
        t.data = keep[-1]
    model = ffi.new("odl_model_t*", {"n_tensors": len(entries), "tensors": tensors})
    ctx = ffi.new("odl_ctx_t*", {"model": model})
    ins, outs = ffi.new("int16_t[]", list(range(len(arrays)))), ffi.new("int16_t[]", [len(arrays)])
    p = ffi.new("int32_t[]", params)
    op = ffi.new("odl_op_t*", {"code": code, "n_inputs": len(arrays), "n_outputs": 1, "inputs": ins,
                               "outputs": outs, "params": p, "n_params": len(params)})
    return c.odl_op_dispatch(ctx, op)


@pytest.mark.parametrize("name, generic", [("rfft_48_radix3", 102), ("rfft_512_padded", 102),
                                           ("irfft_60_radix3_5", 113), ("irfft_512", 113)])
def test_typed_decoders_match_the_run_time_typed_one(lib, name, generic, tmp_path):
    """The typed op and the run-time-typed op (102 / 113) give the twin's bytes;
    a power-of-two op refuses a plan with radix 3 or 5 rather than computing it."""
    path = tmp_path / "m.tflite"
    path.write_bytes(CASES[name][0]())
    g = compile_model(path, out_dir=tmp_path / "b").graph
    (op, low), = _lowered(g)
    x = np.random.default_rng(3).integers(-3000, 3000, g.tensors[op.inputs[0]].shape).astype(np.int16)
    want = run_int8(g, [x])[0]
    arrays = [x, *(np.ascontiguousarray(g.tensors[t].data if isinstance(t, str) else t) for t in low.inputs[1:])]
    for code in (low.opcode, generic):
        out = np.full(want.shape, 0x55, np.int16)
        assert _run(lib, code, arrays, out, low.params) == ODL_OK
        assert out.tobytes() == want.tobytes(), f"op {code}"
    pow2 = low.opcode + 3 if low.opcode in (114, 120) else None
    if pow2:
        out = np.zeros(want.shape, np.int16)
        assert _run(lib, pow2, arrays, out, low.params) == ODL_ERR_UNSUPPORTED


@pytest.mark.qemu
def test_power_of_two_int16_front_end_links_only_its_fft(tmp_path):
    """The micro_speech front end (int16, fft_length 512) links the power-of-two
    int16 FFT only; the float 240-point model links the mixed-radix float one only."""
    from pytool.targets import build_firmware
    from pytool.targets.size import symbols

    def fft_symbols(model: bytes, sub: str) -> set[str]:
        path = tmp_path / f"{sub}.tflite"
        path.write_bytes(model)
        art = compile_model(path, out_dir=tmp_path / sub)
        syms = symbols(build_firmware(art.dir, "mps2-an386", tmp_path / f"fw_{sub}"), "mps2-an386")
        return {s.split(".")[0] for s in syms if s.startswith(("work_", "odl_signal_rfft", "odl_signal_irfft",
                                                                "odl_op_signal_rfft", "odl_op_signal_irfft"))}

    assert fft_symbols(preprocessor_model(), "front") == {"work_pow2_s16", "odl_signal_rfft_pow2_s16",
                                                         "odl_op_signal_rfft_pow2_s16"}
    assert fft_symbols(float_fft_model(), "float") == {"work_f32", "odl_signal_rfft_f32", "odl_signal_irfft_f32",
                                                       "odl_op_signal_rfft_f32", "odl_op_signal_irfft_f32"}
