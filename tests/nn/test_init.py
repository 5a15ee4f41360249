"""morch.nn.init: gains, fans, and the distributions (bounds and statistics, not values)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
from morch.nn import init


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(morch.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(morch.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(morch.empty(3))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def test_uniform_normal_constant_fill_in_place_and_return_the_tensor():
    t = morch.empty(200, 300)
    assert init.uniform_(t, -2, 3) is t
    lo, hi, mean, std = _stats(t)
    assert -2 <= lo < -1.99 and 2.99 < hi <= 3 and abs(mean - 0.5) < 0.02 and abs(std - 5 / math.sqrt(12)) < 0.02
    init.normal_(t, 1.0, 0.5)
    _, _, mean, std = _stats(t)
    assert abs(mean - 1) < 0.01 and abs(std - 0.5) < 0.01
    assert not init.zeros_(t).numpy().any() and (init.ones_(t).numpy() == 1).all()
    assert (init.constant_(t, 0.25).numpy() == 0.25).all()
    assert t.dtype == morch.float32
    assert np.array_equal(init.eye_(morch.empty(2, 3)).numpy(), np.eye(2, 3))


def test_init_works_on_parameters_without_recording_history():
    p = nn.Parameter(morch.empty(4, 4))
    init.kaiming_normal_(p)
    assert p.grad_fn is None and p.requires_grad and p.is_leaf
    (p * 2).sum().backward()
    assert p.grad is not None


def test_trunc_normal_stays_in_bounds():
    t = morch.empty(100_000)
    init.trunc_normal_(t, mean=0.5, std=1.0, a=-0.5, b=1.0)
    lo, hi, mean, _ = _stats(t)
    assert lo >= -0.5 and hi <= 1.0
    # the mean of N(0.5, 1) truncated to [-0.5, 1]: mu + (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 0.5 + (phi(-1.0) - phi(0.5)) / (cdf(0.5) - cdf(-1.0))
    assert abs(mean - expected) < 0.01


@pytest.mark.parametrize(
    "fn,kw,std",
    [
        (init.xavier_uniform_, dict(gain=2.0), 2.0 * math.sqrt(2 / (600 + 400))),
        (init.xavier_normal_, {}, math.sqrt(2 / (600 + 400))),
        (init.kaiming_uniform_, dict(nonlinearity="relu"), math.sqrt(2) / math.sqrt(600)),
        (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="relu"), math.sqrt(2) / math.sqrt(400)),
        (init.kaiming_uniform_, dict(a=math.sqrt(5)), 1 / math.sqrt(3 * 600)),  # bound 1/sqrt(fan_in)
    ],
    ids=["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal_fan_out", "kaiming_uniform_sqrt5"],
)
def test_xavier_and_kaiming_have_the_right_spread(fn, kw, std):
    t = morch.empty(400, 600)
    fn(t, **kw)
    _, hi, mean, s = _stats(t)
    assert abs(mean) < 0.02 * std * 10 and abs(s - std) < 0.02 * std
    if fn in (init.xavier_uniform_, init.kaiming_uniform_):
        assert hi <= math.sqrt(3) * std + 1e-7 and hi > 0.99 * math.sqrt(3) * std


def test_kaiming_mode_is_checked():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(morch.empty(2, 2), mode="fan_avg")


def test_orthogonal_and_dirac():
    q = init.orthogonal_(morch.empty(6, 4), gain=2.0).numpy().astype(np.float64)
    assert np.allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    w = init.dirac_(morch.empty(3, 3, 3, 3))
    x = morch.randn(1, 3, 5, 5)
    assert np.allclose(nn.functional.conv2d(x, w, padding=1).numpy(), x.numpy(), atol=1e-6)


def test_generator_makes_init_reproducible():
    a, b = morch.empty(3, 3), morch.empty(3, 3)
    init.normal_(a, generator=morch.Generator().manual_seed(7))
    init.normal_(b, generator=morch.Generator().manual_seed(7))
    assert np.array_equal(a.numpy(), b.numpy())
    morch.manual_seed(1)
    w1 = nn.Linear(3, 3).weight.detach().numpy().copy()
    morch.manual_seed(1)
    assert np.array_equal(nn.Linear(3, 3).weight.detach().numpy(), w1)


def test_layer_initialisation_follows_pytorchs_distributions():
    bound = 1 / math.sqrt(64 * 9)
    conv = nn.Conv2d(64, 128, 3)
    _, hi, mean, std = _stats(conv.weight)
    assert hi <= bound and abs(std - bound / math.sqrt(3)) < 0.02 * bound
    bn = nn.BatchNorm2d(4)
    assert (bn.weight.detach().numpy() == 1).all() and not bn.bias.detach().numpy().any()
    assert not bn.running_mean.numpy().any() and (bn.running_var.numpy() == 1).all()
    ln = nn.LayerNorm(4)
    assert (ln.weight.detach().numpy() == 1).all() and not ln.bias.detach().numpy().any()
    emb = nn.Embedding(300, 300)
    _, _, mean, std = _stats(emb.weight)
    assert abs(mean) < 0.01 and abs(std - 1) < 0.01
