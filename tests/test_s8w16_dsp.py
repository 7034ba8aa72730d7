"""arm_dsp int8 x int16 kernels (runtime_c/src/kernels/int8/arm_dsp/*_s8w16.c)
equal their portable twins on random shapes and values: hypothesis draws the
cases (fully connected, its accumulator split, conv and its accumulator split
with the epilogue over pixels, forward-gradient
perturbation passes, the multi-direction sum and range, including the fallback
shapes), one bare-metal harness (tests/harness/s8w16_dsp.c) runs each case through both kernels on the emulated Cortex-M4 and compares bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytool.targets import get_board
from pytool.targets.build import memory_ld

pytestmark = pytest.mark.qemu

ROOT = Path(__file__).resolve().parents[1]
DSP = ROOT / "runtime_c" / "src" / "kernels" / "int8" / "arm_dsp"
MVE = DSP.parent / "arm_mve"
CASES = 40  # per kernel


class Pools:
    """Concatenated int8 / int16 / int32 data; cases hold offsets into them."""

    def __init__(self):
        self.i8: list[int] = []
        self.i16: list[int] = []
        self.i32: list[int] = []

    def add(self, pool: str, values) -> int:
        lst = getattr(self, pool)
        at = len(lst)
        lst.extend(int(v) for v in np.asarray(values).reshape(-1))
        return at


def collect(strategy, n: int) -> list:
    """n examples drawn by hypothesis (derandomized, so the build is stable)."""
    out = []

    @settings(max_examples=n, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def gather(case):
        out.append(case)

    gather()
    return out


def _requant(draw, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    mult = rng.integers(2**30, 2**31 - 1, size=n)
    shift = rng.integers(-12, 1, size=n)
    return mult, shift


@st.composite
def fc_case(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    batches = draw(st.integers(1, 3))
    in_depth = draw(st.sampled_from([1, 2, 3, 7, 32, 33, 64, 96, 128, 255, 256, 257, 300, 520]))
    out_depth = draw(st.one_of(st.integers(1, 7), st.sampled_from([33, 40])))  # bias signs past a word
    per_channel = draw(st.booleans())
    amin = draw(st.integers(-128, 0))
    return {
        "batches": batches, "in": in_depth, "out": out_depth, "in_off": draw(st.integers(-127, 128)),
        "w_off": draw(st.sampled_from([0, 0, 0, -2, 3])), "out_off": draw(st.integers(-128, 127)),
        "amin": amin, "amax": draw(st.integers(amin, 127)), "pc": per_channel,
        "x": rng.integers(-128, 128, size=batches * in_depth),
        "w": rng.integers(-32768, 32768, size=out_depth * in_depth) if draw(st.booleans())
        else rng.integers(-16256, 16257, size=out_depth * in_depth),
        "bias": rng.integers(-(2**24), 2**24, size=out_depth) if draw(st.booleans()) else None,
        "rq": _requant(draw, out_depth if per_channel else 1, rng),
    }


@st.composite
def conv_case(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    c = draw(st.sampled_from([1, 1, 2, 3, 4, 8, 30]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw, dh, dw = (draw(st.integers(1, 2)) for _ in range(4))
    ph, pw = draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    oc = draw(st.integers(1, 6))
    amin = draw(st.integers(-128, 0))
    return {
        "dims": (h, w, c, kh, kw, oc, max(oh, 1), max(ow, 1)), "s": (sh, sw), "d": (dh, dw), "p": (ph, pw),
        "in_off": draw(st.integers(-127, 128)), "out_off": draw(st.integers(-128, 127)),
        "amin": amin, "amax": draw(st.integers(amin, 127)),
        "x": rng.integers(-128, 128, size=h * w * c), "w": rng.integers(-32768, 32768, size=oc * kh * kw * c),
        "bias": rng.integers(-(2**24), 2**24, size=oc) if draw(st.booleans()) else None,
        "rq": _requant(draw, oc, rng),
    }


@st.composite
def perturb_case(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from([1, 2, 31, 32, 33, 64, 100, 200]))
    clamp = draw(st.booleans())
    b = draw(st.sampled_from([0, 0, 1, -1, 512, -512, 2048]))
    a = draw(st.sampled_from([0, 1, -1, 512, -1024, 700, 32767, -32767, 40000]))
    if clamp:
        lo = draw(st.integers(-32768 + abs(b), 0))
        hi = draw(st.integers(1, 32767 - abs(b)))
    else:
        a = max(-16000, min(16000, a))
        lo, hi = -32768 + abs(a) + abs(b), 32767 - abs(a) - abs(b)
    return {"n": n, "skew": draw(st.integers(0, 1)), "ka": draw(st.integers(0, 2**31 - 1)), "a": a,
            "clamp": int(clamp), "lo": lo, "hi": hi, "kb": draw(st.integers(0, 2**31 - 1)), "b": b,
            "w": rng.integers(lo, hi + 1, size=n)}


def render(fcs, convs, perts) -> str:
    pools = Pools()
    rows = {"FC": [], "CONV": [], "PERT": []}
    out_max, pert_max = 1, 1
    for c in fcs:
        bias = pools.add("i32", c["bias"]) if c["bias"] is not None else -1
        rows["FC"].append([c["batches"], c["in"], c["out"], c["in_off"], c["w_off"], c["out_off"], c["amin"], c["amax"],
                           int(c["pc"]), pools.add("i8", c["x"]), pools.add("i16", c["w"]), bias,
                           pools.add("i32", c["rq"][0]), pools.add("i32", c["rq"][1])])
        out_max = max(out_max, c["batches"] * c["out"])
    for c in convs:
        h, w, ch, kh, kw, oc, oh, ow = c["dims"]
        bias = pools.add("i32", c["bias"]) if c["bias"] is not None else -1
        rows["CONV"].append([h, w, ch, kh, kw, oc, oh, ow, *c["s"], *c["d"], *c["p"], c["in_off"], c["out_off"],
                             c["amin"], c["amax"], pools.add("i8", c["x"]), pools.add("i16", c["w"]), bias,
                             pools.add("i32", c["rq"][0]), pools.add("i32", c["rq"][1])])
        out_max = max(out_max, oh * ow * oc)
    for c in perts:
        rows["PERT"].append([c["n"], c["skew"], c["ka"], c["a"], c["clamp"], c["lo"], c["hi"], c["kb"], c["b"],
                             pools.add("i16", c["w"])])
        pert_max = max(pert_max, c["n"])

    def arr(ctype: str, name: str, vals: list[int]) -> str:
        body = ",".join(str(v) if v != -(2**31) else "INT32_MIN" for v in (vals or [0]))
        return f"static const {ctype} {name}[] = {{{body}}};\n"

    text = f"#define OUT_MAX {out_max}\n#define PERT_MAX {pert_max}\n"
    text += arr("int8_t", "I8", pools.i8) + arr("int16_t", "I16", pools.i16) + arr("int32_t", "I32", pools.i32)
    for name, width in (("FC", 14), ("CONV", 23), ("PERT", 10)):
        text += f"static const int32_t {name}[][{width}] = {{\n"
        text += "".join("    {" + ",".join(map(str, r)) + "},\n" for r in rows[name]) + "};\n"
    return text


def build(board, header: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.ld").write_text(memory_ld(board))
    (out / "s8w16_cases.h").write_text(header)
    targets = ROOT / "targets"
    cmd = [
        board.toolchain_prefix + "gcc", *board.arch_flags, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
        "-ffunction-sections", "-fdata-sections", f"-I{ROOT / 'runtime_c' / 'include'}", f"-I{targets / 'common'}",
        f"-I{out}", str(ROOT / "tests" / "harness" / "s8w16_dsp.c"),
        *(str(MVE / f if board.name == "mps3-an547" and (MVE / f).exists() else DSP / f)
          for f in ("fully_connected_s8w16.c", "fully_connected_lin_s8w16.c", "conv_2d_s8w16.c",
                    "conv_2d_lin_s8w16.c", "perturb_s8w16.c")),
        str(board.dir / "startup.c"), str(board.dir / "board.c"),
        str(targets / "common" / "cortexm.c"), str(targets / "common" / "stack.c"),
        "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections",
        f"-L{out}", f"-L{targets / 'common'}", f"-T{board.dir / 'linker.ld'}", "-o", str(out / "harness.elf"),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out / "harness.elf"


@pytest.mark.parametrize("board_name", ["mps2-an386", "mps3-an547"])
def test_arm_dsp_s8w16_kernels_equal_portable(tmp_path, board_name):
    """Cortex-M4: the arm_dsp files; Cortex-M55: arm_mve's where it has one
    (as the firmware build picks them), else arm_dsp's."""
    board = get_board(board_name)
    fcs, convs, perts = collect(fc_case(), CASES), collect(conv_case(), CASES), collect(perturb_case(), CASES)
    rng = np.random.default_rng(0)

    def fc(batches: int, n_in: int, n_out: int) -> dict:  # fixed shapes: fallback, z tables, bias signs past a word
        return {"batches": batches, "in": n_in, "out": n_out, "in_off": 128, "w_off": 0, "out_off": -3, "amin": -128,
                "amax": 127, "pc": True, "x": rng.integers(-128, 128, size=batches * n_in),
                "w": rng.integers(-16256, 16257, size=n_out * n_in), "bias": rng.integers(-(2**24), 2**24, size=n_out),
                "rq": (rng.integers(2**30, 2**31 - 1, size=n_out), rng.integers(-12, 1, size=n_out))}

    fcs += [fc(1, 520, 3), fc(1, 32, 40), fc(2, 64, 33), fc(1, 64, 10)]
    perts += [  # a step beyond an int16 lane (fallback) and values at the band edges
        {"n": 70, "skew": 0, "ka": 5, "a": 40000, "clamp": 1, "lo": -30000, "hi": 30000, "kb": 6, "b": 512,
         "w": rng.integers(-30000, 30001, size=70)},
        {"n": 64, "skew": 0, "ka": 7, "a": -32767, "clamp": 1, "lo": -32767, "hi": 32767, "kb": 8, "b": 1,
         "w": np.r_[np.full(32, -32767), np.full(32, 32767)]},
    ]
    # the draws reach the fallback paths too
    assert any(c["in"] > 512 for c in fcs) and any(c["dims"][2] * c["dims"][3] * c["dims"][4] > 256 for c in convs)
    assert any(abs(c["a"]) > 32767 for c in perts) and any(c["skew"] for c in perts)
    elf = build(board, render(fcs, convs, perts), tmp_path)
    q = board.qemu
    cmd = [q.binary, "-M", q.machine, *q.args, "-icount", "shift=0", "-nographic", "-monitor", "none",
           "-serial", "stdio", "-kernel", str(elf)]
    text = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    lines = [ln.split() for ln in text.splitlines() if ln.endswith((" ok", " bad"))]
    assert "done" in text, text
    assert len(lines) == 2 * len(fcs) + 2 * len(convs) + 2 * len(perts)
    bad = [" ".join(ln) for ln in lines if ln[2] != "ok"]
    assert not bad, bad
