"""C embedding: `tinyodl embed` writes a folder that builds with CMake on
the host (the example's output and training step equal the host build's
bytes) and for an MCU; the runtime installs with CMake and is found by
find_package(tinyodl); -DODL_KERNEL_FAMILY is honoured or refused."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT

from pytool.cli import main
from pytool.host import load_host

EXAMPLE = ROOT / "examples" / "c"
MODEL = ROOT / "examples" / "digits" / "digits_int8_tf.tflite"
needs_cmake = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is a declared build requirement")


def _cmake(src, build, *defs: str) -> subprocess.CompletedProcess:
    # Unoptimised without debug info: these builds check structure and bytes, not speed.
    fast = [] if any("TOOLCHAIN" in d for d in defs) else ["-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_C_FLAGS_DEBUG=-O0"]
    r = subprocess.run(["cmake", "-S", str(src), "-B", str(build), *fast, *defs], capture_output=True, text=True)
    if r.returncode == 0:
        r = subprocess.run(["cmake", "--build", str(build), "-j2"], capture_output=True, text=True)
    return r


def _expected(model_dir) -> tuple[str, int, int]:
    """What examples/c/main.c prints, computed through the host build."""
    net = load_host(model_dir)
    info = net.inputs[0]
    n = int(np.prod(info.shape))
    x = (info.zero_point + (np.arange(n) % 16) * 4).astype(np.int8).reshape(info.shape)
    y = np.asarray(net.invoke(x)).astype(np.int8).view(np.uint8).ravel()
    st = net.train_step(x, 3)
    return "output: " + " ".join(f"{b:02x}" for b in y), st["loss_q16"], st["predicted"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    d = tmp_path_factory.mktemp("m") / "model"
    assert main(["compile", str(MODEL), "--train", "sparse", "-o", str(d)]) == 0
    return d


@needs_cmake
@pytest.mark.slow
def test_embed_folder_builds_and_matches_the_host(compiled, tmp_path):
    emb = tmp_path / "fw" / "tinyodl"
    assert main(["embed", str(compiled), "-o", str(emb)]) == 0
    assert (emb / "CMakeLists.txt").is_file() and (emb / "model" / "model.c").is_file()
    srcs = (emb / "SOURCES.txt").read_text().split()
    assert all((emb / s).is_file() for s in srcs) and not any("arm_" in s for s in srcs)
    r = _cmake(EXAMPLE, tmp_path / "b", f"-DTINYODL_EMBED_DIR={emb}")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run = subprocess.run([tmp_path / "b" / "example"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    want, loss, pred = _expected(compiled)
    lines = run.stdout.splitlines()
    assert lines[0] == want
    assert lines[1] == f"train_step: ODL_OK loss_q16={loss} predicted={pred}"
    # embed refuses to overwrite, and leaves nothing behind when it fails
    assert main(["embed", str(compiled), "-o", str(emb)]) == 1
    assert main(["embed", str(compiled), "-o", str(tmp_path / "bad"), "--kernels", "sse9"]) == 1
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob(".bad.*"))


@needs_cmake
@pytest.mark.slow
def test_cmake_install_and_find_package(compiled, tmp_path):
    prefix = tmp_path / "prefix"
    r = _cmake(ROOT, tmp_path / "rt")
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run(["cmake", "--install", str(tmp_path / "rt"), "--prefix", str(prefix)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (prefix / "include" / "odl" / "odl.h").is_file()
    assert list(prefix.glob("lib*/cmake/tinyodl/tinyodlConfig.cmake"))
    r = _cmake(EXAMPLE, tmp_path / "b", f"-DTINYODL_MODEL_DIR={compiled}", f"-DCMAKE_PREFIX_PATH={prefix}")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run = subprocess.run([tmp_path / "b" / "example"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.splitlines()[0] == _expected(compiled)[0]


@needs_cmake
def test_kernel_family_is_refused_for_a_host_compiler(tmp_path):
    r = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "b"), "-DODL_KERNEL_FAMILY=arm_dsp"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "ODL_KERNEL_FAMILY=arm_dsp" in r.stderr and "DSP extension" in r.stderr
    r = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "c"), "-DODL_KERNEL_FAMILY=avx"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "unknown family 'avx'" in r.stderr


@pytest.mark.qemu
@pytest.mark.slow
def test_embed_folder_builds_for_an_mcu_with_its_kernels(compiled, tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing (make setup installs it)")
    emb = tmp_path / "tinyodl"
    assert main(["embed", str(compiled), "-o", str(emb), "--target", "mps2-an386"]) == 0
    assert "runtime/src/kernels/int8/arm_dsp/conv_2d.c" in (emb / "SOURCES.txt").read_text()
    r = _cmake(EXAMPLE, tmp_path / "b", f"-DTINYODL_EMBED_DIR={emb}",
               f"-DCMAKE_TOOLCHAIN_FILE={ROOT / 'targets' / 'mps2-an386' / 'toolchain.cmake'}")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    lib = tmp_path / "b" / "tinyodl_model" / "libtinyodl_model.a"
    syms = subprocess.run(["arm-none-eabi-nm", str(lib)], capture_output=True, text=True).stdout
    assert "odl_conv2d_s8_portable" in syms  # the arm_dsp kernel (with its portable fallback) is in
