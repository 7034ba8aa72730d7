"""The pip package as a user gets it: build the sdist from a copy of the
source, build the wheel from that sdist, install it into a fresh venv and run
the README's commands from an empty folder (targets, compile, run, build for
mps2-an386, a short finetune on QEMU). The cache must land in the user's
cache folder, never inside site-packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

SOURCE = ("pytool", "quantize", "runtime_c", "targets", "cmake", "CMakeLists.txt", "setup.py",
          "pyproject.toml", "MANIFEST.in", "README.md")
DIGITS = ROOT / "examples" / "digits"


def _pep517(src: Path, hook: str, out: Path) -> Path:
    """Calls setuptools' PEP 517 hook in a child (no build isolation: the
    test venv already has setuptools; keeps CI offline and fast)."""
    code = f"import sys; from setuptools import build_meta as b; print(b.{hook}(sys.argv[1]))"
    r = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return out / r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    src.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache", "build", "*.egg-info")
    for name in SOURCE:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=skip)
        elif p.is_file():
            shutil.copy2(p, src / name)
    dist = tmp / "dist"
    dist.mkdir()
    sdist = _pep517(src, "build_sdist", dist)
    with tarfile.open(sdist) as t:
        names = t.getnames()
        t.extractall(tmp / "sdist", filter="data")
    for must in ("runtime_c/include/odl/odl.h", "targets/mps2-an386/board.toml", "CMakeLists.txt",
                 "cmake/tinyodlConfig.cmake.in"):
        assert any(n.endswith("/" + must) for n in names), f"sdist lacks {must}"
    whl = _pep517(next((tmp / "sdist").iterdir()), "build_wheel", dist)
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
    for must in ("pytool/_data/runtime_c/include/odl/odl.h", "pytool/_data/targets/mps2-an386/board.toml",
                 "pytool/_data/targets/firmware.cmake", "pytool/_data/CMakeLists.txt"):
        assert must in names, f"wheel lacks {must}"
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel installed (--no-deps); its
    dependencies come from the test venv through a .pth line, which adds the
    folder without running that folder's own .pth files (the checkout's
    editable install stays out)."""
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_tinyodl_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a checkout on it looks installed
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                        "--no-index", str(wheel)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return env_dir


def test_installed_wheel_works_from_an_empty_folder(venv, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    cache = tmp_path / "usercache"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TINYODL_CACHE")}
    env["XDG_CACHE_HOME"] = str(cache)
    tinyodl = str(venv / "bin" / "tinyodl")
    # Seed the fresh user cache with the runtime archive the checkout already
    # built (same sources and flags, so the same content hash): the test then
    # compiles only the model module, and still proves where the cache lives.
    from pytool.host import cbuild

    archive = cbuild.runtime_archive().parent
    shutil.copytree(archive, cache / "tinyodl" / "cffi" / archive.name)

    def run(*args: str) -> str:
        r = subprocess.run([tinyodl, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"tinyodl {' '.join(args)}:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
        return r.stdout + r.stderr

    r = subprocess.run([venv / "bin" / "python", "-c", "import pytool.paths as p; print(p.ROOT)"],
                       cwd=work, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).is_relative_to(venv), r.stdout

    shutil.copy(DIGITS / "digits_int8_tf.tflite", work / "m.tflite")
    test = np.load(DIGITS / "test.npz")
    np.save(work / "x.npy", test["x"][:4])
    for name in ("field", "field_test"):
        z = np.load(DIGITS / f"{name}.npz")
        np.savez(work / f"{name}.npz", x=z["x"][:48], y=z["y"][:48])

    listing = run("targets")
    assert "mps2-an386" in listing and "riscv32-virt" in listing
    run("compile", "m.tflite", "-o", "build")
    assert (work / "build" / "model.c").is_file()
    out = run("run", "build", "--input", "x.npy")
    assert "argmax" in out
    assert list(cache.glob("tinyodl/cffi/_odl_model_*/*.so")), "model module not in the user cache"
    run("build", "m.tflite", "--target", "mps2-an386", "-o", "fw")
    assert (work / "fw" / "firmware.elf").stat().st_size > 10_000
    run("finetune", "m.tflite", "--target", "mps2-an386", "--method", "sparse", "--data", "field.npz",
        "--eval", "field_test.npz", "--epochs", "1", "--report", "rep", "--work", "fw")  # reuses fw's objects
    rep = json.loads((work / "rep" / "report.json").read_text())
    assert rep["committed_generation"] >= 0 and rep["steps"] == 48
    assert not list(venv.rglob(".cache")), "something wrote a cache inside the venv"
