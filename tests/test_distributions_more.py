"""The newer morch.distributions classes, transforms and registries: densities, moments, cdfs and KL
against torch (float64), sampling by moments, gradients through rsample, transform Jacobians and
round trips, biject_to/transform_to, the torch-style submodule aliases, and argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import distributions as D
from morch.autograd import gradcheck

# values at the edges of supports give inf/nan, as in PyTorch; numpy also warns about them (torch is silent)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _cases(L):
    """(name, distribution, a value in its support), built with library L in float64."""
    t = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    Dl = L.distributions
    return [
        ("negbin_p", Dl.NegativeBinomial(t([3.0, 0.5]), probs=t([0.3, 0.7])), t([2.0, 5.0])),
        ("negbin_l", Dl.NegativeBinomial(t([2.5]), logits=t([0.4])), t([0.0])),
        ("pareto", Dl.Pareto(t([1.0, 2.0]), t([3.0, 0.8])), t([1.5, 4.0])),
        ("weibull", Dl.Weibull(t([1.0, 2.0]), t([1.5, 0.7])), t([0.5, 3.0])),
        ("half_cauchy", Dl.HalfCauchy(t([1.0, 2.5])), t([0.3, 4.0])),
        ("inverse_gamma", Dl.InverseGamma(t([3.0, 1.5]), t([2.0, 0.5])), t([0.7, 2.0])),
        ("fisher", Dl.FisherSnedecor(t([3.0, 6.0]), t([5.0, 9.0])), t([0.8, 2.5])),
        ("kumaraswamy", Dl.Kumaraswamy(t([2.0, 0.7]), t([3.0, 1.4])), t([0.3, 0.8])),
        ("cb_p", Dl.ContinuousBernoulli(probs=t([0.2, 0.4995, 0.9])), t([0.3, 0.6, 0.95])),
        ("cb_l", Dl.ContinuousBernoulli(logits=t([-1.0, 2.0])), t([0.1, 0.7])),
        (
            "gpd",
            Dl.GeneralizedPareto(t([0.0, 1.0, -1.0]), t([1.0, 2.0, 0.5]), t([0.2, 0.0, -0.3])),
            t([0.5, 3.0, -0.2]),
        ),
        ("logistic_normal", Dl.LogisticNormal(t([0.0, 1.0]), t([1.0, 0.5])), t([0.2, 0.5, 0.3])),
        ("von_mises", Dl.VonMises(t([0.0, 1.0]), t([0.5, 20.0])), t([0.3, 2.0])),
        ("relaxed_bern", Dl.RelaxedBernoulli(t(0.5), probs=t([0.3, 0.8])), t([0.2, 0.9])),
        ("relaxed_cat", Dl.RelaxedOneHotCategorical(t(0.7), logits=t([1.0, 0.0, -1.0])), t([0.2, 0.5, 0.3])),
        ("st_onehot", Dl.OneHotCategoricalStraightThrough(probs=t([0.2, 0.3, 0.5])), t([0.0, 0.0, 1.0])),
        (
            "mixture",
            Dl.MixtureSameFamily(Dl.Categorical(probs=t([0.3, 0.7])), Dl.Normal(t([0.0, 2.0]), t([1.0, 0.5]))),
            t([0.7]),
        ),
        (
            "mixture_mvn",
            Dl.MixtureSameFamily(
                Dl.Categorical(logits=t([[0.0, 1.0], [1.0, -1.0]])),
                Dl.Independent(Dl.Normal(t([[[0.0, 1.0], [2.0, 0.0]]]), t([[[1.0, 0.5], [0.7, 2.0]]])), 1),
            ),
            t([[0.3, -0.2], [1.0, 1.0]]),
        ),
        (
            "lowrank",
            Dl.LowRankMultivariateNormal(
                t([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]), t([[1.0], [0.5], [-0.3]]), t([1.0, 2.0, 0.5])
            ),
            t([0.3, -0.2, 1.0]),
        ),
    ]


_ATTRS = ("log_prob", "entropy", "mean", "variance", "mode", "cdf", "icdf")


def _evaluate(d, value, attr):
    """d's attribute (calling the methods on value, icdf on 0.3), or None when it is not implemented."""
    try:
        if attr in ("log_prob", "cdf"):
            return getattr(d, attr)(value)
        if attr == "icdf":
            return d.icdf(value * 0 + 0.3)
        if attr == "entropy":
            return d.entropy()
        return getattr(d, attr)
    except NotImplementedError:
        return None


