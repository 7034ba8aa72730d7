"""Every class of bad input a user (or a corrupted file or line) can hand
tinyodl: one clear error line naming the file and the field / op, a
non-zero exit, nothing half-written. Data files, model files, the command
line, and the device link (error answers carry no stale payload; the
reserved seq 0xFFFF is never executed)."""

from __future__ import annotations

import io
import struct
import zipfile

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from conftest import ROOT, fixture_path

from pytool.cli import main
from pytool.link import protocol as proto
from pytool.link.demo_device import ACCUM_CMD, new_device
from pytool.link.hostsim import SimPort

DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"


def run_cli(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


@pytest.fixture(scope="module")
def field():
    z = np.load(DIGITS / "field.npz")
    return z["x"][:24], z["y"][:24]


def _data_cases(x, y):
    return {
        "nan-label": (dict(x=x, y=np.where(np.arange(len(y)) == 3, np.nan, y.astype(float))), "NaN"),
        "negative-label": (dict(x=x, y=-1 - y), "negative"),
        "fractional-label": (dict(x=x, y=y + 0.5), "whole class"),
        "huge-label": (dict(x=x, y=y + 10**12), "out of range"),
        "label-out-of-range": (dict(x=x, y=y + 10), "10 classes"),
        "length-mismatch": (dict(x=x, y=y[:5]), "5 labels for 24"),
        "scalar-x": (dict(x=np.float32(1), y=y), "scalar"),
        "int16-x": (dict(x=x.astype(np.int16), y=y), "int16"),
        "uint8-x": (dict(x=x.astype(np.uint8), y=y), "uint8"),
        "bool-x": (dict(x=x > 0, y=y), "bool"),
        "str-x": (dict(x=np.array(["a"] * len(y)), y=y), "<U1"),
        "complex-x": (dict(x=x.astype(complex), y=y), "complex"),
        "nan-x": (dict(x=np.where(x > 0.5, np.nan, x), y=y), "NaN or infinite"),
        "inf-x": (dict(x=np.where(x > 0.5, np.inf, x), y=y), "NaN or infinite"),
        "1e30-x": (dict(x=x * 1e30, y=y), "far outside"),
        "nchw-x": (dict(x=x.transpose(0, 3, 1, 2), y=y), "--layout nchw"),
        "missing-y": (dict(x=x), "no array 'y'"),
        "empty-x": (dict(x=x[:0], y=y[:0]), "no samples"),
        "string-labels": (dict(x=x, y=np.array(["a"] * len(y))), "labels are"),
    }


def _write_bad_files(tmp, x, y) -> dict[str, tuple]:
    files = {}
    for name, (arrays, expect) in _data_cases(x, y).items():
        p = tmp / f"{name}.npz"
        np.savez(p, **arrays)
        files[name] = (p, expect)
    ok = tmp / "ok.npz"
    np.savez(ok, x=x, y=y)
    raw = ok.read_bytes()
    (tmp / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    files["truncated"] = (tmp / "truncated.npz", "not a readable .npz")
    (tmp / "empty.npz").write_bytes(b"")
    files["empty-file"] = (tmp / "empty.npz", "not a readable .npz")
    np.save(tmp / "plain.npy", x)
    files["plain-npy"] = (tmp / "plain.npy", "plain .npy")
    # A header claiming a huge shape over a few bytes: refused before allocating.
    huge = tmp / "huge.npz"
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False,
                                                "shape": (10**12, 8, 8, 1)})
    with zipfile.ZipFile(huge, "w") as z:
        z.writestr("x.npy", head.getvalue() + b"\0" * 64)
        z.writestr("y.npy", head.getvalue())
    files["huge-header"] = (huge, "refusing to load")
    return files


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, field):
    return _write_bad_files(tmp_path_factory.mktemp("bad"), *field)


@pytest.fixture(scope="module")
def train_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "fg"
    assert main(["compile", str(MODEL), "--train", "forward-grad", "-o", str(out)]) == 0
    return out


