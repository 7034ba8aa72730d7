"""`tinyodl validate`: does the device compute what I think? The same data
through up to five engines - the float model (--float), the float semantics
of the int8 model (its dequantized weights; always), the TFLite Micro
interpreter (when installed), the host build of the generated C, and a board
(--target) - compared output by output, with accuracy when labels are given
and per-layer SQNR / max error of the int8 activations against float."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pytool.data import check_labels, check_samples, graph_input_spec, read_arrays

MAX_LAYER_SAMPLES = 32  # the numpy per-layer pass is slow; enough for stable SQNR


@dataclass
class EngineResult:
    name: str
    outputs: list[np.ndarray] | None  # per model output: [N, ...] arrays; None when unavailable
    note: str = ""


@dataclass
class Comparison:
    engine: str
    output: int
    exact: float | None = None  # fraction of samples whose bytes equal the host build's
    max_lsb: int | None = None
    top1_agree: float | None = None
    sqnr_db: float | None = None  # int8 engines' dequantized output vs this float engine
    max_abs: float | None = None
    accuracy: float | None = None


@dataclass
class LayerStat:
    op: int
    type: str
    output: str
    sqnr_db: float
    max_abs: float
    max_lsb: float


@dataclass
class Report:
    model: str
    samples: int
    engines: list[str]
    notes: dict[str, str]
    comparisons: list[Comparison]
    layers: list[LayerStat]
    bit_exact: bool
    extra: dict = field(default_factory=dict)


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    ref = ref.astype(np.float64).ravel()
    err = ref - got.astype(np.float64).ravel()
    num, den = float(np.sum(ref * ref)), float(np.sum(err * err))
    if den == 0:
        return float("inf")
    return 10 * np.log10(num / den) if num > 0 else float("-inf")


def _dequant(g, name: str, q: np.ndarray) -> np.ndarray:
    t = g.tensors[name]
    if t.quant is None or t.dtype not in ("int8", "uint8", "int16", "int32"):
        return q.astype(np.float32)
    return (q.astype(np.float32) - float(t.quant.zero_point[0])) * float(t.quant.scale[0])


def _host(g, xq: np.ndarray, workdir: Path, carry: bool) -> EngineResult:
    from pytool.compiler import compile_model
    from pytool.host import load_host

    net = load_host(compile_model(g, out_dir=workdir / "host"))
    outs: list[list[np.ndarray]] = [[] for _ in g.outputs]
    for s in xq:
        if not carry:
            net.reset_state()
        y = net.invoke(s[None])
        for k, v in enumerate(y if isinstance(y, list) else [y]):
            outs[k].append(np.asarray(v).reshape(g.tensors[g.outputs[k]].shape))
    return EngineResult("host build", [np.concatenate(o) for o in outs])


def _tflm(model: Path, g, xq: np.ndarray, carry: bool) -> EngineResult:
    if model.suffix.lower() != ".tflite":
        return EngineResult("TFLite Micro", None, "runs .tflite files only")
    try:
        from tflite_micro import runtime
    except ImportError:
        return EngineResult("TFLite Micro", None, "not installed (pip install tflite-micro)")
    ip = runtime.Interpreter.from_file(str(model))
    outs: list[list[np.ndarray]] = [[] for _ in g.outputs]
    for s in xq:
        if not carry:
            ip.reset()  # variable tensors back to their initial values
        ip.set_input(s[None], 0)
        ip.invoke()
        for k in range(len(g.outputs)):
            outs[k].append(np.array(ip.get_output(k)).reshape(g.tensors[g.outputs[k]].shape))
    return EngineResult("TFLite Micro", [np.concatenate(o) for o in outs])


def _board(g, model: Path, target: str, port: str | None, xq: np.ndarray, workdir: Path, log,
           carry: bool) -> EngineResult:
    from pytool.commands.build import build
    from pytool.link import Link
    from pytool.targets import flash, get_board

    board = get_board(target)
    log(f"building firmware for {board.name}")
    _, elf, _ = build(model, board.name, workdir / "fw")
    session = flash(Path(elf).parent, board)
    if session is None and not port:
        raise ValueError(f"{board.name} is a real board: pass --port with its serial port")
    shapes = [tuple(g.tensors[n].shape) for n in g.outputs]
    per: list[list[np.ndarray]] = [[] for _ in shapes]
    with session if session is not None else _Null():
        with Link(session.url if session is not None else port, timeout=10.0, retries=3) as link:
            for s in xq:
                if not carry:
                    link.reset_state()
                for k, y in enumerate(link.infer_all(s[None])):
                    per[k].append(np.asarray(y).reshape(shapes[k]))
    outs = [np.concatenate(p) for p in per]
    return EngineResult(f"board {board.name}", outs)


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _float_run(g, xf: np.ndarray, carry: bool) -> list:
    """run_float per sample; without carry each sample starts from the state
    odl_reset_state / TFLite Micro's Reset leave."""
    from pytool.reference import reset_state, run_float

    state: dict = {}
    outs = []
    for s in xf:
        if not carry:
            state = reset_state(g, state, real=True)
        outs.append(run_float(g, [s[None]], state=state))
    return outs


