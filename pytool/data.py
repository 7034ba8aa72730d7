"""Loading user data (.npz / .npy) strictly: every bad file, dtype, shape,
layout or value is one DataError line naming the file and the array, before
anything runs or is written.

Layout rule: tinyodl models are NHWC (TFLite's convention; ONNX models are
converted on load). Samples must be given in the model's own input shape,
[N, *input_shape[1:]]; channels-first [N, C, H, W] data is rejected unless
the caller asks for `layout="nchw"`, which transposes it."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LAYOUTS = ("nhwc", "nchw")
# Reading is refused beyond this, before allocating (a header may claim any shape).
MAX_ARRAY_BYTES = 1 << 31


class DataError(ValueError):
    """Input data that cannot be used; the message names file and array."""


@dataclass(frozen=True)
class InputSpec:
    """What the model's input expects (a host TensorInfo or a device's info)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int


def graph_input_spec(g, index: int = 0) -> InputSpec:
    """The InputSpec of a graph's input `index`."""
    t = g.tensors[g.inputs[index]]
    q = t.quant
    scale = float(q.scale[0]) if q is not None and len(q.scale) else 0.0
    zp = int(q.zero_point[0]) if q is not None and len(q.zero_point) else 0
    return InputSpec(t.name, t.np_dtype.name, tuple(int(d) for d in t.shape), scale, zp)


def _spec(info) -> InputSpec:
    return InputSpec(str(getattr(info, "name", "input")), np.dtype(info.dtype).name, tuple(int(d) for d in info.shape),
                     float(info.scale), int(info.zero_point))


def _check_header(path: Path, key: str, fp, size: int) -> None:
    """The .npy header of one array: dtype must be plain numbers, and the
    shape it claims must match the bytes actually present."""
    try:
        version = np.lib.format.read_magic(fp)
        shape, fortran, dtype = (np.lib.format.read_array_header_1_0(fp) if version == (1, 0)
                                 else np.lib.format.read_array_header_2_0(fp))
        header_len = fp.tell()
    except (ValueError, EOFError, OSError, SyntaxError, TypeError) as e:
        raise DataError(f"{path}: array '{key}' has a corrupt header ({e})") from None
    if dtype.hasobject:
        raise DataError(f"{path}: array '{key}' holds Python objects ({dtype}); expected numbers")
    try:
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    except (TypeError, ValueError):
        raise DataError(f"{path}: array '{key}' has an invalid shape {shape}") from None
    if nbytes > MAX_ARRAY_BYTES:
        raise DataError(f"{path}: array '{key}' claims shape {shape} ({nbytes:,} bytes); refusing to load")
    if size - header_len != nbytes:
        raise DataError(f"{path}: array '{key}' claims shape {shape} {dtype} ({nbytes:,} bytes) but holds "
                        f"{max(size - header_len, 0):,} bytes (truncated or corrupt)")


