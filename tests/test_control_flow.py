"""Models with several subgraphs: resource variables (CALL_ONCE + VAR_HANDLE /
READ_VARIABLE / ASSIGN_VARIABLE), IF and WHILE. The generated C equals TFLite
Micro's interpreter and the numpy twin byte for byte over consecutive invokes
(state carried) and after a reset."""

from __future__ import annotations

import numpy as np
import pytest
import tflm_three
from conftest import FIXTURES

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.reference import reset_state, run_float, run_int8

OPS = FIXTURES / "ops"


def _inputs(g, rng) -> list[np.ndarray]:
    out = []
    for n in g.inputs:
        t = g.tensors[n]
        info = np.iinfo(t.np_dtype)
        out.append(rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.np_dtype))
    return out


def run_three(path, build, n: int, reset_at: tuple[int, ...] = (), seed: int = 0, inputs=None):
    """TFLite Micro == host C == numpy twin over n invokes (tflm_three.run_three), random
    inputs unless inputs(k) is given; returns the artefact and the C's first outputs."""
    rng = np.random.default_rng(seed)
    g = load_graph(path)
    art, outs = tflm_three.run_three(path, build, n, inputs or (lambda k: _inputs(g, rng)), reset_at=reset_at)
    return art, [o[0] for o in outs]


@pytest.mark.parametrize("name", ["resource_var_int8", "resource_var_q_int8", "resource_var_q_int16"])
def test_resource_variable_state_carries_and_resets_as_tflite_micro(name, tmp_path):
    art, outs = run_three(OPS / f"{name}.tflite", tmp_path / "b", n=7, reset_at=(4,))
    g = art.graph
    (st,) = [n for n in g.meta["variables"] if n.startswith("variable:")]
    assert {op.type for op in g.ops} >= {"READ_VARIABLE", "ASSIGN_VARIABLE"}
    # The init subgraph folds to an assignment of a constant, run once by CALL_ONCE.
    (once,) = [op for op in g.ops if op.type == "CALL_ONCE"]
    init = g.subgraphs[once.attrs["init"]]
    assert [op.type for op in init.ops] == ["ASSIGN_VARIABLE"] and g.tensors[init.ops[0].inputs[0]].is_const
    # A reset before the first invoke does not skip the init; later ones do not repeat it.
    _, early = run_three(OPS / f"{name}.tflite", tmp_path / "e", n=5, reset_at=(0, 2))
    assert early[0].tobytes() == outs[0].tobytes() != early[2].tobytes()
    # The state matters: the same input twice gives different outputs.
    x = np.full((1, 6), 40, g.tensors[g.inputs[0]].np_dtype)
    _, again = run_three(OPS / f"{name}.tflite", tmp_path / "c", n=2, inputs=lambda k: [x])
    assert again[0].tobytes() != again[1].tobytes()
    # CALL_ONCE's value at init, TFLite Micro's fill byte after a reset.
    fill = g.meta["resource_fill"][st]
    assert not np.all(g.meta["variables"][st].view(np.uint8) == fill)
    assert np.all(reset_state(g)[st].view(np.uint8) == fill)
    if name == "resource_var_q_int8":
        assert g.tensors[st].dtype == "int8" and fill == 0x80  # zero point -128
    elif name == "resource_var_q_int16":
        assert g.tensors[st].dtype == "int16" and fill == 0  # 16x8: symmetric
    else:
        assert g.tensors[st].dtype == "float32" and fill == 0
    # The float reference starts from the variable's initial value, not from zero.
    y0 = run_float(g, [np.zeros((1, 6), np.float32)])[0]
    done = {once.inputs[0]: np.ones(1, np.uint8)}  # CALL_ONCE has run: a reset leaves the state at 0
    y1 = run_float(g, [np.zeros((1, 6), np.float32)], state=reset_state(g, done, real=True))[0]
    assert np.abs(y0).max() > 0.05 and np.allclose(y1, 0)


