"""Helium (MVE) FP16 training kernels (runtime_c/src/kernels/fp16/arm_mve/) on
the emulated Cortex-M55: firmware built with them trains byte for byte like
the host build (per-step stats, trained-weight CRC, a final evaluation) on the
digits model (3x3 conv + fully connected, with an overflow-skipped step) and
on a small MobileNet tail (pointwise convs with RELU6, depthwise, mean,
fully connected with a width that is no multiple of the vector tile)."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.link import Link
from pytool.link.train import eval_sample, train_step, weights_digest
from pytool.targets import QemuSession, build_firmware, get_board
from pytool.targets.build import board_kernel_families, board_kernels
from pytool.targets.size import linked_sources
from pytool.training import TrainSpec
from pytool.training.loop import load_dataset

pytestmark = pytest.mark.qemu

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"
MOBILENET = ROOT / "tests" / "fixtures" / "models" / "mobilenet_tiny.tflite"
BOARD = "mps3-an547"


def test_m55_selects_mve_for_int8_and_fp16():
    board = get_board(BOARD)
    assert board_kernel_families(board) == ("arm_dsp", "arm_mve")
    assert (board_kernels(board, "int8"), board_kernels(board, "fp16")) == ("arm_mve", "arm_mve")
    assert board_kernels(get_board("mps2-an386"), "fp16") == "arm_fp"


def _digits(tmp: Path):
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.002, momentum=0.9, extra={"initial_scale": 2.0**15})
    art = compile_model(DIGITS / "digits_int8_tf.tflite", tmp, train=spec)
    data = load_dataset(DIGITS / "field.npz", load_host(art).inputs[0])
    order = np.random.default_rng(5).permutation(len(data))[:60]
    return art, [(data.x[i], int(data.y[i])) for i in order]


def _mobilenet(tmp: Path):
    spec = TrainSpec(method="fp16", trainable="last:4", lr=0.01, momentum=0.9, extra={"initial_scale": 2.0**12})
    art = compile_model(MOBILENET, tmp, train=spec)
    shape = load_host(art).inputs[0].shape
    rng = np.random.default_rng(11)
    return art, [(rng.integers(-128, 128, size=shape, dtype=np.int8), int(rng.integers(0, 10))) for _ in range(50)]


@pytest.mark.parametrize("case", ["digits", "mobilenet_tiny"])
def test_mve_fp16_training_matches_host(tmp_path, case):
    art, samples = (_digits if case == "digits" else _mobilenet)(tmp_path / "model")
    host = load_host(art)
    stats = [host.train_step(x, y) for x, y in samples]
    if case == "digits":
        assert any(s["flags"] & 1 for s in stats), "the run should include a skipped (overflow) step"
    blobs = [host.tensor(t.name).tobytes() for t in art.program.tensors if t.flags & 0x08]
    final = host.eval_sample(*samples[0])

    board = get_board(BOARD)
    elf = build_firmware(art.dir, board, tmp_path / "fw", mode="link")
    fw_map = "\n".join(linked_sources(elf, board))
    for kernel in ("fp16/arm_mve/fully_connected.c", "fp16/arm_mve/conv_2d.c"):
        assert kernel in fw_map, kernel
    assert "int8/arm_mve/conv_2d.c" in fw_map or "int8/arm_dsp/conv_2d.c" in fw_map
    assert "fp16/fully_connected.c" not in fw_map and "fp16/conv_2d.c" not in fw_map
    with QemuSession(elf, board, timeout=120) as q, Link(q.url, timeout=30.0) as link:
        for k, (x, y) in enumerate(samples):
            assert train_step(link, x, y) == stats[k], f"{case}: step {k}"
        crc, total, n = weights_digest(link)
        assert (n, total) == (len(blobs), sum(map(len, blobs)))
        assert crc == zlib.crc32(b"".join(blobs)), f"{case}: trained weights differ"
        assert eval_sample(link, *samples[0]) == final