@requires_torch
def test_values_match_torch():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's GeneralizedPareto.log_prob compares with a default-dtype 0
    try:
        _compare_values()
    finally:
        torch.set_default_dtype(old)


def _compare_values():
    compared = 0
    for (name, dm, vm), (_, dt, vt) in zip(_cases(morch), _cases(torch)):
        assert tuple(dm.batch_shape) == tuple(dt.batch_shape), name
        assert tuple(dm.event_shape) == tuple(dt.event_shape), name
        assert dm.has_rsample == dt.has_rsample, name
        for attr in _ATTRS:
            theirs = _evaluate(dt, vt, attr)
            if theirs is None:
                continue
            ours = _evaluate(dm, vm, attr)
            assert ours is not None, f"{name}.{attr} is missing"
            rtol = 1e-5 if name == "von_mises" else 1e-9  # torch's log I0, I1 are polynomial fits (~1e-8 .. 1e-5)
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12,
                                       err_msg=f"{name} {attr}")  # fmt: skip
            compared += 1
    assert compared > 60


@requires_torch
def test_arg_constraints_and_support_names_match_torch():
    for (name, dm, _), (_, dt, _) in zip(_cases(morch), _cases(torch)):
        assert sorted(dm.arg_constraints) == sorted(dt.arg_constraints), name
        for key, c in dt.arg_constraints.items():
            assert repr(dm.arg_constraints[key]) == repr(c), (name, key)
        if type(dt).__name__ not in ("Pareto", "GeneralizedPareto", "MixtureSameFamily"):  # dependent supports
            assert repr(dm.support) == repr(dt.support), name


def _kl_pairs(L):
    t = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    Dl = L.distributions
    pareto = Dl.Pareto(t([1.0, 2.0]), t([3.0, 4.0]))
    cb = Dl.ContinuousBernoulli(probs=t([0.2, 0.7]))
    lowrank = Dl.LowRankMultivariateNormal(t([0.0, 1.0]), t([[1.0], [0.5]]), t([1.0, 2.0]))
    mvn = Dl.MultivariateNormal(t([1.0, 0.0]), covariance_matrix=t([[2.0, 0.3], [0.3, 1.0]]))
    return [
        (pareto, Dl.Pareto(t([1.5, 1.0]), t([2.0, 5.0]))),
        (pareto, Dl.Exponential(t([0.5, 2.0]))),
        (pareto, Dl.Gamma(t([2.0, 3.0]), t([1.0, 0.5]))),
        (pareto, Dl.Normal(t([0.0, 1.0]), t([2.0, 3.0]))),
        (pareto, Dl.Uniform(t([0.0, 1.0]), t([2.0, 3.0]))),
        (Dl.Uniform(t([1.0, 2.0]), t([2.0, 3.0])), Dl.Pareto(t([0.5, 1.0]), t([2.0, 3.0]))),
        (cb, Dl.ContinuousBernoulli(logits=t([0.5, -1.0]))),
        (cb, Dl.Exponential(t([0.5, 2.0]))),
        (cb, Dl.Normal(t([0.0, 1.0]), t([2.0, 3.0]))),
        (cb, Dl.Uniform(t([-1.0, 0.5]), t([2.0, 3.0]))),
        (Dl.Beta(t([2.0, 3.0]), t([1.0, 0.5])), cb),
        (Dl.Uniform(t([0.2, 0.1]), t([0.8, 0.5])), cb),
        (Dl.Normal(t(0.0), t(1.0)), pareto),
        (Dl.Exponential(t(1.0)), cb),
        (Dl.Weibull(t([1.0]), t([2.0])), Dl.Weibull(t([1.0]), t([2.0]))),
        (lowrank, Dl.LowRankMultivariateNormal(t([1.0, 0.0]), t([[0.2], [1.0]]), t([0.5, 1.0]))),
        (lowrank, mvn),
        (mvn, lowrank),
    ]


