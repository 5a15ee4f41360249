"""``kl_divergence(p, q)`` and the ``register_kl`` registry of closed forms."""

from __future__ import annotations

import math

from morch.distributions.continuous import Exponential, Laplace, MultivariateNormal, Normal, Uniform
from morch.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from morch.distributions.gamma_family import Beta, Dirichlet, Gamma, Poisson
from morch.distributions.independent import Independent, _sum_last

_KL: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator registering ``fn(p, q)`` as the KL divergence between instances of these types.

    Args:
        type_p: the first distribution's class.
        type_q: the second distribution's class.
    """

    def decorator(fn):
        _KL[(type_p, type_q)] = fn
        return fn

    return decorator


def kl_divergence(p, q):
    """KL(p || q), batched over the distributions' batch shape, from a registered closed form
    (the most specific match in the classes' method resolution order).

    Args:
        p: a distribution.
        q: a distribution.
    """
    for tp in type(p).__mro__:
        for tq in type(q).__mro__:
            fn = _KL.get((tp, tq))
            if fn is not None:
                return fn(p, q)
    raise NotImplementedError(
        f"No KL(p || q) is implemented for p of type {type(p).__name__} and q of type {type(q).__name__}"
    )


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    from morch import functional as F

    def softplus(x):  # log(1 + exp(x)), stable (softplus itself comes from a plugin, not core)
        return F.logaddexp(x, x * 0)

    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    from morch import functional as F

    t = p.probs * (p.logits - q.logits)
    t = F.where(q.probs == 0, float("inf"), t)
    return F.where(p.probs == 0, 0.0, t).sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    from morch import functional as F

    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return F.where(outside, math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return t1 + t2 + t3 - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    from morch import linalg

    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes cannot be computed"
        )
    k = p.event_shape[0]
    half_logdet_p = p._tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    half_logdet_q = q._tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    shape = tuple(p.batch_shape) if len(p.batch_shape) >= len(q.batch_shape) else tuple(q.batch_shape)
    lq = q._tril.expand(*shape, k, k)
    m = linalg.solve(lq, p._tril.expand(*shape, k, k))  # Lq^-1 Lp
    d = linalg.solve(lq, (q.loc - p.loc).expand(*shape, k).unsqueeze(-1)).squeeze(-1)
    return half_logdet_q - half_logdet_p + 0.5 * ((m**2).sum((-2, -1)) + (d**2).sum(-1) - k)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different reinterpreted_batch_ndims")
    return _sum_last(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    from morch import functional as F

    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = F.lgamma(q.concentration) - F.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * F.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    from morch import functional as F

    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    s1 = a1 + b1
    t1 = F.lgamma(a2) + F.lgamma(b2) + F.lgamma(s1)
    t2 = F.lgamma(a1) + F.lgamma(b1) + F.lgamma(a2 + b2)
    t3 = (a1 - a2) * F.digamma(a1) + (b1 - b2) * F.digamma(b1)
    t4 = (a2 + b2 - s1) * F.digamma(s1)
    return t1 - t2 + t3 + t4


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    from morch import functional as F

    a, b = p.concentration, q.concentration
    a0, b0 = a.sum(-1), b.sum(-1)
    t1 = F.lgamma(a0) - F.lgamma(b0)
    t2 = (F.lgamma(b) - F.lgamma(a)).sum(-1)
    t3 = ((a - b) * (F.digamma(a) - F.digamma(a0).unsqueeze(-1))).sum(-1)
    return t1 + t2 + t3


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)
