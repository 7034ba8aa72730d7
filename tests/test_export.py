"""`tinyodl export`: the .tflite written from the device's weights, run in
TFLite Micro, against the device's own inference (odl_invoke / INFER).

- sparse update: the exported int8 model gives the device's bytes.
- FP16 backprop: the head is exported as float32 ops holding the FP16
  weights; TFLite Micro's FP32 arithmetic differs from the device's FP16
  storage by rounding only: same predictions, logits within
  2^-9 * max(1, max|logit|), most outputs byte-identical.
- forward gradient: int16 weights are rounded to int8 (TFLite has no
  int8 x int16 kernels); predictions agree on >= 97 % of field_test.

The host build stands in for the device (bit-exact with the QEMU boards,
tests/test_fp16_qemu.py and tests/test_train_qemu.py); the QEMU tests at the
end go through the link and the CLI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, tflm_run

from pytool import compile_model, load_host
from pytool.export import export_graph, export_tflite, split_payload
from pytool.frontends.tflite_writer import write_tflite
from pytool.ir import Graph, Op, QuantParams, Tensor
from pytool.training import TrainSpec
from pytool.training.fp16 import build_plan
from pytool.training.fp16_ref import quantize_logits
from pytool.training.loop import load_dataset

DIGITS = ROOT / "examples" / "digits"
MODEL = DIGITS / "digits_int8_tf.tflite"
LOGIT_BOUND = 2.0**-9  # relative to max(1, max|logit|): a few FP16 roundings of the head
FG_AGREEMENT = 0.97  # forward gradient: argmax agreement device vs export (measured 99.2-99.6 %)


def _trained(tmp: Path, method: str, epochs: int, **opts):
    spec = TrainSpec.for_method(method, **opts)
    art = compile_model(MODEL, tmp / spec.key(), train=spec)
    net = load_host(art)
    field = load_dataset(DIGITS / "field.npz", net.inputs[0])
    for e in range(epochs):
        for i in np.random.default_rng(e).permutation(len(field)):
            net.train_step(field.x[i], int(field.y[i]))
    test = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
    xs = [x.reshape(net.inputs[0].shape) for x in test.x]
    return art, net, xs, test.y


def _payload(art, net) -> bytes:
    """What READ_WEIGHTS returns: the trainable tensors in the train config's order."""
    return b"".join(net.tensor(i).tobytes() for i in art.meta["trainable_order"])


def test_quantize_logits_is_tflite_quantize(tmp_path):
    """The device's float -> int8 step of FP16 inference is TFLite's QUANTIZE,
    halves and saturation included."""
    scale, zp = np.float32(0.22655709), 3
    k = np.arange(-140, 140, dtype=np.float32)
    rng = np.random.default_rng(0)
    x = np.concatenate([(k + np.float32(0.5)) * scale, k * scale, rng.normal(0, 20, 400).astype(np.float32),
                        np.float32([0.0, -0.0, 1e4, -1e4, 6e4, -6e4])]).astype(np.float32)
    x = np.concatenate([x, np.zeros(-x.size % 64, np.float32)])
    g = Graph(inputs=["x"], outputs=["q"])
    g.add_tensor(Tensor("x", (1, 64), "float32"))
    g.add_tensor(Tensor("q", (1, 64), "int8", quant=QuantParams(scale, zp)))
    g.ops.append(Op("QUANTIZE", ["x"], ["q"]))
    write_tflite(g, tmp_path / "q.tflite")
    want = np.concatenate(tflm_run(tmp_path / "q.tflite", list(x.reshape(-1, 1, 64)))).reshape(-1)
    np.testing.assert_array_equal(quantize_logits(x, scale, zp), want)


def test_sparse_export_gives_the_device_bytes(tmp_path):
    art, net, xs, _ = _trained(tmp_path, "sparse", 1)
    export_tflite(art.dir, _payload(art, net), tmp_path / "tuned.tflite")
    for x, r in zip(xs, tflm_run(tmp_path / "tuned.tflite", xs)):
        np.testing.assert_array_equal(net.invoke(x).reshape(-1), r.reshape(-1))


@pytest.fixture(scope="module")
def fp16_trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export_fp16")
    art, net, xs, ys = _trained(tmp, "fp16", 2, lr=0.002, momentum=0.9)
    return tmp, art, net, xs, ys


def test_fp16_export_is_int8_backbone_float_head(fp16_trained):
    tmp, art, net, xs, _ = fp16_trained
    from pytool.compiler import load_graph

    factory = load_graph(MODEL)
    plan = build_plan(factory, TrainSpec(**art.meta["train"]))
    g = export_graph(art.dir, _payload(art, net))
    types = [(op.type, g.tensors[op.outputs[0]].dtype) for op in g.ops]
    first, last = plan.first_op, plan.layers[-1].op_index
    n_bound = len(plan.boundaries)
    # the frozen part and the tail are the factory's int8 ops, unchanged
    assert types[:first] == [(op.type, "int8") for op in factory.ops[:first]]
    for op in g.ops[:first]:
        for n in op.inputs:
            if g.tensors[n].data is not None:
                np.testing.assert_array_equal(g.tensors[n].data, factory.tensors[n].data)
    assert types[first : first + n_bound] == [("DEQUANTIZE", "float32")] * n_bound
    head = types[first + n_bound : -2]
    assert head == [(op.type, "float32") for op in factory.ops[first : last + 1]]
    assert types[-2:] == [("QUANTIZE", "int8"), ("SOFTMAX", "int8")]
    out, fout = g.tensors[g.outputs[0]], factory.tensors[factory.outputs[0]]
    assert (out.shape, out.dtype, out.quant.scale[0], out.quant.zero_point[0]) == (
        fout.shape, fout.dtype, fout.quant.scale[0], fout.quant.zero_point[0])
    # the head's float32 weights are exactly the device's FP16 weights
    trained = split_payload(art.meta, _payload(art, net))
    for name, arr in trained.items():
        ir_name = name.split(":", 1)[1]
        w = next(g.tensors[n].data for op in g.ops for n in op.inputs if n.startswith(ir_name + "/"))
        np.testing.assert_array_equal(w, arr.astype(np.float32))


