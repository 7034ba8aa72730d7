"""TFLite Micro == the host C == the numpy twin, invoke after invoke: the loop the
stateful-model tests share (control flow, resource variables, the signal library)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pytool import compile_model, load_host
from pytool.reference import reset_state, run_int8


def run_three(path: Path, build: Path, n: int, inputs: Callable[[int], list], reset_at: tuple[int, ...] = (),
              arena_size: int | None = None, stale: Callable[[list, int], bool] | None = None):
    """n invokes of one instance each (all three reset before each invoke in reset_at);
    inputs(k) gives invoke k's inputs. Asserts the C's bytes equal TFLite Micro's and the
    twin's for every output, except where stale(want, i) says TFLite Micro left output i
    unwritten (the twin is still compared). Returns the compiled artefact and the C's
    outputs per invoke."""
    from tflite_micro import runtime

    art = compile_model(path, out_dir=build)
    g = art.graph
    net = load_host(art)
    ip = runtime.Interpreter.from_file(str(path), **({"arena_size": arena_size} if arena_size else {}))
    state: dict = {}
    outs = []
    for k in range(n):
        if k in reset_at:
            ip.reset()
            net.reset_state()
            state = reset_state(g, state)
        xs = inputs(k)
        for i, x in enumerate(xs):
            ip.set_input(x, i)
        ip.invoke()
        want = [np.array(ip.get_output(i)) for i in range(len(g.outputs))]
        got = net.invoke(*xs)
        got = list(got) if isinstance(got, tuple | list) else [got]
        ref = run_int8(g, xs, state=state)
        for i, (w, c, r) in enumerate(zip(want, got, ref, strict=True)):
            np.testing.assert_array_equal(r, c, err_msg=f"invoke {k} output {i}: numpy twin differs from the C")
            if stale and stale(want, i):
                continue
            assert c.dtype == w.dtype and c.shape == w.shape, f"output {i}: {c.dtype}{c.shape} vs {w.dtype}{w.shape}"
            diff = np.flatnonzero(c.reshape(-1).view(np.uint8) != w.reshape(-1).view(np.uint8))
            assert diff.size == 0, f"invoke {k} output {i}: {diff.size} bytes differ from TFLite Micro: " \
                                   f"C {c.ravel()[:16]} vs {w.ravel()[:16]}"
        outs.append(got)
    return art, outs
