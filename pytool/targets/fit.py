"""Does a compiled model fit a board's RAM, and if not, what to cut.

The firmware needs, besides the model's arena: its stack, the serial-link
server (two payload buffers of `link_max_payload` bytes plus framing state)
and the runtime's fixed state (context, weight store, counters). The fixed
part is an upper bound checked against linked ELFs by tests/test_board_fit.py.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from pytool.planner import BudgetError
from pytool.targets.board import Board, get_board

RUNTIME_STATE_BYTES = 640  # link server framing + odl_ctx_t + odl_store_t + board state, rounded up


def firmware_ram(board: Board) -> dict[str, int]:
    """RAM the firmware needs beyond the model's arena, by part."""
    return {
        "stack": board.stack_size,
        "link buffers": 2 * board.link_max_payload,
        "runtime state": RUNTIME_STATE_BYTES,
    }


def model_ram(plan) -> int:
    return plan.arena_size + plan.stack_bytes


def check_board_fit(plan, target: str | Board, what: str, smaller: Callable[[], list[tuple[str, int]]]) -> None:
    """Raises BudgetError naming the parts and the cuts when the model plus
    the firmware exceed the board's RAM. smaller() lists (flag, RAM) of
    cheaper trainable sets, computed only when needed."""
    board = get_board(target)
    parts = firmware_ram(board)
    need = model_ram(plan) + sum(parts.values())
    if need <= board.ram_size:
        return
    over = need - board.ram_size
    lines = [f"{what} needs {need:,d} B of RAM on {board.name} but the board has {board.ram_size:,d} B "
             f"({over:,d} B over):",
             f"  model arena (+ training stack)  {model_ram(plan):>9,d} B"]
    lines += [f"  firmware {k:<22} {v:>9,d} B" for k, v in parts.items()]
    lines.append("to fit, cut one of:")
    room = board.ram_size - sum(parts.values())
    fits = [(flag, ram) for flag, ram in smaller() if ram <= room]
    for flag, ram in fits[:3]:
        lines.append(f"  - train less: {flag} needs {ram:,d} B of arena")
    link_cut = 2 * (board.link_max_payload - 256)
    if link_cut >= over:
        lines.append(f"  - smaller link buffers: link_max_payload = {max(256, board.link_max_payload - (over + 1) // 2)}"
                     f" (now {board.link_max_payload}) in {board.dir / 'board.toml'} saves {over:,d} B")
    elif link_cut > 0:
        lines.append(f"  - link_max_payload = 256 in {board.dir / 'board.toml'} saves {link_cut:,d} B (not enough alone)")
    if not fits and link_cut < over:
        lines.append("  - a board with more RAM (`tinyodl targets`)")
    raise BudgetError("\n".join(lines))


def smaller_trainable_sets(graph, spec, prepare) -> list[tuple[str, int]]:
    """(--trainable flag, arena bytes) of last:k for every k below the
    spec's, largest first; empty when the spec is not of the last:N form."""
    m = re.fullmatch(r"last:(\d+)", str(getattr(spec, "trainable", "")))
    if spec is None or not m:
        return []
    out = []
    for k in range(int(m.group(1)) - 1, 0, -1):
        try:
            prog, _ = prepare(graph, dataclasses.replace(spec, trainable=f"last:{k}"))
        except (ValueError, BudgetError):
            continue
        out.append((f"--trainable last:{k}", model_ram(prog.plan)))
    return out
