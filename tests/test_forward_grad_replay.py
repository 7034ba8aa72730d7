"""Forward-gradient steps replayed from (step, projected-gradient scalars):
odl_fg_apply (odl/forward_grad.h) on a second host model reaches the trained
model's bytes, with and without momentum and direction groups, and equals the
numpy twin's replay; a conv layer at op 0 in the trained set (the input image
must survive the perturbed passes) trains bit-exactly against the twin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.training import TrainSpec
from pytool.training.forward_grad import last_step, replay
from pytool.training.forward_grad_ref import ForwardGradReference
from pytool.training.loop import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
FIXTURES = ROOT / "tests" / "fixtures" / "models"


def _weights(art, net) -> bytes:
    return b"".join(net.tensor(t.name).tobytes() for t in art.program.tensors if t.flags & 0x08)


@pytest.mark.parametrize("momentum, groups", [(0.0, "none"), (0.5, "layer")])
def test_replay_reaches_trained_bytes(tmp_path, momentum, groups):
    g = load_graph(DIGITS / "digits_int8_tf.tflite")
    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=4.0, directions=4, epsilon=4.0, seed=9,
                     momentum=momentum, extra={"fg_groups": groups})
    art = compile_model(g, tmp_path / "m", train=spec)
    trained, fresh = load_host(art), load_host(art)
    ref = ForwardGradReference(g, spec)
    data = load_dataset(DIGITS / "field.npz", trained.inputs[0])
    rounds = []
    for i in range(25):
        trained.train_step(data.x[i], int(data.y[i]))
        counter, diffs = last_step(trained)
        assert counter == i + 1
        rounds.append((counter - 1, diffs))
    assert any(any(d) for _, d in rounds)
    start = _weights(art, fresh)
    for step, diffs in rounds:
        replay(fresh, step, diffs)
        ref.apply(step, diffs)
    assert _weights(art, fresh) == _weights(art, trained) != start
    for t in ref.setup.tensors:
        assert np.array_equal(fresh.tensor(t.name).reshape(-1), ref.params[t.name].reshape(-1)), t.name


def test_trained_set_from_op0_matches_twin(tmp_path):
    """The first weighted op reads the graph input: every perturbed pass
    re-reads it, so the planner must not reuse its bytes."""
    g = load_graph(FIXTURES / "mobilenet_tiny.tflite")
    n_layers = sum(op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") for op in g.ops)
    spec = TrainSpec(method="forward-grad", trainable=f"last:{n_layers}", lr=2.0, directions=2, epsilon=4.0)
    art = compile_model(g, tmp_path / "m", train=spec)
    net, ref = load_host(art), ForwardGradReference(g, spec)
    assert ref.setup.first_op == 0
    shape = net.inputs[0].shape
    rng = np.random.default_rng(2)
    n_out = int(np.prod(g.tensors[ref.setup.logits].shape))
    for _ in range(3):
        x, y = rng.integers(-128, 128, size=shape, dtype=np.int8), int(rng.integers(0, n_out))
        a, b = net.train_step(x, y), ref.train_step(x, y)
        assert (a["loss_q16"], a["flags"]) == (b["loss_q16"], b["flags"])
    for t in ref.setup.tensors:
        assert np.array_equal(net.tensor(t.name).reshape(-1), ref.params[t.name].reshape(-1)), t.name


@pytest.mark.parametrize("net_name, outputs", [("mlp", 32), ("cnn", 512)])
@pytest.mark.parametrize("margin", [None, 0, 40])
def test_linear_first_layer_matches_twin(tmp_path, margin, net_name, outputs):
    """FC (MLP) or conv (CNN, 8x8x8 outputs, padded 3x3 taps) first in the
    trained set: the host computes its perturbed outputs from accumulators,
    the twin from perturbed weights; same bytes, also when the guard band
    clips (weights placed on the band's edges, margin 0) and when its
    deferred updates meet the band part-way (margin 40 units)."""
    at_band = margin is not None
    nets = ROOT / "tests" / "fixtures" / "train_nets"
    g = load_graph(nets / f"{net_name}_int8.tflite")
    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=3.0, directions=2, epsilon=4.0)
    art = compile_model(g, tmp_path / "m", train=spec)
    net, ref = load_host(art), ForwardGradReference(g, spec)
    assert ref.setup.linear == 0 and ref.setup.linear_outputs == outputs
    if at_band:
        t = ref.setup.tensors[0]
        edge = np.where(np.arange(t.init.size) % 2 == 0, t.hi - margin, t.lo + margin)
        edge = edge.astype(np.int16).reshape(t.init.shape)
        ref.params[t.name] = edge.copy()
        idx = net.meta["tensors"][t.name]
        net.ffi.buffer(net.lib.odl_tensor_ptr(net.ctx, idx), edge.nbytes)[:] = edge.tobytes()
    data = load_dataset(nets / "field.npz", net.inputs[0])
    flags = 0
    for i in range(12):
        a, b = net.train_step(data.x[i], int(data.y[i])), ref.train_step(data.x[i], int(data.y[i]))
        assert (a["loss_q16"], a["flags"]) == (b["loss_q16"], b["flags"]), i
        flags |= a["flags"]
    assert bool(flags & 2) == at_band  # the edge case really clipped
    for t in ref.setup.tensors:
        assert np.array_equal(net.tensor(t.name).reshape(-1), ref.params[t.name].reshape(-1)), t.name


@pytest.mark.qemu
@pytest.mark.parametrize("net_name, lin_file", [("mlp", "fully_connected_lin_s8w16"), ("cnn", "conv_2d_lin_s8w16")])
def test_linear_first_layer_on_m4_matches_host(tmp_path, net_name, lin_file):
    """The first trained layer computed from its accumulators (arm_dsp
    z-accumulator and epilogue on the Cortex-M4) trains byte for byte like the
    host: MLP 64-32-10, both layers (64 and 32 inputs: the 32-aligned path),
    and the CNN's conv (8x8x8 outputs) with its dense layer."""
    import zlib

    from pytool.link import Link
    from pytool.link import train as link_train
    from pytool.targets import QemuSession, build_firmware

    nets = ROOT / "tests" / "fixtures" / "train_nets"
    spec = TrainSpec(method="forward-grad", trainable="last:2", lr=4.0, directions=3, epsilon=4.0, seed=5)
    art = compile_model(nets / f"{net_name}_int8.tflite", tmp_path / "m", train=spec)
    assert ForwardGradReference(load_graph(nets / f"{net_name}_int8.tflite"), spec).setup.linear == 0
    host = load_host(art)
    data = load_dataset(nets / "field.npz", host.inputs[0])
    stats = [host.train_step(data.x[i], int(data.y[i])) for i in range(40)]
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    assert lin_file in (tmp_path / "fw" / "cmake" / "firmware.map").read_text()
    with QemuSession(elf, "mps2-an386") as q, Link(q.url) as link:
        for i, want in enumerate(stats):
            got = link_train.train_step(link, data.x[i], int(data.y[i]))
            assert (got["loss_q16"], got["flags"], got["step"]) == (want["loss_q16"], want["flags"], want["step"]), i
        crc, total, _ = link_train.weights_digest(link)
    assert crc == zlib.crc32(_weights(art, host))
