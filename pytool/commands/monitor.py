"""tinyodl monitor --port URL: device info, stats and log lines."""

from __future__ import annotations

import argparse
import time

from rich.table import Table

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="socket://host:port (QEMU) or a serial device (/dev/ttyACM0)")
    p.add_argument("--watch", type=float, default=0.0, help="refresh every N seconds (default: once)")


def show(link) -> None:
    info = link.info()
    t = Table(title=f"device on {link.url}")
    t.add_column("field")
    t.add_column("value")
    for k, v in vars(info).items() if hasattr(info, "__dict__") else info._asdict().items():
        if k == "model_hash":
            v = f"{v:#010x}"
        t.add_row(k, str(v))
    st = link.stats()
    for k, v in vars(st).items() if hasattr(st, "__dict__") else st._asdict().items():
        t.add_row(f"stats.{k}", str(v))
    extra = getattr(link, "store_status", None)
    if callable(extra):
        try:
            for k, v in extra().items():
                t.add_row(f"store.{k}", str(v))
        except Exception as e:  # older firmware without the store commands
            t.add_row("store", f"unavailable ({e})")
    out.print(t)
    for line in getattr(link, "logs", [])[-20:]:
        out.print(f"[dim]log:[/] {line}")


def run(args) -> int:
    from pytool.link import Link

    with Link(args.port) as link:
        show(link)
        while args.watch > 0:
            time.sleep(args.watch)
            show(link)
    return 0
