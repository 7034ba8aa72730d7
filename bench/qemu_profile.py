"""Per-function instruction profile of firmware on QEMU, from QEMU's own log.

QEMU logs every translated block once (`-d in_asm`: its instructions) and every
execution of a block (`-d exec,nochain`: one line naming the block's start PC and
symbol; `nochain` stops QEMU from chaining blocks past the logger). Instructions
per function = sum over executed blocks of the block's instruction count. Under
`-icount shift=0` this is exact: the sum over a training step matches the
firmware's own counter (STATS) to within the counter's reads.

`-dfilter` limits logging to the functions we profile, which leaves out the
serial poll loop (it spins for a host-timing-dependent number of instructions
while waiting for bytes); the window starts at the first entry of `start`
(e.g. odl_train_step) and ends at the next entry of `start` or the end.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Never inside a training step: the link server, the UART, the poll loop
# (inlined into main) and the STATS command's stack scan.
LINK_FUNCS = re.compile(r"^(main|odl_link_\w*|cmd_\w*|board_\w*|cortexm_\w*|io_\w*|cobs\w*|\w*crc\w*|"
                        r"\w*uart\w*|handle_\w*|frame_\w*|reply\w*|send\w*|_start|Reset_Handler)$")

MAC_FILES = re.compile(r"(conv_2d|depthwise_conv_2d|fully_connected)\w*\.c$")
UPDATE_NAMES = re.compile(r"update|apply|optim|sgd|adam|momentum|round_shift|write_?back|sp_scale|perturb|prng|"
                          r"rand|regen|delta|commit|master")
UPDATE_KERNEL_NAMES = re.compile(r"perturb|update|sgd|adam|momentum|round_shift|write_?back|sp_scale")
BW_FILES = re.compile(r"/train/(\w+/)?bw_\w+\.c$")  # backward kernels, portable or per CPU family
CONVERSION_NAMES = re.compile(r"f16_(to|from)_|to_f16|f32_to|from_f32|_cvt")


def bucket_of(name: str, source: str) -> str:
    """Where a function's instructions count: MAC kernels (conv / depthwise /
    FC forward and backward), other ops (pooling, activations, softmax, loss),
    update (optimiser, perturbation, requantised write-back), fp16 conversion
    (when not inlined into a kernel), bookkeeping (dispatch, op decoding,
    method glue, libc)."""
    if CONVERSION_NAMES.search(name):
        return "fp16 conversion"
    in_runtime = "/kernels/" in source or "/train/" in source
    if in_runtime and UPDATE_KERNEL_NAMES.search(name):
        return "update"  # e.g. the perturbation or master-weight kernels beside the MAC kernels
    if "/kernels/" in source or BW_FILES.search(source):
        return "MAC kernels" if MAC_FILES.search(source) else "other ops"
    if "/train/" in source and (UPDATE_NAMES.search(name) or source.endswith(("optim.c", "prng.c"))):
        return "update"
    if name.endswith("_step") and source.endswith(("fp16_backprop.c", "forward_grad.c", "sparse_update.c")):
        return "update"  # a method's step body: mostly its inlined update loop
    if source.endswith("loss.c"):
        return "other ops"
    return "bookkeeping"


@dataclass
class Profile:
    functions: Counter = field(default_factory=Counter)  # name -> instructions in the window
    sources: dict[str, str] = field(default_factory=dict)  # name -> source file (from the ELF's debug info)

    @property
    def total(self) -> int:
        return sum(self.functions.values())

    def buckets(self) -> dict[str, int]:
        out: Counter = Counter()
        for name, n in self.functions.items():
            out[bucket_of(name, self.sources.get(name, ""))] += n
        return dict(out)

    def shares(self) -> dict[str, float]:
        t = max(self.total, 1)
        return {k: v / t for k, v in sorted(self.buckets().items(), key=lambda kv: -kv[1])}

    def top(self, n: int = 12) -> list[tuple[str, int]]:
        return self.functions.most_common(n)


def text_symbols(elf: Path, nm: str) -> list[tuple[int, int, str, str]]:
    """(address, size, name, source file or "") of the ELF's function symbols."""
    out = subprocess.run([nm, "-l", "-S", "-n", str(elf)], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 4 and p[2] in "tTwW" and int(p[1], 16) > 0:
            src = p[4].rsplit(":", 1)[0] if len(p) > 4 else ""
            syms.append((int(p[0], 16) & ~1, int(p[1], 16), p[3], src))
    return syms


def qemu_log_args(elf: Path, nm: str, log: Path) -> tuple[str, ...]:
    """Extra QEMU arguments that log the profiled functions (all but the link's)."""
    ranges = [f"0x{a:x}+0x{n:x}" for a, n, name, _ in text_symbols(elf, nm) if not LINK_FUNCS.match(name)]
    return ("-d", "exec,nochain,in_asm", "-D", str(log), "-dfilter", ",".join(ranges))


_TRACE = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/[0-9a-f]+/[0-9a-f]+\] ?(\S*)")


def source_map(elf: Path, nm: str) -> dict[str, str]:
    return {name: src for _, _, name, src in text_symbols(elf, nm)}


def entry_address(elf: Path, nm: str, name: str) -> int:
    for addr, _, sym, _ in text_symbols(elf, nm):
        if sym == name:
            return addr
    raise KeyError(f"{elf}: no function {name}")


def parse_log(log: Path, entry: int, occurrence: int = 1, sources: dict[str, str] | None = None) -> Profile:
    """Profile of the window from the occurrence-th execution of the block at
    `entry` (a function's first instruction) to the next one (or the log's end)."""
    size: dict[int, int] = {}
    tb_pc, tb_n = None, 0
    seen = 0
    prof = Profile(sources=dict(sources or {}))
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                tb_pc, tb_n = None, 0
            elif line.startswith("0x") and ":" in line[:12]:
                if tb_pc is None:
                    tb_pc = int(line.split(":", 1)[0], 16)
                tb_n += 1
            elif line.startswith("Trace"):
                if tb_pc is not None:
                    size[tb_pc] = tb_n
                    tb_pc = None
                m = _TRACE.search(line)
                if not m:
                    continue
                pc, name = int(m.group(1), 16), m.group(2) or "?"
                if pc == entry:
                    seen += 1
                    if seen > occurrence:
                        break
                if seen == occurrence and not LINK_FUNCS.match(name):
                    prof.functions[name] += size.get(pc, 0)
    return prof
