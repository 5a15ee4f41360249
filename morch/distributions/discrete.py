"""Discrete distributions: Bernoulli, Categorical, OneHotCategorical."""

from __future__ import annotations

import numpy as np

from morch import creation
from morch import functional as F
from morch.autograd import grad_mode
from morch.distributions import constraints
from morch.distributions.distribution import Distribution, _as_params, _noise
from morch.nn import functional as NF
from morch.tensor import Tensor, _wrap


def _probs_or_logits(probs, logits, who: str):
    if (probs is None) == (logits is None):
        raise ValueError(f"{who}: either `probs` or `logits` must be specified, but not both.")
    return probs, logits


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    Args:
        probs: the probability of 1.
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        probs, logits = _probs_or_logits(probs, logits, "Bernoulli")
        if probs is not None:
            (self.probs,) = _as_params(probs)
            param = self.probs
        else:
            (self.logits,) = _as_params(logits)
            param = self.logits
        super().__init__(param.shape, (), validate_args)

    def __getattr__(self, name):
        d = self.__dict__
        if name == "probs" and "logits" in d:
            return d["logits"].sigmoid()
        if name == "logits" and "probs" in d:
            p = d["probs"]
            eps = float(np.finfo(p._data.dtype).eps)
            p = p.clamp(eps, 1 - eps)
            return p.log() - (1 - p).log()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return (self.probs >= 0.5).to(self.probs.dtype) * F.where(self.probs == 0.5, float("nan"), 1.0)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with grad_mode.no_grad():
            p = self.probs
            return (_noise(creation.rand, shape, p) < p.expand(*shape)).to(p.dtype)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        logits = self.logits
        value = _as_params(value)[0] if not isinstance(value, Tensor) else value.to(logits.dtype)
        shape = np.broadcast_shapes(tuple(logits.shape), tuple(value.shape))
        return -NF.binary_cross_entropy_with_logits(logits.expand(*shape), value.expand(*shape), reduction="none")

    def entropy(self) -> Tensor:
        logits, p = self.logits, self.probs
        return NF.binary_cross_entropy_with_logits(logits, p, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = creation.tensor([0.0, 1.0], dtype=self.probs.dtype if "probs" in self.__dict__ else self.logits.dtype)
        values = values.reshape(2, *([1] * len(self._batch_shape)))
        return values.expand(2, *self._batch_shape) if expand else values


class Categorical(Distribution):
    """A category 0 .. K-1 drawn with probabilities ``probs`` (normalised along the last dimension)
    or ``softmax(logits)``.

    Args:
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        probs, logits = _probs_or_logits(probs, logits, "Categorical")
        if probs is not None:
            (probs,) = _as_params(probs)
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            (logits,) = _as_params(logits)
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            param = self.logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    def __getattr__(self, name):
        d = self.__dict__
        if name == "probs" and "logits" in d:
            return d["logits"].softmax(-1)
        if name == "logits" and "probs" in d:
            p = d["probs"]
            eps = float(np.finfo(p._data.dtype).eps)
            return p.clamp(eps, 1 - eps).log()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def support(self):
        n = self._num_events
        return constraints.Constraint(f"IntegerInterval(lower_bound=0, upper_bound={n - 1})",
                                      lambda a: (a >= 0) & (a < n) & (a % 1 == 0))  # fmt: skip

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        return creation.full(tuple(self._batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return creation.full(tuple(self._batch_shape), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            p = self.probs.reshape(-1, self._num_events)
            n = int(np.prod(tuple(sample_shape), dtype=np.int64))
            draws = creation.multinomial(p, n, replacement=True)  # (batch, n)
            draws = draws.t().reshape(*tuple(sample_shape), *self._batch_shape)
            return draws

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        value = value if isinstance(value, Tensor) else creation.tensor(value)
        value = value.long()
        logits = self.logits
        shape = np.broadcast_shapes(tuple(value.shape), tuple(logits.shape[:-1]))
        logits = logits.expand(*shape, self._num_events)
        return logits.gather(-1, value.expand(*shape).unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=float(np.finfo(self.logits._data.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = creation.arange(self._num_events).reshape(-1, *([1] * len(self._batch_shape)))
        return values.expand(-1, *self._batch_shape) if expand else values


class OneHotCategorical(Distribution):
    """``Categorical`` with one-hot vectors as values.

    Args:
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.Constraint("OneHot()", lambda a: np.all((a == 0) | (a == 1), -1) & (a.sum(-1) == 1), 1)
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    mean = property(lambda self: self._categorical.probs)
    variance = property(lambda self: self._categorical.probs * (1 - self._categorical.probs))

    @property
    def mode(self) -> Tensor:
        return NF.one_hot(self._categorical.mode, self._event_shape[0]).to(self.probs.dtype)

    def sample(self, sample_shape=()) -> Tensor:
        return NF.one_hot(self._categorical.sample(sample_shape), self._event_shape[0]).to(self.probs.dtype)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self._event_shape[0]
        values = _wrap(np.eye(n, dtype=self.probs._data.dtype)).reshape(n, *([1] * len(self._batch_shape)), n)
        return values.expand(n, *self._batch_shape, n) if expand else values
