"""Planner: no two simultaneously live buffers overlap, budgets fail clearly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytool.planner import ALIGN, BudgetError, Buffer, check_budget, parse_size, plan_arena


@st.composite
def buffer_sets(draw):
    n_ops = draw(st.integers(1, 12))
    n = draw(st.integers(1, 20))
    bufs = []
    for k in range(n):
        a = draw(st.integers(-1, n_ops - 1))
        b = draw(st.integers(max(a, 0), n_ops))
        bufs.append(Buffer(f"t{k}", draw(st.integers(1, 5000)), a, b))
    return bufs, n_ops


@settings(max_examples=200, deadline=None)
@given(buffer_sets(), st.lists(st.integers(1, 300), max_size=3))
def test_live_buffers_never_overlap(case, persistent):
    bufs, n_ops = case
    plan = plan_arena(bufs, n_ops, [(f"p{i}", s) for i, s in enumerate(persistent)])
    placed = list(plan.buffers.values())
    for b in placed:
        assert b.offset % ALIGN == 0
        assert b.offset >= plan.persistent_size
        assert b.offset + b.size <= plan.arena_size
    for i, p in enumerate(placed):
        for q in placed[i + 1 :]:
            if not (p.last < q.first or q.last < p.first):
                assert p.offset + p.size <= q.offset or q.offset + q.size <= p.offset, (p, q)
    # the arena is never smaller than what is live at once
    assert plan.arena_size - plan.persistent_size >= plan.peak_live()


def test_chain_reuses_memory():
    # a -> b -> c -> d: a and c can share, b and d can share
    bufs = [Buffer("a", 1000, -1, 0), Buffer("b", 1000, 0, 1), Buffer("c", 1000, 1, 2), Buffer("d", 1000, 2, 3)]
    plan = plan_arena(bufs, 3)
    assert plan.arena_size <= 2 * 1008


def test_budget_error_has_breakdown():
    plan = plan_arena([Buffer("a", 4000, -1, 1)], 1, [("w", 1000)])
    with pytest.raises(BudgetError) as e:
        check_budget(plan, ram=2048, flash=None, what="m.tflite")
    msg = str(e.value)
    assert "m.tflite" in msg and "2,048" in msg and "persistent" in msg
    check_budget(plan, ram=plan.arena_size, flash=None)


def test_parse_size():
    assert parse_size("256K") == 262144
    assert parse_size("1M") == 1 << 20
    assert parse_size("4096") == 4096
    assert parse_size("64KB") == 65536
    with pytest.raises(ValueError, match="cannot read size"):
        parse_size("lots")