CASES = sorted(_data_cases(np.zeros((2, 8, 8, 1), np.float32), np.zeros(2, np.int64))) + [
    "truncated", "empty-file", "plain-npy", "huge-header"]


@pytest.mark.parametrize("case", CASES)
def test_bad_training_data_is_one_clear_error(case, bad_files, train_build, capsys, tmp_path):
    path, expect = bad_files[case]
    rc, text = run_cli(capsys, "train", train_build, "--data", path)
    assert rc == 1, text
    assert "Traceback" not in text and path.name in text and expect in text, text
    # plan / compile --scheme-data read the same files the same way, and write nothing
    rc, text = run_cli(capsys, "compile", MODEL, "--train", "sparse", "--scheme-data", path, "-o", tmp_path / "o")
    assert rc == 1 and path.name in text, text
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.*"))


def test_layout_nchw_is_rejected_then_accepted(tmp_path, field, capsys):
    x = field[0][:3]
    build = tmp_path / "b"
    assert main(["compile", str(MODEL), "-o", str(build)]) == 0
    np.save(tmp_path / "nchw.npy", x.transpose(0, 3, 1, 2))
    rc, text = run_cli(capsys, "run", build, "--input", tmp_path / "nchw.npy")
    assert rc == 1 and "expects [N, 8, 8, 1]" in text and "[3, 1, 8, 8]" in text and "--layout nchw" in text
    rc, nchw = run_cli(capsys, "run", build, "--input", tmp_path / "nchw.npy", "--layout", "nchw")
    np.save(tmp_path / "nhwc.npy", x)
    rc2, nhwc = run_cli(capsys, "run", build, "--input", tmp_path / "nhwc.npy")
    assert rc == rc2 == 0 and nchw.splitlines()[-1] == nhwc.splitlines()[-1]
    assert nhwc.splitlines()[-1].startswith("argmax: [") and len(nhwc.splitlines()[-1].split()) == 4  # a batch of 3


def _rewrite(src, dst, edit):
    model = schema.ModelT.InitFromPackedBuf(bytearray(src.read_bytes()), 0)
    edit(model)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    dst.write_bytes(bytes(b.Output()))
    return dst


def _set_scale(value):
    def edit(m):
        t = m.subgraphs[0].tensors[m.subgraphs[0].operators[0].outputs[0]]
        t.quantization.scale = [value]
    return edit


def _set_shape(shape):
    def edit(m):
        m.subgraphs[0].tensors[m.subgraphs[0].operators[0].outputs[0]].shape = shape
    return edit


def _no_outputs(m):
    m.subgraphs[0].outputs = []


MODEL_CASES = {
    "nan-scale": (_set_scale(float("nan")), "scale nan"),
    "inf-scale": (_set_scale(float("inf")), "scale inf"),
    "neg-inf-scale": (_set_scale(float("-inf")), "scale -inf"),
    "zero-scale": (_set_scale(0.0), "scale 0.0"),
    "negative-dim": (_set_shape([1, -3, 4, 4]), "shape"),
    "empty-shape": (_set_shape([]), "op #"),
    "huge-dim": (_set_shape([1, 1 << 30, 1, 1]), "shape"),
    "no-outputs": (_no_outputs, "lists no outputs"),
}


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
@pytest.mark.parametrize("command", ["inspect", "compile"])
def test_bad_model_is_one_clear_error(case, command, tmp_path, capsys):
    edit, expect = MODEL_CASES[case]
    p = _rewrite(fixture_path("conv_s1_same_relu"), tmp_path / f"{case}.tflite", edit)
    args = [command, p] + (["-o", tmp_path / "out"] if command == "compile" else [])
    rc, text = run_cli(capsys, *args)
    assert rc == 1 and "Traceback" not in text, text
    assert p.name in text and expect in text, text
    assert not (tmp_path / "out").exists()


