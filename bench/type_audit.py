"""Type-coverage audit against TFLite Micro (issue #16): for every builtin op
in the README table and every candidate tensor type, build a small single-op
model, run it in the tflite_micro interpreter (a forked child, so a crash is a
skip), then compile it with tinyodl and compare output bytes over a few
random inputs.

    PYTHONPATH=. python bench/type_audit.py [--ops ADD,SUB] [--types int8,int16] [--json out.json]

Prints one line per (op, type) that TFLite Micro runs: ok, REFUSED (first
line of the reason) or DIFF (bytes differ)."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path[0] = str(Path(__file__).resolve().parents[1] / "tests")  # not bench/: its quantize.py shadows the package
from op_type_build import TYPES, model_bytes, pairs  # noqa: E402


def random_inputs(shapes_dtypes, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        xs = []
        for dt, shape in shapes_dtypes:
            if dt == "bool":
                xs.append(rng.integers(0, 2, size=shape).astype(bool))
            elif dt == "float32":
                xs.append(rng.uniform(-3, 3, size=shape).astype(np.float32))
            elif dt in ("int32", "int64") and k % 2 == 0:  # small values (indices, ties) and full-range ones
                xs.append(rng.integers(-20, 21, size=shape).astype(dt))
            else:
                info = np.iinfo(dt)
                xs.append(rng.integers(info.min, info.max + 1, size=shape, dtype=dt))
        out.append(xs)
    return out


def _tflm_child(path: str, inputs, q):
    from tflite_micro import runtime

    try:
        ip = runtime.Interpreter.from_file(path)
        res = []
        for xs in inputs:
            for i, x in enumerate(xs):
                ip.set_input(x, i)
            ip.invoke()
            k, outs = 0, []
            while True:
                try:
                    outs.append(np.array(ip.get_output(k)))
                except Exception:  # noqa: BLE001 - no more outputs
                    break
                k += 1
            res.append(outs)
        q.put(("ok", res))
    except Exception as e:  # noqa: BLE001
        q.put(("err", str(e).splitlines()[0] if str(e) else type(e).__name__))


def run_tflm(path: Path, inputs):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_tflm_child, args=(str(path), inputs, q))
    p.start()
    try:
        r = q.get(timeout=60)
    except Exception:  # noqa: BLE001 - crashed
        r = ("crash", "")
    p.join(5)
    return r


def model_inputs_of(path: Path):
    """(dtype, shape) of each model input, read from the file (no tinyodl)."""
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(path.read_bytes(), 0)
    g = m.subgraphs[0]
    names = {v: k.lower() for k, v in vars(s.TensorType).items() if not k.startswith("_")}
    conv = {"bool": "bool", "float32": "float32"}
    return [(conv.get(names[g.tensors[i].type], names[g.tensors[i].type]), tuple(g.tensors[i].shape))
            for i in g.inputs]


def audit_one(op: str, dt: str, work: Path, n: int = 3) -> tuple[str, str]:
    data = model_bytes(op, dt)
    if data is None:
        return "n/a", ""
    path = work / f"{op}_{dt.replace('->', '_to_')}.tflite"
    path.write_bytes(data)
    xs = random_inputs(model_inputs_of(path), n, seed=len(op) * 7 + len(dt))
    status, want = run_tflm(path, xs)
    if status != "ok":
        return "tflm-" + status, want if isinstance(want, str) else ""
    from pytool import compile_model, load_host

    try:
        net = load_host(compile_model(path, out_dir=work / path.stem))
    except Exception as e:  # noqa: BLE001 - a refusal
        return "REFUSED", (str(e).splitlines() or [type(e).__name__])[0][:160]
    for k, x in enumerate(xs):
        try:
            got = net.invoke(*x)
        except Exception as e:  # noqa: BLE001
            return "ERROR", str(e)[:160]
        got = list(got) if isinstance(got, tuple | list) else [got]
        for i, (w, c) in enumerate(zip(want[k], got)):
            c = np.asarray(c)
            if c.dtype != w.dtype or c.shape != w.shape:
                return "DIFF", f"output {i}: {c.dtype}{c.shape} vs tflm {w.dtype}{w.shape}"
            d = np.flatnonzero(c.reshape(-1).view(np.uint8) != w.reshape(-1).view(np.uint8))
            if d.size:
                return "DIFF", f"sample {k} output {i}: {d.size} of {c.nbytes} bytes differ"
    return "ok", ""


def all_cases(ops: list[str] | None, types: list[str] | None):
    from pytool import ops as opreg

    names = sorted(set(opreg.supported()) | {"L2_POOL_2D", "REDUCE_PROD", "ZEROS_LIKE"})
    names = [n for n in names if not n.startswith("CUSTOM") and n not in ("QUANTIZE", "DEQUANTIZE", "CAST")]
    for op in names:
        if ops and op not in ops:
            continue
        for dt in TYPES:
            if not types or dt in types:
                yield op, dt
    for op, pair in pairs():
        if (not ops or op in ops) and (not types or pair.split("->")[0] in types):
            yield op, pair


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops")
    ap.add_argument("--types")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for op, dt in all_cases(a.ops and a.ops.split(","), a.types and a.types.split(",")):
            st, why = audit_one(op, dt, Path(tmp))
            if st == "n/a":
                continue
            rows.append({"op": op, "type": dt, "status": st, "why": why})
            if not st.startswith("tflm"):
                print(f"{op:24s} {dt:18s} {st:8s} {why}", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
