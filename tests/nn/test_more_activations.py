"""hardshrink, softshrink, rrelu, the in-place activation twins, gumbel_softmax, pdist,
max_unpool and the *_with_indices aliases, and their layers: against torch and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.nn import functional as F

X = np.linspace(-2, 2, 13)


@pytest.mark.parametrize(
    "fn",
    [
        lambda F, x: F.hardshrink(x, 0.4),
        lambda F, x: F.softshrink(x, 0.7),
        lambda F, x: F.rrelu(x),  # eval mode: the mean slope
        lambda F, x: F.pdist(x.reshape(3, 4) ** 2 + x[:12].reshape(3, 4)),
        lambda F, x: F.pdist(x.reshape(4, 3), p=1),
    ],
)
def test_gradients_by_finite_differences(fn):
    x = morch.tensor(X[:12] + 0.013, dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(lambda t: fn(F, t), (x,))


@requires_torch
def test_values_and_gradients_match_torch():
    tf = torch.nn.functional
    for name, fn in [
        ("hardshrink", lambda F, x: F.hardshrink(x, 0.4)),
        ("softshrink", lambda F, x: F.softshrink(x, 0.7)),
        ("rrelu_eval", lambda F, x: F.rrelu(x, 0.1, 0.3)),
        ("pdist", lambda F, x: F.pdist(x[:12].reshape(4, 3), p=3)),
    ]:
        xm = morch.tensor(X + 0.013, requires_grad=True)
        xt = torch.tensor(X + 0.013, requires_grad=True)
        a, b = fn(F, xm), fn(tf, xt)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, err_msg=name)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12, err_msg=name)
    for name in ("elu_", "celu_", "selu_", "leaky_relu_", "hardtanh_"):
        a, b = morch.tensor(X), torch.tensor(X)
        getattr(F, name)(a)
        getattr(tf, name)(b)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, err_msg=name)
    a, b = morch.tensor(X), torch.tensor(X)
    F.threshold_(a, 0.5, -1.0)
    tf.threshold_(b, 0.5, -1.0)
    np.testing.assert_allclose(a.numpy(), b.numpy())
    y = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    for lib, fl in ((morch, F), (torch, tf)):
        out, idx = fl.max_pool2d_with_indices(lib.tensor(y), 2)
        un = fl.max_unpool2d(out, idx, 2, output_size=(7, 7))
        if lib is morch:
            ours = (out.numpy(), idx.numpy(), un.numpy())
        else:
            theirs = (out.numpy(), idx.numpy(), un.numpy())
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert str(nn.RReLU(0.1, 0.2, inplace=True)) == str(torch.nn.RReLU(0.1, 0.2, inplace=True))
    assert str(nn.MaxUnpool1d(3, 2)) == str(torch.nn.MaxUnpool1d(3, 2))


def test_rrelu_training_slopes_and_modules():
    morch.manual_seed(0)
    x = -morch.ones(10000)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert -0.3 <= y.min().item() and y.max().item() <= -0.1 and abs(y.mean().item() + 0.2) < 0.005
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    assert m(x)[0].item() == pytest.approx(-0.2)
    assert nn.Hardshrink(0.5)(morch.tensor([0.25, 0.75])).tolist() == [0.0, 0.75]
    assert nn.Softshrink(0.5)(morch.tensor([0.3, 0.75])).tolist() == [0.0, 0.25]
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    z = morch.randn(1, 1, 4, 4)
    out, idx = pool(z)
    back = unpool(out, idx)
    assert back.shape == (1, 1, 4, 4) and (back != 0).sum().item() == 4
    with pytest.raises(ValueError, match="lambda must be greater or equal to 0"):
        F.softshrink(z, -1.0)
    with pytest.raises(ValueError, match="pdist only supports 2D tensors"):
        F.pdist(morch.ones(3))


def test_gumbel_softmax():
    morch.manual_seed(0)
    logits = morch.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    soft = F.gumbel_softmax(logits.expand(4000, 3), tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    hard = F.gumbel_softmax(logits.expand(4000, 3), hard=True)
    assert set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
    freq = hard.detach().numpy().mean(0)
    np.testing.assert_allclose(freq, np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum(), atol=0.03)
    hard.sum().backward()  # straight-through: the soft sample's gradient reaches the logits
    assert logits.grad is not None