def test_if_runs_either_branch_as_tflite_micro(tmp_path):
    # All-positive inputs take the then branch (sum > 0), all-negative the else branch.
    levels = [100, -100, 7, -7, 127, -128]
    art, outs = run_three(OPS / "if_cond_int8.tflite", tmp_path / "b", n=len(levels) + 4,
                          inputs=lambda k: [np.full((1, 6), levels[k], np.int8)] if k < len(levels) else
                          [np.random.default_rng(k).integers(-128, 128, (1, 6), dtype=np.int8)])
    g = art.graph
    (op,) = [o for o in g.ops if o.type == "IF"]
    taken = {bool(run_int8(g, [np.full((1, 6), v, np.int8)], keep_all=True)[op.inputs[0]].reshape(-1)[0])
             for v in levels}
    assert taken == {True, False}
    # The branches' captured weights are constants (not IF args), quantized when read.
    assert len(op.inputs) == 2
    assert not any(o.type == "QUANTIZE" and g.tensors[o.inputs[0]].is_const for s in g.subgraphs.values() for o in s.ops)
    # Both branches are in the schedule, right after the IF, which skips them.
    cop = next(c for c in art.program.ops if c.type == "IF")
    n_then, n_else = cop.params[2:]
    assert n_then == len(g.subgraphs[op.attrs["then"]].ops) and n_else == len(g.subgraphs[op.attrs["else"]].ops)
    assert cop.nested == n_then + n_else and len(art.program.ops) == len(g.ops) + cop.nested


@pytest.mark.parametrize("name", ["while_loop_int8", "while_lstm_int8", "while_if_int8"])
def test_while_loop_matches_tflite_micro(name, tmp_path):
    # while_lstm: Keras 3's LSTM graph (GATHER of step i, gates by SPLIT), 5 steps;
    # while_if: an IF nested in the body (the body's range skips the branches).
    art, _ = run_three(OPS / f"{name}.tflite", tmp_path / "b", n=6)
    g = art.graph
    (op,) = [o for o in g.ops if o.type == "WHILE"]
    body = g.subgraphs[op.attrs["body"]]
    assert "FULLY_CONNECTED" in {o.type for o in body.ops}
    assert ("IF" in {o.type for o in body.ops}) == (name == "while_if_int8")
    # Loop-carried tensors and the body's tensors never share arena bytes; the
    # cond's and body's inputs share the loop values' bytes (no copy).
    prog = art.program
    k = next(j for j, c in enumerate(prog.ops) if c.type == "WHILE")
    cop = prog.ops[k]
    span = {i: (prog.tensors[i].offset, prog.tensors[i].nbytes) for c in prog.ops[k:k + 1 + cop.nested]
            for i in c.inputs + c.outputs if i >= 0 and prog.tensors[i].offset >= 0}
    carried = {i for i in cop.inputs + cop.outputs if i in span}
    for a in carried:
        for b in set(span) - carried:  # an alias (a nested IF's input) is the same buffer
            (oa, na), (ob, nb) = span[a], span[b]
            assert oa + na <= ob or ob + nb <= oa or span[a] == span[b], (prog.tensors[a].name, prog.tensors[b].name)
    n = len(op.outputs)
    outs, cond_in = cop.outputs, cop.inputs[n:2 * n]
    assert all(span[i][0] == span[o][0] for i, o in zip(cond_in, outs) if i in span)


