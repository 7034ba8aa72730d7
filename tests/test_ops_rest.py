"""The last TFLite Micro ops: DYNAMIC_UPDATE_SLICE (int8, int16, int32,
float32 with computed int32 / int64 start indices, clamped as TFLite Micro
clamps them), on schema-built models: the generated C gives TFLite Micro's
bytes and the numpy twin the C's; mps2-an386 gives the host's bytes."""

from __future__ import annotations

import numpy as np
import pytest
from f32_models import Builder

from pytool import compile_model, load_host
from pytool.reference import run_int8

ADD, DEQUANTIZE, DYNAMIC_UPDATE_SLICE = 0, 6, 151
QUANT = {"int8": (0.05, -3), "int16": (0.002, 0)}


def _t(b: Builder, shape, dtype: str) -> int:
    scale, zp = QUANT.get(dtype, (None, 0))
    return b.t(shape, dtype, scale, zp)


def dus_model(dtype: str, index_dtype: str = "int32") -> bytes:
    """operand [3, 4, 5] and update [2, 2, 3] inputs; the start indices an
    input (int64) or computed (int32: input + [1, -1, 2]); a second update of
    the operand's own size through constant indices."""
    b = Builder(5)
    x, u, s = _t(b, (3, 4, 5), dtype), _t(b, (2, 2, 3), dtype), b.t((3,), index_dtype)
    x_in = x
    if dtype == "float32":  # an int8 model with a float32 island: the operand is dequantized
        x_in = _t(b, (3, 4, 5), "int8")
        b.op(DEQUANTIZE, [x_in], [x])
    if index_dtype == "int32":
        start = b.t((3,), "int32")
        b.op(ADD, [s, b.t((3,), "int32", data=np.array([1, -1, 2], np.int32))], [start])
    else:
        start = s
    y, full = _t(b, (3, 4, 5), dtype), _t(b, (3, 4, 5), dtype)
    b.op(DYNAMIC_UPDATE_SLICE, [x, u, start], [y])
    b.op(DYNAMIC_UPDATE_SLICE, [y, x, b.t((3,), "int32", data=np.array([7, -9, 2], np.int32))], [full])
    y2 = _t(b, (3, 4, 5), dtype)
    b.op(DYNAMIC_UPDATE_SLICE, [x, u, b.t((3,), "int32", data=np.array([1, 9, -4], np.int32))], [y2])
    return b.build([x_in, u, s], [y, full, y2])


