"""Float32 backprop baseline through MAX_POOL_2D (the CNN of the AIfES nets):
analytic gradients of the conv under the pool equal finite differences."""

from __future__ import annotations

import numpy as np
from conftest import ROOT

from pytool.compiler import load_graph
from pytool.training.float_baseline import FloatSuffix, softmax_ce_grad

NETS = ROOT / "tests" / "fixtures" / "train_nets"


def test_conv_gradient_through_max_pool_matches_finite_differences():
    g = load_graph(NETS / "cnn_int8.tflite")
    net = FloatSuffix(g, "last:2")
    net.params = {k: v.astype(np.float64) for k, v in net.params.items()}
    # digits take 17 levels: equal values tie in a pool window, where the loss has no
    # derivative; a little noise makes every window's maximum unique
    field = np.load(NETS / "field.npz")
    x = field["x"][:2] + np.random.default_rng(1).uniform(0, 0.01, (2, 8, 8, 1))
    y = field["y"][:2]  # true labels: the loss's log(p + 1e-12) stays smooth
    feeds = {k: v.astype(np.float64) for k, v in net.prefix(x).items()}

    def loss() -> float:
        logits, _ = net.forward(feeds)
        return softmax_ce_grad(logits.reshape(2, -1), y)[0]

    logits, tape = net.forward(feeds)
    _, dl = softmax_ce_grad(logits.reshape(2, -1), y)
    grads = net.backward(tape, dl.reshape(logits.shape))
    conv_w = g.ops[0].inputs[1]
    w = net.params[conv_w]
    rng = np.random.default_rng(0)
    for flat in rng.choice(w.size, 8, replace=False):
        idx = np.unravel_index(flat, w.shape)
        old = w[idx]
        w[idx] = old + 1e-6
        up = loss()
        w[idx] = old - 1e-6
        down = loss()
        w[idx] = old
        assert abs((up - down) / 2e-6 - grads[conv_w][idx]) < 1e-4 + 1e-3 * abs(grads[conv_w][idx])
    assert np.abs(grads[conv_w]).sum() > 0
