"""Shared helpers for subcommands: loading arrays, printing reports."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

# Wide enough for the op tables when output goes to a file or a pipe.
out = Console(width=None if sys.stdout.isatty() else 150)


def load_array(path: str | Path, key: str = "x") -> np.ndarray:
    """One array from a .npy, or `key` (or the only array) of an .npz, read safely."""
    from pytool.data import read_array

    return read_array(path, key)


@contextlib.contextmanager
def naming(path) -> Iterator[None]:
    """Errors from later stages (lowering, planning, codegen) name the op but
    not always the file: prefix the file when missing."""
    try:
        yield
    except (ValueError, RuntimeError) as e:
        if str(path) in str(e) or Path(str(path)).name in str(e):
            raise
        raise ValueError(f"{path}: {e}") from None


def require_build(path: str | Path) -> Path:
    """A folder written by `tinyodl compile`, or one clear error."""
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such build folder (write one with `tinyodl compile MODEL -o {p}`)")
    for f in ("model.json", "model.c", "model.h"):
        if not (p / f).is_file():
            raise FileNotFoundError(f"{p}: not a build folder, {f} is missing (write one with `tinyodl compile`)")
    return p


def add_layout_arg(p) -> None:
    p.add_argument("--layout", choices=("nhwc", "nchw"), default="nhwc",
                   help="layout of image data in the file: nhwc (the model's, default) or nchw "
                   "(channels-first, transposed on load)")


def quantize_input(x: np.ndarray, info) -> np.ndarray:
    """Float data -> the model's int8 input with its scale/zero point;
    integer data of the right dtype passes through."""
    want = np.dtype(info.dtype)
    if x.dtype == want:
        return x
    if np.issubdtype(x.dtype, np.floating) and want == np.int8:
        if info.scale == 0:
            raise ValueError(f"input '{info.name}' has no quantization scale; pass int8 data")
        q = np.round(x.astype(np.float32) / np.float32(info.scale)) + info.zero_point
        return np.clip(q, -128, 127).astype(np.int8)
    if np.issubdtype(x.dtype, np.floating) and want == np.float32:
        return x.astype(np.float32)
    raise TypeError(f"input '{info.name}' is {info.dtype}; got {x.dtype} data")


def fmt_bytes(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def memory_table(report: dict, title: str = "memory") -> Table:
    t = Table(title=title)
    t.add_column("region")
    t.add_column("bytes", justify="right")
    t.add_column("", justify="right")
    t.add_row("arena (activations)", f"{report['activation_bytes']:,}", fmt_bytes(report["activation_bytes"]))
    if report.get("persistent_bytes"):
        t.add_row("persistent (trainable state)", f"{report['persistent_bytes']:,}", fmt_bytes(report["persistent_bytes"]))
    for k, v in report.get("extra", {}).items():
        t.add_row(k, f"{v:,}", fmt_bytes(v))
    t.add_row("[bold]arena total[/]", f"{report['arena_bytes']:,}", fmt_bytes(report["arena_bytes"]))
    t.add_row("weights (flash)", f"{report['const_bytes']:,}", fmt_bytes(report["const_bytes"]))
    return t
