"""Continuous relaxations of discrete distributions (Concrete / Gumbel-softmax): RelaxedBernoulli,
RelaxedOneHotCategorical (and their log-space bases), and OneHotCategoricalStraightThrough."""

from __future__ import annotations

from morch import creation
from morch import functional as F
from morch.distributions import constraints
from morch.distributions.discrete import Categorical, OneHotCategorical
from morch.distributions.distribution import Distribution, _as_params, _noise
from morch.distributions.more import _ProbsLogits
from morch.distributions.transforms import ExpTransform, SigmoidTransform, TransformedDistribution
from morch.distributions.utils import clamp_probs, softplus
from morch.tensor import Tensor

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical", "RelaxedOneHotCategorical",
           "OneHotCategoricalStraightThrough"]  # fmt: skip


def _uniform_noise(shape, like: Tensor) -> Tensor:
    """U(0, 1) draws kept inside (0, 1), so their logs are finite."""
    return clamp_probs(_noise(creation.rand, shape, like))


class LogitRelaxedBernoulli(_ProbsLogits):
    """The logit of a RelaxedBernoulli draw: (logit(U) + logits) / temperature, reparameterised.

    Args:
        temperature: the relaxation temperature (> 0).
        probs: the probability of 1.
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        (param,) = self._set(probs, logits, type(self).__name__)
        (self.temperature,) = _as_params(temperature)
        super().__init__(param.shape, (), validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = _uniform_noise(shape, self.logits)
        p = clamp_probs(self.probs.expand(*shape))
        return (u.log() - (-u).log1p() + p.log() - (-p).log1p()) / self.temperature

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * softplus(diff)


class _Relaxed(TransformedDistribution):
    """A relaxation: ``_transform`` of a ``_base`` draw, with the base's temperature, probs and logits."""

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base = self._base(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, self._transform(), validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)


class RelaxedBernoulli(_Relaxed):
    """A relaxed Bernoulli on (0, 1): sigmoid of a LogitRelaxedBernoulli draw, reparameterised.

    Args:
        temperature: the relaxation temperature (> 0; near 0 the draws approach 0 or 1).
        probs: the probability of 1.
        logits: its log-odds (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _base, _transform = LogitRelaxedBernoulli, SigmoidTransform


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel noise) / temperature).

    Args:
        temperature: the relaxation temperature (> 0).
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        (self.temperature,) = _as_params(temperature)
        batch, k = self._categorical.batch_shape, self._categorical._num_events
        super().__init__(batch, (k,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)

    def expand(self, batch_shape, _instance=None):
        k = self._categorical._num_events
        logits = self.logits.expand(*tuple(batch_shape), k)
        return type(self)(self.temperature, logits=logits, validate_args=False)

    def rsample(self, sample_shape=()) -> Tensor:
        u = _uniform_noise(self._extended_shape(sample_shape), self.logits)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        k = self._categorical._num_events
        log_scale = F.lgamma(creation.full_like(self.temperature, float(k))) + (k - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """A relaxed one-hot categorical on the simplex (the Gumbel-softmax / Concrete distribution),
    reparameterised: exp of an ExpRelaxedCategorical draw.

    Args:
        temperature: the relaxation temperature (> 0).
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    _base, _transform = ExpRelaxedCategorical, ExpTransform


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose ``rsample`` passes gradients straight through: the one-hot draw plus
    ``probs - probs.detach()`` (the value is the draw, the gradient that of the probabilities).

    Args:
        probs: (..., K) non-negative weights.
        logits: (..., K) unnormalised log-probabilities (instead of probs).
        validate_args: check the parameters.
    """

    has_rsample = True

    def rsample(self, sample_shape=()) -> Tensor:
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())
