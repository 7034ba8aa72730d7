"""Optimised int8 kernels (arm_dsp on mps2-an386, arm_mve on mps3-an547)
against the portable ones on random shapes: single-op models with random
geometry, quantization and weights (drawn from fixed seeds), compiled once,
run on the host (portable C) and on the board; output bytes must be equal.
The shapes aim at the paths the fixtures miss: receptive fields above the
conv column (tiled K, output-channel tiles), depth multipliers > 1 incl. one
input channel x 8, 3x3 depthwise, 1x1 conv, odd channel counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from test_kernels_int8_a import build_pool, conv_graph
from test_kernels_int8_b import binary_graph

from pytool.targets import QemuSession, build_firmware, get_board

pytestmark = pytest.mark.qemu

# (kind, fixed fields); the rest is drawn per case.
TEMPLATES = [
    ("CONV_2D", dict(c=64, o_or_m=16, kh=3, kw=3)),  # K = 576: two chunks (arm_dsp), three pixels a batch (arm_mve)
    ("CONV_2D", dict(c=232, o_or_m=6, kh=3, kw=3)),  # K = 2088: chunked on both families
    ("CONV_2D", dict(c=66, o_or_m=70, kh=3, kw=3)),  # K = 594 (k_c % 4 != 0), two output-channel tiles
    ("CONV_2D", dict(c=40, o_or_m=9, kh=1, kw=1)),  # 1x1
    ("CONV_2D", dict(c=3, o_or_m=8, kh=3, kw=3)),  # first layer, k_c = 3
    ("CONV_2D", dict(c=1, o_or_m=7, kh=4, kw=3)),  # k_c = 1, row runs, K = 12
    ("CONV_2D", dict(c=1, o_or_m=5, kh=3, kw=3)),  # K = 9 zero-padded, odd channel count
    ("CONV_2D", dict(c=1, o_or_m=32, kh=2, kw=4)),  # one-channel path: widest filter row, most channels
    ("CONV_2D", dict(c=1, o_or_m=3, kh=1, kw=2)),  # one-channel path: short row (input lanes past k_w)
    ("CONV_2D", dict(c=1, o_or_m=4, kh=3, kw=2, w=2)),  # one-channel path: word loads near the tensor end
    ("CONV_2D", dict(c=1, o_or_m=6, kh=3, kw=3, act="RELU6", padding="SAME", per_channel=True)),  # pairs, clamp
    ("DEPTHWISE_CONV_2D", dict(c=1, o_or_m=8, kh=3, kw=3)),  # 1 input channel x 8
    ("DEPTHWISE_CONV_2D", dict(c=3, o_or_m=4, kh=3, kw=3)),
    ("DEPTHWISE_CONV_2D", dict(c=20, o_or_m=1, kh=3, kw=3)),
    ("DEPTHWISE_CONV_2D", dict(c=24, o_or_m=1, kh=3, kw=3)),  # arm_mve: offset folded, border windows copied
    ("DEPTHWISE_CONV_2D", dict(c=7, o_or_m=2, kh=5, kw=2)),
    # 1 input channel, int8 clamp: arm_dsp's two-pixel pass, odd width (one pixel left), border windows
    ("DEPTHWISE_CONV_2D", dict(c=1, o_or_m=8, kh=3, kw=3, act="NONE", padding="SAME", w=7, per_channel=True)),
    ("DEPTHWISE_CONV_2D", dict(c=1, o_or_m=16, kh=3, kw=3, act="NONE", padding="VALID", stride=(1, 2), w=8)),
]
# MAX_POOL_2D (arm_dsp: four channels per word): whole words, a channel tail, padding, clamps, batches.
POOLS = [
    dict(n=1, h=8, w=8, c=8, filt=(2, 2), stride=(2, 2), padding="VALID", act="NONE", s=0.05, z=-3, seed=1),
    dict(n=1, h=7, w=9, c=6, filt=(3, 3), stride=(2, 2), padding="SAME", act="RELU6", s=0.05, z=-20, seed=2),
    dict(n=2, h=5, w=4, c=5, filt=(2, 3), stride=(1, 2), padding="SAME", act="RELU_N1_TO_1", s=0.01, z=-99, seed=3),
    dict(n=1, h=6, w=7, c=37, filt=(3, 3), stride=(2, 2), padding="SAME", act="RELU", s=0.05, z=4, seed=4),
]
# AVERAGE_POOL_2D (arm_mve: int16 sums eight channels at a time): padding (counts vary), a channel tail,
# a global pool, a window above 256 taps (portable path).
AVG_POOLS = [
    dict(n=1, h=7, w=9, c=12, filt=(3, 3), stride=(2, 2), padding="SAME", act="RELU6", s=0.05, z=-20, seed=5),
    dict(n=2, h=8, w=8, c=21, filt=(8, 8), stride=(8, 8), padding="VALID", act="NONE", s=0.05, z=-128, seed=6),
    dict(n=1, h=17, w=16, c=4, filt=(17, 16), stride=(1, 1), padding="VALID", act="NONE", s=0.05, z=3, seed=7),
]

# Same-shape MUL / ADD (second operand a constant, so one model input): lengths that are not a multiple
# of four (tails), every sign of the output shift (MUL 0.4 / 0.01: a left shift), ADD input shifts of 0
# and far below, clamps.
BINARY = [
    ("MUL", (1, 5, 7, 3), (0.05, -3), (0.02, 10), (0.004, 5), "NONE"),
    ("MUL", (1, 4, 4, 8), (0.5, 7), (0.8, -100), (0.01, -128), "RELU"),
    ("MUL", (2, 3, 3, 5), (0.1, 0), (0.1, -128), (0.05, 3), "RELU6"),
    ("ADD", (1, 3, 5, 7), (0.05, -3), (0.1, 12), (0.08, -7), "NONE"),
    ("ADD", (1, 4, 4, 6), (0.1, 5), (0.1, -5), (0.05, 0), "RELU"),  # equal scales: both input shifts 0
    ("ADD", (1, 2, 3, 5), (0.002, -128), (0.3, 40), (0.01, 3), "NONE"),  # a long right shift on input 1
]


def binary_case(op_type, shape, qa, qb, qy, act, seed):
    rng = np.random.default_rng(seed)
    const_b = rng.integers(-128, 128, size=shape, dtype=np.int8)
    g, _ = binary_graph(op_type, shape, shape, qa, qb, qy, act, const_b=const_b)
    return g, rng.integers(-128, 128, size=shape, dtype=np.int8)


def random_case(kind: str, fixed: dict, seed: int):
    rng = np.random.default_rng(seed)
    pad = str(rng.choice(["SAME", "VALID"]))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    case = dict(
        kind=kind, n=1, h=int(rng.integers(4, 9)), w=int(rng.integers(4, 9)), stride=stride, dil=(1, 1),
        padding=pad, act=str(rng.choice(["NONE", "RELU", "RELU6"])), per_channel=bool(rng.integers(0, 2)),
        s_x=float(np.float32(rng.uniform(0.01, 0.1))), z_x=int(rng.integers(-128, 128)),
        s_y=float(np.float32(rng.uniform(0.05, 0.5))), z_y=int(rng.integers(-128, 128)), bias=bool(rng.integers(0, 4)),
    )  # fmt: skip
    case.update(fixed)
    g, _ = conv_graph(rng, w_scale_rng=lambda k: rng.uniform(1e-3, 2e-2, k).astype(np.float32), **case)
    x = rng.integers(-128, 128, g.tensors["x"].shape).astype(np.int8)
    return g, x


def lstm_case():
    """UNIDIRECTIONAL_SEQUENCE_LSTM (arm_dsp: widened columns, SMLAD): two batches, time-major, input and
    state sizes with a tail past the last word (13, 10), random zero points and scales."""
    from test_lstm import _random_lstm

    rng = np.random.default_rng(77)
    g, op = _random_lstm(rng, 2, 3, 13, 10, True, 1.5, False, "int8")
    g.inputs, g.outputs = ["x"], ["y"]
    return g, rng.integers(-128, 128, g.tensors["x"].shape).astype(np.int8)


def run_cases(board_name: str, tmp_path: Path, kernels=None) -> list[tuple[bytes, bytes]]:
    from pytool import compile_model, load_host
    from pytool.link import Link

    board = get_board(board_name)
    model_dir = tmp_path / "model"
    pairs = []
    cases = [random_case(kind, fixed, 1000 + i) for i, (kind, fixed) in enumerate(TEMPLATES)]
    for c in POOLS:
        g, _, feeds = build_pool({"kind": "MAX_POOL_2D", **c})
        cases.append((g, feeds["x"]))
    for c in AVG_POOLS:
        g, _, feeds = build_pool({"kind": "AVERAGE_POOL_2D", **c})
        cases.append((g, feeds["x"]))
    cases += [binary_case(*b, seed=2000 + i) for i, b in enumerate(BINARY)]
    cases.append(lstm_case())
    for i, (g, x) in enumerate(cases):
        art = compile_model(g, out_dir=tmp_path / f"c{i}")
        expected = np.asarray(load_host(art).invoke(x)).tobytes()
        if model_dir.exists():
            shutil.rmtree(model_dir)
        shutil.copytree(art.dir, model_dir)
        elf = build_firmware(model_dir, board, tmp_path / "fw", mode="link", kernels=kernels)
        with QemuSession(elf, board, timeout=30) as q, Link(q.url, timeout=10.0) as link:
            pairs.append((np.asarray(link.infer(x)).tobytes(), expected))
    return pairs


@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_optimised_kernels_match_portable_on_random_shapes(tmp_path, board):
    pairs = run_cases(board, tmp_path)
    names = [f"{kind} {fixed}" for kind, fixed in TEMPLATES] + [f"MAX_POOL_2D {c}" for c in POOLS]
    names += [f"AVERAGE_POOL_2D {c}" for c in AVG_POOLS] + [f"{b[0]} {b[1:]}" for b in BINARY]
    names += ["UNIDIRECTIONAL_SEQUENCE_LSTM 2x3x13 -> 10"]
    for name, (got, want) in zip(names, pairs, strict=True):
        assert got == want, f"{name} on {board}"
