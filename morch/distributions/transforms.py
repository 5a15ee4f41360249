"""Transforms and TransformedDistribution: distributions of f(x) for an invertible f, with
``log_prob(y) = base.log_prob(f^-1(y)) - log|det J_f|``, as ``torch.distributions``."""

from __future__ import annotations

import math

import numpy as np

from morch import functional as F
from morch.distributions import constraints
from morch.distributions.continuous import Normal
from morch.distributions.distribution import Distribution, _as_params
from morch.tensor import Tensor

__all__ = [
    "Transform",
    "ExpTransform",
    "AffineTransform",
    "SigmoidTransform",
    "TanhTransform",
    "ComposeTransform",
    "TransformedDistribution",
    "LogNormal",
]


def _softplus(x: Tensor) -> Tensor:
    return F.logaddexp(x, x * 0)


def _sum_rightmost(x: Tensor, n: int) -> Tensor:
    return x.sum(tuple(range(-n, 0))) if n > 0 else x


class Transform:
    """An invertible map with the log of its Jacobian's absolute determinant.

    Subclasses define ``_call``, ``_inverse`` and ``log_abs_det_jacobian(x, y)``.
    """

    bijective = True
    event_dim = 0
    sign = 1

    def __call__(self, x: Tensor) -> Tensor:
        return self._call(x)

    def inv(self, y: Tensor) -> Tensor:
        return self._inverse(y)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ExpTransform(Transform):
    """y = exp(x)."""

    domain, codomain = constraints.real, constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale * x.

    Args:
        loc: the shift.
        scale: the scale.
        event_dim: how many rightmost dimensions form one event.
    """

    def __init__(self, loc, scale, event_dim: int = 0):
        self.loc, self.scale, self.event_dim = loc, scale, event_dim

    @property
    def sign(self):
        return F.sign(self.scale) if isinstance(self.scale, Tensor) else (1 if self.scale > 0 else -1)

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale if isinstance(self.scale, Tensor) else x * 0 + self.scale
        result = F.abs(scale).log().expand(*x.shape) if tuple(scale.shape) != tuple(x.shape) else F.abs(scale).log()
        return _sum_rightmost(result, self.event_dim)


class SigmoidTransform(Transform):
    """y = sigmoid(x)."""

    domain, codomain = constraints.real, constraints.unit_interval

    def _call(self, x):
        return x.sigmoid()

    def _inverse(self, y):
        eps = float(np.finfo(y._data.dtype).eps)
        y = y.clamp(eps, 1 - eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -_softplus(-x) - _softplus(x)


class TanhTransform(Transform):
    """y = tanh(x) (the squashing of bounded-action policies)."""

    domain, codomain = constraints.real, constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        eps = float(np.finfo(y._data.dtype).eps)
        y = y.clamp(-1 + eps, 1 - eps)
        return 0.5 * ((1 + y).log() - (1 - y).log())

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - _softplus(-2.0 * x))


class ComposeTransform(Transform):
    """Several transforms applied in order.

    Args:
        parts: the transforms, first applied first.
    """

    def __init__(self, parts: list):
        self.parts = list(parts)
        self.event_dim = max((p.event_dim for p in self.parts), default=0)

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        total = None
        for p in self.parts:
            y_p = p(x)
            term = _sum_rightmost(p.log_abs_det_jacobian(x, y_p), self.event_dim - p.event_dim)
            total = term if total is None else total + term
            x = y_p
        return total if total is not None else x * 0


class TransformedDistribution(Distribution):
    """The distribution of ``transforms(x)`` for x drawn from ``base_distribution``.

    Args:
        base_distribution: the distribution of x.
        transforms: a transform or a list applied in order.
        validate_args: check values given to log_prob.
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args: bool | None = None) -> None:
        self.transforms = [transforms] if isinstance(transforms, Transform) else list(transforms)
        self.base_dist = base_distribution
        event_dim = max([len(base_distribution.event_shape)] + [t.event_dim for t in self.transforms])
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=False)

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    def sample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.sample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def rsample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Tensor) -> Tensor:
        event_dim = len(self.event_shape)
        total, y = None, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            term = _sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.event_dim)
            total = -term if total is None else total - term
            y = x
        base = _sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))
        return base if total is None else base + total

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LogNormal(TransformedDistribution):
    """exp(x) for x ~ Normal(loc, scale).

    Args:
        loc: the mean of log(x).
        scale: the standard deviation of log(x) (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        loc, scale = _as_params(loc, scale)
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(), validate_args)
        self.loc, self.scale = loc, scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale**2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale**2).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale**2
        return (s2.exp() - 1) * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
