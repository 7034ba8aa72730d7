"""Compile runtime C (plus optional generated model) into a cffi extension,
cached by a hash of every source byte and flag."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cffi

from pytool.paths import ROOT, cache_dir, require_data
from pytool.paths import RUNTIME_DIR as RUNTIME

INCLUDE = RUNTIME / "include"
CACHE = cache_dir() / "cffi"

# Same flags as the firmware: strict C99, no FMA contraction (FP16 paths
# must round where the source says), warnings are errors.
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fno-strict-aliasing"]


def runtime_sources(exclude_dirs: tuple[str, ...] = ()) -> list[Path]:
    """Portable runtime sources (optimised per-CPU folders are skipped)."""
    out = []
    for p in sorted((RUNTIME / "src").rglob("*.c")):
        rel = p.relative_to(RUNTIME / "src").parts
        if any(part in ("arm_dsp", "arm_mve", "arm_fp") for part in rel):
            continue
        if rel[0] in exclude_dirs:
            continue
        out.append(p)
    return out


def sanitize_flags() -> list[str]:
    if os.environ.get("TINYODL_SANITIZE"):
        return ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
    return []


def _hash_files(h, paths) -> None:
    for p in paths:
        if p.is_file():
            h.update(str(p.name).encode())
            h.update(p.read_bytes())


def runtime_archive() -> Path:
    """The portable runtime compiled once (-fPIC) into a static archive,
    cached by content, so each model module compiles only its model.c."""
    require_data()
    flags = CFLAGS + sanitize_flags() + ["-fPIC"]
    srcs = runtime_sources()
    h = hashlib.sha256(" ".join(flags).encode())
    _hash_files(h, srcs + sorted(INCLUDE.rglob("*")) + sorted((RUNTIME / "src").rglob("*.h")))
    outdir = CACHE / f"runtime_{h.hexdigest()[:16]}"
    lib = outdir / "libodl.a"
    if lib.exists():
        return lib
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="odl_rt_", dir=CACHE))
    cc = os.environ.get("CC", "gcc")

    def compile_one(src: Path) -> Path:
        obj = tmp / (str(src.relative_to(RUNTIME / "src")).replace("/", "__") + ".o")
        r = subprocess.run([cc, *flags, "-I", str(INCLUDE), "-c", str(src), "-o", str(obj)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"compiling {src.relative_to(ROOT)} failed:\n{r.stderr}")
        return obj

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objs = list(pool.map(compile_one, srcs))
    outdir.mkdir(parents=True, exist_ok=True)
    part = outdir / f"libodl.{os.getpid()}.a"
    subprocess.run(["ar", "rcs", str(part), *map(str, objs)], check=True)
    os.replace(part, lib)
    shutil.rmtree(tmp, ignore_errors=True)
    return lib


def build(name: str, cdef: str, prelude: str, sources: list[Path], extra_include: list[Path] = (),
          extra_objects: list[Path] = ()):
    """Returns (ffi, lib) of a cffi API-mode module built from sources. When
    sources hold the whole portable runtime, the cached runtime archive is
    linked instead of compiling it again (distutils builds one file at a
    time, and every test module used to recompile all of it)."""
    require_data()
    flags = CFLAGS + sanitize_flags()
    whole = set(runtime_sources())
    if whole and whole.issubset(sources):
        sources = [s for s in sources if s not in whole]
        extra_objects = [*extra_objects, runtime_archive()]
    h = hashlib.sha256()
    for part in (name, cdef, prelude, " ".join(flags), sys.version):
        h.update(part.encode())
    _hash_files(h, list(extra_objects))
    for p in sorted(sources) + sorted(INCLUDE.rglob("*")) + sorted(
        q for d in extra_include for q in Path(d).glob("*.h")
    ):
        if p.is_file():
            h.update(str(p.name).encode())
            h.update(p.read_bytes())
    key = h.hexdigest()[:16]
    modname = f"_odl_{name}_{key}"
    outdir = CACHE / modname
    so = outdir / f"{modname}.so"
    if not so.exists():
        ffi = cffi.FFI()
        ffi.cdef(cdef)
        ffi.set_source(
            modname,
            prelude,
            sources=[str(s) for s in sources],
            include_dirs=[str(INCLUDE)] + [str(d) for d in extra_include],
            extra_compile_args=flags,
            extra_link_args=[f for f in flags if f.startswith("-fsanitize")],
            extra_objects=[str(o) for o in extra_objects],
            libraries=["m"],  # the float32 kernels call expf, tanhf, exp
        )
        # Build in a private folder, then rename: parallel test workers may
        # build the same module at once.
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{modname}.", dir=CACHE))
        try:
            built = Path(ffi.compile(tmpdir=str(tmp), verbose=False))
        except Exception as e:  # distutils errors carry the compiler output
            raise RuntimeError(f"building C module {name} failed: {e}") from None
        outdir.mkdir(parents=True, exist_ok=True)
        os.replace(built, so)
        shutil.rmtree(tmp, ignore_errors=True)
    spec = importlib.util.spec_from_file_location(modname, so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ffi, mod.lib
