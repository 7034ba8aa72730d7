"""Compile runtime C (plus optional generated model) into a cffi extension,
cached by a hash of every source byte and flag."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import cffi

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime_c"
INCLUDE = RUNTIME / "include"
CACHE = Path(os.environ.get("TINYODL_CACHE", ROOT / ".cache")) / "cffi"

# Same flags as the firmware: strict C99, no FMA contraction (FP16 paths
# must round where the source says), warnings are errors.
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fno-strict-aliasing"]


def runtime_sources(exclude_dirs: tuple[str, ...] = ()) -> list[Path]:
    """Portable runtime sources (optimised per-CPU folders are skipped)."""
    out = []
    for p in sorted((RUNTIME / "src").rglob("*.c")):
        rel = p.relative_to(RUNTIME / "src").parts
        if any(part in ("arm_dsp", "arm_mve") for part in rel):
            continue
        if rel[0] in exclude_dirs:
            continue
        out.append(p)
    return out


def sanitize_flags() -> list[str]:
    if os.environ.get("TINYODL_SANITIZE"):
        return ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
    return []


def build(name: str, cdef: str, prelude: str, sources: list[Path], extra_include: list[Path] = ()):
    """Returns (ffi, lib) of a cffi API-mode module built from sources."""
    flags = CFLAGS + sanitize_flags()
    h = hashlib.sha256()
    for part in (name, cdef, prelude, " ".join(flags), sys.version):
        h.update(part.encode())
    for p in sorted(sources) + sorted(INCLUDE.rglob("*")) + sorted(
        q for d in extra_include for q in Path(d).glob("*.h")
    ):
        if p.is_file():
            h.update(str(p.name).encode())
            h.update(p.read_bytes())
    key = h.hexdigest()[:16]
    modname = f"_odl_{name}_{key}"
    outdir = CACHE / modname
    so = next(outdir.glob(f"{modname}*.so"), None) if outdir.exists() else None
    if so is None:
        ffi = cffi.FFI()
        ffi.cdef(cdef)
        ffi.set_source(
            modname,
            prelude,
            sources=[str(s) for s in sources],
            include_dirs=[str(INCLUDE)] + [str(d) for d in extra_include],
            extra_compile_args=flags,
            extra_link_args=[f for f in flags if f.startswith("-fsanitize")],
        )
        outdir.mkdir(parents=True, exist_ok=True)
        so = Path(ffi.compile(tmpdir=str(outdir), verbose=False))
    spec = importlib.util.spec_from_file_location(modname, so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ffi, mod.lib