def _values(rng, shape, dtype: str) -> np.ndarray:
    if dtype == "float32":
        return rng.uniform(-4, 4, shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def _compare(path, tmp_path, inputs: list[list[np.ndarray]]) -> list:
    from tflite_micro import runtime

    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    outs = []
    for k, xs in enumerate(inputs):
        for i, x in enumerate(xs):
            ip.set_input(x, i)
        ip.invoke()
        got = net.invoke(*xs)
        got = list(got) if isinstance(got, tuple | list) else [got]
        for i, (c, r) in enumerate(zip(got, run_int8(art.graph, list(xs)))):
            w = np.array(ip.get_output(i))
            assert c.dtype == w.dtype and c.tobytes() == w.tobytes(), f"invoke {k} output {i}: TFLite Micro"
            assert r.tobytes() == c.tobytes(), f"invoke {k} output {i}: numpy twin"
        outs.append(got)
    return outs


def _dus_inputs(dtype: str, index_dtype: str, n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[_values(rng, (3, 4, 5), "int8" if dtype == "float32" else dtype), _values(rng, (2, 2, 3), dtype),
             rng.integers(-3, 7, 3).astype(index_dtype)] for _ in range(n)]


@pytest.mark.parametrize("dtype,index_dtype", [("int8", "int32"), ("int16", "int64"), ("int32", "int32"),
                                               ("float32", "int64")])
def test_dynamic_update_slice_matches_tflite_micro(dtype, index_dtype, tmp_path):
    path = tmp_path / "dus.tflite"
    path.write_bytes(dus_model(dtype, index_dtype))
    xs = _dus_inputs(dtype, index_dtype, 6, len(dtype))
    xs[0][2] = np.array([-(2**31) + 5 if index_dtype == "int32" else -(2**40), 2, 9], index_dtype)  # clamped
    outs = _compare(path, tmp_path, xs)
    # the update landed somewhere: not every output equals the operand
    assert any(o[0].tobytes() != o[1].tobytes() for o in outs)
    if dtype != "float32":  # the full-size update copies the operand
        assert all(o[1].tobytes() == x[0].tobytes() for o, x in zip(outs, xs))


REDUCE_ANY, REDUCE_ALL, GREATER = 91, 140, 61


def _reducer(keep: bool):
    from ai_edge_litert import schema_py_generated as s

    o = s.ReducerOptionsT()
    o.keepDims = keep
    return o, s.BuiltinOptions.ReducerOptions


def reduce_bool_model(code: int) -> bytes:
    """bool input [2, 3, 4] and GREATER(int8 input, 0): the reduction over
    axis 1, axes (1, 2) kept, every axis, axis -1 and axes (0, 2) (not
    contiguous) kept."""
    b = Builder(2)
    x, q = b.t((2, 3, 4), "bool"), b.t((2, 3, 4), "int8", 0.1, 0)
    gt = b.t((2, 3, 4), "bool")
    b.op(GREATER, [q, b.t((1,), "int8", 0.1, 0, data=np.zeros(1, np.int8))], [gt])
    outs = []
    for src, axes, keep, shape in ((x, [1], False, (2, 4)), (x, [1, -1], True, (2, 1, 1)),
                                   (gt, [0, 1, 2], False, ()), (gt, [-1], False, (2, 3)),
                                   (x, [2, 0], True, (1, 3, 1))):
        y = b.t(shape, "bool")
        b.op(code, [src, b.t((len(axes),), "int32", data=np.array(axes, np.int32))], [y], *_reducer(keep))
        outs.append(y)
    return b.build([x, q], outs)


def _bool_inputs(n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.random((2, 3, 4)) < p, rng.integers(-5, 128, (2, 3, 4)).astype(np.int8)]
            for p in np.linspace(0.6, 1.0, n)]


def test_reduce_all_matches_tflite_micro(tmp_path):
    path = tmp_path / "all.tflite"
    path.write_bytes(reduce_bool_model(REDUCE_ALL))
    outs = _compare(path, tmp_path, _bool_inputs(6, 3))
    flat = np.concatenate([np.ravel(o) for out in outs for o in out])
    assert flat.any() and not flat.all()


def test_reduce_any_matches_litert(tmp_path):
    """TFLite Micro has no REDUCE_ANY: LiteRT's interpreter is the reference."""
    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path / "any.tflite"
    path.write_bytes(reduce_bool_model(REDUCE_ANY))
    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = Interpreter(model_path=str(path))
    ip.allocate_tensors()
    for xs in _bool_inputs(5, 4):
        xs = [~xs[0], -xs[1]]  # mostly false
        for d, x in zip(ip.get_input_details(), xs):
            ip.set_tensor(d["index"], x)
        ip.invoke()
        for d, c, r in zip(ip.get_output_details(), net.invoke(*xs), run_int8(art.graph, xs)):
            w = ip.get_tensor(d["index"])
            assert c.dtype == w.dtype and c.tobytes() == w.tobytes() and r.tobytes() == c.tobytes()


RELU = 19


def circular_buffer_model() -> bytes:
    """x [1, 1, 2, 3] int8 -> CIRCULAR_BUFFER without options, 5 slots (TFLite
    Micro's guess: runs every invoke) -> ya; -> CIRCULAR_BUFFER cycles_max 3
    with a valid output (never stops) -> yc, valid; -> CIRCULAR_BUFFER
    cycles_max 2, 3 slots -> yb -> RELU -> r (runs every other invoke)."""
    from signal_build import Node, graph_model
    from tflite_build import T

    q = (0.1, -3)
    ts = [T((1, 1, 2, 3), "int8", *q), T((1, 5, 2, 3), "int8", *q), T((1, 3, 2, 3), "int8", *q),
          T((1, 3, 2, 3), "int8", *q), T((1, 4, 2, 3), "int8", *q), T((1,), "bool")]
    nodes = [Node("CIRCULAR_BUFFER", [0], [1]), Node("CIRCULAR_BUFFER", [0], [4, 5], {"cycles_max": 3}),
             Node("CIRCULAR_BUFFER", [0], [2], {"cycles_max": 2}), Node(RELU, [2], [3])]
    return graph_model(ts, nodes, [0], [1, 2, 3, 4, 5], raw_options={0: b""})


