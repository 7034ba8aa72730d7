"""Runs firmware on a QEMU board with its UART on a local TCP socket."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pytool.targets.board import Board, boards, get_board


class QemuError(RuntimeError):
    """QEMU is missing, refused the firmware or did not come up in time."""


def check_elf(elf: Path, board: Board) -> None:
    """Rejects a missing file, a non-ELF or an ELF for another architecture."""
    if not elf.is_file():
        raise FileNotFoundError(f"no firmware ELF at {elf}")
    head = elf.read_bytes()[:20]
    if len(head) < 20 or head[:4] != b"\x7fELF":
        raise QemuError(f"{elf} is not an ELF file")
    machine = int.from_bytes(head[18:20], "little")
    if head[4] != 1 or machine != board.elf_machine:
        raise QemuError(
            f"{elf} is an ELF for machine {machine:#x} ({'32' if head[4] == 1 else '64'}-bit), "
            f"target {board.name} needs 32-bit machine {board.elf_machine:#x}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool | None:
    """True once something listens on 127.0.0.1:port; None when the OS
    offers no way to tell without connecting (connecting would take QEMU's
    only client slot and start the guest early)."""
    path = Path("/proc/net/tcp")
    if not path.exists():
        return None
    want = f"0100007F:{port:04X}"
    for line in path.read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) > 3 and parts[1] == want and parts[3] == "0A":
            return True
    return False


class QemuSession:
    """Context manager: starts QEMU (UART on tcp server, guest held until a
    client connects), exposes .url for serial_for_url, and on exit kills
    QEMU's whole process group.

    with QemuSession(elf, "mps2-an386") as q:
        ser = q.open_serial()
    """

    def __init__(
        self, elf: str | Path, board: str | Board, timeout: float = 10.0, extra_args: tuple[str, ...] = (),
        cwd: str | Path | None = None,
    ):
        self.board = get_board(board)
        if self.board.qemu is None:
            emulated = [b.name for b in boards() if b.is_emulated]
            raise QemuError(f"target {self.board.name} is not emulated; QEMU targets: {', '.join(emulated)}")
        self.elf = Path(elf)
        check_elf(self.elf, self.board)
        self.timeout = timeout
        self.extra_args = tuple(extra_args)
        # QEMU's working directory holds the semihosted weight store
        # (odl_store.bin): by default next to the ELF, so it survives reboots.
        self.cwd = Path(cwd) if cwd is not None else self.elf.resolve().parent
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        q = self.board.qemu
        return [
            q.binary, "-M", q.machine, *q.args,
            "-icount", "shift=0",
            "-nographic", "-monitor", "none",
            "-serial", f"tcp:127.0.0.1:{self.port},server=on,wait=on,nodelay=on",
            "-kernel", str(self.elf.resolve()),
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> QemuSession:
        binary = self.board.qemu.binary
        if shutil.which(binary) is None:
            raise QemuError(f"{binary} not found on PATH (needed for target {self.board.name})")
        for _attempt in range(3):  # the free port may be taken before QEMU binds it
            self.port = free_port()
            self._log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.cwd,
            )  # fmt: skip
            try:
                if self._wait_listening():
                    return self
            except BaseException:
                self.stop()
                raise
            log = self.output()
            self.stop()
            if "Address already in use" not in log:
                raise QemuError(f"QEMU failed to start for {self.board.name}:\n{log.strip()}")
        raise QemuError(f"QEMU for {self.board.name}: no free TCP port after 3 attempts")

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            state = _listening(self.port)
            if state is None:
                time.sleep(0.2)
                return True
            if state:
                return True
            time.sleep(0.01)
        self.stop()
        raise QemuError(
            f"QEMU for {self.board.name} did not listen on port {self.port} within {self.timeout} s"
        )

    def open_serial(self, timeout: float | None = None, read_timeout: float = 1.0):
        """Connects pyserial to the UART, retrying until QEMU accepts."""
        import serial

        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            try:
                return serial.serial_for_url(self.url, timeout=read_timeout)
            except serial.SerialException as e:
                if self.proc is None or self.proc.poll() is not None:
                    raise QemuError(f"QEMU exited before the UART connected:\n{self.output()}") from e
                if time.monotonic() > deadline:
                    raise QemuError(f"could not connect to {self.url}: {e}") from e
                time.sleep(0.05)

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the guest to exit; returns QEMU's exit status."""
        try:
            return self.proc.wait(timeout if timeout is not None else self.timeout)
        except subprocess.TimeoutExpired as e:
            raise QemuError(f"{self.board.name} firmware did not exit within {e.timeout} s") from e

    def output(self) -> str:
        """QEMU's own stdout/stderr (not the UART)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue

    def __enter__(self) -> QemuSession:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None
