"""morch.distributions: log_prob/entropy/cdf/mean/variance and KL against closed forms and torch,
sample shapes and statistics, gradients through rsample and log_prob, and validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import distributions as D


def _cases(L):
    """(name, distribution, a value in its support) built with library L, float64."""
    t = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    Dl = L.distributions
    return [
        ("normal", Dl.Normal(t([0.0, 1.0]), t([1.0, 2.0])), t([0.5, -0.3])),
        ("uniform", Dl.Uniform(t([0.0, -1.0]), t([2.0, 3.0])), t([1.0, 0.5])),
        ("exponential", Dl.Exponential(t([0.5, 2.0])), t([0.3, 1.2])),
        ("laplace", Dl.Laplace(t([0.0, 1.0]), t([2.0, 0.5])), t([1.0, -1.0])),
        ("bernoulli_p", Dl.Bernoulli(probs=t([0.2, 0.7])), t([1.0, 0.0])),
        ("bernoulli_l", Dl.Bernoulli(logits=t([-1.0, 2.0])), t([0.0, 1.0])),
        ("categorical_p", Dl.Categorical(probs=t([[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]])), L.tensor([2, 0])),
        ("categorical_l", Dl.Categorical(logits=t([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])), L.tensor([1, 2])),
        ("onehot", Dl.OneHotCategorical(probs=t([0.2, 0.3, 0.5])), t([0.0, 1.0, 0.0])),
        (
            "mvn_cov",
            Dl.MultivariateNormal(t([0.0, 1.0]), covariance_matrix=t([[2.0, 0.5], [0.5, 1.0]])),
            t([0.3, -0.2]),
        ),
        ("mvn_tril", Dl.MultivariateNormal(t([[0.0, 1.0]]), scale_tril=t([[1.0, 0.0], [0.4, 2.0]])), t([0.3, -0.2])),
        ("mvn_prec", Dl.MultivariateNormal(t([0.0, 0.0]), precision_matrix=t([[2.0, 0.3], [0.3, 1.0]])), t([1.0, 2.0])),
        ("independent", Dl.Independent(Dl.Normal(t([0.0, 1.0]), t([1.0, 2.0])), 1), t([0.5, -0.3])),
    ]


def _stats(d, v):
    out = {"log_prob": d.log_prob(v), "entropy": d.entropy(), "mean": d.mean, "variance": d.variance}
    out.update(batch=tuple(d.batch_shape), event=tuple(d.event_shape))
    return out


@requires_torch
def test_densities_and_moments_match_torch():
    ours, theirs = _cases(morch), _cases(torch)
    for (name, dm, vm), (_, dt, vt) in zip(ours, theirs):
        a, b = _stats(dm, vm), _stats(dt, vt)
        for key in a:
            if key in ("batch", "event"):
                assert a[key] == b[key], (name, key)
            else:
                np.testing.assert_allclose(
                    a[key].numpy(), b[key].numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{name} {key}"
                )
    for (name, dm, vm), (_, dt, vt) in zip(ours, theirs):
        if name in ("normal", "uniform", "exponential", "laplace"):
            np.testing.assert_allclose(dm.cdf(vm).numpy(), dt.cdf(vt).numpy(), rtol=1e-10, err_msg=name)


@requires_torch
def test_kl_divergences_match_torch():
    def pairs(L):
        t = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
        Dl = L.distributions
        return [
            (Dl.Normal(t([0.0, 1.0]), t([1.0, 2.0])), Dl.Normal(t([1.0, 0.0]), t([0.5, 1.0]))),
            (Dl.Bernoulli(probs=t([0.2, 0.7])), Dl.Bernoulli(logits=t([0.5, -1.0]))),
            (Dl.Categorical(probs=t([0.2, 0.3, 0.5])), Dl.Categorical(logits=t([1.0, 0.0, -1.0]))),
            (Dl.Uniform(t(0.0), t(1.0)), Dl.Uniform(t(-1.0), t(2.0))),
            (Dl.Exponential(t([0.5, 2.0])), Dl.Exponential(t([1.0, 1.0]))),
            (Dl.Laplace(t(0.0), t(2.0)), Dl.Laplace(t(1.0), t(0.5))),
            (
                Dl.MultivariateNormal(t([0.0, 1.0]), covariance_matrix=t([[2.0, 0.5], [0.5, 1.0]])),
                Dl.MultivariateNormal(t([1.0, 0.0]), scale_tril=t([[1.0, 0.0], [0.3, 2.0]])),
            ),
            (
                Dl.Independent(Dl.Normal(t([0.0, 1.0]), t([1.0, 2.0])), 1),
                Dl.Independent(Dl.Normal(t([1.0, 1.0]), t([1.0, 1.0])), 1),
            ),
        ]

    for (pm, qm), (pt, qt) in zip(pairs(morch), pairs(torch)):
        np.testing.assert_allclose(
            D.kl_divergence(pm, qm).numpy(), torch.distributions.kl_divergence(pt, qt).numpy(), rtol=1e-10
        )


def test_normal_by_hand_and_kl_closed_form():
    d = D.Normal(0.0, 2.0)
    assert d.log_prob(morch.tensor(1.0)).item() == pytest.approx(-0.125 - math.log(2) - 0.5 * math.log(2 * math.pi))
    assert d.entropy().item() == pytest.approx(0.5 + 0.5 * math.log(2 * math.pi) + math.log(2))
    kl = D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 1.0))
    assert kl.item() == pytest.approx(0.5)
    assert D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.0, 1.0)).item() == math.inf


def test_sample_shapes_and_statistics():
    morch.manual_seed(0)
    n = D.Normal(morch.tensor([0.0, 3.0]), morch.tensor([1.0, 0.5]))
    x = n.sample((20000,))
    assert x.shape == (20000, 2) and not x.requires_grad
    np.testing.assert_allclose(x.numpy().mean(0), [0.0, 3.0], atol=0.03)
    np.testing.assert_allclose(x.numpy().std(0), [1.0, 0.5], atol=0.02)
    c = D.Categorical(probs=morch.tensor([0.1, 0.6, 0.3]))
    s = c.sample((20000,))
    assert s.dtype == morch.int64 and s.shape == (20000,)
    np.testing.assert_allclose(np.bincount(s.numpy(), minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.015)
    b = D.Bernoulli(probs=morch.tensor([0.25]))
    assert abs(b.sample((20000,)).mean().item() - 0.25) < 0.015
    mv = D.MultivariateNormal(morch.zeros(2), covariance_matrix=morch.tensor([[2.0, 0.8], [0.8, 1.0]]))
    y = mv.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(y.T), [[2.0, 0.8], [0.8, 1.0]], atol=0.06)
    assert D.Exponential(morch.tensor(2.0)).sample((20000,)).mean().item() == pytest.approx(0.5, abs=0.02)
    assert D.Uniform(-1.0, 3.0).sample((5, 2)).shape == (5, 2)
    morch.manual_seed(1)
    first = n.sample((3,))
    morch.manual_seed(1)
    assert np.array_equal(first.numpy(), n.sample((3,)).numpy())  # the global generator decides


def test_gradients_through_rsample_and_log_prob():
    loc = morch.tensor([0.5, -1.0], dtype=morch.float64, requires_grad=True)
    scale = morch.tensor([1.5, 0.7], dtype=morch.float64, requires_grad=True)

    def f(mu, sigma):
        morch.manual_seed(0)
        d = D.Normal(mu, sigma)
        return d.rsample((3,)).sum() + d.log_prob(morch.tensor([0.1, 0.2], dtype=morch.float64)).sum()

    assert morch.autograd.gradcheck(f, (loc, scale))
    tril = morch.tensor([[1.0, 0.0], [0.4, 2.0]], dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(
        lambda m, t: D.MultivariateNormal(m, scale_tril=t.tril()).log_prob(
            morch.tensor([0.3, -0.2], dtype=morch.float64)
        ),
        (loc, tril),
    )
    logits = morch.tensor([1.0, 2.0, 0.5], dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(
        lambda lg: D.Categorical(logits=lg).entropy() + D.Categorical(logits=lg).log_prob(morch.tensor(1)), (logits,)
    )


def test_validation_errors():
    with pytest.raises(ValueError, match="Expected parameter scale .* to satisfy the constraint GreaterThan"):
        D.Normal(0.0, -1.0)
    D.Normal(0.0, -1.0, validate_args=False)  # allowed when asked
    with pytest.raises(ValueError, match="either `probs` or `logits` must be specified, but not both"):
        D.Categorical(probs=morch.ones(3), logits=morch.ones(3))
    with pytest.raises(ValueError, match="to be within the support"):
        D.Bernoulli(probs=morch.tensor(0.3)).log_prob(morch.tensor(2.0))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.MultivariateNormal(morch.zeros(2))
    with pytest.raises(
        NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p of type Normal and q of type Bernoulli"
    ):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=morch.tensor(0.5)))
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= len"):
        D.Independent(D.Normal(0.0, 1.0), 1)


def _gamma_cases(L):
    f = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    Dl = L.distributions
    return [
        (Dl.Gamma(f([2.0, 0.5]), f([1.5, 3.0])), f([0.7, 0.2]), Dl.Gamma(f([1.0, 1.0]), f([1.0, 2.0]))),
        (Dl.Beta(f([2.0, 0.7]), f([3.0, 1.2])), f([0.3, 0.9]), Dl.Beta(f([1.0, 1.0]), f([2.0, 2.0]))),
        (Dl.Dirichlet(f([1.5, 2.0, 0.5])), f([0.2, 0.5, 0.3]), Dl.Dirichlet(f([1.0, 1.0, 1.0]))),
        (Dl.Poisson(f([3.0, 0.5])), f([2.0, 0.0]), Dl.Poisson(f([1.0, 1.0]))),
        (Dl.StudentT(f([3.0, 7.0]), f(1.0), f(2.0)), f([0.5, 3.0]), None),
        (Dl.Chi2(f([3.0])), f([1.2]), None),
    ]


@requires_torch
def test_gamma_family_matches_torch():
    for (dm, vm, qm), (dt, vt, qt) in zip(_gamma_cases(morch), _gamma_cases(torch)):
        name = type(dm).__name__
        np.testing.assert_allclose(dm.log_prob(vm).numpy(), dt.log_prob(vt).numpy(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(dm.mean.numpy(), dt.mean.numpy(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(dm.variance.numpy(), dt.variance.numpy(), rtol=1e-12, err_msg=name)
        if name != "Poisson":
            np.testing.assert_allclose(dm.entropy().numpy(), dt.entropy().numpy(), rtol=1e-12, err_msg=name)
        if qm is not None:
            np.testing.assert_allclose(
                D.kl_divergence(dm, qm).numpy(), torch.distributions.kl_divergence(dt, qt).numpy(), rtol=1e-12
            )


def test_gamma_family_samples_and_gradients():
    morch.manual_seed(0)
    for d, mean in [
        (D.Gamma(morch.tensor(3.0), morch.tensor(2.0)), 1.5),
        (D.Beta(morch.tensor(2.0), morch.tensor(6.0)), 0.25),
        (D.Poisson(morch.tensor(4.0)), 4.0),
        (D.StudentT(morch.tensor(5.0), morch.tensor(1.0)), 1.0),
    ]:
        x = d.sample((20000,))
        assert x.shape == (20000,) and x.dtype == morch.float32
        assert x.mean().item() == pytest.approx(mean, abs=0.05 * max(mean, 1))
    s = D.Dirichlet(morch.tensor([1.0, 2.0, 3.0])).sample((4000,))
    np.testing.assert_allclose(s.sum(-1).numpy(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(s.mean(0).numpy(), [1 / 6, 2 / 6, 3 / 6], atol=0.02)
    a = morch.tensor([1.5, 2.5], dtype=morch.float64, requires_grad=True)
    b = morch.tensor([0.7, 3.0], dtype=morch.float64, requires_grad=True)
    v = morch.tensor([0.3, 0.6], dtype=morch.float64)
    assert morch.autograd.gradcheck(lambda x, y: D.Beta(x, y).log_prob(v) + D.Gamma(x, y).entropy(), (a, b))


def test_gamma_draws_are_reparameterised():
    morch.manual_seed(0)
    alpha = morch.tensor([0.6, 2.5], dtype=morch.float64, requires_grad=True)
    rate = morch.tensor([1.0, 2.0], dtype=morch.float64, requires_grad=True)
    x = D.Gamma(alpha, rate).rsample((40000,))
    x.mean(0).sum().backward()
    # d E[x] / d alpha = 1 / rate and d E[x] / d rate = -alpha / rate^2, from the draws' own gradients
    np.testing.assert_allclose(alpha.grad.numpy(), [1.0, 0.5], rtol=0.03)
    np.testing.assert_allclose(rate.grad.numpy(), [-0.6, -0.625], rtol=0.03)
    for d in (D.Beta(alpha, alpha * 2), D.Dirichlet(alpha), D.StudentT(alpha + 2), D.Chi2(alpha)):
        assert d.has_rsample and d.rsample((3,)).requires_grad


@requires_torch
def test_gamma_draw_gradient_matches_torch():
    from morch.ops.special import standard_gamma_grad

    a = np.array([0.05, 0.5, 1.0, 2.5, 10.0, 80.0])
    x = np.array([1e-4, 0.3, 1.2, 2.0, 9.0, 75.0])
    np.testing.assert_allclose(
        standard_gamma_grad(x, a), torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy(), rtol=1e-4
    )


def _transformed(L):
    Dl, T = L.distributions, L.distributions.transforms
    f = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    mu = f([0.2, -0.5]).requires_grad_()
    sd = f([0.7, 1.3])
    pol = Dl.TransformedDistribution(Dl.Normal(mu, sd), [T.TanhTransform()])
    aff = Dl.TransformedDistribution(
        Dl.Independent(Dl.Normal(mu, sd), 1),
        [T.AffineTransform(1.0, f([2.0, -3.0]), event_dim=1), T.SigmoidTransform()],
    )
    ln = Dl.LogNormal(mu, sd)
    vals = [
        pol.log_prob(f([0.3, -0.9])),
        aff.log_prob(f([0.3, 0.6])),
        ln.log_prob(f([0.5, 2.0])),
        ln.mean,
        ln.variance,
        ln.entropy(),
    ]
    sum(v.sum() for v in vals).backward()
    return [v.detach().numpy() for v in vals] + [mu.grad.numpy(), np.array(tuple(aff.event_shape))]


@requires_torch
def test_transformed_distributions_match_torch():
    for a, b in zip(_transformed(morch), _transformed(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_transforms_by_hand():
    T = D.transforms
    x = morch.tensor([-1.0, 0.0, 2.0], dtype=morch.float64)
    for t in (T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(), T.AffineTransform(1.0, -2.0)):
        np.testing.assert_allclose(t.inv(t(x)).numpy(), x.numpy(), rtol=1e-6, atol=1e-6)
        eps = 1e-6  # log |dy/dx| by a central difference
        numeric = np.log(np.abs((t(x + eps).numpy() - t(x - eps).numpy()) / (2 * eps)))
        np.testing.assert_allclose(t.log_abs_det_jacobian(x, t(x)).numpy(), numeric, rtol=1e-6, atol=1e-8)
    morch.manual_seed(0)
    squashed = D.TransformedDistribution(D.Normal(0.0, 3.0), D.transforms.TanhTransform()).rsample((1000,))
    assert squashed.abs().max().item() <= 1.0
    assert D.LogNormal(0.0, 0.5).sample((20000,)).log().std().item() == pytest.approx(0.5, abs=0.02)


def _more(L):
    Dl = L.distributions
    f = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    cases = [
        (Dl.Binomial(f([10.0, 4.0]), probs=f([0.3, 0.8])), f([3.0, 4.0])),
        (Dl.Binomial(f([6.0]), logits=f([0.4])), f([2.0])),
        (Dl.Geometric(probs=f([0.3, 0.9])), f([2.0, 0.0])),
        (Dl.Multinomial(5, probs=f([0.2, 0.3, 0.5])), f([1.0, 1.0, 3.0])),
        (Dl.Cauchy(f([0.0, 1.0]), f([1.0, 2.0])), f([0.5, -1.0])),
        (Dl.HalfNormal(f([1.0, 2.0])), f([0.5, 1.0])),
        (Dl.Gumbel(f([0.0, 1.0]), f([1.0, 2.0])), f([0.5, 1.0])),
    ]
    out = []
    for d, v in cases:
        out.append(d.log_prob(v).numpy())
        out.append(d.mean.numpy())
        out.append(d.variance.numpy())
        if type(d).__name__ in ("Geometric", "Cauchy", "HalfNormal", "Gumbel"):
            out.append(d.entropy().numpy())
    return out


@requires_torch
def test_more_distributions_match_torch():
    for a, b in zip(_more(morch), _more(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_more_distributions_sample():
    morch.manual_seed(0)
    assert D.Binomial(10, probs=morch.tensor(0.3)).sample((20000,)).mean().item() == pytest.approx(3.0, abs=0.05)
    assert D.Geometric(probs=morch.tensor(0.25)).sample((20000,)).mean().item() == pytest.approx(3.0, abs=0.1)
    counts = D.Multinomial(7, probs=morch.tensor([0.2, 0.8])).sample((500,))
    assert counts.shape == (500, 2) and bool((counts.sum(-1) == 7).all())
    assert D.HalfNormal(morch.tensor(2.0)).rsample((20000,)).mean().item() == pytest.approx(
        2 * (2 / np.pi) ** 0.5, abs=0.05
    )
    assert D.Gumbel(0.0, 1.0).rsample((20000,)).mean().item() == pytest.approx(0.5772, abs=0.03)
    assert abs(D.Cauchy(0.0, 1.0).rsample((20001,)).median().item()) < 0.05


def test_expand_icdf_and_derived_matrices():
    f = lambda x: morch.tensor(x, dtype=morch.float64)  # noqa: E731
    n = D.Normal(f([0.0, 1.0]), f([1.0, 2.0]))
    np.testing.assert_allclose(n.cdf(n.icdf(f([0.1, 0.975]))).numpy(), [0.1, 0.975], rtol=1e-10)
    for d in (
        D.Gamma(f([2.0, 3.0]), f([1.0, 2.0])),
        D.Bernoulli(probs=f([0.3, 0.6])),
        D.Categorical(probs=f([[0.2, 0.8], [0.5, 0.5]])),
    ):
        e = d.expand((4, 2))
        assert tuple(e.batch_shape) == (4, 2) and tuple(e.sample().shape) == (4, 2)
    mvn = D.MultivariateNormal(f([0.0, 0.0]), scale_tril=f([[1.0, 0.0], [0.5, 2.0]]))
    np.testing.assert_allclose(mvn.covariance_matrix.numpy(), [[1.0, 0.5], [0.5, 4.25]])
    np.testing.assert_allclose((mvn.covariance_matrix @ mvn.precision_matrix).numpy(), np.eye(2), atol=1e-12)
    with pytest.raises(NotImplementedError, match="MultivariateNormal.expand is not implemented"):
        mvn.expand((3,))
