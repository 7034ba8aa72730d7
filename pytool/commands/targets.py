"""tinyodl targets: the boards tinyodl builds for."""

from __future__ import annotations

import argparse

from rich.table import Table

from pytool.commands._common import fmt_bytes, out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from pytool.paths import TARGETS_DIR
    from pytool.targets import boards, toolchain_available

    if not boards():
        raise RuntimeError(f"no board folders under {TARGETS_DIR} (a broken installation: reinstall tinyodl)")
    rows = []
    for b in boards():
        how = f"QEMU {b.qemu.machine}" if b.is_emulated else f"pyOCD ({b.pyocd_target})"
        rows.append({
            "target": b.name, "cpu": b.cpu, "ram": b.ram_size, "flash": b.flash_size,
            "flash_method": how, "counter": b.counter_unit, "toolchain": toolchain_available(b),
            "description": b.description,
        })
    if args.json:
        import json

        print(json.dumps(rows, indent=1))
        return 0
    t = Table(title="targets (plus 'host': this machine, through cffi)")
    for c in ("target", "cpu", "RAM", "flash", "how it runs", "counter", "toolchain"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["target"], r["cpu"], fmt_bytes(r["ram"]), fmt_bytes(r["flash"]), r["flash_method"],
                  r["counter"], "[green]yes[/]" if r["toolchain"] else "[red]missing[/]")
    out.print(t)
    return 0
