"""Memory planner: tensor lifetimes -> arena offsets, and the memory report.

Greedy by size (largest buffer first, lowest offset that does not collide
with any already placed buffer whose lifetime overlaps). Lifetimes are
inclusive op-index intervals, so an op's output never shares bytes with its
own inputs. A persistent region (trainable weights, optimizer state, training
scratch) sits at the start of the arena and is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALIGN = 16


def align_up(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


class BudgetError(ValueError):
    """A RAM or flash budget that the plan does not fit; the message holds the breakdown."""


@dataclass
class Buffer:
    name: str
    size: int
    first: int  # op index of birth (-1: before the first op, a graph input)
    last: int  # op index of last use (n_ops: a graph output)
    offset: int = -1


@dataclass
class Plan:
    buffers: dict[str, Buffer]
    persistent: dict[str, tuple[int, int]]  # name -> (offset, size)
    persistent_size: int
    arena_size: int
    n_ops: int
    const_bytes: int = 0
    extra: dict[str, int] = field(default_factory=dict)  # labelled extra RAM (training)
    # Stack a training call needs beyond the inference call (outside the
    # arena, counted against the RAM budget; 0 for inference).
    stack_bytes: int = 0

    def offset(self, name: str) -> int:
        if name in self.persistent:
            return self.persistent[name][0]
        return self.buffers[name].offset

    def live_bytes_per_op(self) -> list[int]:
        out = []
        for i in range(self.n_ops):
            out.append(sum(b.size for b in self.buffers.values() if b.first <= i <= b.last))
        return out

    def peak_live(self) -> int:
        return max(self.live_bytes_per_op(), default=0)


def plan_arena(
    buffers: list[Buffer], n_ops: int, persistent: list[tuple[str, int]] = ()
) -> Plan:
    pers: dict[str, tuple[int, int]] = {}
    off = 0
    for name, size in persistent:
        pers[name] = (off, size)
        off = align_up(off + size)
    base = off
    placed: list[Buffer] = []
    # Stable order: size desc, then birth, then name (deterministic output).
    for b in sorted(buffers, key=lambda b: (-b.size, b.first, b.name)):
        overlapping = sorted(
            (p for p in placed if not (p.last < b.first or b.last < p.first)), key=lambda p: p.offset
        )
        cand = base
        for p in overlapping:
            if cand + b.size <= p.offset:
                break
            cand = max(cand, align_up(p.offset + p.size))
        b.offset = cand
        placed.append(b)
    top = max((b.offset + b.size for b in placed), default=base)
    return Plan(
        buffers={b.name: b for b in buffers},
        persistent=pers,
        persistent_size=base,
        arena_size=align_up(max(top, base)),
        n_ops=n_ops,
    )


def parse_size(text: str | int | None) -> int | None:
    """'256K', '1M', '65536' -> bytes."""
    if text is None or isinstance(text, int):
        return text
    t = text.strip().upper().removesuffix("B")
    mult = 1
    if t.endswith("K"):
        mult, t = 1024, t[:-1]
    elif t.endswith("M"):
        mult, t = 1024 * 1024, t[:-1]
    try:
        return int(float(t) * mult)
    except ValueError:
        raise ValueError(f"cannot read size {text!r}: use bytes or a K/M suffix, e.g. 256K") from None


def check_budget(plan: Plan, ram: int | None, flash: int | None, what: str = "model") -> None:
    lines = [
        f"  arena (activations)      {plan.arena_size - plan.persistent_size:>9,d} B",
        f"  persistent (training)    {plan.persistent_size:>9,d} B",
    ]
    for k, v in plan.extra.items():
        lines.append(f"  {k:<24} {v:>9,d} B")
    # extra labels parts of the training RAM: arena parts, and the stack reserve
    # (stack_bytes) when a method sets one; only the latter is outside arena_size
    ram_total = plan.arena_size + plan.stack_bytes
    if ram is not None and ram_total > ram:
        raise BudgetError(
            f"{what} needs {ram_total:,d} B of RAM but the budget is {ram:,d} B "
            f"({ram_total - ram:,d} B over):\n" + "\n".join(lines)
        )
    if flash is not None and plan.const_bytes > flash:
        raise BudgetError(
            f"{what} needs {plan.const_bytes:,d} B of flash for weights but the budget is {flash:,d} B"
        )
