"""Closed-form KL divergences for the distributions of ``extra.py``, ``exp_family.py`` and
``lowrank.py`` (the pairs PyTorch registers), added to ``kl.py``'s registry."""

from __future__ import annotations

import math

from morch import creation
from morch import functional as F
from morch.distributions.continuous import Exponential, Laplace, MultivariateNormal, Normal, Uniform
from morch.distributions.exp_family import ContinuousBernoulli, ExponentialFamily
from morch.distributions.extra import Pareto
from morch.distributions.gamma_family import Beta, Gamma
from morch.distributions.kl import _kl_mvn_mvn, kl_divergence, register_kl
from morch.distributions.lowrank import LowRankMultivariateNormal
from morch.distributions.more import Gumbel
from morch.distributions.transforms import TransformedDistribution
from morch.distributions.utils import sum_rightmost


def _infinite_like(t):
    return creation.full_like(t, math.inf)


def _register_all(pairs):
    def decorator(fn):
        for p, q in pairs:
            register_kl(p, q)(fn)
        return fn

    return decorator


@register_kl(Beta, Pareto)
def _kl_beta_infinity(p, q):
    return _infinite_like(p.concentration1)


@register_kl(ContinuousBernoulli, Pareto)
def _kl_cb_infinity(p, q):
    return _infinite_like(p.probs)


@_register_all([(Exponential, ContinuousBernoulli), (Exponential, Pareto)])
def _kl_exponential_infinity(p, q):
    return _infinite_like(p.rate)


@_register_all([(Gamma, ContinuousBernoulli), (Gamma, Pareto)])
def _kl_gamma_infinity(p, q):
    return _infinite_like(p.concentration)


@_register_all([(Gumbel, ContinuousBernoulli), (Gumbel, Pareto), (Laplace, ContinuousBernoulli), (Laplace, Pareto),
                (Normal, ContinuousBernoulli), (Normal, Pareto)])  # fmt: skip
def _kl_loc_infinity(p, q):
    return _infinite_like(p.loc)


@_register_all([(Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform)])
def _kl_pareto_infinity(p, q):
    return _infinite_like(p.scale)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return F.where(p.scale < q.scale, math.inf, result)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    prod = p.scale * q.rate
    result = (p.alpha / prod).log() - p.alpha.reciprocal() + p.alpha * prod / (p.alpha - 1) - 1
    return F.where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    common = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common
    t2 = F.lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return F.where(p.alpha <= 1, math.inf, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    var2 = 2 * q.scale**2
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common**2 / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc) ** 2
    return F.where(p.alpha <= 2, math.inf, t1 - p.alpha.reciprocal() + (t3 + t4) / var2 - 1)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    t1 = (q.alpha * q.scale**q.alpha * width).log()
    t2 = (F.xlogy(p.high, p.high) - F.xlogy(p.low, p.low) - width) / width
    return F.where(p.low < q.scale, math.inf, t2 * (q.alpha + 1) - t1)


def _cb_cross_term(p, q):
    """-H(p) - E_p[log q] for q a ContinuousBernoulli (E_p[x] = p.mean)."""
    return -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p, q):
    t1 = p.mean * (p.logits - q.logits)
    return t1 + p._cont_bern_log_norm() + (-p.probs).log1p() - q._cont_bern_log_norm() - (-q.probs).log1p()


register_kl(Beta, ContinuousBernoulli)(_cb_cross_term)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p, q):
    outside = (p.high >= 1.0) | (p.low <= 0.0)
    return F.where(outside, math.inf, _cb_cross_term(p, q))


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p, q):
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale) ** 2) + q.scale.log()
    t3 = (p.variance + p.mean**2 - 2.0 * q.loc * p.mean) / (2.0 * q.scale**2)
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return F.where((q.low >= 0.0) | (q.high <= 1.0), math.inf, result)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    if type(p) is not type(q):
        raise NotImplementedError(
            "The cross KL-divergence between different exponential families cannot be computed using Bregman "
            f"divergences ({type(p).__name__} and {type(q).__name__})"
        )
    params, log_norm, grads = p._normalizer_and_grads()
    q_params = q._natural_params
    result = q._log_normalizer(*q_params) - log_norm
    for pp, qp, g in zip(params, q_params, grads):
        result = result - sum_rightmost((qp - pp) * g, len(q.event_shape))
    return result


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms or tuple(p.event_shape) != tuple(q.event_shape):
        raise NotImplementedError("KL between TransformedDistributions needs the same transforms and event shape")
    return kl_divergence(p.base_dist, q.base_dist)


def _full(d):
    return d._as_full() if isinstance(d, LowRankMultivariateNormal) else d


_LOWRANK = LowRankMultivariateNormal


@_register_all([(_LOWRANK, _LOWRANK), (MultivariateNormal, _LOWRANK), (_LOWRANK, MultivariateNormal)])
def _kl_lowrank(p, q):
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError(
            "KL-divergence between two (Low Rank) Multivariate Normals with different event shapes cannot be computed"
        )
    return _kl_mvn_mvn(_full(p), _full(q))