def test_circular_buffer_matches_tflite_micro(tmp_path):
    """Outputs compared once their slots hold real samples (TFLite Micro's
    buffer starts as whatever its arena held) and, after the stride's
    stop, only where the op ran (TFLite Micro leaves stale arena bytes)."""
    from tflite_micro import runtime

    path = tmp_path / "cb.tflite"
    path.write_bytes(circular_buffer_model())
    art = compile_model(path, out_dir=tmp_path / "build")
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(6)
    state: dict = {}
    stops, valids = [], []
    for k in range(9):
        x = rng.integers(-128, 128, (1, 1, 2, 3)).astype(np.int8)
        ip.set_input(x, 0)
        ip.invoke()
        got = net.invoke(x)
        ref = run_int8(art.graph, [x], state=state)
        stops.append(net.stopped)
        valids.append(got[4])
        want = [np.array(ip.get_output(i)) for i in range(5)]
        for i, ready in enumerate((k >= 4, k >= 2, k >= 2 and not net.stopped, k >= 3, True)):
            if ready:
                assert got[i].tobytes() == want[i].tobytes(), f"invoke {k} output {i}: TFLite Micro"
        for i in (0, 1, 3, 4):  # the buffers and valid are defined on every invoke
            assert ref[i].tobytes() == got[i].tobytes(), f"invoke {k} output {i}: numpy twin"
        assert got[1].reshape(3, 6)[-1].tobytes() == x.tobytes()
    assert stops == [True, False] * 4 + [True]
    assert [bool(v[0]) for v in valids] == [False, False, True] * 3
    net.reset_state()
    x = np.full((1, 1, 2, 3), -3, np.int8)  # the zero point: the restarted buffers hold nothing else
    assert np.all(net.invoke(x)[0] == -3) and net.stopped  # and the counter restarts
    assert np.all(net.invoke(x)[1] == -3) and not net.stopped


def test_circular_buffer_refusals(tmp_path):
    from signal_build import Node, graph_model
    from tflite_build import T

    from pytool.frontends import load_model
    from pytool.training import TrainSpec, TrainSpecError, prepare

    path = tmp_path / "cb.tflite"
    path.write_bytes(circular_buffer_model())
    with pytest.raises(TrainSpecError, match="CIRCULAR_BUFFER .* skips invokes"):
        prepare(load_model(path), TrainSpec(method="sparse", trainable="last:1"))
    ts = [T((1, 1, 2, 3), "int16", 0.1, 0), T((1, 4, 2, 3), "int16", 0.1, 0)]
    path.write_bytes(graph_model(ts, [Node("CIRCULAR_BUFFER", [0], [1], {"cycles_max": 2})], [0], [1]))
    with pytest.raises(Exception, match="CIRCULAR_BUFFER .* int8 only"):
        compile_model(path, out_dir=tmp_path / "build")


SHAPE, ZEROS_LIKE, BROADCAST_ARGS = 77, 93, 145


def static_shape_model() -> bytes:
    """SHAPE, ZEROS_LIKE and BROADCAST_ARGS of a (non-constant) input: folded
    from its static shape, as model outputs (copied from the folded
    constants) and read by an ADD; plus BROADCAST_ARGS of two computed
    shapes (runs at invoke time)."""
    b = Builder(0)
    x, s1, s2 = b.t((2, 3), "int8", 0.1, 0), b.t((3,), "int32"), b.t((2,), "int32")
    s = b.t((2,), "int32")
    b.op(SHAPE, [x], [s])
    z = b.t((2, 3), "int8", 0.1, 0)
    b.op(ZEROS_LIKE, [x], [z])
    ba = b.t((3,), "int32")
    b.op(BROADCAST_ARGS, [s, b.t((3,), "int32", data=np.array([4, 1, 3], np.int32))], [ba])
    y = b.t((2, 3), "int8", 0.1, 0)
    b.op(ADD, [x, z], [y])
    dyn = b.t((3,), "int32")
    b.op(BROADCAST_ARGS, [s1, s2], [dyn])
    return b.build([x, s1, s2], [s, z, ba, y, dyn])


