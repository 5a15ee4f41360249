"""Wishart and LKJCholesky: moments, log-densities and entropies against torch (float64) and closed
forms (p = 1 Wishart is a gamma, dim = 2 LKJ is a scaled beta), seeded sample moments, gradients
through log_prob and rsample, KL, expand, the submodule aliases and argument errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import morch
from helpers import assert_close, requires_torch, torch
from morch import distributions as D
from morch.autograd import gradcheck
from morch.autograd.checks import gradgradcheck

# torch warns about singular Wishart draws on every sample (a bug in its check); low df warns in both
pytestmark = pytest.mark.filterwarnings("ignore:Singular sample detected", "ignore:Low df values")


def _spd(batch=(), p=3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*batch, p, p))
    return a @ np.swapaxes(a, -1, -2) + p * np.eye(p)


def _t64(x):
    return morch.tensor(np.asarray(x, dtype=np.float64), dtype=morch.float64)


def _forms(cov):
    return {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov), "scale_tril": np.linalg.cholesky(cov)}


# ---------------------------------------------------------------- Wishart


@requires_torch
@pytest.mark.parametrize("form", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("df", [np.array([2.5, 4.0, 7.5]), 5.0, np.array(3.2)])
def test_wishart_matches_torch(form, df):
    cov = _spd((3,), p=3, seed=1) if np.ndim(df) else _spd((), p=3, seed=1)
    param = _forms(cov)[form]
    m_df = _t64(df) if isinstance(df, np.ndarray) else df
    t_df = torch.tensor(df) if isinstance(df, np.ndarray) else df
    m = D.Wishart(m_df, **{form: _t64(param)})
    t = torch.distributions.Wishart(t_df, **{form: torch.tensor(param)})
    assert m.batch_shape == tuple(t.batch_shape) and m.event_shape == (3, 3)
    for attr in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        assert_close(getattr(m, attr), getattr(t, attr), atol=1e-10, rtol=1e-9)
    with torch.random.fork_rng():  # a fixed draw: an unlucky near-singular one loses digits
        torch.manual_seed(0)
        x = t.sample((4,))
    assert_close(m.log_prob(_t64(x.numpy())), t.log_prob(x), atol=1e-9, rtol=1e-9)
    assert_close(m.entropy(), t.entropy(), atol=1e-9, rtol=1e-9)
    assert m.arg_constraints["df"].lower_bound == 2 and m.support is D.constraints.positive_definite
    assert m.has_rsample


@requires_torch
def test_wishart_df_broadcasts_with_matrix_batch():
    cov = _spd((2, 1), p=2, seed=3)
    df = np.array([3.0, 4.0, 9.0])
    m = D.Wishart(_t64(df), covariance_matrix=_t64(cov))
    t = torch.distributions.Wishart(torch.tensor(df), covariance_matrix=torch.tensor(cov))
    assert m.batch_shape == (2, 3) == tuple(t.batch_shape)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        x = t.sample((2,))
    assert_close(m.log_prob(_t64(x.numpy())), t.log_prob(x), atol=1e-9, rtol=1e-9)
    assert_close(m.entropy(), t.entropy(), atol=1e-9, rtol=1e-9)
    assert_close(m.variance, t.variance, atol=1e-10, rtol=1e-9)


def test_wishart_mode_is_nan_without_a_mode():
    m = D.Wishart(_t64([2.5, 3.0, 6.0]), covariance_matrix=_t64(np.eye(2)))
    mode = m.mode.numpy()
    assert np.isnan(mode[:2]).all()
    assert_close(mode[2], 3.0 * np.eye(2))


def test_wishart_one_by_one_is_a_gamma():
    # W_1(df, s) = Gamma(df / 2, rate 1 / (2 s))
    df, s = _t64([1.5, 4.0]), _t64([0.7, 2.0])
    m = D.Wishart(df, covariance_matrix=s.reshape(2, 1, 1))
    g = D.Gamma(df / 2, 1 / (2 * s))
    x = _t64([0.9, 5.0])
    assert_close(m.log_prob(x.reshape(2, 1, 1)), g.log_prob(x), atol=1e-12)
    assert_close(m.entropy(), g.entropy(), atol=1e-12)
    assert_close(m.mean.reshape(2), g.mean, atol=1e-12)
    assert_close(m.variance.reshape(2), g.variance, atol=1e-12)
    q = D.Wishart(_t64([2.0, 7.0]), covariance_matrix=_t64([1.1, 0.4]).reshape(2, 1, 1))
    gq = D.Gamma(q.df / 2, 1 / (2 * q.covariance_matrix.reshape(2)))
    assert_close(D.kl_divergence(m, q), D.kl_divergence(g, gq), atol=1e-10)


def test_wishart_sample_moments():
    morch.manual_seed(0)
    cov = _spd((), p=3, seed=4)
    m = D.Wishart(6.0, covariance_matrix=_t64(cov))
    x = m.sample((20000,)).numpy()
    assert x.shape == (20000, 3, 3) and x.dtype == np.float64
    assert np.allclose(x, np.swapaxes(x, -1, -2))
    assert np.all(np.linalg.eigvalsh(x) > 0)
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))  # entry-wise scale of X
    assert np.all(np.abs(x.mean(0) - 6.0 * cov) < 0.05 * 6.0 * scale)
    var = m.variance.numpy()
    assert np.all(np.abs(x.var(0) / var - 1) < 0.08)


def test_wishart_rsample_gradients_are_reparameterised():
    # d E[X] / d df = S, d E[X_00] / d L_00 = 2 df L_00: check the gradient of the sample mean
    morch.manual_seed(1)
    df = _t64(5.0).requires_grad_()
    tril = _t64(np.linalg.cholesky(_spd((), p=2, seed=5))).requires_grad_()
    n = 20000
    x = D.Wishart(df, scale_tril=tril).rsample((n,))
    assert x.requires_grad
    x[:, 0, 0].sum().backward()
    s00 = float((tril @ tril.mT)[0, 0])
    assert abs(float(df.grad) / n - s00) < 0.03 * s00
    assert abs(float(tril.grad[0, 0]) / n - 2 * 5.0 * float(tril[0, 0])) < 0.03 * 10 * float(tril[0, 0])


def test_wishart_log_prob_gradcheck():
    value = _t64(_spd((2,), p=2, seed=6) / 3)

    def f(df, a, x):
        tril = a.tril(-1) + a.diagonal(dim1=-2, dim2=-1).exp().diag_embed()
        sym = (x + x.mT) / 2
        return D.Wishart(df, scale_tril=tril, validate_args=False).log_prob(sym)

    df = _t64([2.5, 4.0]).requires_grad_()
    a = _t64(np.random.default_rng(7).uniform(-0.5, 0.5, (2, 2, 2))).requires_grad_()
    x = value.clone().requires_grad_()
    assert gradcheck(f, (df, a, x))
    assert gradcheck(lambda d, a: D.Wishart(d, scale_tril=a.tril(), validate_args=False).entropy(), (df, a + 2))
    assert gradgradcheck(f, (df, a, x))


def test_wishart_kl():
    p = D.Wishart(_t64([4.0, 6.0]), covariance_matrix=_t64(_spd((2,), p=2, seed=8)))
    q = D.Wishart(_t64([3.0, 8.0]), covariance_matrix=_t64(_spd((2,), p=2, seed=9)))
    assert_close(D.kl_divergence(p, p), np.zeros(2), atol=1e-10)
    morch.manual_seed(2)
    x = p.sample((40000,))
    monte_carlo = (p.log_prob(x) - q.log_prob(x)).mean(0)
    kl = D.kl_divergence(p, q)
    assert np.all(kl.numpy() > 0)
    assert_close(kl, monte_carlo, atol=0.05 * float(kl.max()), rtol=0.05)


def test_wishart_expand_and_forms():
    cov = _t64(_spd((), p=2, seed=10))
    m = D.Wishart(_t64([3.0, 5.0]), covariance_matrix=cov)
    e = m.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.event_shape == (2, 2)
    assert "covariance_matrix" in e.__dict__ and e.covariance_matrix.shape == (4, 2, 2, 2)
    assert_close(e.mean[3], m.mean)
    assert_close(e.entropy()[1], m.entropy())
    x = m.sample()
    assert_close(e.log_prob(x)[2], m.log_prob(x))
    assert e.rsample((3,)).shape == (3, 4, 2, 2, 2)
    assert_close(m.precision_matrix[0] @ cov, np.eye(2), atol=1e-12)


def test_wishart_redraws_singular_samples():
    m = D.Wishart(3.0, covariance_matrix=_t64(np.eye(2)))
    good = _t64(np.broadcast_to(np.eye(2), (3, 2, 2)))
    bad = good.clone()
    bad[1] = _t64(np.ones((2, 2)))  # singular
    draws = iter([bad, good])
    m._bartlett = lambda shape: next(draws)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        x = m.rsample((3,))
    assert_close(x, good)


def test_wishart_float32_and_aliases():
    m = D.Wishart(morch.tensor(4.0), covariance_matrix=morch.eye(3))
    assert m.sample().dtype == morch.float32 and m.log_prob(morch.eye(3)).dtype == morch.float32
    from morch.distributions.lkj_cholesky import LKJCholesky
    from morch.distributions.wishart import Wishart

    assert Wishart is D.Wishart and LKJCholesky is D.LKJCholesky
    assert "Wishart" in D.__all__ and "LKJCholesky" in D.__all__


def test_wishart_errors():
    eye = _t64(np.eye(3))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.Wishart(4.0)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.Wishart(4.0, covariance_matrix=eye, scale_tril=eye)
    with pytest.raises(ValueError, match=r"greater than ndim - 1 = 2"):
        D.Wishart(_t64([4.0, 2.0]), covariance_matrix=eye)
    with pytest.raises(ValueError, match=r"square matrices .* got shape \(3,\)"):
        D.Wishart(4.0, covariance_matrix=_t64([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"df of shape \(2,\) does not broadcast"):
        D.Wishart(_t64([4.0, 5.0]), covariance_matrix=_t64(np.broadcast_to(np.eye(3), (3, 3, 3))))
    with pytest.raises(ValueError, match="covariance_matrix .* PositiveDefinite"):
        D.Wishart(4.0, covariance_matrix=_t64([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.warns(UserWarning, match="Low df values"):
        D.Wishart(2.5, covariance_matrix=eye)
    with pytest.raises(ValueError, match="within the support"):
        D.Wishart(4.0, covariance_matrix=eye).log_prob(-eye)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D.Wishart(3.0, covariance_matrix=eye)  # df == p: no warning


# ---------------------------------------------------------------- LKJCholesky


@requires_torch
@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lkj_log_prob_matches_torch(dim):
    conc = np.array([0.5, 1.0, 3.7])
    t = torch.distributions.LKJCholesky(dim, torch.tensor(conc))
    m = D.LKJCholesky(dim, _t64(conc))
    with torch.random.fork_rng():  # a fixed draw: an unlucky near-singular one loses digits
        torch.manual_seed(0)
        x = t.sample((4,))
    assert m.batch_shape == (3,) and m.event_shape == (dim, dim)
    assert_close(m.log_prob(_t64(x.numpy())), t.log_prob(x), atol=1e-10, rtol=1e-9)
    one = x[0, 0]  # a number concentration (default dtype), one matrix
    expected = torch.distributions.LKJCholesky(dim, 2.0).log_prob(one)
    assert_close(D.LKJCholesky(dim, 2.0).log_prob(_t64(one.numpy())), expected, atol=1e-5)
    assert m.support is D.constraints.corr_cholesky and not m.has_rsample


def test_lkj_dim2_density_integrates_to_one():
    r = np.linspace(-1 + 1e-12, 1 - 1e-12, 20001)
    mats = np.zeros((r.size, 2, 2))
    mats[:, 0, 0], mats[:, 1, 0], mats[:, 1, 1] = 1.0, r, np.sqrt(1 - r * r)
    for eta in (1.0, 2.5):
        density = np.exp(D.LKJCholesky(2, _t64(eta)).log_prob(_t64(mats)).numpy())
        assert abs(np.trapezoid(density, r) - 1) < 1e-5


def test_lkj_samples():
    morch.manual_seed(3)
    m = D.LKJCholesky(4, _t64([0.5, 1.0, 4.0]))
    x = m.sample((4000,))
    assert x.shape == (4000, 3, 4, 4) and x.dtype == morch.float64 and not x.requires_grad
    a = x.numpy()
    assert np.all(np.triu(a, 1) == 0)
    assert np.all(np.diagonal(a, axis1=-2, axis2=-1) > 0)
    assert np.allclose(np.linalg.norm(a, axis=-1), 1.0, atol=1e-12)
    assert D.constraints.corr_cholesky.check(a).all()
    corr = a @ np.swapaxes(a, -1, -2)
    assert np.abs(corr.mean(0) - np.eye(4)).max() < 0.05
    # every correlation is 2 Beta(b, b) - 1 with b = eta - 1 + dim / 2: variance 1 / (2 eta + dim - 1)
    # (PyTorch 2.13's draws fail this for the rows below the second)
    rows, cols = np.tril_indices(4, -1)
    var = corr[..., rows, cols].var(0)
    expected = np.broadcast_to(1 / (2 * np.array([0.5, 1.0, 4.0]) + 3)[:, None], var.shape)
    assert_close(var, expected, rtol=0.1)


def test_lkj_expand_and_float32():
    m = D.LKJCholesky(3, 2.0)
    e = m.expand((2, 5))
    assert e.batch_shape == (2, 5) and e.sample((7,)).shape == (7, 2, 5, 3, 3)
    x = m.sample()
    assert x.dtype == morch.float32
    assert_close(e.log_prob(x), np.full((2, 5), float(m.log_prob(x))), rtol=1e-6)


def test_lkj_errors():
    with pytest.raises(ValueError, match="dim to be an integer greater than or equal to 2. Found dim=1"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match="concentration .* GreaterThan"):
        D.LKJCholesky(3, _t64([1.0, -0.5]))
    with pytest.raises(ValueError, match="within the support"):
        D.LKJCholesky(2).log_prob(_t64([[1.0, 0.0], [0.5, 0.5]]))
    assert math.isfinite(float(D.LKJCholesky(2, validate_args=False).log_prob(_t64([[1.0, 0.0], [0.6, 0.8]]))))