def layer_stats(g, xq: np.ndarray, carry: bool = False) -> list[LayerStat]:
    """int8 activations (the C runtime's exact oracle) against the float
    execution of the same graph (dequantized weights), per op output."""
    from pytool.reference import reset_state, run_float, run_int8

    acc: dict[str, list] = {}
    inp = g.inputs[0]
    qstate: dict = {}
    fstate: dict = {}
    for s in xq[:MAX_LAYER_SAMPLES]:
        if not carry:  # each sample from the state a reset leaves, as the engines run it
            qstate, fstate = reset_state(g, qstate), reset_state(g, fstate, real=True)
        qv = run_int8(g, [s[None]], keep_all=True, state=qstate)
        fv = run_float(g, [_dequant(g, inp, s[None])], keep_all=True, state=fstate)
        for op in g.ops:
            for n in op.outputs:
                t = g.tensors[n]
                if t.quant is None or n not in qv or n not in fv:
                    continue
                ref = np.asarray(fv[n], np.float64)
                got = _dequant(g, n, np.asarray(qv[n])).astype(np.float64)
                a = acc.setdefault(n, [0.0, 0.0, 0.0])
                a[0] += float(np.sum(ref * ref))
                a[1] += float(np.sum((ref - got) ** 2))
                a[2] = max(a[2], float(np.max(np.abs(ref - got))) if ref.size else 0.0)
    rows = []
    for i, op in enumerate(g.ops):
        for n in op.outputs:
            if n in acc:
                s, e, m = acc[n]
                db = float("inf") if e == 0 else (10 * np.log10(s / e) if s > 0 else float("-inf"))
                scale = float(g.tensors[n].quant.scale[0])
                rows.append(LayerStat(i, op.type, n, db, m, m / scale if scale > 0 else float("nan")))
    return rows


def _compare(g, host: EngineResult, others: list[EngineResult], floats: list[EngineResult],
             y: np.ndarray | None) -> list[Comparison]:
    rows: list[Comparison] = []
    for eng in [host, *others]:
        if eng.outputs is None:
            continue
        for k, out in enumerate(eng.outputs):
            ref = host.outputs[k]
            c = Comparison(eng.name, k)
            if out.shape != ref.shape:
                raise ValueError(f"{eng.name}: output {k} has shape {out.shape}, the host build's is {ref.shape}")
            same = np.all(out.reshape(len(out), -1) == ref.reshape(len(ref), -1), axis=1)
            c.exact = float(np.mean(same))
            c.max_lsb = int(np.max(np.abs(out.astype(np.int64) - ref.astype(np.int64)))) if out.size else 0
            c.top1_agree = float(np.mean(out.reshape(len(out), -1).argmax(1) == ref.reshape(len(ref), -1).argmax(1)))
            if y is not None and k == 0:
                c.accuracy = float(np.mean(out.reshape(len(out), -1).argmax(1) == y))
            rows.append(c)
    for eng in floats:
        if eng.outputs is None:
            continue
        for k, fout in enumerate(eng.outputs):
            deq = _dequant(g, g.outputs[k], host.outputs[k])
            c = Comparison(eng.name, k)
            c.sqnr_db = sqnr_db(fout, deq)
            c.max_abs = float(np.max(np.abs(fout - deq))) if fout.size else 0.0
            c.top1_agree = float(np.mean(fout.reshape(len(fout), -1).argmax(1) == deq.reshape(len(deq), -1).argmax(1)))
            if y is not None and k == 0:
                c.accuracy = float(np.mean(fout.reshape(len(fout), -1).argmax(1) == y))
            rows.append(c)
    return rows


