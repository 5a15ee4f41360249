"""Continuous distributions: Normal, Uniform, Exponential, Laplace, MultivariateNormal."""

from __future__ import annotations

import math

from morch import creation
from morch import functional as F
from morch.distributions import constraints
from morch.distributions.distribution import Distribution, _as_params, _LocCentred, _noise
from morch.tensor import Size, Tensor


class _LocScale(_LocCentred):
    """What Normal and Laplace share: a real location (the mean and mode) and a positive scale."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = _as_params(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)


class Normal(_LocScale):
    """The normal distribution N(loc, scale**2), reparameterised (``rsample`` is differentiable).

    Args:
        loc: the mean.
        scale: the standard deviation (> 0).
        validate_args: check the parameters.
    """

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2

    def rsample(self, sample_shape=()) -> Tensor:
        eps = _noise(creation.randn, self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        var = self.scale**2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value) -> Tensor:
        self._validate_sample(value)
        return 0.5 * (1 + F.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value) -> Tensor:
        return self.loc + self.scale * F.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def expand(self, batch_shape) -> Normal:
        shape = tuple(batch_shape)
        return Normal(self.loc.expand(*shape), self.scale.expand(*shape), validate_args=False)


class Uniform(Distribution):
    """The uniform distribution on [low, high), reparameterised.

    Args:
        low: the lower end (inclusive).
        high: the upper end (exclusive).
        validate_args: check that low < high.
    """

    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args: bool | None = None) -> None:
        self.low, self.high = _as_params(low, high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not bool((self.low < self.high).all()):
            raise ValueError(f"Expected parameter low to be less than high, got low={self.low} and high={self.high}")

    @property
    def support(self):
        return constraints.Constraint(
            "Interval(low, high)", lambda a: (a >= self.low.numpy()) & (a < self.high.numpy())
        )

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.low * float("nan")

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()) -> Tensor:
        u = _noise(creation.rand, self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        inside = (value >= self.low) & (value < self.high)
        return F.where(inside, -(self.high - self.low).log(), -math.inf)

    def cdf(self, value) -> Tensor:
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value) -> Tensor:
        return self.low + value * (self.high - self.low)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


class Exponential(Distribution):
    """The exponential distribution with rate ``rate`` (mean 1 / rate), reparameterised.

    Args:
        rate: the rate (> 0).
        validate_args: check the parameter.
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = _as_params(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return 1 / self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate * 0

    @property
    def variance(self) -> Tensor:
        return self.rate**-2

    def rsample(self, sample_shape=()) -> Tensor:
        u = _noise(creation.rand, self._extended_shape(sample_shape), self.rate)
        return -(1 - u).log() / self.rate

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        return -(1 - value).log() / self.rate

    def entropy(self) -> Tensor:
        return 1 - self.rate.log()


class Laplace(_LocScale):
    """The Laplace distribution with location ``loc`` and scale ``scale``, reparameterised.

    Args:
        loc: the location.
        scale: the scale (> 0).
        validate_args: check the parameters.
    """

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale**2

    def rsample(self, sample_shape=()) -> Tensor:
        u = _noise(creation.rand, self._extended_shape(sample_shape), self.loc) * 2 - 1
        eps = 1e-7 if self.loc.dtype == creation.tensor(0.0).dtype else 1e-15
        u = u.clamp(-1 + eps, 1 - eps)  # keep log1p(-|u|) finite, as PyTorch does with its eps
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value) -> Tensor:
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * (-(z.abs()) / self.scale).expm1()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()


class MultivariateNormal(_LocCentred):
    """The multivariate normal with mean ``loc`` and one of covariance_matrix, precision_matrix or
    scale_tril (its lower Cholesky factor), reparameterised: ``loc + scale_tril @ eps``.

    Args:
        loc: the (..., k) mean.
        covariance_matrix: (..., k, k) positive-definite covariance.
        precision_matrix: (..., k, k) positive-definite inverse covariance.
        scale_tril: (..., k, k) lower-triangular factor with a positive diagonal.
        validate_args: check the parameters.
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:  # fmt: skip
        from morch import linalg

        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        (loc,) = _as_params(loc)
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if scale_tril is not None:
            self.scale_tril = scale_tril
            self._tril = scale_tril
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix
            self._tril = linalg.cholesky(covariance_matrix)
        else:
            self.precision_matrix = precision_matrix
            self._tril = linalg.cholesky(linalg.inv(precision_matrix))
        k = loc.shape[-1]
        if tuple(self._tril.shape[-2:]) != (k, k):
            raise ValueError(
                f"the matrix must be ({k}, {k}) to match loc of shape {tuple(loc.shape)}, got {tuple(self._tril.shape)}"
            )
        batch = Size(__import__("numpy").broadcast_shapes(tuple(loc.shape[:-1]), tuple(self._tril.shape[:-2])))
        self.loc = loc.expand(*batch, k)
        super().__init__(batch, (k,), validate_args)
        if scale_tril is None:
            self.scale_tril = self._tril.expand(*batch, k, k)

    def __getattr__(self, name):
        # the two forms not given are computed from the Cholesky factor when asked for
        if name == "covariance_matrix":
            return self._tril @ self._tril.mT
        if name == "precision_matrix":
            from morch import linalg

            return linalg.inv(self._tril @ self._tril.mT)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def variance(self) -> Tensor:
        return (self._tril**2).sum(-1).expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        eps = _noise(creation.randn, self._extended_shape(sample_shape), self.loc)
        return self.loc + (self._tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value) -> Tensor:
        from morch import linalg

        self._validate_sample(value)
        diff = value - self.loc
        tril = self._tril.expand(*diff.shape[:-1], *self._tril.shape[-2:])
        z = linalg.solve(tril, diff.unsqueeze(-1)).squeeze(-1)
        half_log_det = self._tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + (z**2).sum(-1)) - half_log_det

    def entropy(self) -> Tensor:
        k = self._event_shape[0]
        half_log_det = self._tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + half_log_det
        return h.expand(*self._batch_shape) if self._batch_shape else h
