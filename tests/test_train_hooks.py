"""Methods plug into the runtime through the hook table of their generated
config, and the compiler gets the trainable list as data, not from C text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT

from pytool import compile_model, load_host
from pytool.training import HOOKS, TrainSpec
from pytool.training.loop import load_dataset

NETS = ROOT / "tests" / "fixtures" / "train_nets"
METHOD_WORDS = re.compile(r"fp16|FP16|odl_fg_|FORWARD_GRAD|sparse|SPARSE|train_fp16\.h")


def test_core_and_shared_training_code_name_no_method():
    for rel in ("runtime_c/src/core/context.c", "runtime_c/src/core/dispatch.c", "runtime_c/src/train/train.c"):
        text = (ROOT / rel).read_text()
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments may mention a method
        assert not METHOD_WORDS.search(code), f"{rel} names a training method"


def test_every_method_has_a_hook_table():
    text = "".join((ROOT / "runtime_c" / "src" / "train" / f).read_text()
                   for f in ("forward_grad.c", "sparse_update.c", "fp16_backprop.c"))
    for name in HOOKS.values():
        assert f"const odl_train_hooks_t {name} = " in text


@pytest.mark.parametrize("method,trainable,layers", [("forward-grad", "last:1", 1), ("fp16", "last:2", 2)])
def test_trainable_order_is_the_trained_tensors_in_order(tmp_path, method, trainable, layers):
    spec = TrainSpec.for_method(method, trainable=trainable)
    art = compile_model(NETS / "mlp_int8.tflite", tmp_path / method, train=spec)
    names = {i: n.removeprefix("fp16:") for n, i in art.meta["tensors"].items()}
    fcs = [op for op in art.graph.ops if op.type == "FULLY_CONNECTED"][-layers:]
    assert [names[i] for i in art.meta["trainable_order"]] == [t for op in fcs for t in op.inputs[1:3]]
    net = load_host(art)
    before = [net.tensor(i).copy() for i in art.meta["trainable_order"]]
    data = load_dataset(NETS / "field.npz", net.inputs[0])
    for k in range(8):
        net.train_step(data.x[k], int(data.y[k]))
    after = [net.tensor(i) for i in art.meta["trainable_order"]]
    assert not np.array_equal(before[0], after[0]), "training did not change the first listed weight"


def test_core_object_needs_no_training_symbol(tmp_path):
    """context.c compiled alone: its undefined symbols name no training code."""
    import shutil
    import subprocess

    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.fail("no C compiler on PATH")
    obj = tmp_path / "context.o"
    subprocess.run([cc, "-std=c99", "-c", "-O1", "-I", str(ROOT / "runtime_c" / "include"),
                    str(ROOT / "runtime_c" / "src" / "core" / "context.c"), "-o", str(obj)], check=True)
    undefined = subprocess.run(["nm", "-u", str(obj)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in undefined.splitlines() if line.strip()]
    assert "memcpy" in names  # the check sees the core's real references
    # ops come from the model's decoder table: the core names none either
    assert not [n for n in names if n.startswith("odl_op_")], names
    assert not [n for n in names if re.search(r"train|fp16|odl_fg_|sparse", n)], names