def test_fp16_export_in_tflite_micro_matches_the_device(fp16_trained):
    tmp, art, net, xs, ys = fp16_trained
    g = export_graph(art.dir, _payload(art, net))
    write_tflite(g, tmp / "tuned.tflite")
    float_logits = next(op.inputs[0] for op in g.ops if op.type == "QUANTIZE")
    g.outputs = [float_logits]
    write_tflite(g, tmp / "tuned_logits.tflite")
    outs, logits = tflm_run(tmp / "tuned.tflite", xs), tflm_run(tmp / "tuned_logits.tflite", xs)
    logits_name = "fp16:" + float_logits.rsplit("/fp16_head", 1)[0]
    same = 0
    for x, o, z in zip(xs, outs, logits):
        dev = net.invoke(x).reshape(-1)
        dz = net.tensor(logits_name).astype(np.float32).reshape(-1)
        assert int(np.argmax(dev)) == int(np.argmax(o)), "predictions must agree"
        err = float(np.abs(dz - z.reshape(-1)).max())
        assert err <= LOGIT_BOUND * max(1.0, float(np.abs(dz).max())), err
        same += np.array_equal(dev, o.reshape(-1))
    assert same >= 0.95 * len(xs), same / len(xs)
    acc = np.mean([int(np.argmax(o)) == int(y) for o, y in zip(outs, ys)])
    assert acc > 0.7, "the export carries what the device learned"


def test_forward_grad_export_agreement(tmp_path):
    """int16 weights rounded to int8: outputs differ, predictions mostly agree."""
    art, net, xs, ys = _trained(tmp_path, "forward-grad", 3)
    export_tflite(art.dir, _payload(art, net), tmp_path / "tuned.tflite")
    ref = tflm_run(tmp_path / "tuned.tflite", xs)
    dev = [net.invoke(x) for x in xs]
    agree = np.mean([int(np.argmax(d)) == int(np.argmax(r)) for d, r in zip(dev, ref)])
    assert agree >= FG_AGREEMENT, agree
    acc_dev = np.mean([int(np.argmax(d)) == int(y) for d, y in zip(dev, ys)])
    acc_tflm = np.mean([int(np.argmax(r)) == int(y) for r, y in zip(ref, ys)])
    assert abs(acc_dev - acc_tflm) <= 1 - FG_AGREEMENT
    assert any(not np.array_equal(d.reshape(-1), r.reshape(-1)) for d, r in zip(dev, ref)), \
        "rounding int16 weights to int8 is expected to move some outputs (else this test measures nothing)"


QEMU_CASES = [("fp16", "mps3-an547", dict(lr=0.002, momentum=0.9)), ("forward-grad", "mps2-an386", {})]


@pytest.mark.qemu
@pytest.mark.parametrize("method,board,opts", QEMU_CASES, ids=[c[0] for c in QEMU_CASES])
def test_export_from_a_board_in_tflite_micro(tmp_path, capsys, method, board, opts):
    """Train on the emulated board, `tinyodl export` over the link, then the
    device's INFER against the exported model in TFLite Micro on field_test."""
    from pytool.cli import main
    from pytool.link import Link
    from pytool.link.train import train_step
    from pytool.targets import QemuSession, build_firmware, get_board

    spec = TrainSpec.for_method(method, **opts)
    art = compile_model(MODEL, tmp_path / "build", train=spec)
    host = load_host(art)
    field = load_dataset(DIGITS / "field.npz", host.inputs[0])
    test = load_dataset(DIGITS / "field_test.npz", host.inputs[0])
    xs = [x.reshape(host.inputs[0].shape) for x in test.x]
    elf = build_firmware(art.dir, get_board(board), tmp_path / "fw", mode="link")
    out = tmp_path / "tuned.tflite"
    with QemuSession(elf, board, timeout=120) as q:
        with Link(q.url, timeout=10.0) as link:
            for i in np.random.default_rng(0).permutation(len(field))[:300]:
                train_step(link, field.x[i], int(field.y[i]))
        assert main(["export", "--port", q.url, "--build", str(art.dir), "-o", str(out)]) == 0
        with Link(q.url, timeout=10.0) as link:
            dev = [link.infer(x) for x in xs]
    assert "generation" in capsys.readouterr().out
    ref = tflm_run(out, xs)
    agree = np.mean([int(np.argmax(d)) == int(np.argmax(r)) for d, r in zip(dev, ref)])
    assert agree >= (1.0 if method == "fp16" else FG_AGREEMENT), agree
    acc = np.mean([int(np.argmax(d)) == int(y) for d, y in zip(dev, test.y)])
    assert acc > 0.7, "the board learned the shift"