@requires_torch
def test_kl_divergences_match_torch():
    for (pm, qm), (pt, qt) in zip(_kl_pairs(morch), _kl_pairs(torch)):
        ours = D.kl_divergence(pm, qm).numpy()
        theirs = torch.distributions.kl_divergence(pt, qt).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, err_msg=f"{type(pm).__name__} {type(qm).__name__}")


def test_kl_exponential_family_bregman_and_errors():
    p, q = D.ContinuousBernoulli(probs=morch.tensor([0.2, 0.7])), D.ContinuousBernoulli(probs=morch.tensor([0.6, 0.1]))
    closed = D.kl_divergence(p, q)
    from morch.distributions.kl import _KL

    bregman = _KL[(D.ExponentialFamily, D.ExponentialFamily)](p, q)
    np.testing.assert_allclose(bregman.detach().numpy(), closed.numpy(), rtol=1e-4)
    # entropy through the Bregman divergence of the base class equals the closed form
    np.testing.assert_allclose(D.ExponentialFamily.entropy(p).detach().numpy(), p.entropy().numpy(), rtol=1e-4)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Pareto(1.0, 2.0), D.Laplace(0.0, 1.0))


def _sampled(d, n=40000):
    x = d.sample((n,))
    assert tuple(x.shape) == (n, *d.batch_shape, *d.event_shape)
    return x.double().numpy()


def test_sampling_moments():
    morch.manual_seed(0)
    f = lambda x: morch.tensor(x, dtype=morch.float64)  # noqa: E731
    for d in (
        D.NegativeBinomial(f([3.0, 0.5]), probs=f([0.3, 0.6])),
        D.Pareto(f([1.0]), f([9.0])),
        D.Weibull(f([1.0, 2.0]), f([1.5, 3.0])),
        D.InverseGamma(f([5.0]), f([2.0])),
        D.FisherSnedecor(f([4.0]), f([12.0])),
        D.Kumaraswamy(f([2.0, 0.7]), f([3.0, 1.4])),
        D.ContinuousBernoulli(probs=f([0.2, 0.5, 0.9])),
        D.GeneralizedPareto(f([0.0, 1.0]), f([1.0, 2.0]), f([0.1, -0.3])),
        D.VonMises(f([0.5, -2.0]), f([4.0, 30.0])),
        D.MixtureSameFamily(D.Categorical(probs=f([0.3, 0.7])), D.Normal(f([0.0, 2.0]), f([1.0, 0.5]))),
        D.LowRankMultivariateNormal(f([0.0, 1.0]), f([[1.0], [0.5]]), f([1.0, 2.0])),
    ):
        x = _sampled(d)
        mean, var = d.mean.detach().numpy(), d.variance.detach().numpy()
        stderr = np.sqrt(var / x.shape[0])
        assert np.all(np.abs(x.mean(0) - mean) < 5 * stderr + 1e-3), (type(d).__name__, x.mean(0), mean)
        if type(d).__name__ == "VonMises":  # circular variance: 1 - |E exp(i x)|
            r = np.abs(np.exp(1j * x).mean(0))
            np.testing.assert_allclose(1 - r, var, atol=0.01)
        else:
            np.testing.assert_allclose(x.var(0), var, rtol=0.08)
        if d.support is not None and not type(d).__name__.startswith(("Mixture", "VonMises")):
            assert np.all(d.support.check(morch.tensor(x))), type(d).__name__