def test_inspect_lists_subgraph_ops_and_training_is_refused(tmp_path, capsys):
    from pytool.cli import main
    from pytool.frontends import load_model
    from pytool.training import TrainSpec, TrainSpecError, prepare

    assert main(["inspect", str(OPS / "while_loop_int8.tflite")]) == 0
    text = capsys.readouterr().out
    assert "subgraph #1 'while_cond' (cond of WHILE op #1 in main graph)" in text
    assert "subgraph #2 'while_body' (body of WHILE op #1 in main graph)" in text and "TANH" in text
    g = load_model(OPS / "while_loop_int8.tflite")
    body = g.subgraphs[2]
    fc = next(op for op in body.ops if op.type == "FULLY_CONNECTED")
    with pytest.raises(TrainSpecError, match=r"'while/MatMul' is FULLY_CONNECTED #2 .* in subgraph #2 'while_body'"):
        prepare(g, TrainSpec(method="sparse", trainable=fc.name))
    with pytest.raises(TrainSpecError, match="the model has WHILE 'while': training a model with control flow"):
        prepare(g, TrainSpec(method="sparse", trainable="last:1"))


@pytest.mark.qemu
@pytest.mark.parametrize("name", ["resource_var_q_int8", "if_cond_int8", "while_loop_int8"])
def test_control_flow_on_qemu_matches_host_and_tflite_micro(name, tmp_path):
    """mps2-an386 (Cortex-M4F) over the serial link: the host's bytes, TFLite
    Micro's bytes, over invokes with state carried and after RESET_STATE."""
    from tflite_micro import runtime

    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = OPS / f"{name}.tflite"
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(5)
    xs = [np.full((1, 6), v, np.int8) for v in (90, -90)] + [rng.integers(-128, 128, (1, 6), dtype=np.int8)
                                                            for _ in range(3)]
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for k, x in enumerate(xs):
            if k == 3:
                ip.reset()
                net.reset_state()
                link.reset_state()
            ip.set_input(x, 0)
            ip.invoke()
            want = np.array(ip.get_output(0))
            np.testing.assert_array_equal(link.infer(x).reshape(want.shape), want, err_msg=f"invoke {k}")
            np.testing.assert_array_equal(net.invoke(x), want, err_msg=f"invoke {k}")


def _init_at_run_time_model() -> bytes:
    """int8 y = x + q(v); v = dq(y). CALL_ONCE's init sets v = tanh(c) with a float32
    TANH, which read-time folding does not evaluate (float32 op), so it runs on the
    device."""
    from ai_edge_litert import schema_py_generated as s
    from tflite_build import Sub, T, model

    B = s.BuiltinOperator
    handle = s.VarHandleOptionsT()
    handle.sharedName = b"v"
    once = s.CallOnceOptionsT()
    once.initSubgraphIndex = 1
    main = Sub(
        tensors=[T((1, 4), "int8", 0.05, 3), T((), "resource"), T((1, 4), "float32"), T((1, 4), "int8", 0.05, 3),
                 T((1, 4), "int8", 0.08, -2), T((1, 4), "float32")],
        ops=[(B.CALL_ONCE, [], [], s.BuiltinOptions.CallOnceOptions, once),
             (B.VAR_HANDLE, [], [1], s.BuiltinOptions.VarHandleOptions, handle),
             (B.READ_VARIABLE, [1], [2], 0, None),
             (B.QUANTIZE, [2], [3], 0, None),
             (B.ADD, [0, 3], [4], s.BuiltinOptions.AddOptions, s.AddOptionsT()),
             (B.DEQUANTIZE, [4], [5], 0, None),
             (B.ASSIGN_VARIABLE, [1, 5], [], 0, None)],
        inputs=[0], outputs=[4])
    init = Sub(
        tensors=[T((), "resource"), T((1, 4), "float32", data=np.array([[0.9, -0.4, 0.2, 1.7]], np.float32)),
                 T((1, 4), "float32")],
        ops=[(B.VAR_HANDLE, [], [0], s.BuiltinOptions.VarHandleOptions, handle),
             (B.TANH, [1], [2], 0, None),
             (B.ASSIGN_VARIABLE, [0, 2], [], 0, None)],
        inputs=[], outputs=[])
    return model([main, init])


