"""Special functions (morch/ops/special.py, morch.special): lgamma, digamma, polygamma, erfinv,
erfc and friends against math and closed forms, their derivatives by finite differences, and
against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import special

X = np.array([0.3, 1.0, 2.5, 7.2, 15.0, 120.0, -0.5, -2.3])


def test_values_against_math_and_closed_forms():
    t = morch.tensor(X, dtype=morch.float64)
    np.testing.assert_allclose(morch.lgamma(t).numpy(), [math.lgamma(v) for v in X], rtol=1e-14)
    # psi(1) = -gamma, psi(1/2) = -gamma - 2 log 2, psi(x + 1) = psi(x) + 1/x
    euler = 0.5772156649015329
    d = morch.digamma(morch.tensor([1.0, 0.5, 7.2, 8.2], dtype=morch.float64)).numpy()
    np.testing.assert_allclose(d[:2], [-euler, -euler - 2 * math.log(2)], rtol=1e-14)
    np.testing.assert_allclose(d[3] - d[2], 1 / 7.2, rtol=1e-12)
    np.testing.assert_allclose(
        morch.polygamma(1, morch.tensor(1.0, dtype=morch.float64)).item(), math.pi**2 / 6, rtol=1e-14
    )
    np.testing.assert_allclose(
        morch.polygamma(2, morch.tensor(1.0, dtype=morch.float64)).item(), -2 * 1.2020569031595942, rtol=1e-13
    )
    y = morch.tensor([-0.999, -0.5, 0.0, 0.3, 0.99], dtype=morch.float64)
    np.testing.assert_allclose(morch.erf(morch.erfinv(y)).numpy(), y.numpy(), rtol=1e-13, atol=1e-15)
    assert morch.erfinv(morch.tensor([1.0, -1.0, 1.5])).tolist()[:2] == [math.inf, -math.inf]
    assert math.isnan(morch.erfinv(morch.tensor(1.5)).item())
    np.testing.assert_allclose(
        morch.erfc(morch.tensor([0.0, 10.0], dtype=morch.float64)).numpy(), [1.0, math.erfc(10.0)]
    )
    assert morch.lgamma(morch.tensor([0.0, -2.0])).tolist() == [math.inf, math.inf]
    assert morch.digamma(morch.tensor(0.0)).item() == -math.inf and math.isnan(morch.digamma(morch.tensor(-3.0)).item())
    assert morch.mvlgamma(morch.tensor([3.0], dtype=morch.float64), 2).item() == pytest.approx(
        math.lgamma(3.0) + math.lgamma(2.5) + 0.5 * math.log(math.pi)
    )
    with pytest.raises(ValueError, match="All elements must be greater than \\(p-1\\)/2"):
        morch.mvlgamma(morch.tensor([0.5]), 3)
    with pytest.raises(ValueError, match="does not support negative n"):
        morch.polygamma(-1, morch.ones(1))


@pytest.mark.parametrize(
    "fn",
    [morch.lgamma, morch.digamma, lambda x: morch.polygamma(2, x), lambda x: morch.erfinv(x.tanh() * 0.9), morch.erfc],
)
def test_first_and_second_derivatives(fn):
    x = morch.tensor([0.7, 1.9, 3.3, 12.5], dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(fn, (x,))
    assert morch.autograd.gradgradcheck(fn, (x,))


def test_special_namespace():
    x = morch.tensor([0.0, 0.5, -1.2], dtype=morch.float64)
    assert special.sinc(x).tolist()[0] == 1.0
    assert special.entr(morch.tensor([0.0, -1.0])).tolist() == [0.0, -math.inf]
    np.testing.assert_allclose(special.ndtri(special.ndtr(x)).numpy(), x.numpy(), atol=1e-12)
    assert special.gammaln is morch.lgamma and special.expit is morch.sigmoid


@requires_torch
def test_matches_torch():
    for name, rtol in [("lgamma", 1e-13), ("digamma", 1e-12), ("erfc", 1e-14)]:
        a = getattr(morch, name)(morch.tensor(X, dtype=morch.float64)).numpy()
        b = getattr(torch, name)(torch.tensor(X, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(a, b, rtol=rtol, err_msg=name)
    for n in (1, 2, 3):  # torch's trigamma is good to about 1e-9 (morch sums the series further)
        a = morch.polygamma(n, morch.tensor(X[:6], dtype=morch.float64)).numpy()
        b = torch.polygamma(n, torch.tensor(X[:6], dtype=torch.float64)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-8)
    y = np.array([-0.9, -0.2, 0.0, 0.45, 0.999])
    np.testing.assert_allclose(morch.erfinv(morch.tensor(y)).numpy(), torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-12)
    p = np.array([0.01, 0.3, 0.5, 0.99])
    for fn in ("ndtr", "ndtri", "log_ndtr", "entr", "sinc"):
        a = getattr(special, fn)(morch.tensor(p, dtype=morch.float64)).numpy()
        b = getattr(torch.special, fn)(torch.tensor(p, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=fn)
