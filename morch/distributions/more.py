"""More distributions: Binomial, Geometric, Multinomial, Cauchy, HalfNormal, Gumbel."""

from __future__ import annotations

import math

import numpy as np

from morch import creation
from morch import functional as F
from morch.distributions import constraints
from morch.distributions.continuous import _LocScale
from morch.distributions.discrete import _probs_or_logits
from morch.distributions.distribution import Distribution, _as_params, _noise
from morch.tensor import Tensor, _wrap

__all__ = ["Binomial", "Geometric", "Multinomial", "Cauchy", "HalfNormal", "Gumbel"]

_EULER = 0.57721566490153286


def _rng():
    from morch.random import default_generator

    return default_generator._rng


def _softplus(x: Tensor) -> Tensor:
    return F.logaddexp(x, x * 0)


class _ProbsLogits(Distribution):
    """Probabilities given as ``probs`` or ``logits`` (the other computed when asked)."""

    def _set(self, probs, logits, who: str, *others):
        probs, logits = _probs_or_logits(probs, logits, who)
        if probs is not None:
            params = _as_params(probs, *others)
            self.probs = params[0]
        else:
            params = _as_params(logits, *others)
            self.logits = params[0]
        return params

    def __getattr__(self, name):
        d = self.__dict__
        if name == "probs" and "logits" in d:
            return d["logits"].sigmoid()
        if name == "logits" and "probs" in d:
            p = d["probs"].clamp(
                float(np.finfo(d["probs"]._data.dtype).eps), 1 - float(np.finfo(d["probs"]._data.dtype).eps)
            )
            return p.log() - (-p).log1p()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class Binomial(_ProbsLogits):
    """The number of successes in ``total_count`` Bernoulli(probs) trials.

    Args:
        total_count: the number of trials.
        probs: the success probability.
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}  # fmt: skip

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        _, self.total_count = self._set(probs, logits, "Binomial", total_count)
        super().__init__(self.total_count.shape, (), validate_args)

    @property
    def support(self):
        n = self.total_count.numpy()
        return constraints.Constraint("IntegerInterval(0, total_count)", lambda a: (a >= 0) & (a <= n) & (a % 1 == 0))

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
        draws = _rng().binomial(n, np.broadcast_to(self.probs._data, shape))
        return _wrap(np.asarray(draws, dtype=self.total_count._data.dtype))

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        n, logits = self.total_count, self.logits
        comb = F.lgamma(n + 1) - F.lgamma(value + 1) - F.lgamma(n - value + 1)
        # k log p + (n - k) log(1 - p), written with logits for stability
        return comb + value * logits - n * _softplus(logits)


class Geometric(_ProbsLogits):
    """The number of failures before the first success of Bernoulli(probs) trials.

    Args:
        probs: the success probability (0 < probs <= 1).
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        (param,) = self._set(probs, logits, "Geometric")
        super().__init__(param.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return self.probs * 0

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        draws = _rng().geometric(np.broadcast_to(self.probs._data, shape)) - 1
        return _wrap(np.asarray(draws, dtype=self.probs._data.dtype))

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        p = self.probs
        return F.xlogy(value, 1 - p) + p.log()  # 0 * log(0) = 0 where p == 1

    def entropy(self) -> Tensor:
        logits = self.logits
        return _softplus(-logits) + (1 - self.probs) / self.probs * _softplus(logits)


class Multinomial(Distribution):
    """Counts of ``total_count`` draws from a Categorical(probs or logits).

    Args:
        total_count: the number of draws (an int).
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints: dict = {}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        from morch.distributions.discrete import Categorical

        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        k = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (k,), validate_args=False)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=()) -> Tensor:
        p = self.probs._data
        shape = tuple(sample_shape) + p.shape[:-1]
        flat = np.broadcast_to(p, shape + p.shape[-1:]).reshape(-1, p.shape[-1]).astype(np.float64)
        flat = flat / flat.sum(-1, keepdims=True)
        draws = np.stack([_rng().multinomial(self.total_count, row) for row in flat]).reshape(shape + p.shape[-1:])
        return _wrap(draws.astype(p.dtype))

    def log_prob(self, value) -> Tensor:
        logits = self.logits.clamp(min=float(np.finfo(self.logits._data.dtype).min))
        log_norm = F.lgamma(value.sum(-1) + 1) - F.lgamma(value + 1).sum(-1)
        return log_norm + (F.where(value == 0, 0.0, value * logits)).sum(-1)


class Cauchy(_LocScale):
    """The Cauchy distribution (no mean or variance), reparameterised.

    Args:
        loc: the median.
        scale: the half width at half maximum (> 0).
        validate_args: check the parameters.
    """

    @property
    def mean(self) -> Tensor:
        return self.loc * math.nan

    @property
    def variance(self) -> Tensor:
        return self.loc * 0 + math.inf

    def rsample(self, sample_shape=()) -> Tensor:
        u = _noise(creation.rand, self._extended_shape(sample_shape), self.loc)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z * z).log1p()

    def cdf(self, value) -> Tensor:
        return F.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        return self.loc + self.scale * (math.pi * (value - 0.5)).tan()

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(_LocScale):
    """The Gumbel (extreme value) distribution, reparameterised.

    Args:
        loc: the location.
        scale: the scale (> 0).
        validate_args: check the parameters.
    """

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER

    @property
    def variance(self) -> Tensor:
        return (math.pi**2 / 6) * self.scale**2

    def rsample(self, sample_shape=()) -> Tensor:
        u = _noise(creation.rand, self._extended_shape(sample_shape), self.loc)
        tiny = float(np.finfo(u._data.dtype).tiny)
        return self.loc - self.scale * (-(u.clamp(tiny, 1 - 1e-7).log())).log()

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + (-z).exp())

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + _EULER)


class HalfNormal(Distribution):
    """|x| for x ~ Normal(0, scale), reparameterised.

    Args:
        scale: the scale of the underlying normal (> 0).
        validate_args: check the parameter.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        (self.scale,) = _as_params(scale)
        super().__init__(self.scale.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return self.scale * 0

    @property
    def variance(self) -> Tensor:
        return self.scale**2 * (1 - 2 / math.pi)

    def rsample(self, sample_shape=()) -> Tensor:
        return (_noise(creation.randn, self._extended_shape(sample_shape), self.scale) * self.scale).abs()

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        lp = -(value**2) / (2 * self.scale**2) - self.scale.log() - 0.5 * math.log(2 * math.pi) + math.log(2)
        return F.where(value >= 0, lp, -math.inf)

    def cdf(self, value) -> Tensor:
        return F.erf(value / (self.scale * math.sqrt(2)))

    def entropy(self) -> Tensor:
        return 0.5 * (math.pi * self.scale**2 / 2).log() + 0.5
