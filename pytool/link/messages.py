"""Payload layouts of the built-in commands (docs/design/link.md): INFO,
STATS, SET_INPUT, GET_OUTPUT. Pure parsing/building, no I/O."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np

from pytool.paths import RUNTIME_DIR

from .errors import MessageError

# odl_dtype_t -> numpy dtype (little endian on the wire).
DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<i1"), 1: np.dtype("<u1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"),
    4: np.dtype("<i8"), 5: np.dtype("<f4"), 6: np.dtype("<f2"),
}
_METHODS_DEF = RUNTIME_DIR / "include" / "odl" / "train_methods.def"


def _train_methods() -> dict[int, str]:
    """Method ids from the runtime's X-macro list, so names never drift."""
    names = {0: "none"}
    if _METHODS_DEF.is_file():
        for name, ident in re.findall(r"^ODL_TRAIN_METHOD\(\s*(\w+)\s*,\s*(\d+)", _METHODS_DEF.read_text(), re.M):
            names[int(ident)] = name.lower()
    return names


TRAIN_METHODS = _train_methods()




@dataclass(frozen=True)
class TensorSpec:
    dtype: np.dtype
    shape: tuple[int, ...]
    nbytes: int
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.dtype.kind in "iu" and self.scale > 0.0

    def to_bytes(self, x: np.ndarray, name: str = "input") -> bytes:
        """Checks shape, quantizes float data for an integer tensor, returns LE bytes."""
        x = np.asarray(x)
        if x.size != int(np.prod(self.shape, dtype=np.int64)):
            raise ValueError(f"{name}: got shape {x.shape}, the device expects {self.shape}")
        if x.dtype.kind == "f" and self.quantized:
            info = np.iinfo(self.dtype)
            q = np.round(x.astype(np.float64) / self.scale) + self.zero_point
            x = np.clip(q, info.min, info.max)
        elif x.dtype != self.dtype and not (x.dtype.kind == self.dtype.kind == "f"):
            raise ValueError(f"{name}: got dtype {x.dtype}, the device expects {self.dtype}")
        data = np.ascontiguousarray(x, dtype=self.dtype).tobytes()
        if len(data) != self.nbytes:
            raise ValueError(f"{name}: {len(data)} bytes, the device tensor holds {self.nbytes}")
        return data

    def from_bytes(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, dtype=self.dtype).reshape(self.shape).copy()

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        if not self.quantized:
            return np.asarray(q, dtype=np.float32)
        return ((q.astype(np.int32) - self.zero_point) * self.scale).astype(np.float32)


@dataclass(frozen=True)
class DeviceInfo:
    protocol: int
    runtime_version: tuple[int, int]
    train_method: int
    max_payload: int
    model_hash: int
    arena_size: int
    target: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    @property
    def train_method_name(self) -> str:
        return TRAIN_METHODS.get(self.train_method, f"method_{self.train_method}")


_INFO_FIXED = struct.Struct("<BBBBHBBIIB")


def _tensor(buf: bytes, pos: int) -> tuple[TensorSpec, int]:
    dtype_code, rank = buf[pos], buf[pos + 1]
    if dtype_code not in DTYPES:
        raise MessageError(f"INFO: unknown dtype code {dtype_code}")
    dims = struct.unpack_from(f"<{rank}i", buf, pos + 2)
    pos += 2 + 4 * rank
    nbytes, scale, zp = struct.unpack_from("<Ifi", buf, pos)
    return TensorSpec(DTYPES[dtype_code], tuple(dims), nbytes, float(scale), zp), pos + 12


def parse_info(buf: bytes) -> DeviceInfo:
    try:
        proto, major, minor, method, max_payload, n_in, n_out, mhash, arena, name_len = _INFO_FIXED.unpack_from(buf)
        pos = _INFO_FIXED.size
        target = buf[pos : pos + name_len].decode("utf-8", "replace")
        pos += name_len
        specs = []
        for _ in range(n_in + n_out):
            spec, pos = _tensor(buf, pos)
            specs.append(spec)
    except (struct.error, IndexError) as e:
        raise MessageError(f"INFO payload of {len(buf)} bytes is truncated: {e}") from e
    if pos != len(buf):
        raise MessageError(f"INFO payload has {len(buf) - pos} trailing bytes")
    return DeviceInfo(proto, (major, minor), method, max_payload, mhash, arena, target,
                      tuple(specs[:n_in]), tuple(specs[n_in:]))


@dataclass(frozen=True)
class Stats:
    invokes: int
    train_steps: int
    last_op: int
    counter: int | None  # instructions/cycles of the last INFER; None without a board hook
    stack_high_water: int | None
    frames_ok: int
    frames_replayed: int
    frames_rejected: int
    bytes_skipped: int
    has_output: bool
    stopped: bool = False  # the last invoke stopped early (a CIRCULAR_BUFFER not due): later outputs are stale


_STATS = struct.Struct("<9IB")


def parse_stats(buf: bytes) -> Stats:
    if len(buf) != _STATS.size:
        raise MessageError(f"STATS payload has {len(buf)} bytes, expected {_STATS.size}")
    v = _STATS.unpack(buf)
    flags = v[9]
    return Stats(v[0], v[1], v[2], v[3] if flags & 1 else None, v[4] if flags & 2 else None,
                 v[5], v[6], v[7], v[8], bool(flags & 4), bool(flags & 8))


def set_input_payload(index: int, offset: int, data: bytes) -> bytes:
    return struct.pack("<BI", index, offset) + data


def get_output_payload(index: int, offset: int, length: int) -> bytes:
    return struct.pack("<BIH", index, offset, length)
