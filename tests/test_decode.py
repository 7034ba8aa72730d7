"""TFLite Micro's DECODE (compressed constants), folded while reading: each
decoder / type / channel layout byte-compared with TFLite Micro's own DECODE
(a one-op model whose output is the decoded tensor), compressed FC / conv
weights end to end (TFLite Micro's compressor; C on the host), and malformed
ancillary data refused in one line naming the op and field."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from decode_build import dcm, decode_model, huffman, lut, prune
from test_tflm_ops import check_model
from tflite_build import T, single_op

from pytool.frontends.errors import ModelError
from pytool.frontends.tflite import load_tflite

RNG = np.random.default_rng(16)


def _values(dtype: str, shape: tuple, k: int) -> np.ndarray:
    if dtype == "bool":
        return RNG.integers(0, 2, shape).astype(bool)
    if dtype == "float32":
        pool = RNG.standard_normal(k).astype(np.float32)
    else:
        info = np.iinfo(dtype)
        pool = RNG.integers(max(info.min, -(1 << 40)), min(info.max, 1 << 40), k).astype(dtype)
    return RNG.choice(pool, shape)


def _per_channel(shape: tuple, axis: int) -> tuple:
    n = shape[axis]
    return np.full(n, 0.01), np.zeros(n, np.int64), axis


# name: (encoding, dtype, shape, LUT bits / Huffman (first, sub-table bits, 32-bit table), channel axis)
CASES = {
    "lut_int8_w4": ("lut", "int8", (3, 50), 4, None),  # TFLite Micro's 16-wide fast path
    "lut_int8_w3": ("lut", "int8", (2, 70), 3, None),  # its 32-wide one
    "lut_int8_w2": ("lut", "int8", (4, 37), 2, None),
    "lut_int8_w7": ("lut", "int8", (5, 9), 7, None),
    "lut_int8_w1": ("lut", "int8", (33,), 1, None),
    "lut_int8_per_channel_axis0": ("lut", "int8", (4, 3, 3, 5), 4, 0),
    "lut_int8_per_channel_last": ("lut", "int8", (1, 3, 3, 6), 3, 3),
    "lut_int16_w5": ("lut", "int16", (6, 11), 5, None),
    "lut_int32_per_channel": ("lut", "int32", (4, 10), 3, 0),
    "lut_int64_w2": ("lut", "int64", (2, 6), 2, None),
    "lut_float32_w6": ("lut", "float32", (3, 20), 6, None),
    "lut_bool_w1": ("lut", "bool", (17,), 1, None),
    "huffman_int8_16bit_table": ("huffman", "int8", (9, 13), (3, 2, False), None),
    "huffman_int8_32bit_table": ("huffman", "int8", (40,), (4, 3, True), None),
    "huffman_int16": ("huffman", "int16", (5, 11), (2, 2, True), None),
    "prune_int8": ("prune", "int8", (4, 21), None, None),
    "prune_int8_per_channel_axis0": ("prune", "int8", (3, 2, 2, 4), None, 0),
    "prune_int8_per_channel_last": ("prune", "int8", (1, 3, 3, 5), None, 3),
    "prune_int16": ("prune", "int16", (5, 7), None, None),
    "prune_int32": ("prune", "int32", (19,), None, None),
    "prune_int64": ("prune", "int64", (2, 5), None, None),
    "prune_float32": ("prune", "float32", (3, 9), None, None),
}


def _case(name: str) -> tuple[bytes, np.ndarray]:
    kind, dtype, shape, bits, axis = CASES[name]
    if kind == "huffman":  # skewed symbol counts: codes of several lengths, nested tables
        pool = _values(dtype, (20,), 20)
        p = np.arange(1, 21) ** 2.0
        w = RNG.choice(pool, shape, p=p / p.sum())
        return decode_model(*huffman(w, *bits), T(shape, dtype, 0.05, 0)), w
    w = _values(dtype, shape, (1 << bits) - 1 if bits else 6)
    q = _per_channel(shape, axis) if axis is not None else None
    if kind == "lut":
        enc, anc = lut(w, bits, axis)
    else:
        if dtype == "int8" and q is not None:  # per-channel zero points
            zp = RNG.integers(-20, 20, shape[axis])
            q = (q[0], zp, axis)
            shp = [1] * len(shape)
            shp[axis] = -1
            zero = zp.reshape(shp).astype(np.int8)
        else:
            zero = np.zeros((), dtype)
        w = np.where(RNG.random(shape) < 0.5, zero, w).astype(dtype)
        enc, anc = prune(w, zero)
    zp = -3 if kind == "prune" and dtype == "int8" and q is None else 0
    if zp:
        w = np.where(w == 0, np.int8(zp), w).astype(np.int8)
        enc, anc = prune(w, np.int8(zp))
    scale = 0.05 if dtype not in ("bool", "float32") and q is None else None
    out = T(shape, dtype, scale, zp)
    if q is not None:
        out = T(shape, dtype)
    return decode_model(enc, anc, out, q), w


@pytest.mark.parametrize("name", sorted(CASES))
def test_decode_matches_tflite_micro(name):
    from tflite_micro import runtime

    model, w = _case(name)
    ip = runtime.Interpreter.from_bytes(model)
    ip.invoke()
    want = np.array(ip.get_output(0))
    g = load_tflite(name, model)
    (op,) = g.ops  # the folded output, copied from its constant
    got = g.tensors[op.inputs[0]].data
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    np.testing.assert_array_equal(got, w)


def _compressed_fc_conv(tmp_path) -> list:
    """An FC with LUT weights (per tensor) and a conv with per-channel LUT
    filters and an LUT bias, compressed by TFLite Micro's own compressor (its
    prune and Huffman encoders are stubs)."""
    compress = importlib.import_module("tflite_micro.tensorflow.lite.micro.compression.compress")
    spec = importlib.import_module("tflite_micro.tensorflow.lite.micro.compression.spec")
    from ai_edge_litert import schema_py_generated as s

    w = RNG.choice(np.array([-90, -8, 0, 5, 61, 127], np.int8), (6, 12))
    fc = single_op(9, [T((2, 12), "int8", 0.02, -3), T((6, 12), "int8", 0.011, 0, w), T((2, 6), "int8", 0.07, 4)],
                   [0, 1], [2], model_inputs=[0])
    fc = compress.compress(fc, [spec.Tensor(0, 1, [spec.LookUpTableCompression(3, spec.PerTensor())])])
    o = s.Conv2DOptionsT()
    o.padding, o.strideH, o.strideW = 0, 1, 1
    wc = np.stack([RNG.choice(RNG.integers(-127, 128, 5).astype(np.int8), (3, 3, 2)) for _ in range(4)])
    conv = single_op(3, [T((1, 5, 5, 2), "int8", 0.03, 1), T((4, 3, 3, 2), "int8", 0.01, 0, wc),
                         T((4,), "int32", 0.0003, 0, np.array([0, 900, 0, -77], np.int32)),
                         T((1, 5, 5, 4), "int8", 0.05, -2)], [0, 1, 2], [3], model_inputs=[0],
                     options=o, options_type=1)
    # filter and bias read by one conv: one DECODE with two (encoded, ancillary) pairs
    conv = compress.compress(conv, [spec.Tensor(0, 1, [spec.LookUpTableCompression(3, spec.PerChannel(0))]),
                                    spec.Tensor(0, 2, [spec.LookUpTableCompression(2, spec.PerTensor())])])
    return [("fc_lut", bytes(fc)), ("conv_lut_per_channel", bytes(conv))]


@pytest.mark.filterwarnings("ignore:Compression of tensor")  # a 4-element bias grows; it still tests two pairs
def test_compressed_models_match_tflite_micro(tmp_path):
    from ai_edge_litert import schema_py_generated as s

    for name, model in _compressed_fc_conv(tmp_path):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        decodes = [len(op.outputs) for op in s.ModelT.InitFromPackedBuf(model, 0).subgraphs[0].operators
                   if op.opcodeIndex == 0]  # the compressor's DECODE opcode comes first
        assert decodes == ([2] if name.startswith("conv") else [1])
        g = load_tflite(str(path), model)
        assert not any(op.type.endswith("DECODE") for op in g.ops)
        check_model(path, tmp_path / name, n=2, seed=5)


def _bad(anc: bytes, enc: bytes = b"\x1b\xe4", out=None) -> str:
    out = out or T((8,), "int16" if anc[0] == 1 and not anc[5] & 1 else "int8", 0.1, 0)
    model = decode_model(enc, anc, out)
    with pytest.raises(ModelError) as e:
        load_tflite("bad.tflite", model)
    msg = str(e.value)
    assert "\n" not in msg and "TFLM_DECODE" in msg and "bad.tflite" in msg
    return msg


TABLE = bytes(range(4))


@pytest.mark.parametrize("anc, enc, field", [
    (dcm(1, 1, bytes([1, 0x20])) + TABLE, None, "Huffman output 't2' is int16"),
    (dcm(1, 1, bytes([1, 0x21])) + b"\0" * 8, None, "Huffman table entry 2 is past"),
    # an entry pointing at itself with 16-bit lookups runs past the codewords
    (dcm(1, 1, bytes([1, 0x01])) + bytes.fromhex("00000078") * 2, b"\0" * 4, "codewords end after 4 bytes"),
    (dcm(7) + TABLE, None, "DCM decode type 7 (reserved)"),
    (dcm(200) + TABLE, None, "DCM decode type 200 (custom)"),
    (dcm(0, 2, bytes([1, 2, 4])) + TABLE, None, "DCM version 2"),
    (dcm(0)[:9], None, "DCM header needs 16"),
    (dcm(0, 1, bytes([1, 0, 4])) + TABLE, None, "bit width (DCM byte 5"),
    (dcm(0, 1, bytes([1, 2, 4])) + TABLE[:3], None, "stride (DCM byte 6) 4"),
    (dcm(0, 1, bytes([1, 2, 3])) + TABLE, None, "past the value table stride"),
    (dcm(0, 1, bytes([1, 2, 4])) + TABLE, b"\x1b", "encoded tensor has 1 bytes"),
    (dcm(0, 1, bytes([3, 2, 4])) + TABLE, None, "LUT version (DCM byte 4) 3"),
    (dcm(2, 1, b"\1") + TABLE, b"\xff", "prune mask keeps 8 values"),
])
def test_malformed_decode_is_refused(anc, enc, field):
    assert field in _bad(anc, enc or b"\x1b\xe4")


def test_prune_non_int8_zero_point_refused():
    assert "zero point 5" in _bad(dcm(2, 1, b"\1") + b"\0" * 16, b"\x00", T((8,), "int16", 0.1, 5))


def test_inspect_counts_only_the_decoded_weights(tmp_path, capsys):
    """The encoded and ancillary tensors the fold consumed are not in the generated C: inspect must
    not count them."""
    from pytool.cli import main

    name, model = _compressed_fc_conv(tmp_path)[0]
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    g = load_tflite(str(path), model)
    read = {n for op in g.ops for n in op.inputs}
    want = sum(t.nbytes for n, t in g.tensors.items() if t.is_const and n in read)
    assert want < sum(t.nbytes for t in g.tensors.values() if t.is_const)  # the fold left some behind
    assert main(["inspect", str(path)]) == 0
    assert f"weight bytes: {want:,}" in capsys.readouterr().out
