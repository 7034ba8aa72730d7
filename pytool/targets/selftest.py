"""The selftest firmware's input rule and the parser for its UART report
(targets/common/main.c, ODL_FW_SELFTEST)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def selftest_input(dtype: str | np.dtype, nbytes: int, which: int = 0) -> np.ndarray:
    """The input the selftest firmware writes into model input `which`."""
    dt = np.dtype(dtype)
    if dt == np.float32:
        k = np.arange(nbytes // 4)
        return ((k % 17 - 8) / np.float32(8.0)).astype(np.float32)
    k = np.arange(nbytes, dtype=np.int64)
    return ((7 * k + 3 + 13 * which) % 256).astype(np.uint8).view(dt)


@dataclass
class SelftestResult:
    target: str = ""
    status: str = ""
    outputs: list[bytes] = field(default_factory=list)
    counter: int = 0
    stack: int = 0
    arena: int = 0
    complete: bool = False
    op_counters: list[int] = field(default_factory=list)  # profile firmware: per op, in order


def parse_selftest(text: str) -> SelftestResult:
    r = SelftestResult()
    for line in text.splitlines():
        key, _, rest = line.strip().partition(" ")
        if key == "ODL" and rest.startswith("SELFTEST "):
            r.target = rest.split()[1]
        elif key == "STATUS":
            r.status = rest
        elif key == "OUT":
            _, hexbytes = rest.split(" ", 1) if " " in rest else (rest, "")
            r.outputs.append(bytes.fromhex(hexbytes))
        elif key == "OP":
            r.op_counters.append(int(rest.split()[1]))
        elif key == "COUNTER":
            r.counter = int(rest)
        elif key == "STACK":
            r.stack = int(rest)
        elif key == "ARENA":
            r.arena = int(rest)
        elif key == "END":
            r.complete = True
    return r


def read_selftest(ser, timeout: float = 10.0) -> tuple[SelftestResult, str]:
    """Reads the UART until END (or timeout); returns the parsed report and the raw text."""
    import time

    import serial

    # The firmware starts once it receives a byte; a byte that arrives while
    # the board still initialises its UART may be dropped, so repeat it until
    # the first output shows up (later bytes are never read).
    buf = bytearray()
    deadline = time.monotonic() + timeout
    next_kick = 0.0
    while b"END\n" not in buf and time.monotonic() < deadline:
        if not buf and time.monotonic() >= next_kick:
            ser.write(b"S")
            next_kick = time.monotonic() + 0.2
        try:
            buf += ser.read(ser.in_waiting or 1)
        except serial.SerialException:
            break  # QEMU closed the UART socket: the firmware has exited
    text = buf.decode(errors="replace")
    return parse_selftest(text), text