def test_relaxed_and_straight_through_samples():
    morch.manual_seed(1)
    p = morch.tensor([0.2, 0.7], dtype=morch.float64)
    x = D.RelaxedBernoulli(morch.tensor(0.05, dtype=morch.float64), probs=p).sample((20000,)).numpy()
    np.testing.assert_allclose((x > 0.5).mean(0), p.numpy(), atol=0.02)  # low temperature: nearly Bernoulli
    logits = morch.tensor([1.0, 0.0, -1.0], dtype=morch.float64, requires_grad=True)
    y = D.RelaxedOneHotCategorical(morch.tensor(0.1, dtype=morch.float64), logits=logits).rsample((20000,))
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1.0, rtol=1e-12)
    freq = np.bincount(y.detach().numpy().argmax(-1), minlength=3) / 20000
    np.testing.assert_allclose(freq, logits.softmax(-1).detach().numpy(), atol=0.02)
    st = D.OneHotCategoricalStraightThrough(logits=logits)
    draw = st.rsample((5,))
    assert set(np.unique(draw.detach().numpy())) <= {0.0, 1.0}
    (draw * morch.tensor([1.0, 2.0, 3.0], dtype=morch.float64)).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


def test_rsample_gradients():
    f = lambda: morch.tensor([1.3, 2.1], dtype=morch.float64, requires_grad=True)  # noqa: E731

    def seeded(make):
        def fn(a):
            morch.manual_seed(3)
            return make(a).rsample((4,))

        return fn

    for make in (
        lambda a: D.Weibull(a, a + 0.5),
        lambda a: D.Pareto(a, a * 2),
        lambda a: D.Kumaraswamy(a, a + 1),
        lambda a: D.ContinuousBernoulli(probs=a / 3),
        lambda a: D.GeneralizedPareto(a, a, a / 10),
        lambda a: D.HalfCauchy(a),
        lambda a: D.LogisticNormal(a, a),
        lambda a: D.RelaxedBernoulli(a, probs=a / 3),
        lambda a: D.LowRankMultivariateNormal(a, a.unsqueeze(-1), a),
    ):
        assert gradcheck(seeded(make), (f(),))
    # the implicit gamma reparameterisation: d E[x] / d df2 of FisherSnedecor matches the closed form
    df2 = morch.tensor(9.0, dtype=morch.float64, requires_grad=True)
    morch.manual_seed(0)
    D.FisherSnedecor(morch.tensor(4.0, dtype=morch.float64), df2).rsample((200000,)).mean().backward()
    assert df2.grad.item() == pytest.approx(-2 / (9.0 - 2) ** 2, rel=0.1)


def test_log_prob_gradients():
    a = morch.tensor([1.3, 2.1], dtype=morch.float64, requires_grad=True)
    v = morch.tensor([0.3, 0.6], dtype=morch.float64)
    for make in (
        lambda a: D.Kumaraswamy(a, a + 1).log_prob(v),
        lambda a: D.ContinuousBernoulli(logits=a - 1.7).log_prob(v),
        lambda a: D.VonMises(a, a).log_prob(v),
        lambda a: D.FisherSnedecor(a, a + 2).log_prob(v),
        lambda a: D.NegativeBinomial(a, logits=a - 2).log_prob(v * 0 + 3),
        lambda a: D.LowRankMultivariateNormal(a, a.unsqueeze(-1), a).log_prob(v),
        lambda a: D.InverseGamma(a, a).entropy(),
    ):
        assert gradcheck(make, (a,))
    assert morch.autograd.checks.gradgradcheck(lambda a: D.Weibull(a, a).log_prob(v + 1), (a,))


