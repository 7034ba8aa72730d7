"""FP16 backprop on the digits shift task: the generated C equals the numpy
twin bit for bit over many steps (SGD momentum, Adam, masters, loss scaling),
overflow skips the step, the memory report adds up, and the accuracy ends
within 0.5 points of a float32 backprop of the same layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytool import compile_model, load_host
from pytool.compiler import load_graph
from pytool.reference import run_int8
from pytool.training import TrainSpec, TrainSpecError
from pytool.training.fp16 import build_plan
from pytool.training.fp16_ref import Fp16Reference, f16_bits, identity, quantize_logits
from pytool.training.loop import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"


@pytest.fixture(scope="module")
def digits():
    return load_graph(DIGITS / "digits_int8_tf.tflite")


def _setup(g, spec, tmp: Path):
    art = compile_model(g, tmp / spec.key(), train=spec)
    net = load_host(art)
    shape = g.tensors[g.inputs[0]].shape
    field = load_dataset(DIGITS / "field.npz", net.inputs[0])
    acts = [run_int8(g, [x.reshape(shape)], keep_all=True) for x in field.x]
    return art, net, field, acts


def _same_state(net, plan, ref) -> bool:
    for k, s in enumerate(plan.slots):
        if not np.array_equal(net.tensor(f"fp16:{s.name}").view(np.uint16).reshape(-1), f16_bits(ref.val[k]).reshape(-1)):
            return False
        if s.grad and not np.array_equal(net.tensor(f"fp16.grad:{s.name}").view(np.uint16).reshape(-1),
                                         f16_bits(ref.grad[k]).reshape(-1)):
            return False
    return True


@pytest.mark.parametrize("opts", [
    dict(optimizer="sgd", momentum=0.9, lr=0.002),
    dict(optimizer="adam", lr=0.001, master_fp32=True, loss_scale="256"),
    dict(optimizer="sgd", lr=0.01, loss="mse", trainable="last:1"),
])
def test_c_equals_numpy_bit_for_bit(digits, tmp_path, opts):
    spec = TrainSpec(method="fp16", **{"trainable": "last:3", **opts})
    art, net, field, acts = _setup(digits, spec, tmp_path)
    plan = build_plan(digits, spec)
    ref = Fp16Reference(digits, plan)
    order = np.random.default_rng(1).permutation(len(field))[:60]
    for step, i in enumerate(order):
        a = net.train_step(field.x[i], int(field.y[i]))
        b = ref.step(acts[i], int(field.y[i]))
        assert (a["loss_q16"], a["predicted"], a["flags"]) == (b["loss_q16"], b["predicted"], b["flags"]), step
        assert _same_state(net, plan, ref), f"step {step}"
    assert ref.applied > 50
    for i in range(5):
        e, r = net.eval_sample(field.x[i], int(field.y[i])), ref.eval(acts[i], int(field.y[i]))
        assert (e["loss_q16"], e["predicted"]) == (r["loss_q16"], r["predicted"])


def _logits_tensor(g) -> str:
    """The int8 tensor the FP16 head's logits are quantized into (fc2's output)."""
    producer = {n: op for op in g.ops for n in op.outputs}
    return producer[g.outputs[0]].inputs[0]


def test_untrained_invoke_is_the_int8_model_up_to_rounding(digits, tmp_path):
    """Step 0: the FP16 head holds the dequantized int8 weights, so odl_invoke's
    int8 logits are within one LSB of the factory int8 graph's."""
    spec = TrainSpec(method="fp16", trainable="last:3")
    art, net, field, acts = _setup(digits, spec, tmp_path)
    test = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
    shape = digits.tensors[digits.inputs[0]].shape
    lg = _logits_tensor(digits)
    agree, lsb = [], []
    for x in test.x:
        factory = run_int8(digits, [x.reshape(shape)], keep_all=True)
        out = net.invoke(x)
        lsb.append(int(np.abs(net.tensor(lg).astype(int) - factory[lg].astype(int)).max()))
        agree.append(int(np.argmax(out)) == int(np.argmax(factory[digits.outputs[0]])))
    assert max(lsb) <= 1 and 0 in lsb and 1 in lsb, np.bincount(lsb)
    assert np.mean(agree) >= 0.98
    w = build_plan(digits, spec).slots[1].name
    before = net.tensor(f"fp16:{w}").copy()
    net.eval_sample(field.x[0], int(field.y[0]))
    net.invoke(field.x[0])
    assert np.array_equal(before, net.tensor(f"fp16:{w}")), "inference never changes the weights"