def test_static_shape_ops_fold_and_broadcast_args_runs(tmp_path):
    path = tmp_path / "shape.tflite"
    path.write_bytes(static_shape_model())
    rng = np.random.default_rng(8)
    xs = [[rng.integers(-128, 128, (2, 3)).astype(np.int8), np.array(s1, np.int32), np.array(s2, np.int32)]
          for s1, s2 in (([4, 1, 3], [5, 1]), ([1, 7, 1], [1, 9]), ([2, 2, 2], [1, 2]))]
    outs = _compare(path, tmp_path, xs)
    assert outs[0][0].tolist() == [2, 3] and outs[0][2].tolist() == [4, 2, 3] and not outs[0][1].any()
    assert [o[4].tolist() for o in outs] == [[4, 5, 3], [1, 7, 9], [2, 2, 2]]
    art = compile_model(path, out_dir=tmp_path / "build")
    assert [op.type for op in art.graph.ops].count("BROADCAST_ARGS") == 1  # the computed one
    net = load_host(art)
    from pytool.host import OdlError

    with pytest.raises(OdlError, match="ODL_ERR_SHAPE"):  # 3 vs 2: TFLite Micro aborts the process
        net.invoke(xs[0][0], np.array([4, 1, 3], np.int32), np.array([5, 2], np.int32))


def test_broadcast_args_int64_matches_tflite_micro(tmp_path):
    b = Builder(0)
    s1, s2, y = b.t((2,), "int64"), b.t((4,), "int64"), b.t((4,), "int64")
    b.op(BROADCAST_ARGS, [s1, s2], [y])
    path = tmp_path / "ba64.tflite"
    path.write_bytes(b.build([s1, s2], [y]))
    xs = [[np.array([1, 6], np.int64), np.array([2, 3, 5, 1], np.int64)],
          [np.array([2**33 + 7, 1], np.int64), np.array([1, 1, 1, 4], np.int64)]]  # int64 dims pass through int
    outs = _compare(path, tmp_path, xs)
    assert outs[0][0].tolist() == [2, 3, 5, 6] and outs[1][0].tolist() == [1, 1, 7, 4]


def device_model() -> bytes:
    """The new ops in one graph for the board: a CIRCULAR_BUFFER (cycles_max
    2) that stops every other invoke, then a RELU, DYNAMIC_UPDATE_SLICE with
    computed int32 indices, REDUCE_ALL over axes (0, 2), BROADCAST_ARGS of
    input shapes and BasicClassifier.
    The buffer comes first: TFLite Micro keeps it in the output tensor,
    whose arena bytes the ops before it in the graph may reuse."""
    from signal_build import Node, graph_model
    from tflite_build import T

    q = (0.05, -3)
    ts = [T((3, 4, 5), "int8", *q), T((2, 2, 3), "int8", *q), T((3,), "int32"), T((2, 3, 4), "bool"),
          T((3,), "int32"), T((2,), "int32"), T((1, 1, 2, 3), "int8", *q),  # 0-6: inputs
          T((3,), "int32", data=np.array([1, -1, 2], np.int32)), T((3,), "int32"), T((3, 4, 5), "int8", *q),
          T((2,), "int32", data=np.array([0, 2], np.int32)), T((3,), "bool"), T((3,), "int32"),
          T((1, 3, 2, 3), "int8", *q), T((1, 3, 2, 3), "int8", *q),
          T((1, 6), "int32"), T((3,), "int32", data=np.array([4, 0, 2], np.int32)),  # 15-19: BasicClassifier
          T((3,), "int32", data=np.array([0, 10, -5], np.int32)), T((3,), "bool"), T((3,), "int32")]
    nodes = [Node("CIRCULAR_BUFFER", [6], [13], {"cycles_max": 2}), Node(RELU, [13], [14]),
             Node(ADD, [2, 7], [8]), Node(DYNAMIC_UPDATE_SLICE, [0, 1, 8], [9]),
             Node(REDUCE_ALL, [3, 10], [11], builtin_options=_reducer(False)), Node(BROADCAST_ARGS, [4, 5], [12]),
             Node("BasicClassifier", [15, 16, 17], [18, 19])]
    return graph_model(ts, nodes, [0, 1, 2, 3, 4, 5, 6, 15], [9, 11, 12, 13, 14, 18, 19])


