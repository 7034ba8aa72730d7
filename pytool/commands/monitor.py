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
    t.add_row("target", info.target)
    t.add_row("model hash", f"{info.model_hash:#010x}")
    t.add_row("runtime / protocol", f"{info.runtime_version[0]}.{info.runtime_version[1]} / {info.protocol}")
    t.add_row("arena", f"{info.arena_size:,} B")
    for kind, specs in (("input", info.inputs), ("output", info.outputs)):
        for k, sp in enumerate(specs):
            t.add_row(f"{kind} {k}", f"{sp.dtype} {sp.shape} scale {sp.scale:.6g} zp {sp.zero_point}")
    st = link.stats()
    t.add_row("invokes / train steps", f"{st.invokes} / {st.train_steps}")
    if st.counter is not None:
        t.add_row("last call (instructions or cycles)", f"{st.counter:,}")
    if st.stack_high_water is not None:
        t.add_row("stack high-water", f"{st.stack_high_water:,} B")
    t.add_row("frames ok / replayed / rejected", f"{st.frames_ok} / {st.frames_replayed} / {st.frames_rejected}")
    if info.train_method:
        from pytool.link import persist
        from pytool.link import train as lt
        from pytool.link.errors import LinkError

        t.add_row("training method", info.train_method_name)
        try:
            ts = lt.train_status(link)
        except LinkError:  # firmware from before TRAIN_STATUS
            ts = {"eval_samples": 0}
        if ts["eval_samples"]:
            t.add_row("last evaluation", f"{ts['eval_correct']}/{ts['eval_samples']} correct "
                      f"({ts['eval_accuracy']:.1%}), EVALs since the last training step")
        else:
            t.add_row("last evaluation", "none since the last training step (or boot)")
        try:
            s = persist.summary(link)
            t.add_row("committed generation", f"{s.generation} (0 = factory weights)")
            t.add_row("steps trained (committed)", str(s.committed_steps))
            t.add_row("uncommitted changes", "yes" if s.dirty else "no")
            t.add_row("store slots", ", ".join(x.name.lower() for x in s.slot_states))
            t.add_row("commits / bytes written since boot", f"{s.commits_written} / {s.bytes_written:,}")
        except LinkError as e:  # firmware built without a weight store
            t.add_row("weight store", f"unavailable ({e})")
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