def read_arrays(path: str | Path, keys: tuple[str, ...], what: str = "data") -> dict[str, np.ndarray]:
    """The named arrays of an .npz (each header checked before reading).
    `keys` ending in '?' are optional."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file ({what})")
    if not p.is_file():
        raise DataError(f"{p}: not a file ({what} must be an .npz)")
    with p.open("rb") as f:
        head = f.read(6)
    if head == b"\x93NUMPY":
        names = [k.rstrip("?") for k in keys]
        call = ", ".join(f"{k}=..." for k in names)
        raise DataError(f"{p}: is a plain .npy array; {what} must be an .npz with arrays "
                        f"{', '.join(names)} (numpy.savez(path, {call}))")
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(p) as z:
            members = {n[:-4]: n for n in z.namelist() if n.endswith(".npy")}
            for key in keys:
                name = key.rstrip("?")
                if name not in members:
                    if key.endswith("?"):
                        continue
                    raise DataError(f"{p}: has no array '{name}' (holds {sorted(members) or 'nothing'}); "
                                    f"{what} needs {', '.join(k for k in keys if not k.endswith('?'))}")
                info = z.getinfo(members[name])
                with z.open(info) as fp:
                    _check_header(p, name, fp, info.file_size)
                with z.open(info) as fp:
                    out[name] = np.lib.format.read_array(fp, allow_pickle=False)
    except DataError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, NotImplementedError) as e:
        raise DataError(f"{p}: not a readable .npz ({type(e).__name__}: {e})") from None
    return out


def read_array(path: str | Path, key: str = "x", what: str = "input") -> np.ndarray:
    """One array from a .npy, or array `key` (or the only array) of an .npz."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file ({what})")
    if p.suffix == ".npy":
        try:
            with p.open("rb") as f:
                _check_header(p, "(npy)", f, p.stat().st_size)
            return np.load(p, allow_pickle=False)
        except DataError:
            raise
        except (OSError, ValueError, EOFError) as e:
            raise DataError(f"{p}: not a readable .npy ({e})") from None
    if p.suffix != ".npz":
        raise DataError(f"{p}: expected a .npy or .npz file ({what})")
    try:
        with zipfile.ZipFile(p) as z:
            names = [n[:-4] for n in z.namelist() if n.endswith(".npy")]
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{p}: not a readable .npz ({e})") from None
    if key not in names and len(names) == 1:
        key = names[0]
    elif key not in names:
        raise DataError(f"{p}: the .npz holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                        f"name the {what} inputs '{key}'")
    return read_arrays(p, (key,), what)[key]


def _input_range(spec: InputSpec) -> tuple[float, float] | None:
    if spec.dtype != "int8" or spec.scale <= 0:
        return None
    return spec.scale * (-128 - spec.zero_point), spec.scale * (127 - spec.zero_point)


def check_samples(x: np.ndarray, spec, where: str, layout: str = "nhwc", single_ok: bool = False) -> np.ndarray:
    """Validated samples [N, *sample] in the model's dtype (floats quantized
    with the input's scale; data already in the model's dtype passes)."""
    from pytool.commands._common import quantize_input

    s = _spec(spec)
    if layout not in LAYOUTS:
        raise DataError(f"--layout must be one of {LAYOUTS}, not {layout!r}")
    x = np.asarray(x)
    if x.dtype.kind not in "fiu" or (x.dtype.kind in "iu" and x.dtype != np.dtype(s.dtype)):
        raise DataError(f"{where}: is {x.dtype}; input '{s.name}' takes float data (quantized with its scale) "
                        f"or {s.dtype} values")
    if x.ndim == 0:
        raise DataError(f"{where}: is a scalar; expected samples of shape [N, {', '.join(map(str, s.shape[1:]))}]")
    sample = s.shape[1:]
    if layout == "nchw":
        if len(sample) != 3:
            raise DataError(f"{where}: --layout nchw applies to image inputs; input '{s.name}' is {list(s.shape)}")
        if single_ok and x.ndim == 3:
            x = x[None]
        if x.ndim != 4:
            raise DataError(f"{where}: has shape {list(x.shape)}; --layout nchw expects [N, C, H, W]")
        x = x.transpose(0, 2, 3, 1)
    if single_ok and x.shape == sample:
        x = x[None]
    if x.shape[1:] != sample:
        given = list(x.shape)
        hint = ""
        if len(sample) == 3 and x.ndim == 4 and x.shape[1:] == (sample[2], sample[0], sample[1]) and layout == "nhwc":
            hint = " - this looks channels-first (N,C,H,W); pass --layout nchw or transpose to NHWC"
        raise DataError(f"{where}: has shape {given}; input '{s.name}' expects [N, {', '.join(map(str, sample))}] "
                        f"(NHWC){hint}")
    if len(x) == 0:
        raise DataError(f"{where}: holds no samples")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            raise DataError(f"{where}: {int(bad.sum())} value(s) are NaN or infinite")
        rng = _input_range(s)
        if rng is not None:
            lo, hi = rng
            w = hi - lo
            out = (x < lo - w) | (x > hi + w)
            if out.any():
                raise DataError(f"{where}: {int(out.sum())} value(s) lie far outside input '{s.name}''s range "
                                f"[{lo:.4g}, {hi:.4g}] (e.g. {float(x[out][0]):.4g}); scale the data like the "
                                "training data")
    try:
        return quantize_input(x, s)
    except TypeError as e:  # e.g. float data for an int16 input: no quantization rule here
        raise DataError(f"{where}: {e}") from None


def check_labels(y: np.ndarray, where: str, n: int, n_classes: int | None) -> np.ndarray:
    """Integer class labels in [0, n_classes), one per sample."""
    y = np.asarray(y)
    if y.dtype.kind not in "iuf":
        raise DataError(f"{where}: labels are {y.dtype}; expected integer class indices")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{where}: labels have shape {list(y.shape)}; expected [N] class indices")
    if len(y) != n:
        raise DataError(f"{where}: {len(y)} labels for {n} samples in x")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise DataError(f"{where}: {int((~np.isfinite(y)).sum())} label(s) are NaN or infinite")
        if np.any(y != np.round(y)):
            raise DataError(f"{where}: labels must be whole class indices (e.g. {float(y[y != np.round(y)][0])})")
    if np.any(y < 0):
        raise DataError(f"{where}: label {y[y < 0][0]} is negative; labels are class indices >= 0")
    top = n_classes if n_classes else 1 << 31
    if np.any(y >= top):
        raise DataError(f"{where}: label {y[y >= top][0]} is out of range; the model has {n_classes} classes")
    return y.astype(np.int64)


def load_xy(path: str | Path, spec, n_classes: int | None, what: str = "--data",
            layout: str = "nhwc") -> tuple[np.ndarray, np.ndarray]:
    """x (validated, quantized) and y (validated labels) from an .npz."""
    arrays = read_arrays(path, ("x", "y"), what)
    xq = check_samples(arrays["x"], spec, f"{path}: x", layout)
    return xq, check_labels(arrays["y"], f"{path}: y", len(xq), n_classes)