def _transforms(L):
    T = L.distributions.transforms
    f = lambda x: L.tensor(x, dtype=L.float64)  # noqa: E731
    return [
        (T.PowerTransform(f(2.5)), f([0.5, 1.5, 3.0])),
        (T.SoftplusTransform(), f([-2.0, 0.0, 3.0])),
        (T.SigmoidTransform(), f([-2.0, 0.0, 3.0])),
        (T.StickBreakingTransform(), f([[0.3, -1.0, 2.0], [0.0, 0.0, 0.0]])),
        (T.CorrCholeskyTransform(), f([[0.3, -1.0, 2.0], [0.1, 0.5, -0.4]])),
        (T.ReshapeTransform((2, 3), (3, 2)), f([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        (T.IndependentTransform(T.ExpTransform(), 1), f([[0.5, -1.0], [2.0, 0.0]])),
        (
            T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], dim=-1, lengths=[1, 2]),
            f([[0.5, -1.0, 2.0]]),
        ),
        (T.StackTransform([T.ExpTransform(), T.SoftplusTransform()], dim=-1), f([[0.5, -1.0], [2.0, 0.0]])),
        (T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.ExpTransform()]), f([0.5, -1.0])),
        (T.ExpTransform().inv, f([0.5, 2.0])),
        (T.CumulativeDistributionTransform(L.distributions.Normal(f(0.0), f(2.0))), f([0.5, -1.0])),
    ]


@requires_torch
def test_transforms_match_torch_and_round_trip():
    for (tm, xm), (tt, xt) in zip(_transforms(morch), _transforms(torch)):
        ym, yt = tm(xm), tt(xt)
        name = repr(tt)
        np.testing.assert_allclose(ym.numpy(), yt.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(tm.inv(ym).numpy(), xm.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
        ours, theirs = tm.log_abs_det_jacobian(xm, ym).numpy(), tt.log_abs_det_jacobian(xt, yt).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=name)
        assert tm.domain.event_dim == tt.domain.event_dim and tm.codomain.event_dim == tt.codomain.event_dim, name
        assert tuple(tm.forward_shape(xm.shape)) == tuple(tt.forward_shape(xt.shape)), name
        assert tuple(tm.inverse_shape(ym.shape)) == tuple(tt.inverse_shape(yt.shape)), name
        assert bool(np.all(tm.codomain.check(ym))), name


@requires_torch
def test_non_bijective_transforms_match_torch():
    T, TT = D.transforms, torch.distributions.transforms
    x = np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.4], [0.2, 0.1, 0.7]])
    for tm, tt in ((T.AbsTransform(), TT.AbsTransform()), (T.SoftmaxTransform(), TT.SoftmaxTransform()),
                   (T.LowerCholeskyTransform(), TT.LowerCholeskyTransform()),
                   (T.PositiveDefiniteTransform(), TT.PositiveDefiniteTransform())):  # fmt: skip
        ym, yt = tm(morch.tensor(x)), tt(torch.tensor(x))
        np.testing.assert_allclose(ym.numpy(), yt.numpy(), rtol=1e-10)
        np.testing.assert_allclose(tm.inv(ym).numpy(), tt.inv(yt).numpy(), rtol=1e-8, atol=1e-12)
        assert bool(np.all(tm.codomain.check(ym)))


def test_jacobians_by_finite_differences():
    """log|det J| of the vector transforms against a numerical Jacobian (square after dropping a redundant output)."""
    T = D.transforms
    x = np.array([0.3, -1.0, 2.0])
    for t, keep in ((T.StickBreakingTransform(), slice(0, 3)), (T.CorrCholeskyTransform(), [3, 6, 7])):

        def fn(v, t=t, keep=keep):
            return t(morch.tensor(v)).numpy().reshape(-1)[keep]

        eps = 1e-6
        jac = np.stack([(fn(x + eps * e) - fn(x - eps * e)) / (2 * eps) for e in np.eye(3)], 1)
        xm = morch.tensor(x)
        expected = np.log(abs(np.linalg.det(jac)))
        assert t.log_abs_det_jacobian(xm, t(xm)).item() == pytest.approx(expected, rel=1e-6)


