"""Activation functions and layers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name: (morch-or-torch function of (F, x), numpy reference)
ACTIVATIONS = {
    "relu": (lambda F, x: F.relu(x), lambda x: np.maximum(x, 0)),
    "relu6": (lambda F, x: F.relu6(x * 4), lambda x: np.clip(x * 4, 0, 6)),
    "hardtanh": (lambda F, x: F.hardtanh(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7)),
    "leaky_relu": (lambda F, x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda F, x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "selu": (lambda F, x: F.selu(x), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.67326324235 * np.expm1(x))),
    "celu": (lambda F, x: F.celu(x, 0.7), lambda x: np.maximum(x, 0) + np.minimum(0, 0.7 * np.expm1(x / 0.7))),
    "gelu": (lambda F, x: F.gelu(x), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "gelu_tanh": (
        lambda F, x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    "silu": (lambda F, x: F.silu(x), lambda x: x * _sigmoid(x)),
    "sigmoid": (lambda F, x: F.sigmoid(x), _sigmoid),
    "tanh": (lambda F, x: F.tanh(x), np.tanh),
    "logsigmoid": (lambda F, x: F.logsigmoid(x), lambda x: np.log(_sigmoid(x))),
    "softsign": (lambda F, x: F.softsign(x), lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (lambda F, x: F.tanhshrink(x), lambda x: x - np.tanh(x)),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x * 4), lambda x: np.clip(x * 4 + 3, 0, 6) / 6),
    "hardswish": (lambda F, x: F.hardswish(x * 4), lambda x: x * 4 * np.clip(x * 4 + 3, 0, 6) / 6),
    "threshold": (lambda F, x: F.threshold(x, 0.1, -2.0), lambda x: np.where(x > 0.1, x, -2.0)),
    "softmax": (lambda F, x: F.softmax(x, 1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    "log_softmax": (lambda F, x: F.log_softmax(x, -1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    "softmin": (lambda F, x: F.softmin(x, 0), lambda x: np.exp(-x) / np.exp(-x).sum(0, keepdims=True)),
    "glu": (lambda F, x: F.glu(x, 1), lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
}
SMOOTH = {"elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "logsigmoid", "softsign",
          "tanhshrink", "softmax", "log_softmax", "softmin", "glu"}  # fmt: skip


def _input(seed=0):
    # away from the kinks at 0, 0.1, +-0.5, +-0.75 (where finite differences straddle two pieces)
    x = np.random.default_rng(seed).uniform(-2, 2, (3, 4, 5))
    x[np.abs(x) < 0.05] += 0.2
    return morch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_matches_numpy(name):
    fn, ref = ACTIVATIONS[name]
    x = _input()
    assert_close(fn(F, x), ref(x.detach().numpy()), atol=1e-7)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients(name):
    fn, _ = ACTIVATIONS[name]
    x = morch.tensor(_input().detach().numpy()[:, :, :2], requires_grad=True)
    x = morch.tensor(np.where(np.abs(np.abs(x.detach().numpy()) - 0.75) < 0.05, 1.3, x.detach().numpy()),
                     requires_grad=True)  # fmt: skip
    assert gradcheck(lambda x: fn(F, x), (x,))
    if name in SMOOTH:
        assert gradgradcheck(lambda x: fn(F, x), (x,))


@requires_torch
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_pytorch(name):
    fn, _ = ACTIVATIONS[name]
    x = _input(1)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    y, yt = fn(F, x), fn(torch.nn.functional, xt)
    assert_close(y, yt)
    g = np.random.default_rng(2).standard_normal(tuple(yt.shape))
    y.backward(morch.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


@requires_torch
def test_activations_at_zero_and_at_extremes_match_pytorch():
    vals = [0.0, -0.0, 1e4, -1e4, 30.0, -30.0, 1e-8]
    for name in ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "logsigmoid", "sigmoid", "softsign"):
        fn, _ = ACTIVATIONS[name]
        x = morch.tensor(vals, dtype=morch.float64, requires_grad=True)
        xt = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
        y, yt = fn(F, x), fn(torch.nn.functional, xt)
        assert_close(y, yt)
        y.sum().backward()
        yt.sum().backward()
        assert_close(x.grad, xt.grad)
        assert np.isfinite(x.grad.numpy()).all(), name


def test_prelu_learns_one_slope_or_one_per_channel():
    x = rand64(2, 3, 4)
    for n in (1, 3):
        m = nn.PReLU(n, init=0.3).double()
        assert_close(m(x), np.where(x.detach().numpy() > 0, x.detach().numpy(), 0.3 * x.detach().numpy()))
        assert gradcheck(lambda x, w: F.prelu(x, w), (x, m.weight))
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(x, morch.ones(2, dtype=morch.float64))


def test_inplace_variants_overwrite_their_input():
    cases = [
        (lambda x: F.relu(x, inplace=True), F.relu), (F.relu_, F.relu), (lambda x: nn.ReLU(True)(x), F.relu),
        (lambda x: F.leaky_relu(x, 0.1, True), lambda x: F.leaky_relu(x, 0.1)),
        (lambda x: F.elu(x, inplace=True), F.elu), (lambda x: F.hardtanh(x, inplace=True), F.hardtanh),
        (lambda x: F.silu(x, inplace=True), F.silu),
    ]  # fmt: skip
    for inplace, plain in cases:
        x = morch.tensor([-2.0, 3.0])
        expected = plain(x).numpy().copy()
        assert inplace(x) is x
        assert np.array_equal(x.numpy(), expected) and not np.array_equal(expected, [-2.0, 3.0])
    leaf = morch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.relu(leaf, inplace=True)
    h = leaf * 2
    F.relu(h, inplace=True).sum().backward()  # tracked in-place on a non-leaf: gradients still flow
    assert leaf.grad.item() == 2.0


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = rand64(2, 3, requires_grad=False)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    assert_close(y.sum(1), np.ones(2))
    with pytest.warns(UserWarning):
        assert_close(nn.LogSoftmax()(rand64(3, requires_grad=False)).exp().sum(), 1.0)


def test_activation_modules_call_their_functions():
    x = _input()
    pairs = [
        (nn.ReLU(), "relu"), (nn.LeakyReLU(0.2), "leaky_relu"), (nn.ELU(1.5), "elu"), (nn.SELU(), "selu"),
        (nn.CELU(0.7), "celu"), (nn.GELU(), "gelu"), (nn.GELU("tanh"), "gelu_tanh"), (nn.SiLU(), "silu"),
        (nn.Sigmoid(), "sigmoid"), (nn.Tanh(), "tanh"), (nn.LogSigmoid(), "logsigmoid"), (nn.Softsign(), "softsign"),
        (nn.Tanhshrink(), "tanhshrink"), (nn.Softmax(1), "softmax"), (nn.LogSoftmax(-1), "log_softmax"),
        (nn.Softmin(0), "softmin"), (nn.GLU(1), "glu"), (nn.Hardtanh(-0.5, 0.7), "hardtanh"),
        (nn.Threshold(0.1, -2.0), "threshold"),
    ]  # fmt: skip
    for module, name in pairs:
        assert_close(module(x), ACTIVATIONS[name][1](x.detach().numpy()), atol=1e-7)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="Halving dimension must be even"):
        F.glu(morch.zeros(3, 3))


def test_softplus_is_left_to_plugins():
    # softplus, mish and swish come from the example activations plugin; morch itself does not define them
    assert "softplus" not in F.__all__ and "softplus" not in vars(F)
