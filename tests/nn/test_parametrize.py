"""nn.utils.parametrize, parametrizations.weight_norm/spectral_norm and the older hook-based
weight_norm/spectral_norm, against hand computations and PyTorch (state dicts copied over)."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.nn.utils import parametrize as P

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*torch.nn.utils.weight_norm.*is deprecated:FutureWarning"
)  # torch's own


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class Scale(nn.Module):
    def forward(self, x):
        return x * 2


def test_register_parametrization_reads_assigns_and_removes():
    lin = nn.Linear(3, 3).double()
    w0 = lin.weight.detach().numpy().copy()
    P.register_parametrization(lin, "weight", Symmetric())
    assert P.is_parametrized(lin) and P.is_parametrized(lin, "weight") and not P.is_parametrized(lin, "bias")
    assert type(lin).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(lin) is nn.Linear
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(np.triu(w), np.triu(w0))  # right_inverse kept the upper triangle
    assert set(lin.state_dict()) == {"bias", "parametrizations.weight.original"}
    sym = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    lin.weight = morch.tensor(sym)  # goes through right_inverse
    np.testing.assert_allclose(lin.weight.detach().numpy(), sym)
    x = morch.randn(2, 3, dtype=morch.float64)
    lin(x).sum().backward()
    g = lin.parametrizations.weight.original.grad.numpy()
    full = np.ones((2, 3)).T @ x.numpy()  # d/dW of sum(x @ W.T) is ones.T @ x
    np.testing.assert_allclose(g, np.triu(full + full.T - np.diag(np.diag(full))))
    P.register_parametrization(lin, "weight", Scale())  # chained after the first
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * sym)
    with P.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight
    P.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and isinstance(lin.weight, nn.Parameter)
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * sym)
    assert set(lin.state_dict()) == {"weight", "bias"}


def test_parametrization_errors():
    lin = nn.Linear(3, 2)
    with pytest.raises(
        ValueError, match="does not have a parameter, a buffer, or a parametrized element with name 'w'"
    ):
        P.register_parametrization(lin, "w", Scale())

    class Shrink(nn.Module):
        def forward(self, x):
            return x[0]

    with pytest.raises(ValueError, match="may not change the shape or dtype"):
        P.register_parametrization(lin, "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(lin, "weight")
    P.register_parametrization(lin, "weight", Scale())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        lin.weight = morch.zeros(2, 3)


def test_weight_norm_both_styles_by_hand():
    for style in ("parametrization", "hooks"):
        lin = nn.Linear(4, 3).double()
        w0 = lin.weight.detach().numpy().copy()
        if style == "hooks":
            nn.utils.weight_norm(lin)
            g = lin.weight_g
            assert set(lin.state_dict()) == {"bias", "weight_g", "weight_v"}
        else:
            nn.utils.parametrizations.weight_norm(lin)
            g = lin.parametrizations.weight.original0
        assert g.shape == (3, 1)
        np.testing.assert_allclose(
            lin(morch.eye(4, dtype=morch.float64)).detach().numpy().T - lin.bias.detach().numpy()[:, None], w0
        )
        with morch.no_grad():
            g.mul_(2)
        lin(morch.ones(1, 4, dtype=morch.float64))
        np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * w0)
        if style == "hooks":
            nn.utils.remove_weight_norm(lin)
            assert set(lin.state_dict()) == {"weight", "bias"}
            np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * w0)


def _sn_step(lib, m, x):
    out = m(x)
    (out**2).sum().backward()
    return out


@requires_torch
@pytest.mark.parametrize("style", ["parametrization", "hooks"])
@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_normalisations_match_pytorch(style, kind):
    tm = torch.nn.Conv2d(2, 3, 3).double()
    mm = nn.Conv2d(2, 3, 3).double()
    mm.load_state_dict({k: morch.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for lib, m in ((torch, tm), (nn, mm)):
        utils = lib.nn.utils if lib is torch else lib.utils
        fn = getattr(utils.parametrizations if style == "parametrization" else utils, kind)
        if kind == "weight_norm" and style == "parametrization":
            fn(m, dim=0)
        elif kind == "weight_norm":
            fn(m, dim=0)
        else:
            fn(m, n_power_iterations=2)
    # the power-iteration vectors start random: give morch torch's
    mm.load_state_dict({k: morch.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert set(mm.state_dict()) == set(tm.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    for _ in range(3):  # training mode: spectral norm's vectors move each call
        a = _sn_step(torch, tm, torch.tensor(x))
        b = _sn_step(morch, mm, morch.tensor(x))
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9, atol=1e-12)
    ours = {n: p.grad.numpy() for n, p in mm.named_parameters()}
    theirs = {n: p.grad.numpy() for n, p in tm.named_parameters()}
    assert set(ours) == set(theirs)
    for n in ours:
        np.testing.assert_allclose(ours[n], theirs[n], rtol=1e-8, atol=1e-12, err_msg=n)
    for k, v in tm.state_dict().items():  # including the vectors after the updates
        np.testing.assert_allclose(mm.state_dict()[k].numpy(), v.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
