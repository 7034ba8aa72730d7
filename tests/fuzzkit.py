"""Seeded mutators and oracles for the fuzz campaigns (tests/test_fuzz.py
runs a bounded slice in CI, bench/fuzz.py the full campaign).

Each mutator takes a numpy Generator and returns (bytes, description,
must_reject): must_reject marks mutations no command may accept silently
(non-finite scales, negative dims, NaN data, bad labels...). The oracle
runs one `tinyodl` command in-process and classifies the outcome."""

from __future__ import annotations

import contextlib
import io
import signal
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = [ROOT / "tests" / "fixtures" / "models" / f"{n}.tflite" for n in
          ("conv_s1_same_relu", "fc_softmax", "dw_m2_s2_valid", "add_residual", "avgpool_same", "concat_channels")]
ONNX_MODEL = ROOT / "examples" / "digits" / "digits_float.onnx"
CALIB = ROOT / "examples" / "digits" / "calib.npz"
DIGITS = ROOT / "examples" / "digits"

BAD_SCALES = [float("nan"), float("inf"), float("-inf"), 0.0, -1.0, -1e-3]
ODD_SCALES = [1e-45, 1e38, 3.4e38]
ODD_INTS = [-(1 << 31), -7, -1, 0, 1, 2, 3, 255, 4097, 70000, 1 << 24, (1 << 31) - 1]


@dataclass
class Outcome:
    kind: str  # ok | rejected | traceback | silent | unnamed | hang | half-written
    detail: str = ""


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_cli(args: list[str], path: Path, must_reject: bool, out_dir: Path | None = None,
            budget_s: int = 60) -> Outcome:
    """Runs `tinyodl args` in-process; the error must name `path`."""
    from pytool.cli import main

    buf_out, buf_err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(budget_s)
    try:
        with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
            from rich.console import Console

            import pytool.cli as cli

            cli.console = Console(file=buf_err, soft_wrap=True)
            rc = main([str(a) for a in args])
    except _Timeout:
        return Outcome("hang", f"{args[0]}: over {budget_s} s")
    except SystemExit as e:
        rc = int(e.code or 0)
    except BaseException as e:  # noqa: BLE001 - the oracle records everything else
        return Outcome("traceback", f"{args[0]}: {type(e).__name__}: {e}"[:400])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        from rich.console import Console

        import pytool.cli as cli

        cli.console = Console(stderr=True, soft_wrap=True)
    text = buf_err.getvalue() + buf_out.getvalue()
    if rc == 0:
        return Outcome("silent", f"{args[0]} accepted it") if must_reject else Outcome("ok")
    if out_dir is not None and out_dir.exists():
        return Outcome("half-written", f"{args[0]} failed but left {out_dir}")
    if path.name not in text:
        return Outcome("unnamed", f"{args[0]}: {text.strip()[-300:]}")
    return Outcome("rejected", text.strip().splitlines()[-1][:200] if text.strip() else "")


# ---- .tflite -------------------------------------------------------------

def mutate_tflite(data: bytes, rng: np.random.Generator) -> tuple[bytes, str, bool]:
    """One mutation; a value the schema cannot even pack (e.g. 17 for a
    bool option) is redrawn."""
    for _ in range(20):
        try:
            return _mutate_tflite(data, rng)
        except (TypeError, struct.error, OverflowError, ValueError):
            continue
    return data[:-1], "truncated by one byte", True


