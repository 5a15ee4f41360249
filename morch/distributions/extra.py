"""Less common distributions: NegativeBinomial, Pareto, Weibull, HalfCauchy, InverseGamma,
FisherSnedecor, Kumaraswamy, GeneralizedPareto, LogisticNormal, with PyTorch's parameterisations.
Most are transformed distributions (a base distribution pushed through transforms)."""

from __future__ import annotations

import math

import numpy as np

from morch import creation
from morch import functional as F
from morch.distributions import constraints
from morch.distributions.continuous import Exponential, Normal, Uniform
from morch.distributions.distribution import Distribution, _as_params, _noise
from morch.distributions.gamma_family import Gamma, _draw, _rng
from morch.distributions.more import Cauchy, _ProbsLogits
from morch.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ExpTransform,
    PowerTransform,
    StickBreakingTransform,
    TransformedDistribution,
)
from morch.distributions.utils import euler_constant
from morch.nn import functional as NF
from morch.tensor import Tensor

__all__ = ["NegativeBinomial", "Pareto", "Weibull", "HalfCauchy", "InverseGamma", "FisherSnedecor", "Kumaraswamy",
           "GeneralizedPareto", "LogisticNormal"]  # fmt: skip


class NegativeBinomial(_ProbsLogits):
    """The number of successes before ``total_count`` failures of Bernoulli(probs) trials.

    Args:
        total_count: the number of failures (>= 0, need not be an integer).
        probs: the success probability in [0, 1).
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}  # fmt: skip
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None) -> None:
        _, self.total_count = self._set(probs, logits, "NegativeBinomial", total_count)
        super().__init__(self.total_count.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        odds = np.exp(np.broadcast_to(self.logits.detach()._data, shape))
        rate = _rng().gamma(np.broadcast_to(self.total_count._data, shape), odds)  # a gamma-Poisson mixture
        return _draw(_rng().poisson(rate), self.total_count)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        n, logits = self.total_count, self.logits
        unnormalised = n * NF.logsigmoid(-logits) + value * NF.logsigmoid(logits)
        norm = -F.lgamma(n + value) + F.lgamma(1.0 + value) + F.lgamma(n)
        return unnormalised - F.where(n + value == 0, 0.0, norm)


class _Rebuilt(TransformedDistribution):
    """A transformed distribution defined by named parameters; ``expand`` builds a new one."""

    _params: tuple = ()

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return type(self)(*[getattr(self, n).expand(*shape) for n in self._params], validate_args=False)


class Pareto(_Rebuilt):
    """The Pareto distribution: density alpha scale^alpha / x^(alpha + 1) for x >= scale.

    Args:
        scale: the minimum (> 0).
        alpha: the tail index (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    _params = ("scale", "alpha")

    def __init__(self, scale, alpha, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = _as_params(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, [ExpTransform(), AffineTransform(0, self.scale)], validate_args)

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        return self.scale**2 * a / ((a - 1) ** 2 * (a - 2))

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class Weibull(_Rebuilt):
    """The Weibull distribution: scale * E^(1 / concentration) for E ~ Exponential(1).

    Args:
        scale: the scale lambda (> 0).
        concentration: the shape k (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    _params = ("scale", "concentration")

    def __init__(self, scale, concentration, validate_args: bool | None = None) -> None:
        self.scale, self.concentration = _as_params(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(creation.ones_like(self.scale), validate_args=validate_args)
        parts = [PowerTransform(self.concentration_reciprocal), AffineTransform(0, self.scale)]
        super().__init__(base, parts, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * F.lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self) -> Tensor:
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale**2 * (F.lgamma(1 + 2 * r).exp() - (2 * F.lgamma(1 + r)).exp())

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return euler_constant * (1 - r) + (self.scale * r).log() + 1


class HalfCauchy(_Rebuilt):
    """|x| for x ~ Cauchy(0, scale), reparameterised.

    Args:
        scale: the scale of the underlying Cauchy (> 0).
        validate_args: check the parameter.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    _params = ("scale",)

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        (self.scale,) = _as_params(scale)
        super().__init__(Cauchy(0.0 * self.scale, self.scale, validate_args=False), AbsTransform(), validate_args)

    @property
    def mean(self) -> Tensor:
        return creation.full_like(self.scale, math.inf)

    @property
    def mode(self) -> Tensor:
        return creation.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        return F.where(value >= 0, self.base_dist.log_prob(value) + math.log(2), -math.inf)

    def cdf(self, value) -> Tensor:
        self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value) -> Tensor:
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class InverseGamma(_Rebuilt):
    """1 / x for x ~ Gamma(concentration, rate), reparameterised.

    Args:
        concentration: the shape (> 0).
        rate: the scale of 1/x's rate, i.e. the scale of the inverse gamma (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    _params = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = _as_params(concentration, rate)
        base = Gamma(self.concentration, self.rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(creation.tensor(-1.0, dtype=self.rate.dtype)), validate_args)

    @property
    def mean(self) -> Tensor:
        return F.where(self.concentration > 1, self.rate / (self.concentration - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        return F.where(a > 2, self.rate**2 / ((a - 1) ** 2 * (a - 2)), math.inf)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a + self.rate.log() + F.lgamma(a) - (1 + a) * F.digamma(a)


class FisherSnedecor(Distribution):
    """The F distribution with ``df1`` and ``df2`` degrees of freedom: (X1 / df1) / (X2 / df2) for
    chi-squared X1, X2; reparameterised through the gamma draws.

    Args:
        df1: the numerator's degrees of freedom (> 0).
        df2: the denominator's degrees of freedom (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = _as_params(df1, df2)
        super().__init__(self.df1.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return F.where(self.df2 > 2, self.df2 / (self.df2 - 2), math.nan)

    @property
    def mode(self) -> Tensor:
        d1, d2 = self.df1, self.df2
        return F.where(d1 > 2, (d1 - 2) / d1 * d2 / (d2 + 2), math.nan)

    @property
    def variance(self) -> Tensor:
        d1, d2 = self.df1, self.df2
        var = 2 * d2**2 * (d1 + d2 - 2) / (d1 * (d2 - 2) ** 2 * (d2 - 4))
        return F.where(d2 > 4, var, math.nan)

    def rsample(self, sample_shape=()) -> Tensor:
        tiny = float(np.finfo(self.df1._data.dtype).tiny)
        x1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False).rsample(sample_shape)
        x2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False).rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        h1, h2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = F.lgamma(h1 + h2) - F.lgamma(h1) - F.lgamma(h2)
        t2 = h1 * ratio.log() + (h1 - 1) * value.log()
        return t1 + t2 - (h1 + h2) * (ratio * value).log1p()


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n/a, b) for X ~ Kumaraswamy(a, b)."""
    arg = 1 + n / a
    return b * (F.lgamma(arg) + F.lgamma(b) - F.lgamma(arg + b)).exp()


class Kumaraswamy(_Rebuilt):
    """The Kumaraswamy distribution on [0, 1]: density a b x^(a-1) (1 - x^a)^(b-1), reparameterised
    as (1 - U^(1/b))^(1/a) for U ~ Uniform(0, 1).

    Args:
        concentration1: a (> 0).
        concentration0: b (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    _params = ("concentration1", "concentration0")

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = _as_params(concentration1, concentration0)
        zero = creation.zeros_like(self.concentration0)
        base = Uniform(zero, zero + 1, validate_args=validate_args)
        parts = [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                 PowerTransform(self.concentration1.reciprocal())]  # fmt: skip
        super().__init__(base, parts, validate_args)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        return F.where((b < 1) | (a < 1), math.nan, log_mode).exp()

    @property
    def variance(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 2) - self.mean**2

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        harmonic = F.digamma(b + 1) + euler_constant
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution: for concentration xi != 0, P(X > x) = (1 + xi z)^(-1/xi)
    with z = (x - loc) / scale (xi = 0: exp(-z)); reparameterised through the inverse cdf.

    Args:
        loc: the location (the lower end of the support).
        scale: the scale (> 0).
        concentration: the shape xi (real; < 0 bounds the support above).
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = _as_params(loc, scale, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def support(self):
        upper = F.where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)

    def _safe(self):
        """(concentration == 0 mask, the concentration with zeros replaced by ones)."""
        zero = F.isclose(self.concentration, creation.zeros_like(self.concentration))
        return zero, F.where(zero, 1.0, self.concentration)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.icdf(_noise(creation.rand, self._extended_shape(sample_shape), self.loc))

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, c = self._safe()
        y = 1 / c + 1
        nonzero = F.where(y == 0, y, y * (c * z).log1p())
        return -self.scale.log() - F.where(zero, z, nonzero)

    def log_survival_function(self, value) -> Tensor:
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, c = self._safe()
        return F.where(zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value) -> Tensor:
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value) -> Tensor:
        zero, c = self._safe()
        log_u = (-value).log1p()
        return F.where(zero, self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self) -> Tensor:
        valid = self.concentration < 1
        c = F.where(valid, self.concentration, 0.5)
        return F.where(valid, self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self) -> Tensor:
        valid = self.concentration < 0.5
        c = F.where(valid, self.concentration, 0.25)
        return F.where(valid, self.scale**2 / ((1 - c) ** 2 * (1 - 2 * c)), math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1).expand(*self._batch_shape)


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of a Normal(loc, scale) vector: a distribution on the simplex with
    one more coordinate than loc.

    Args:
        loc: the (..., K-1) mean of the underlying normal.
        scale: its (..., K-1) standard deviation (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args)

    loc = property(lambda self: self.base_dist.base_dist.loc)
    scale = property(lambda self: self.base_dist.base_dist.scale)