@requires_torch
def test_registries_match_torch():
    c, tc = D.constraints, torch.distributions.constraints
    pairs = [(c.real, tc.real), (c.positive, tc.positive), (c.unit_interval, tc.unit_interval),
             (c.interval(-1.0, 2.0), tc.interval(-1.0, 2.0)), (c.greater_than(2.0), tc.greater_than(2.0)),
             (c.less_than(1.0), tc.less_than(1.0)), (c.simplex, tc.simplex), (c.real_vector, tc.real_vector),
             (c.corr_cholesky, tc.corr_cholesky), (c.lower_cholesky, tc.lower_cholesky),
             (c.positive_definite, tc.positive_definite),
             (c.cat([c.positive, c.real], -1, [1, 2]), tc.cat([tc.positive, tc.real], -1, [1, 2])),
             (c.stack([c.positive, c.unit_interval], -1), tc.stack([tc.positive, tc.unit_interval], -1))]  # fmt: skip
    x = np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.4], [0.2, 0.1, 0.0]])
    for cm, ct in pairs:
        for reg, treg in (
            (D.biject_to, torch.distributions.biject_to),
            (D.transform_to, torch.distributions.transform_to),
        ):
            try:
                tt = treg(ct)
            except NotImplementedError:
                with pytest.raises(NotImplementedError, match="Cannot transform"):
                    reg(cm)
                continue
            tm = reg(cm)
            xs = x[..., :2] if isinstance(cm, c.stack) else x
            ym, yt = tm(morch.tensor(xs)), tt(torch.tensor(xs))
            np.testing.assert_allclose(ym.numpy(), yt.numpy(), rtol=1e-10, err_msg=repr(ct))
            assert bool(np.all(cm.check(ym))), repr(ct)
            assert bool(np.all(ct.check(yt).numpy() == cm.check(ym))), repr(ct)

    @D.biject_to.register(c.greater_than_eq)
    def _softplus_shift(constraint):
        return D.transforms.ComposeTransform([D.SoftplusTransform(), D.AffineTransform(constraint.lower_bound, 1.0)])

    try:
        assert isinstance(D.biject_to(c.greater_than_eq(1.0)).parts[0], D.SoftplusTransform)
    finally:
        D.constraint_registry.biject_to.register(c.greater_than_eq, D.constraint_registry._to_greater_than)


def test_transformed_distribution_shapes_and_expand():
    f = lambda x: morch.tensor(x, dtype=morch.float64)  # noqa: E731
    ln = D.LogisticNormal(f([0.0, 1.0]), f([1.0, 0.5]))
    assert tuple(ln.batch_shape) == () and tuple(ln.event_shape) == (3,)
    big = ln.expand((4,))
    assert tuple(big.sample((2,)).shape) == (2, 4, 3)
    for d in (D.Pareto(f([1.0]), f([2.0])), D.Weibull(f([1.0]), f([2.0])), D.HalfCauchy(f([1.0])),
              D.Kumaraswamy(f([1.0]), f([2.0])), D.InverseGamma(f([1.0]), f([2.0])),
              D.NegativeBinomial(f([2.0]), probs=f([0.3])), D.FisherSnedecor(f([2.0]), f([3.0])),
              D.VonMises(f([0.0]), f([2.0])), D.ContinuousBernoulli(probs=f([0.3])),
              D.RelaxedBernoulli(f(0.5), probs=f([0.3])),
              D.MixtureSameFamily(D.Categorical(probs=f([0.5, 0.5])), D.Normal(f([0.0, 1.0]), f([1.0, 1.0]))),
              D.LowRankMultivariateNormal(f([0.0, 1.0]), f([[1.0], [0.5]]), f([1.0, 2.0]))):  # fmt: skip
        e = d.expand((3,))
        assert tuple(e.batch_shape) == (3,), type(d).__name__
        assert tuple(e.sample().shape) == (3, *d.event_shape), type(d).__name__
        x = d.sample()
        np.testing.assert_allclose(e.log_prob(x).numpy(), np.broadcast_to(d.log_prob(x).numpy(), (3,)), rtol=1e-12)
    reshaped = D.TransformedDistribution(D.Normal(f(np.zeros(6)), f(np.ones(6))), D.ReshapeTransform((6,), (2, 3)))
    assert tuple(reshaped.event_shape) == (2, 3) and tuple(reshaped.batch_shape) == ()
    assert reshaped.log_prob(f(np.zeros((2, 3)))).item() == pytest.approx(-3 * math.log(2 * math.pi))