def test_cli_errors(tmp_path, capsys):
    rc, text = run_cli(capsys, "compile", MODEL, "--target", "esp32", "-o", tmp_path / "x")
    assert rc == 1 and "unknown target 'esp32'" in text and "mps2-an386" in text
    assert not (tmp_path / "x").exists()
    rc, text = run_cli(capsys, "run", tmp_path / "nope", "--input", DIGITS / "test.npz")
    assert rc == 1 and "no such build folder" in text and "Errno" not in text
    rc, text = run_cli(capsys, "flash", tmp_path / "nope", "--target", "mps2-an386")
    assert rc == 1 and "tinyodl build" in text and "build_firmware" not in text
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    assert "--calib" not in capsys.readouterr().out


def test_reserved_seq_is_never_executed():
    dev = new_device()
    port = SimPort(dev)
    port.write(proto.encode(proto.Frame(ACCUM_CMD, proto.SEQ_NONE, struct.pack("<I", 5))))
    frames = proto.FrameReader().feed(port.read(1 << 20))
    assert dev.accum_total == 0
    assert [(f.seq, f.status, f.payload) for f in frames] == [(proto.SEQ_NONE, proto.LinkStatus.BAD_FRAME, b"")]


@pytest.mark.parametrize("cmd,payload", [(proto.Cmd.GET_OUTPUT, b"\x07\x00\x00\x00\x00\x00"),
                                         (proto.Cmd.SET_INPUT, b"\x01"), (proto.Cmd.INFER, b"\x01\x02")])
def test_error_answers_carry_no_payload(cmd, payload):
    dev = new_device()
    port = SimPort(dev)
    # a big answer first, so a stale transmit buffer would show
    port.write(proto.encode(proto.Frame(proto.Cmd.INFO, 1, b"")))
    assert proto.FrameReader().feed(port.read(1 << 20))[-1].payload
    port.write(proto.encode(proto.Frame(cmd, 2, payload)))
    f = proto.FrameReader().feed(port.read(1 << 20))[-1]
    assert f.status != 0 and f.payload == b"", (f.status, len(f.payload))


@pytest.mark.slow
def test_write_weights_is_validated_on_write(tmp_path):
    """WRITE_WEIGHTS with values forward-grad's init refuses (outside its
    guard band) is rejected and rolled back, so COMMIT + reboot still load."""
    from pytool import compile_model
    from pytool.compiler import load_graph
    from pytool.link import Link, Nack
    from pytool.link import persist as lp
    from pytool.link import persist_sim as ps
    from pytool.link.hostsim import build_device_module
    from pytool.training import TrainSpec

    art = compile_model(load_graph(MODEL), tmp_path / "fg",
                        train=TrainSpec(method="forward-grad", trainable="last:1", seed=1))
    # The store commands only: the check needs the model's training config, not the TRAIN command.
    extra = '#include "odl/persist.h"\n#define SIM_SLOT_SIZE 4096u\n' + ps.SIM_NV_C + ps.LINK_C
    ffi, lib = build_device_module(
        "fg_store", (art.dir / "model.c").read_text().replace('#include "model.h"\n', ""), extra,
        ps.SIM_NV_CDEF + ps.STORE_CDEF + ps.LINK_CDEF)
    nv = ps.SimNV(ffi, lib)

    def boot():
        dev = ps.StoreLinkDevice(ffi, lib, nv)
        return dev, Link(SimPort(dev), timeout=0.2, retries=2)

    dev, link = boot()
    good, digest = lp.read_weights(link)
    bad = b"\xff\x7f" * (len(good) // 2)  # int16 32767: beyond the guard band
    with pytest.raises(Nack) as e:
        lp.write_weights(link, bad)
    assert e.value.status == 11  # ODL_ERR_TRAIN, the method's own verdict
    assert lp.read_weights(link) == (good, digest)  # rolled back
    changed = bytearray(good)
    changed[0] ^= 1
    lp.write_weights(link, bytes(changed))  # a value the method accepts
    assert lp.commit(link).wrote
    dev, link = boot()  # reboot: the store loads its own commit
    assert lp.read_weights(link)[0] == bytes(changed)
    assert lp.summary(link).generation == 1