def _device_inputs(n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[_values(rng, (3, 4, 5), "int8"), _values(rng, (2, 2, 3), "int8"), rng.integers(-3, 7, 3).astype(np.int32),
             rng.random((2, 3, 4)) < 0.85, np.array([4, 1, 3], np.int32), np.array([rng.integers(1, 6), rng.choice([1, 3])], np.int32),
             _values(rng, (1, 1, 2, 3), "int8"), rng.integers(-20, 20, (1, 6)).astype(np.int32)] for _ in range(n)]


def test_device_model_matches_tflite_micro_on_host(tmp_path):
    from tflite_micro import runtime

    path = tmp_path / "dev.tflite"
    path.write_bytes(device_model())
    net = load_host(compile_model(path, out_dir=tmp_path / "build"))
    ip = runtime.Interpreter.from_file(str(path))
    for k, xs in enumerate(_device_inputs(6, 9)):
        for i, x in enumerate(xs):
            ip.set_input(x, i)
        ip.invoke()
        got = net.invoke(*xs)
        assert net.stopped == (k % 2 == 0)
        for i in range(7):
            if (i not in (3, 4) or k >= 2) and (i == 3 or not net.stopped):  # buffers filled with samples; ops that ran
                assert got[i].tobytes() == np.array(ip.get_output(i)).tobytes(), f"invoke {k} output {i}"


@pytest.mark.qemu
def test_new_ops_on_qemu_match_host(tmp_path):
    """mps2-an386 over the serial link: every output byte-equal to the host's
    (stale outputs of the stopped invokes too: same C, same arena plan),
    across a RESET_STATE; STATS says which invokes stopped."""
    from pytool.link import Link
    from pytool.targets import QemuSession, build_firmware

    path = tmp_path / "dev.tflite"
    path.write_bytes(device_model())
    art = compile_model(path, out_dir=tmp_path / "model")
    net = load_host(art)
    elf = build_firmware(art.dir, "mps2-an386", tmp_path / "fw")
    with QemuSession(elf, "mps2-an386") as q, Link(q.url, timeout=10) as link:
        for k, xs in enumerate(_device_inputs(7, 10)):
            if k == 4:
                net.reset_state()
                link.reset_state()
            wire = [x.view(np.uint8) if x.dtype == bool else x for x in xs]  # the link carries bools as uint8
            for i, (w, c) in enumerate(zip(net.invoke(*xs), link.infer_all(*wire))):
                assert c.reshape(-1).tobytes() == w.reshape(-1).tobytes(), f"invoke {k} output {i}"
            assert link.stats().stopped == net.stopped


def test_float_dynamic_update_slice_quantizes_with_shared_scales(tmp_path):
    """A float model's operand, update and output share one quantization (the
    C copies raw values), so the int8 result is the float one rounded."""
    from pytool.frontends import load_model
    from pytool.reference import run_float

    b = Builder(1)
    x, u, y = b.t((3, 4, 5)), b.t((2, 2, 3)), b.t((3, 4, 5))
    b.op(DYNAMIC_UPDATE_SLICE, [x, u, b.t((3,), "int32", data=np.array([1, 3, 1], np.int32))], [y])
    path = tmp_path / "f.tflite"
    path.write_bytes(b.build([x, u], [y]))
    rng = np.random.default_rng(3)
    xs = [[rng.uniform(-2, 2, (3, 4, 5)).astype(np.float32), rng.uniform(-3, 3, (2, 2, 3)).astype(np.float32)]
          for _ in range(8)]
    art = compile_model(path, out_dir=tmp_path / "build", calib=xs)
    net, g = load_host(art), load_model(path)
    q = [(d["scale"], d["zero_point"]) for d in (*art.meta["inputs"], art.meta["outputs"][0])]
    assert q[0] == q[1] == q[2]
    scale, zp = q[0]
    for f in xs[:3]:
        ins = [np.clip(np.round(v / scale) + zp, -128, 127).astype(np.int8) for v in f]
        got = (net.invoke(*ins).astype(np.float32) - zp) * scale
        assert np.max(np.abs(got - run_float(g, f)[0])) <= scale / 2 + 1e-6