def test_invoke_after_training_runs_the_trained_head(digits, tmp_path):
    """odl_invoke == the numpy twin's invoke bit for bit after training; its
    argmax is EVAL's prediction except where the two best FP16 logits fall
    into the same int8 logit step (the tie goes to the lower class)."""
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.002, momentum=0.9)
    art, net, field, acts = _setup(digits, spec, tmp_path)
    plan = build_plan(digits, spec)
    ref = Fp16Reference(digits, plan)
    test = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
    shape = digits.tensors[digits.inputs[0]].shape
    test_acts = [run_int8(digits, [x.reshape(shape)], keep_all=True) for x in test.x]
    rng = np.random.default_rng(0)
    for _ in range(2):
        for i in rng.permutation(len(field)):
            net.train_step(field.x[i], int(field.y[i]))
            ref.step(acts[i], int(field.y[i]))
    q = digits.tensors[_logits_tensor(digits)].quant
    eval_ok = invoke_ok = changed = ties = 0
    for x, y, a in zip(test.x, test.y, test_acts):
        out = net.invoke(x)
        assert np.array_equal(out.reshape(-1), ref.invoke(a)[0].reshape(-1))
        changed += not np.array_equal(out.reshape(-1), a[digits.outputs[0]].reshape(-1))
        e = net.eval_sample(x, int(y))
        pred = int(np.argmax(out))
        if pred != e["predicted"]:
            zq = quantize_logits(ref.val[plan.logits].reshape(-1), q.scale[0], q.zero_point[0])
            assert zq[pred] == zq[e["predicted"]] == zq.max() and pred < e["predicted"]
            ties += 1
        eval_ok += e["correct"]
        invoke_ok += pred == int(y)
    assert changed > 0.9 * len(test), "inference must follow the trained head"
    assert eval_ok > 0.7 * len(test), "two epochs lift field-test accuracy from 59 %"
    assert abs(eval_ok - invoke_ok) <= ties <= 0.02 * len(test), (eval_ok, invoke_ok, ties)


def test_overflow_skips_the_step_and_halves_the_scale(digits, tmp_path):
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.002, extra={"initial_scale": 2.0**16})
    art, net, field, acts = _setup(digits, spec, tmp_path)
    plan = build_plan(digits, spec)
    ref = Fp16Reference(digits, plan)
    names = [s.name for s in plan.slots if s.trainable]
    flags = []
    for i in range(16):
        before = [net.tensor(f"fp16:{n}").copy() for n in names]
        r = net.train_step(field.x[i], int(field.y[i]))
        assert r["flags"] == ref.step(acts[i], int(field.y[i]))["flags"]
        flags.append(r["flags"])
        unchanged = all(np.array_equal(v, net.tensor(f"fp16:{n}")) for n, v in zip(names, before))
        assert unchanged == bool(r["flags"] & 1), f"step {i}: skipped steps, and only they, leave the weights alone"
    skips = sum(f & 1 for f in flags)
    assert flags[0] & 1, "a 2^16 loss scale must overflow FP16 gradients"
    assert 1 <= skips < len(flags)
    assert float(ref.scale) == 2.0 ** (16 - skips) and ref.skipped == skips
    assert _same_state(net, plan, ref)


def test_memory_report(digits):
    spec = TrainSpec(method="fp16", trainable="last:3", momentum=0.9, master_fp32=True)
    art = compile_model(digits, None, train=spec)
    extra = art.report["extra"]
    plan = build_plan(digits, spec)
    n_param = sum(s.numel for s in plan.slots if s.trainable)
    assert n_param == 16 * 3 * 3 * 8 + 16 + 256 * 32 + 32 + 32 * 10 + 10
    assert extra["fp16 weights"] == extra["fp16 weight gradients"] == 2 * n_param
    assert extra["master weights (fp32)"] == 4 * n_param
    assert extra["optimizer state (fp32)"] == 4 * n_param
    acts = 8 * 8 * 8 + 4 * 4 * 16 * 2 + 32 + 10  # boundary, conv2 out, flatten, fc1, fc2
    assert extra["fp16 activations"] == 2 * acts
    assert extra["fp16 activation gradients"] == 2 * (acts - 8 * 8 * 8)
    assert art.report["persistent_bytes"] >= sum(extra.values())
    assert art.report["arena_bytes"] >= art.report["persistent_bytes"]


