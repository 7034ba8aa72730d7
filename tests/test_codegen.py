"""Codegen output is deterministic data + schedule, and host errors carry
the C status name."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fixture_path

from pytool import compile_model, load_host
from pytool.host import OdlError
from pytool.planner import BudgetError


def test_same_input_same_bytes(tmp_path):
    a = compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path / "a")
    b = compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path / "b")
    for f in ("model.c", "model.h"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert a.meta["hash"] == b.meta["hash"]
    c = compile_model(fixture_path("conv_1x1"), out_dir=tmp_path / "c")
    assert c.meta["hash"] != a.meta["hash"]


def test_generated_c_is_data_only(tmp_path):
    compile_model(fixture_path("conv_s2_same"), out_dir=tmp_path)
    text = (tmp_path / "model.c").read_text()
    # no functions, loops or branches: only const tables and the model struct
    for token in ("for (", "while (", "if (", "return"):
        assert token not in text
    assert "const odl_model_t odl_model" in text
    assert "ODL_ALIGN(16)" in text


def test_ram_budget_too_small_fails_with_breakdown(tmp_path):
    art = compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path / "ok")
    need = art.report["arena_bytes"]
    with pytest.raises(BudgetError) as e:
        compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path / "small", ram=need // 2)
    assert f"{need:,d}" in str(e.value) and "arena (activations)" in str(e.value)
    with pytest.raises(BudgetError, match="flash"):
        compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path / "f", flash="1K")


def test_planner_arena_smaller_than_sum_of_activations(tmp_path):
    art = compile_model(fixture_path("mobilenet_tiny"), out_dir=tmp_path)
    total = sum(t.nbytes for t in art.program.tensors if t.flags & 0x02)
    assert art.report["arena_bytes"] < total / 2
    assert art.report["arena_bytes"] >= art.report["peak_live_bytes"]


def test_c_status_surfaces_as_named_exception(tmp_path):
    art = compile_model(fixture_path("conv_1x1"), out_dir=tmp_path)
    net = load_host(art)
    with pytest.raises(OdlError) as e:
        net.check(net.lib.odl_init(net.ctx, net.lib.odl_host_model(), net.arena, 1), "odl_init")
    assert e.value.status == "ODL_ERR_ARENA" and "odl_init" in str(e.value)
    # the failed init leaves the context unusable, not half-initialised
    with pytest.raises(OdlError) as e:
        net.check(net.lib.odl_invoke(net.ctx), "odl_invoke")
    assert e.value.status == "ODL_ERR_STATE"
    net.reset()
    assert net.invoke(np.zeros(net.inputs[0].shape, np.int8)).dtype == np.int8
    with pytest.raises(TypeError, match="int8"):
        net.set_input(np.zeros(net.inputs[0].shape, np.float32))