def test_dynamic_update_slice_random_ranks_match_tflite_micro(tmp_path):
    """Ranks 1 to 5 with random operand and update shapes (int16, indices
    from the inputs, often out of range): every row offset of the C's copy."""
    rng = np.random.default_rng(12)
    b = Builder(12)
    ins, outs, shapes = [], [], []
    for rank in range(1, 6):
        op_shape = tuple(int(d) for d in rng.integers(1, 5, rank))
        up_shape = tuple(int(rng.integers(0 if rank == 3 else 1, d + 1)) for d in op_shape)  # rank 3: maybe empty
        x, u, s = _t(b, op_shape, "int16"), _t(b, up_shape, "int16"), b.t((rank,), "int32")
        y = _t(b, op_shape, "int16")
        b.op(DYNAMIC_UPDATE_SLICE, [x, u, s], [y])
        ins += [x, u, s]
        outs.append(y)
        shapes.append((op_shape, up_shape))
    path = tmp_path / "ranks.tflite"
    path.write_bytes(b.build(ins, outs))
    xs = [[a for op_shape, up_shape in shapes
           for a in (_values(rng, op_shape, "int16"), _values(rng, up_shape, "int16"),
                     rng.integers(-2, 6, len(op_shape)).astype(np.int32))] for _ in range(4)]
    _compare(path, tmp_path, xs)


REDUCE_MAX, REDUCE_MIN = 82, 89


def test_reduce_max_min_over_axes_that_are_not_contiguous(tmp_path):
    """TFLite's ReduceGeneric takes any axes: int8 REDUCE_MAX over (1, 3) and
    REDUCE_MIN over (0, 2) kept, against TFLite Micro."""
    b = Builder(4)
    x = b.t((2, 3, 4, 2), "int8", 0.1, 2)
    outs = []
    for code, axes, keep, shape in ((REDUCE_MAX, [1, 3], False, (2, 4)), (REDUCE_MIN, [0, -2], True, (1, 3, 1, 2))):
        y = b.t(shape, "int8", 0.1, 2)
        b.op(code, [x, b.t((2,), "int32", data=np.array(axes, np.int32))], [y], *_reducer(keep))
        outs.append(y)
    path = tmp_path / "minmax.tflite"
    path.write_bytes(b.build([x], outs))
    rng = np.random.default_rng(5)
    _compare(path, tmp_path, [[_values(rng, (2, 3, 4, 2), "int8")] for _ in range(3)])


def classifier_model(targets=(0, 5, 2, 5)) -> bytes:
    """int32 scores [1, 6] (an input plus a constant: computed) -> BasicClassifier
    with constant target indices and input thresholds -> detected bool, posteriors."""
    from signal_build import Node, graph_model
    from tflite_build import T

    k = len(targets)
    ts = [T((1, 6), "int32"), T((6,), "int32", data=np.arange(6, dtype=np.int32) * 3), T((1, 6), "int32"),
          T((k,), "int32", data=np.array(targets, np.int32)), T((k,), "int32"), T((k,), "bool"), T((k,), "int32")]
    nodes = [Node(ADD, [0, 1], [2]), Node("BasicClassifier", [2, 3, 4], [5, 6])]
    return graph_model(ts, nodes, [0, 4], [5, 6])


def test_basic_classifier_matches_tflite_micro(tmp_path):
    path = tmp_path / "cls.tflite"
    path.write_bytes(classifier_model())
    rng = np.random.default_rng(13)
    xs = [[rng.integers(-50, 50, (1, 6)).astype(np.int32), rng.integers(-20, 40, 4).astype(np.int32)]
          for _ in range(5)]
    outs = _compare(path, tmp_path, xs)
    flags = np.concatenate([o[0] for o in outs])
    assert flags.any() and not flags.all()


def test_basic_classifier_target_out_of_range_fails(tmp_path):
    from tflite_micro import runtime

    from pytool.host import OdlError

    path = tmp_path / "cls.tflite"
    path.write_bytes(classifier_model((1, 6)))
    net = load_host(compile_model(path, out_dir=tmp_path / "build"))
    ip = runtime.Interpreter.from_file(str(path))
    x, th = np.zeros((1, 6), np.int32), np.zeros(2, np.int32)
    ip.set_input(x, 0)
    ip.set_input(th, 1)
    with pytest.raises(RuntimeError):
        ip.invoke()
    with pytest.raises(OdlError, match="ODL_ERR_ARG"):
        net.invoke(x, th)