@pytest.mark.parametrize("change,message", [
    (dict(loss_scale="3"), "power of two"),
    (dict(loss_scale="big"), "--loss-scale"),
    (dict(optimizer="rmsprop"), "--optimizer"),
    (dict(trainable="nope"), "no trainable tensor"),
])
def test_bad_options(digits, change, message):
    with pytest.raises(TrainSpecError, match=message):
        build_plan(digits, TrainSpec(method="fp16", **change))


def test_digits_fp16_within_half_a_point_of_fp32(digits, tmp_path):
    """Same init (the FP16 weights), data order and hyper-parameters; the
    float32 run is the numpy twin with float32 storage and no loss scale."""
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.001, master_fp32=True)
    art, net, field, acts = _setup(digits, spec, tmp_path)
    test = load_dataset(DIGITS / "field_test.npz", net.inputs[0])
    shape = digits.tensors[digits.inputs[0]].shape
    test_acts = [run_int8(digits, [x.reshape(shape)], keep_all=True) for x in test.x]
    f32 = Fp16Reference(digits, build_plan(digits, spec), identity)

    def accuracy():
        a = np.mean([net.eval_sample(x, int(y))["correct"] for x, y in zip(test.x, test.y)])
        b = np.mean([f32.eval(t, int(y))["correct"] for t, y in zip(test_acts, test.y)])
        return a, b

    before = accuracy()
    assert before[0] == before[1]
    rng = np.random.default_rng(0)
    for _ in range(8):
        for i in rng.permutation(len(field)):
            net.train_step(field.x[i], int(field.y[i]))
            f32.step(acts[i], int(field.y[i]))
    fp16_acc, fp32_acc = accuracy()
    assert fp32_acc > before[1] + 0.2, "float32 backprop of the last 3 layers must recover the shift"
    assert abs(fp16_acc - fp32_acc) <= 0.005 + 1e-9, (fp16_acc, fp32_acc)


SANITIZED_CHILD = """
import sys
from pytool import compile_model, load_host
from pytool.training import TrainSpec
from pytool.training.loop import load_dataset
for opts in (dict(momentum=0.9), dict(optimizer="adam", master_fp32=True, loss="mse")):
    spec = TrainSpec(method="fp16", trainable="last:3", lr=0.002, extra={"initial_scale": 2.0**16}, **opts)
    art = compile_model(sys.argv[1], sys.argv[2] + "/" + spec.key(), train=spec)
    net = load_host(art, name="asan_fp16")
    data = load_dataset(sys.argv[3], net.inputs[0])
    flags = [net.train_step(data.x[i], int(data.y[i]))["flags"] for i in range(12)]
    assert flags[0] & 1 and not all(f & 1 for f in flags), flags
    net.eval_sample(data.x[0], int(data.y[0]))
    net.invoke(data.x[0])  # odl_fp16_invoke: head forward, logits quantization, SOFTMAX
print("sanitized fp16 ok")
"""


def test_fp16_step_clean_under_asan_ubsan(tmp_path):
    import os
    import subprocess
    import sys

    def lib(name: str) -> str:
        return subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()

    env = dict(os.environ, TINYODL_SANITIZE="1", TINYODL_CACHE=str(ROOT / ".cache" / "asan"),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
               LD_PRELOAD=f"{lib('libasan.so')}:{lib('libubsan.so')}", PYTHONPATH=str(ROOT))
    script = tmp_path / "child.py"
    script.write_text(SANITIZED_CHILD)
    r = subprocess.run([sys.executable, str(script), str(DIGITS / "digits_int8_tf.tflite"), str(tmp_path),
                        str(DIGITS / "field.npz")], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "sanitized fp16 ok" in r.stdout, r.stdout[-2000:] + r.stderr[-4000:]


@pytest.mark.parametrize("opts", [dict(optimizer="sgd"), dict(optimizer="adam", master_fp32=True)])
def test_rate_shift_is_the_halved_rate(digits, tmp_path, opts):
    """odl_train_set_lr_shift(1) at lr 0.02 trains the bytes of lr 0.01 (the power of two is exact)."""
    runs = []
    for lr, shift in ((0.02, 1), (0.01, 0), (0.02, 0)):
        spec = TrainSpec(method="fp16", trainable="last:2", lr=lr, **opts)
        art = compile_model(digits, tmp_path / f"{spec.key()}_{shift}", train=spec)
        net = load_host(art)
        net.set_lr_shift(shift)
        field = load_dataset(DIGITS / "field.npz", net.inputs[0])
        for i in range(30):
            net.train_step(field.x[i], int(field.y[i]))
        runs.append(b"".join(net.tensor(i).tobytes() for i in art.meta["trainable_order"]))
    assert runs[0] == runs[1] and runs[0] != runs[2]