def test_submodule_aliases_and_utils():
    from morch.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
    from morch.distributions.normal import Normal
    from morch.distributions.relaxed_categorical import RelaxedOneHotCategorical
    from morch.distributions.studentT import StudentT
    from morch.distributions.utils import broadcast_all, logits_to_probs, probs_to_logits, vec_to_tril_matrix

    assert (Normal, StudentT, LowRankMultivariateNormal) == (D.Normal, D.StudentT, D.LowRankMultivariateNormal)
    assert RelaxedOneHotCategorical is D.RelaxedOneHotCategorical
    a, b = broadcast_all(morch.tensor([1.0, 2.0], dtype=morch.float64), 3)
    assert tuple(b.shape) == (2,) and b.dtype == morch.float64
    p = morch.tensor([0.2, 0.9], dtype=morch.float64)
    np.testing.assert_allclose(logits_to_probs(probs_to_logits(p, True), True).numpy(), p.numpy(), rtol=1e-12)
    m = vec_to_tril_matrix(morch.tensor([1.0, 2.0, 3.0]), diag=0).numpy()
    np.testing.assert_array_equal(m, [[1.0, 0.0], [2.0, 3.0]])
    np.testing.assert_array_equal(D.utils.tril_matrix_to_vec(morch.tensor(m)).numpy(), [1.0, 2.0, 3.0])


def test_argument_errors():
    f = lambda x: morch.tensor(x, dtype=morch.float64)  # noqa: E731
    with pytest.raises(ValueError, match="rate .* GreaterThan"):  # from the base Exponential, as in torch
        D.Pareto(f(1.0), f(-1.0))
    with pytest.raises(ValueError, match="probs .* HalfOpenInterval"):
        D.NegativeBinomial(f(2.0), probs=f(1.0))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.ContinuousBernoulli(probs=f(0.3), logits=f(0.1))
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 2 x m"):
        D.LowRankMultivariateNormal(f([0.0, 1.0]), f([[1.0], [2.0], [3.0]]), f([1.0, 1.0]))
    with pytest.raises(ValueError, match="has 3 components"):
        D.MixtureSameFamily(D.Categorical(probs=f([0.2, 0.3, 0.5])), D.Normal(f([0.0, 1.0]), f([1.0, 1.0])))
    with pytest.raises(ValueError, match="needs to be a Categorical"):
        D.MixtureSameFamily(D.Normal(f(0.0), f(1.0)), D.Normal(f([0.0, 1.0]), f([1.0, 1.0])))
    with pytest.raises(ValueError, match="different numbers of elements"):
        D.ReshapeTransform((2, 3), (4,))
    with pytest.raises(ValueError, match="x.size\\(-1\\) = 2 must equal sum\\(lengths\\) = 3"):
        D.CatTransform([D.ExpTransform(), D.ExpTransform()], dim=-1, lengths=[1, 2])(f([1.0, 2.0]))
    with pytest.raises(ValueError, match="not D\\(D-1\\)/2"):
        D.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(NotImplementedError, match="LowerCholeskyTransform has no log_abs_det_jacobian"):
        D.LowerCholeskyTransform().log_abs_det_jacobian(f(np.eye(2)), f(np.eye(2)))
    with pytest.raises(ValueError, match="within the support"):
        D.Weibull(f(1.0), f(2.0)).log_prob(f(-1.0))
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.ExpTransform().with_cache(2)
