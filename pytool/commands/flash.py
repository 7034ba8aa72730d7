"""tinyodl flash DIR --target BOARD: QEMU boots the image and serves the
link until Ctrl-C; a real board is programmed with pyOCD."""

from __future__ import annotations

import argparse
import signal
import time

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="folder with firmware.elf (from `tinyodl build`), or the ELF")
    p.add_argument("--target", required=True, help="board name (see `tinyodl targets`)")
    p.add_argument("--probe", help="pyOCD probe unique id (real boards; default: the only probe)")
    p.add_argument("--port", help="real boards: serial port to check the handshake on, e.g. /dev/ttyACM0")
    p.add_argument("--for", dest="duration", type=float, default=None,
                   help="QEMU: stop after this many seconds (default: until Ctrl-C)")


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # unwinds the QemuSession so QEMU is stopped too


def run(args) -> int:
    from pytool.link import Link

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from pytool.targets import flash

    session = flash(args.build, args.target, probe=args.probe)
    if session is None:
        out.print(f"programmed {args.target}")
        if args.port:
            with Link(args.port) as link:
                info = link.info()
            out.print(f"handshake ok: {info}")
        return 0
    with session:
        with Link(session.url) as link:
            info = link.info()
        out.print(f"{args.target} is running in QEMU; handshake ok (model hash {info.model_hash:#010x})")
        out.print(f"link URL: [bold]{session.url}[/]   (Ctrl-C stops QEMU)")
        t0 = time.monotonic()
        try:
            while args.duration is None or time.monotonic() - t0 < args.duration:
                if session.proc.poll() is not None:
                    out.print(f"QEMU exited with {session.proc.returncode}")
                    return 1
                time.sleep(0.2)
        except KeyboardInterrupt:
            out.print("stopping QEMU")
    return 0