def test_call_once_that_does_not_fold_runs_once_on_the_device(tmp_path):
    path = tmp_path / "once.tflite"
    path.write_bytes(_init_at_run_time_model())
    art, outs = run_three(path, tmp_path / "b", n=6, reset_at=(3,),
                          inputs=lambda k: [np.full((1, 4), 9, np.int8)])
    g = art.graph
    (op,) = [o for o in g.ops if o.type == "CALL_ONCE"]
    assert [o.type for o in g.subgraphs[op.attrs["init"]].ops] == ["TANH", "ASSIGN_VARIABLE"]
    # The state accumulates (v starts at tanh(c), then y each invoke); a reset
    # zeroes it and does not run the init again (else invoke 3 would repeat invoke 0).
    assert len({o.tobytes() for o in outs[:3]}) == 3
    assert outs[3].tobytes() != outs[0].tobytes() and outs[4].tobytes() != outs[1].tobytes()


def _if_model(then: int, other: int, cond: bool = True, cond_type: str = "bool", branch_op: str = "MUL") -> bytes:
    """IF(cond, x) whose branches are subgraph `then` / `other`; subgraph 1 returns
    its input, subgraph 2 gives the input's negation by a MUL."""
    from ai_edge_litert import schema_py_generated as s
    from tflite_build import Sub, T, model

    B = s.BuiltinOperator
    o = s.IfOptionsT()
    o.thenSubgraphIndex, o.elseSubgraphIndex = then, other
    main = Sub(tensors=[T((1, 4), "int8", 0.1, 0), T((1,), cond_type, data=np.array([cond])),
                        T((1, 4), "int8", 0.1, 0)],
               ops=[(B.IF, [1, 0], [2], s.BuiltinOptions.IfOptions, o)], inputs=[0], outputs=[2])
    same = Sub(tensors=[T((1, 4), "int8", 0.1, 0)], ops=[], inputs=[0], outputs=[0])
    neg = Sub(tensors=[T((1, 4), "int8", 0.1, 0), T((1,), "int8", 0.5, 0, data=np.array([-2], np.int8)),
                       T((1, 4), "int8", 0.1, 0)],
              ops=[(getattr(B, branch_op), [0, 1], [2], s.BuiltinOptions.MulOptions, s.MulOptionsT())],
              inputs=[0], outputs=[2])
    return model([main, same, neg])


@pytest.mark.parametrize("then, other, cond", [(1, 2, True), (1, 2, False), (2, 2, True)])
def test_if_hand_built_branches_shared_or_empty(then, other, cond, tmp_path):
    # An empty branch (its input is its output), a branch both IF arms share.
    path = tmp_path / "if.tflite"
    path.write_bytes(_if_model(then, other, cond))
    x = np.array([[5, -7, 30, -128]], np.int8)
    _, outs = run_three(path, tmp_path / "b", n=1, inputs=lambda k: [x])
    want = x if (then if cond else other) == 1 else np.clip(-x.astype(np.int32), -128, 127).astype(np.int8)
    np.testing.assert_array_equal(outs[0], want)


@pytest.mark.parametrize("then, other, cond_type, why", [
    (1, 5, "bool", "its else subgraph #5 does not exist"),
    (0, 1, "bool", "its then subgraph #0 calls itself"),
    (1, 2, "int32", r"the condition 't1' is int32\[1\]; TFLite Micro's IF takes a one-element bool")])