def validate(model: str | Path, data: str | Path, float_model: str | Path | None = None, target: str | None = None,
             port: str | None = None, layout: str = "nhwc", limit: int | None = None, log=print,
             state: str = "reset") -> Report:
    """state: for models with state tensors (LSTM, SVDF), "reset" starts every
    sample from the initial state on every engine; "carry" treats the samples
    as one stream, each engine keeping its state from sample to sample."""
    from pytool.compiler import load_graph

    if state not in ("reset", "carry"):
        raise ValueError(f"--state must be reset or carry, not {state!r}")
    carry = state == "carry"
    model = Path(model)
    g = load_graph(model)
    if not g.is_quantized:
        raise ValueError(f"{model}: is a float model; validate takes the int8 model (pass the float one with --float)")
    arrays = read_arrays(data, ("x", "y?"), "--data")
    spec = graph_input_spec(g)
    xq = check_samples(arrays["x"], spec, f"{data}: x", layout)
    if limit:
        xq = xq[:limit]
    y = None
    if "y" in arrays:
        n_cls = int(np.prod(g.tensors[g.outputs[0]].shape))
        y = check_labels(arrays["y"], f"{data}: y", len(arrays["x"]), n_cls)[: len(xq)]
    xf = _dequant(g, g.inputs[0], xq)
    floats: list[EngineResult] = []
    if float_model is not None:
        fg = load_graph(float_model)
        if fg.is_quantized:
            raise ValueError(f"{float_model}: --float takes the float model; this one is quantized")
        if tuple(fg.tensors[fg.inputs[0]].shape) != tuple(spec.shape):
            raise ValueError(f"{float_model}: input shape {list(fg.tensors[fg.inputs[0]].shape)} differs from "
                             f"{model}'s {list(spec.shape)}")
        log("float model")
        outs = _float_run(fg, xf, carry)
        floats.append(EngineResult(f"float ({Path(float_model).name})",
                                   [np.concatenate([o[k] for o in outs]) for k in range(len(fg.outputs))]))
    log("float semantics of the int8 model")
    outs = _float_run(g, xf, carry)
    floats.append(EngineResult("int8 model in float", [np.concatenate([np.asarray(o[k]) for o in outs])
                                                       for k in range(len(g.outputs))]))
    with tempfile.TemporaryDirectory(prefix="tinyodl_validate_") as tmp:
        log("host build")
        host = _host(g, xq, Path(tmp), carry)
        others = [_tflm(model, g, xq, carry)]
        if target:
            others.append(_board(g, model, target, port, xq, Path(tmp), log, carry))
    comps = _compare(g, host, others, floats, y)
    log("per-layer SQNR")
    layers = layer_stats(g, xq, carry)
    int8_rows = [c for c in comps if c.exact is not None and c.engine != host.name]
    return Report(
        model=str(model), samples=len(xq),
        engines=[e.name for e in [*floats, host, *others] if e.outputs is not None],
        notes={e.name: e.note for e in others if e.note},
        comparisons=comps, layers=layers,
        bit_exact=all(c.exact == 1.0 for c in int8_rows),
    )


def write_report(rep: Report, out_dir: str | Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    js = out / "validate.json"
    js.write_text(json.dumps(asdict(rep), indent=1, default=float) + "\n")
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(rep.layers)), 4))
    vals = [min(r.sqnr_db, 80.0) for r in rep.layers]
    ax.bar(range(len(vals)), vals, color="tab:blue")
    ax.set_xticks(range(len(vals)), [f"{r.op}:{r.type}" for r in rep.layers], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("SQNR int8 vs float (dB, capped at 80)")
    ax.set_title(f"{Path(rep.model).name}: per-layer SQNR over {min(rep.samples, MAX_LAYER_SAMPLES)} samples")
    fig.tight_layout()
    png = out / "validate.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return [js, png]
