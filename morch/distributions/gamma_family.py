"""Distributions built on the gamma function: Gamma, Chi2, Beta, Dirichlet, Poisson, StudentT.

Draws come from numpy's samplers on morch's global generator, so ``morch.manual_seed`` makes them
repeatable. Gamma draws are reparameterised implicitly, as PyTorch's: the gradient of a draw with
respect to the concentration is -(dP/da) / (dP/dx) at the draw, with P the regularized incomplete
gamma function (``morch/ops/special.py``); Chi2, Beta, Dirichlet and StudentT are built from them.
"""

from __future__ import annotations

import math

import numpy as np

from morch import functional as F
from morch.distributions import constraints
from morch.distributions.distribution import Distribution, _as_params
from morch.tensor import Tensor, _wrap


def _rng():
    from morch.random import default_generator

    return default_generator._rng


def _standard_gamma(concentration: Tensor) -> Tensor:
    from morch.ops.special import StandardGamma

    return StandardGamma.apply(concentration)


def _draw(values: np.ndarray, like: Tensor) -> Tensor:
    return _wrap(np.asarray(values, dtype=like._data.dtype))


class Gamma(Distribution):
    """The gamma distribution with shape ``concentration`` and ``rate`` (mean concentration / rate).

    Args:
        concentration: the shape alpha (> 0).
        rate: the rate beta (> 0).
        validate_args: check the parameters.
    """

    has_rsample = True
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = _as_params(concentration, rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate**2

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g = _standard_gamma(self.concentration.expand(*shape) if shape else self.concentration)
        return (g / self.rate).clamp(min=float(np.finfo(self.rate._data.dtype).tiny))

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        a, b = self.concentration, self.rate
        return F.xlogy(a, b) + F.xlogy(a - 1, value) - b * value - F.lgamma(a)

    def cdf(self, value) -> Tensor:
        from morch import special

        self._validate_sample(value)
        return special.gammainc(self.concentration, value * self.rate)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + F.lgamma(a) + (1.0 - a) * F.digamma(a)


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2).

    Args:
        df: the degrees of freedom (> 0).
        validate_args: check the parameter.
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None) -> None:
        (df,) = _as_params(df)
        super().__init__(df * 0.5, df * 0 + 0.5, validate_args)
        self.df = df


class Beta(Distribution):
    """The beta distribution on [0, 1] with parameters ``concentration1`` (alpha) and ``concentration0`` (beta).

    Args:
        concentration1: alpha (> 0).
        concentration0: beta (> 0).
        validate_args: check the parameters.
    """

    has_rsample = True
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = _as_params(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total**2 * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = _standard_gamma(self.concentration1.expand(*shape) if shape else self.concentration1)
        y = _standard_gamma(self.concentration0.expand(*shape) if shape else self.concentration0)
        return x / (x + y)

    def _log_beta(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return F.lgamma(a) + F.lgamma(b) - F.lgamma(a + b)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return F.xlogy(a - 1, value) + F.xlogy(b - 1, 1 - value) - self._log_beta()

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return self._log_beta() - (a - 1) * F.digamma(a) - (b - 1) * F.digamma(b) + (a + b - 2) * F.digamma(a + b)


class Dirichlet(Distribution):
    """The Dirichlet distribution on the simplex with parameters ``concentration`` (..., K).

    Args:
        concentration: (..., K) positive parameters.
        validate_args: check the parameters.
    """

    has_rsample = True
    arg_constraints = {
        "concentration": constraints.Constraint(
            "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)", lambda a: np.all(a > 0, -1), 1
        )
    }  # noqa: E501
    support = constraints.simplex

    def __init__(self, concentration, validate_args: bool | None = None) -> None:
        (self.concentration,) = _as_params(concentration)
        if self.concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:], validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def variance(self) -> Tensor:
        a0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (a0 - self.concentration) / (a0**2 * (a0 + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g = _standard_gamma(self.concentration.expand(*shape))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        a = self.concentration
        return F.xlogy(a - 1, value).sum(-1) + F.lgamma(a.sum(-1)) - F.lgamma(a).sum(-1)

    def entropy(self) -> Tensor:
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return F.lgamma(a).sum(-1) - F.lgamma(a0) - (k - a0) * F.digamma(a0) - ((a - 1) * F.digamma(a)).sum(-1)


class Poisson(Distribution):
    """The Poisson distribution with mean ``rate``.

    Args:
        rate: the mean (>= 0).
        validate_args: check the parameter.
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = _as_params(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return _draw(_rng().poisson(np.broadcast_to(self.rate._data, shape)), self.rate)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        value = value if isinstance(value, Tensor) else _as_params(value)[0]
        return F.xlogy(value, self.rate) - self.rate - F.lgamma(value + 1)


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location ``loc`` and ``scale``.

    Args:
        df: the degrees of freedom (> 0).
        loc: the location.
        scale: the scale (> 0).
        validate_args: check the parameters.
    """

    has_rsample = True
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = _as_params(df, loc, scale)
        super().__init__(self.df.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return F.where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        var = self.scale**2 * df / (df - 2)
        return F.where(df > 2, var, F.where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()) -> Tensor:
        from morch import creation

        shape = self._extended_shape(sample_shape)
        z = creation.randn(*shape, dtype=self.loc.dtype) if shape else creation.randn(1, dtype=self.loc.dtype)[0]
        chi2 = 2 * _standard_gamma(0.5 * (self.df.expand(*shape) if shape else self.df))
        return self.loc + self.scale * z * (chi2 / self.df).rsqrt()

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        df = self.df
        z = (value - self.loc) / self.scale
        norm = (
            self.scale.log()
            + 0.5 * df.log()
            + 0.5 * math.log(math.pi)
            + F.lgamma(0.5 * df)
            - F.lgamma(0.5 * (df + 1.0))
        )
        return -0.5 * (df + 1.0) * (z**2 / df).log1p() - norm

    def entropy(self) -> Tensor:
        df = self.df
        lbeta = F.lgamma(0.5 * df) + math.lgamma(0.5) - F.lgamma(0.5 * (df + 1))
        return (
            self.scale.log()
            + 0.5 * (df + 1) * (F.digamma(0.5 * (df + 1)) - F.digamma(0.5 * df))
            + 0.5 * df.log()
            + lbeta
        )
