"""Host side of the serial link: one request at a time, bounded retries with
the same seq (the device replays its cached answer instead of executing a
request twice), chunked input/output transfers."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import numpy as np
import serial

from . import messages as msg
from .errors import DeviceGone, LinkError, Nack
from .protocol import (
    DEFAULT_MAX_PAYLOAD,
    F_EVENT,
    F_RESPONSE,
    SEQ_NONE,
    Cmd,
    Frame,
    FrameReader,
    command_name,
    encode,
    status_name,
)

log = logging.getLogger("tinyodl.link")

SET_INPUT_OVERHEAD = 5  # index u8 + offset u32


class Link:
    """A connection to a device running odl_link_server_poll.

    `url` is anything `serial.serial_for_url` accepts (socket://host:port for
    QEMU, /dev/ttyACM0 for a board, loop:// in tests) or an already open
    pyserial-like object (write, read, in_waiting, timeout)."""

    def __init__(self, url: str | Any, timeout: float = 2.0, retries: int = 3, baudrate: int = 115200) -> None:
        if retries < 0 or timeout <= 0:
            raise ValueError("Link needs timeout > 0 and retries >= 0")
        if isinstance(url, str):
            self.url = url
            self.port = serial.serial_for_url(url, baudrate=baudrate)
            sock = getattr(self.port, "_socket", None)  # socket:// (QEMU): no Nagle delay on small frames
            if sock is not None:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            self.url = getattr(url, "name", None) or type(url).__name__
            self.port = url
        self.timeout = timeout
        self.retries = retries
        # A random first seq keeps a reconnecting host from colliding with the
        # seq the device cached from an earlier session.
        self._seq = random.randrange(0, SEQ_NONE)
        self._reader = FrameReader()
        self._pending: list[Frame] = []
        self._info: msg.DeviceInfo | None = None
        self.logs: list[str] = []
        self.tries_used = 0  # resends by the last request (0 = first try answered)
        # How long to keep waiting for our answer after the device reported
        # an unreadable frame, before resending.
        self.nack_grace = min(timeout, 0.1)
        # Reads poll in short slices up to each deadline; set once, because
        # changing a real port's timeout reconfigures the tty.
        self.port.timeout = min(timeout, 0.02)

    # -- plumbing -----------------------------------------------------------

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % SEQ_NONE  # SEQ_NONE itself is never used
        return self._seq

    def _next_frame(self, deadline: float) -> Frame | None:
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self.port.read(max(1, self.port.in_waiting))
            if data:
                self._pending.extend(self._reader.feed(data))
        return self._pending.pop(0)

    def _discard_stale(self) -> None:
        """Drops answers still queued from earlier requests (late replays,
        NACKs of line noise) so they cannot be taken for the next answer;
        log lines among them are kept."""
        waiting = self.port.in_waiting
        if waiting:
            self._pending.extend(self._reader.feed(self.port.read(waiting)))
        for frame in self._pending:
            if frame.flags & F_EVENT:
                self._on_event(frame)
        self._pending.clear()

    def _on_event(self, frame: Frame) -> None:
        if frame.command == Cmd.LOG:
            line = frame.payload.decode("utf-8", "replace")
            self.logs.append(line)
            log.info("device: %s", line)

    @property
    def max_payload(self) -> int:
        return self._info.max_payload if self._info else DEFAULT_MAX_PAYLOAD

    def request(self, cmd: int, payload: bytes = b"") -> bytes:
        """Sends one command and returns the payload of its ACK. Retries on
        silence or on a frame the device could not read, with the same seq."""
        if len(payload) > self.max_payload:
            raise ValueError(f"{command_name(cmd)}: payload of {len(payload)} bytes exceeds "
                             f"the device's {self.max_payload}")
        seq = self._next_seq()
        wire = encode(Frame(cmd, seq, bytes(payload)))
        self._discard_stale()
        start = time.monotonic()
        tries = self.retries + 1
        last_problem = "silence"
        for attempt in range(tries):
            self.tries_used = attempt
            self.port.write(wire)
            deadline = time.monotonic() + self.timeout
            while (frame := self._next_frame(deadline)) is not None:
                if not frame.flags & F_RESPONSE:
                    continue  # a request echoed back (loopback): not ours to answer
                if frame.flags & F_EVENT:
                    self._on_event(frame)
                    continue
                if frame.seq == SEQ_NONE:
                    # The device could not read some frame: ours, or line noise
                    # before it. Give our answer a short grace, then resend.
                    last_problem = status_name(frame.status)
                    deadline = min(deadline, time.monotonic() + self.nack_grace)
                    continue
                if frame.seq != seq or frame.command != cmd:
                    continue  # a late duplicate of an earlier answer
                if frame.status != 0:
                    raise Nack(cmd, frame.status, self.url)
                return frame.payload
        elapsed = time.monotonic() - start
        raise DeviceGone(f"no answer from {self.url} after {tries} tries in {elapsed:.1f} s "
                         f"({command_name(cmd)}, last: {last_problem})")

    # -- commands -----------------------------------------------------------

    def info(self, refresh: bool = False) -> msg.DeviceInfo:
        if self._info is None or refresh:
            self._info = msg.parse_info(self.request(Cmd.INFO))
        return self._info

    def stats(self) -> msg.Stats:
        return msg.parse_stats(self.request(Cmd.STATS))

    def echo(self, data: bytes) -> bytes:
        return self.request(Cmd.ECHO, data)

    def reset_state(self) -> None:
        """Starts a new sequence: the model's state tensors (LSTM, SVDF) go
        back to their initial values; weights are untouched."""
        self.request(Cmd.RESET_STATE)

    def set_input(self, index: int, x: np.ndarray) -> None:
        info = self.info()
        if not 0 <= index < len(info.inputs):
            raise ValueError(f"input index {index}: the device model has {len(info.inputs)} inputs")
        data = info.inputs[index].to_bytes(x, name=f"input {index}")
        step = info.max_payload - SET_INPUT_OVERHEAD
        for off in range(0, len(data), step):
            self.request(Cmd.SET_INPUT, msg.set_input_payload(index, off, data[off : off + step]))

    def get_output(self, index: int, head: bytes = b"") -> np.ndarray:
        """Output `index` of the last INFER; `head` = bytes already received."""
        info = self.info()
        if not 0 <= index < len(info.outputs):
            raise ValueError(f"output index {index}: the device model has {len(info.outputs)} outputs")
        spec = info.outputs[index]
        data = bytearray(head)
        while len(data) < spec.nbytes:
            n = min(info.max_payload, spec.nbytes - len(data))
            data += self.request(Cmd.GET_OUTPUT, msg.get_output_payload(index, len(data), n))
        return spec.from_bytes(bytes(data))

    def infer_all(self, *inputs: np.ndarray) -> list[np.ndarray]:
        info = self.info()
        if len(inputs) != len(info.inputs):
            raise ValueError(f"infer: {len(inputs)} inputs given, the device model has {len(info.inputs)}")
        for i, x in enumerate(inputs):
            self.set_input(i, x)
        head = self.request(Cmd.INFER)
        return [self.get_output(i, head if i == 0 else b"") for i in range(len(info.outputs))]

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Runs the model on one input; returns output 0 in its device dtype
        (float input for an int8 tensor is quantized with the INFO scale)."""
        return self.infer_all(x)[0]


__all__ = ["Link", "LinkError", "DeviceGone", "Nack"]