def _mutate_tflite(data: bytes, rng: np.random.Generator) -> tuple[bytes, str, bool]:
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    kind = rng.choice(["bytes", "truncate", "shape", "scale", "zero_point", "io", "op_index", "opcode",
                       "buffer", "builtin", "options", "shape", "scale"])
    if kind == "bytes":
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 9))):
            b[int(rng.integers(8, len(b)))] = int(rng.integers(0, 256))
        return bytes(b), "byte flips", False
    if kind == "truncate":
        return data[: int(rng.integers(0, len(data)))], "truncated", True
    m = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    sg = m.subgraphs[0]
    used = sorted({k for op in sg.operators for k in list(op.inputs) + list(op.outputs) if k >= 0})
    ti = int(rng.choice(used))
    t = sg.tensors[ti]
    must = False
    if kind == "shape":
        choice = int(rng.integers(0, 5))
        if choice == 0:
            t.shape = []
        elif choice == 1:
            t.shape = [int(rng.choice(ODD_INTS)) for _ in range(int(rng.integers(1, 10)))]
        else:
            shape = list(t.shape) if t.shape is not None else [1]
            k = int(rng.integers(0, max(len(shape), 1)))
            if shape:
                shape[k] = int(rng.choice(ODD_INTS))
            t.shape = shape
        must = any(int(d) < 0 or int(d) > (1 << 24) for d in t.shape)
        desc = f"tensor {ti} shape -> {list(t.shape)}"
    elif kind == "scale" and t.quantization is not None and t.quantization.scale is not None:
        v = float(rng.choice(BAD_SCALES + ODD_SCALES))
        sc = list(t.quantization.scale)
        sc[int(rng.integers(0, len(sc)))] = v
        t.quantization.scale = sc
        must = not (np.isfinite(v) and v > 0) and t.type in (9, 2, 7)  # int8, int32, int16
        desc = f"tensor {ti} scale -> {v}"
    elif kind == "zero_point" and t.quantization is not None and t.quantization.zeroPoint is not None:
        zp = list(t.quantization.zeroPoint)
        zp[int(rng.integers(0, len(zp)))] = int(rng.choice([-(1 << 40), -129, 128, 1 << 20, 1 << 40]))
        t.quantization.zeroPoint = zp
        desc = f"tensor {ti} zero point -> {zp}"
    elif kind == "io":
        which = rng.choice(["inputs", "outputs"])
        val = [] if rng.random() < 0.5 else [int(rng.choice([-1, len(sg.tensors), 1 << 20]))]
        setattr(sg, which, val)
        must = True
        desc = f"subgraph {which} -> {val}"
    elif kind == "op_index":
        op = sg.operators[int(rng.integers(0, len(sg.operators)))]
        lst = list(op.inputs) if rng.random() < 0.5 else list(op.outputs)
        if lst:
            lst[int(rng.integers(0, len(lst)))] = int(rng.choice([-2, -1, len(sg.tensors), len(sg.tensors) + 7]))
        if rng.random() < 0.5:
            op.inputs = lst
        else:
            op.outputs = lst
        desc = f"op indices -> {lst}"
    elif kind == "opcode":
        op = sg.operators[int(rng.integers(0, len(sg.operators)))]
        op.opcodeIndex = int(rng.choice([len(m.operatorCodes), 999, 1 << 20]))
        must = True
        desc = f"opcode index -> {op.opcodeIndex}"
    elif kind == "buffer":
        if rng.random() < 0.5:
            t.buffer = int(rng.choice([len(m.buffers), 1 << 20, 0]))
            desc = f"tensor {ti} buffer -> {t.buffer}"
        else:
            bufs = [b for b in m.buffers if b.data is not None and len(b.data)]
            if bufs:
                b = bufs[int(rng.integers(0, len(bufs)))]
                b.data = b.data[: int(rng.integers(0, len(b.data)))]
            desc = "buffer data truncated"
    elif kind == "builtin":
        oc = m.operatorCodes[int(rng.integers(0, len(m.operatorCodes)))]
        oc.builtinCode = oc.deprecatedBuiltinCode = int(rng.integers(0, 127))
        desc = f"builtin code -> {oc.builtinCode}"
    else:  # options: strides, padding, activation, axis, ...
        op = sg.operators[int(rng.integers(0, len(sg.operators)))]
        o = op.builtinOptions
        fields = [f for f in vars(o)] if o is not None else []
        if fields:
            f = fields[int(rng.integers(0, len(fields)))]
            setattr(o, f, int(rng.choice([-5, -1, 0, 1, 3, 17, 1 << 20])))
            desc = f"option {f} -> {getattr(o, f)}"
        else:
            desc = "no options"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output()), desc, must


# ---- .onnx ---------------------------------------------------------------

