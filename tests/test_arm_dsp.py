"""Optimised int8 kernels on the QEMU Arm boards (arm_dsp on mps2-an386,
arm_mve over arm_dsp on mps3-an547): firmware built with and without them
gives, for random inputs, the same output bytes as the host build of the
same generated C, across the conv / depthwise / fully-connected / ADD
variants and a small MobileNet."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pytool.targets import QemuSession, build_firmware, get_board
from pytool.targets.build import board_kernel_families, board_kernels
from pytool.targets.size import linked_sources

pytestmark = pytest.mark.qemu

MODELS_DIR = Path(__file__).parent / "fixtures" / "models"
MODELS = [
    "conv_1x1", "conv_5x5_s2_same_c5", "conv_dilation2_same", "conv_nobias", "conv_per_tensor",
    "conv_s1_same_relu", "conv_s2_same", "conv_s2_valid_per_tensor", "dw_m1_same", "dw_m2_s2_valid",
    "dw_per_tensor", "dw_s2_same", "fc_per_tensor", "fc_relu", "flatten_fc", "mobilenet_tiny", "add_residual",
]  # fmt: skip
BOARDS = ["mps2-an386", "mps3-an547"]
INPUTS_PER_MODEL = 3


@pytest.fixture(scope="module")
def host_models(tmp_path_factory):
    """model -> (generated C dir, random int8 inputs, host outputs)."""
    from pytool import compile_model, load_host

    out = {}
    root = tmp_path_factory.mktemp("arm_dsp_models")
    for i, name in enumerate(MODELS):
        art = compile_model(MODELS_DIR / f"{name}.tflite", out_dir=root / name)
        host = load_host(art)
        spec = host.inputs[0]
        assert np.dtype(spec.dtype) == np.int8, name
        rng = np.random.default_rng(100 + i)
        xs = [rng.integers(-128, 128, size=spec.shape, dtype=np.int8) for _ in range(INPUTS_PER_MODEL)]
        ys = [np.asarray(host.invoke(x)).tobytes() for x in xs]
        out[name] = (Path(art.dir), xs, ys)
    return out


def run_on_board(board, kernels: str, host_models: dict, work: Path) -> dict[str, tuple[list[bytes], int]]:
    """Every model through one build tree: the generated files are copied
    into one fixed directory, so after the first model only model.c (and the
    files including model.h) recompile."""
    from pytool.link import Link

    model_dir = work / "model"
    model_dir.mkdir(parents=True)
    results = {}
    for name, (src, xs, _) in host_models.items():
        for f in src.iterdir():
            if f.is_file():
                shutil.copyfile(f, model_dir / f.name)
        elf = build_firmware(model_dir, board, work / "fw", mode="link", kernels=kernels)
        with QemuSession(elf, board, timeout=30) as q, Link(q.url, timeout=10.0) as link:
            ys = [np.asarray(link.infer(x)).tobytes() for x in xs]
            counter = link.stats().counter
        results[name] = (ys, counter, linked_sources(elf, board))
    return results


def test_dsp_boards_select_arm_dsp():
    for name in ["mps2-an386", "nucleo-f429zi"]:
        assert board_kernels(get_board(name)) == "arm_dsp", name
    assert board_kernels(get_board("mps3-an547")) == "arm_mve"  # int8 arm_mve files replace arm_dsp's
    assert board_kernels(get_board("riscv32-virt")) == ""


@pytest.mark.parametrize("name", BOARDS)
def test_arm_dsp_and_portable_firmware_match_host(tmp_path, host_models, name):
    board = get_board(name)
    family = board_kernels(board)  # the int8 family: arm_dsp, or arm_mve on the M55
    families = "-".join(board_kernel_families(board))
    runs = {k: run_on_board(board, k.split("-") if k else "", host_models, tmp_path / (k or "portable"))
            for k in ("", families)}  # fmt: skip
    # The optimised build compiled the family's files instead of the portable ones.
    # (the source files each model's firmware linked, over all models)
    opt_map = "\n".join(f for r in runs[families].values() for f in r[2])
    portable_map = "\n".join(f for r in runs[""].values() for f in r[2])
    for kernel in ("conv_2d", "depthwise_conv_2d", "fully_connected", "add"):  # the ops these models run
        assert f"int8/{family}/{kernel}.c" in opt_map and f"int8/{kernel}.c" not in opt_map, kernel
        assert f"int8/{family}/{kernel}.c" not in portable_map and f"int8/{kernel}.c" in portable_map, kernel
    for model, (_, _, expected) in host_models.items():
        for kernels, results in runs.items():
            outputs = results[model][0]
            assert outputs == expected, f"{model} on {name} ({kernels or 'portable'} kernels)"
    # Same bytes, fewer instructions: the optimised kernels did run.
    for model in ("conv_s1_same_relu", "dw_m1_same", "fc_relu", "mobilenet_tiny", "add_residual"):
        assert runs[families][model][1] < runs[""][model][1], model