def test_bad_if_is_refused_in_one_line(then, other, cond_type, why, tmp_path):
    from pytool.frontends import ModelError, load_model

    path = tmp_path / "bad.tflite"
    path.write_bytes(_if_model(then, other, cond_type=cond_type))
    with pytest.raises(ModelError, match=why) as e:
        load_model(path)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def _swap_loop_model(steps: int) -> bytes:
    """WHILE (i, a, b): i < steps; body (i + 1, b, a): the loop values swap places
    each iteration (so a body input is the body's output at another position)."""
    from ai_edge_litert import schema_py_generated as s
    from tflite_build import Sub, T, model

    B = s.BuiltinOperator
    o = s.WhileOptionsT()
    o.condSubgraphIndex, o.bodySubgraphIndex = 1, 2
    vals = [T((), "int32", data=np.array(0, np.int32)), T((1, 3), "int8", 0.1, 0), T((1, 3), "int8", 0.1, 0)]
    main = Sub(tensors=vals[:1] + [T((1, 3), "int8", 0.1, 0)] * 2 + [T((), "int32"), T((1, 3), "int8", 0.1, 0),
                                                                      T((1, 3), "int8", 0.1, 0)],
               ops=[(B.WHILE, [0, 1, 2], [3, 4, 5], s.BuiltinOptions.WhileOptions, o)], inputs=[1, 2], outputs=[4, 5])
    loop = [T((), "int32"), T((1, 3), "int8", 0.1, 0), T((1, 3), "int8", 0.1, 0)]
    cond = Sub(tensors=loop + [T((), "int32", data=np.array(steps, np.int32)), T((), "bool")],
               ops=[(B.LESS, [0, 3], [4], 0, None)], inputs=[0, 1, 2], outputs=[4])
    body = Sub(tensors=loop + [T((), "int32", data=np.array(1, np.int32)), T((), "int32")],
               ops=[(B.ADD, [0, 3], [4], s.BuiltinOptions.AddOptions, s.AddOptionsT())],
               inputs=[0, 1, 2], outputs=[4, 2, 1])
    return model([main, cond, body])


@pytest.mark.parametrize("steps", [2, 3])
def test_while_values_swapping_places_keep_their_own_bytes(steps, tmp_path):
    path = tmp_path / "swap.tflite"
    path.write_bytes(_swap_loop_model(steps))
    a, b = np.array([[1, 2, 3]], np.int8), np.array([[-4, -5, -6]], np.int8)
    from tflite_micro import runtime

    art = compile_model(path, out_dir=tmp_path / "b")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    ip.set_input(a, 0)
    ip.set_input(b, 1)
    ip.invoke()
    want = [np.array(ip.get_output(i)) for i in range(2)]
    got = net.invoke(a, b)
    ref = run_int8(art.graph, [a, b])
    expect = (a, b) if steps % 2 == 0 else (b, a)
    for w, c, r, e in zip(want, got, ref, expect, strict=True):
        np.testing.assert_array_equal(w, e)
        np.testing.assert_array_equal(c, w)
        np.testing.assert_array_equal(r, w)


@pytest.mark.parametrize("state", ["reset", "carry"])
def test_validate_resource_variables(state, tmp_path):
    """tinyodl validate's reset mode resets before every sample, the first too:
    TFLite Micro still runs CALL_ONCE at the first invoke, and so do the host
    build and the float references."""
    from pytool import validate as v

    x = np.random.default_rng(4).integers(-128, 128, (5, 6), dtype=np.int8)
    np.savez(tmp_path / "x.npz", x=x)
    rep = v.validate(OPS / "resource_var_int8.tflite", tmp_path / "x.npz", state=state, log=lambda m: None)
    rows = {c.engine: c for c in rep.comparisons}
    assert rep.bit_exact and rows["TFLite Micro"].exact == 1.0
    assert rows["int8 model in float"].sqnr_db > 25


def test_inspect_flags_an_unsupported_op_inside_a_branch(tmp_path, capsys):
    from pytool.cli import main

    path = tmp_path / "if.tflite"
    path.write_bytes(_if_model(1, 2, branch_op="LSH_PROJECTION"))
    assert main(["inspect", str(path)]) == 1
    text = " ".join(capsys.readouterr().out.split())  # rich wraps at the terminal width
    assert "subgraph #2 'subgraph2' (else of IF op #0 in main graph)" in text
    assert "unsupported: subgraph #2:" in text and "op type LSH_PROJECTION is not supported" in text