def mutate_onnx(data: bytes, rng: np.random.Generator) -> tuple[bytes, str, bool]:
    import onnx
    from onnx import numpy_helper

    kind = rng.choice(["bytes", "truncate", "input_dims", "initializer", "attr", "outputs", "node_input",
                       "op_type", "nan_weights"])
    if kind == "bytes":
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 9))):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        return bytes(b), "byte flips", False
    if kind == "truncate":
        return data[: int(rng.integers(0, len(data)))], "truncated", False
    m = onnx.load_from_string(data)
    g = m.graph
    must = False
    if kind == "input_dims":
        dims = g.input[0].type.tensor_type.shape.dim
        d = dims[int(rng.integers(0, len(dims)))]
        v = int(rng.choice(ODD_INTS))
        d.dim_value = v
        must = v < 0 or v > (1 << 24)
        desc = f"input dim -> {v}"
    elif kind == "initializer":
        init = g.initializer[int(rng.integers(0, len(g.initializer)))]
        arr = numpy_helper.to_array(init)
        raw = arr.tobytes()
        init.ClearField("float_data")
        init.raw_data = raw[: int(rng.integers(0, max(len(raw), 1)))]
        desc = f"initializer {init.name} truncated"
        must = len(init.raw_data) != len(raw)
    elif kind == "attr":
        nodes = [n for n in g.node if n.attribute]
        if nodes:
            n = nodes[int(rng.integers(0, len(nodes)))]
            a = n.attribute[int(rng.integers(0, len(n.attribute)))]
            if a.ints:
                a.ints[int(rng.integers(0, len(a.ints)))] = int(rng.choice([-3, 0, 1 << 20]))
            elif a.type == onnx.AttributeProto.INT:
                a.i = int(rng.choice([-3, 0, 99, 1 << 20]))
            desc = f"node {n.name} attr {a.name}"
        else:
            desc = "no attributes"
    elif kind == "outputs":
        del g.output[:]
        must = True
        desc = "graph outputs removed"
    elif kind == "node_input":
        n = g.node[int(rng.integers(0, len(g.node)))]
        if n.input:
            n.input[int(rng.integers(0, len(n.input)))] = "no_such_tensor"
        must = True
        desc = f"node {n.name} input renamed"
    elif kind == "op_type":
        n = g.node[int(rng.integers(0, len(g.node)))]
        n.op_type = str(rng.choice(["Foo", "LSTM", "Conv", "Relu", "Gemm", ""]))
        desc = f"node {n.name} op_type -> {n.op_type!r}"
    else:
        init = g.initializer[int(rng.integers(0, len(g.initializer)))]
        arr = numpy_helper.to_array(init).astype(np.float32).copy()
        if arr.size:
            arr.flat[int(rng.integers(0, arr.size))] = float(rng.choice([np.nan, np.inf, -np.inf]))
        init.CopyFrom(numpy_helper.from_array(arr, init.name))
        must = bool(arr.size)
        desc = f"initializer {init.name} gets a non-finite value"
    return m.SerializeToString(), desc, must


# ---- training data (.npz) ---------------------------------------------------

def _npy_bytes(header: dict, payload: bytes) -> bytes:
    h = io.BytesIO()
    np.lib.format.write_array_header_1_0(h, header)
    return h.getvalue() + payload


def mutate_data(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, out: Path) -> tuple[str, bool]:
    """Writes a mutated data file to `out`; returns (description, must_reject)."""
    x = x.copy()
    y = y.copy()
    kind = str(rng.choice(["x_dtype", "y_dtype", "x_values", "y_values", "shape", "keys", "truncate",
                           "flip", "header", "length", "object", "npy", "empty", "benign"]))
    arrays: dict = {"x": x, "y": y}
    must = True
    if kind == "x_dtype":
        dt = rng.choice(["int16", "uint8", "bool", "complex64", "U3", "int64", "float16", "float64"])
        arrays["x"] = x.astype(dt) if dt != "U3" else x.astype(str)
        must = dt not in ("float16", "float64")
        desc = f"x as {dt}"
    elif kind == "y_dtype":
        dt = rng.choice(["float32", "bool", "complex64", "U3", "uint8", "int8"])
        arrays["y"] = y.astype(dt)
        must = dt in ("complex64", "U3", "bool")
        desc = f"y as {dt}"
    elif kind == "x_values":
        v = float(rng.choice([np.nan, np.inf, -np.inf, 1e30, -1e30, 1e6]))
        x.flat[rng.integers(0, x.size, int(rng.integers(1, 5)))] = v
        desc = f"x gets {v}"
    elif kind == "y_values":
        v = rng.choice([np.nan, -1.0, 2.5, 10.0, 1e12, -(2.0 ** 40), np.inf])
        yf = y.astype(np.float64)
        yf[int(rng.integers(0, len(yf)))] = v
        arrays["y"] = yf
        desc = f"y gets {v}"
    elif kind == "shape":
        choice = int(rng.integers(0, 5))
        arrays["x"] = [x.reshape(len(x), -1), x.transpose(0, 3, 1, 2), x[..., None], np.float32(1.0),
                       x.reshape(-1)][choice]
        desc = f"x reshaped ({choice})"
    elif kind == "keys":
        arrays = {"x": x} if rng.random() < 0.5 else {"data": x, "labels": y}
        desc = "keys missing"
    elif kind == "length":
        arrays["y"] = y[: int(rng.integers(0, len(y)))]
        desc = "y shorter than x"
    elif kind == "object":
        arrays["x"] = np.array([x[0], "text"], dtype=object)
        desc = "object array"
    elif kind == "empty":
        arrays = {"x": x[:0], "y": y[:0]}
        desc = "no samples"
    elif kind == "benign":
        arrays["extra"] = np.arange(3)
        must = False
        desc = "an extra array"
    if kind in ("truncate", "flip", "header", "npy"):
        buf = io.BytesIO()
        np.savez(buf, x=x, y=y)
        raw = buf.getvalue()
        if kind == "truncate":
            out.write_bytes(raw[: int(rng.integers(0, len(raw)))])
            return "truncated file", True
        if kind == "flip":
            b = bytearray(raw)
            for _ in range(int(rng.integers(1, 6))):
                b[int(rng.integers(0, len(b)))] ^= 1 << int(rng.integers(0, 8))
            out.write_bytes(bytes(b))
            return "bit flips", False
        if kind == "npy":
            np.save(out.with_suffix(".npy"), x)
            out.write_bytes(out.with_suffix(".npy").read_bytes())
            out.with_suffix(".npy").unlink()
            return "a plain .npy under .npz", True
        shape = tuple(int(rng.choice([10**12, 1 << 40, len(x) * 1000, 7])) for _ in range(int(rng.integers(1, 4))))
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("x.npy", _npy_bytes({"descr": "<f4", "fortran_order": False, "shape": shape},
                                           x.tobytes()[:256]))
            z.writestr("y.npy", _npy_bytes({"descr": "<i8", "fortran_order": False, "shape": (len(y),)},
                                           y.astype("<i8").tobytes()))
        return f"header claims {shape}", True
    np.savez(out, **arrays)
    return desc, must


# ---- link frames -------------------------------------------------------------

def frame(cmd: int, seq: int, payload: bytes, flags: int = 0, version: int = 1, length: int | None = None) -> bytes:
    from cobs import cobs

    body = struct.pack("<BBBBHH", version, cmd, flags, 0, seq, len(payload) if length is None else length) + payload
    return b"\x00" + cobs.encode(body + struct.pack("<I", zlib.crc32(body))) + b"\x00"


def mutate_frame(rng: np.random.Generator, cmds: list[int]) -> bytes:
    """A malformed or hostile wire chunk: CRC-valid frames with odd fields
    (to reach the handlers), bit-flipped or truncated frames, raw garbage."""
    kind = int(rng.integers(0, 6))
    cmd = int(rng.choice(cmds + [int(rng.integers(0, 256))]))
    seq = int(rng.choice([0, 1, 0xFFFE, 0xFFFF, int(rng.integers(0, 0x10000))]))
    payload = rng.integers(0, 256, int(rng.choice([0, 1, 2, 4, 6, 7, 10, 64, 300, 4090, 4096, 4200])),
                           dtype=np.uint8).tobytes()
    if kind == 0:
        return frame(cmd, seq, payload)
    if kind == 1:
        return frame(cmd, seq, payload, flags=int(rng.integers(0, 256)), version=int(rng.choice([0, 1, 2, 255])))
    if kind == 2:
        return frame(cmd, seq, payload, length=int(rng.integers(0, 0x10000)))
    wire = bytearray(frame(cmd, seq, payload))
    if kind == 3:
        for _ in range(int(rng.integers(1, 4))):
            wire[int(rng.integers(1, max(len(wire) - 1, 2)))] ^= 1 << int(rng.integers(0, 8))
        return bytes(wire)
    if kind == 4:
        return bytes(wire[: int(rng.integers(1, len(wire)))])
    return rng.integers(0, 256, int(rng.integers(1, 6000)), dtype=np.uint8).tobytes()
