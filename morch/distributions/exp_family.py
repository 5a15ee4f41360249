"""ExponentialFamily (entropy and KL from the log-normalizer by Bregman divergences) and
ContinuousBernoulli, a member of it."""

from __future__ import annotations

import math

from morch import creation
from morch import functional as F
from morch.autograd import grad_mode
from morch.distributions import constraints
from morch.distributions.distribution import Distribution, _noise
from morch.distributions.more import _ProbsLogits
from morch.distributions.utils import clamp_probs, sum_rightmost
from morch.nn import functional as NF
from morch.tensor import Tensor

__all__ = ["ExponentialFamily", "ContinuousBernoulli"]


class ExponentialFamily(Distribution):
    """Base of densities p(x; theta) = h(x) exp(<t(x), theta> - A(theta)).

    Subclasses give ``_natural_params`` (the thetas), ``_log_normalizer(*thetas)`` (A, written with
    morch ops) and ``_mean_carrier_measure`` (E[log h(x)]); ``entropy`` then follows from the
    gradient of A (a Bregman divergence), and so does KL between two members of one family.
    """

    _mean_carrier_measure = 0.0

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} does not give its natural parameters")

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError(f"{type(self).__name__} does not give its log-normalizer")

    def _normalizer_and_grads(self):
        """(the thetas as fresh leaves, A(thetas), dA/dthetas with their graphs kept)."""
        from morch.autograd import grad

        params = [p.detach().requires_grad_() for p in self._natural_params]
        with grad_mode.enable_grad():
            log_norm = self._log_normalizer(*params)
            grads = grad(log_norm.sum(), params, create_graph=True)
        return params, log_norm, grads

    def entropy(self) -> Tensor:
        params, log_norm, grads = self._normalizer_and_grads()
        result = log_norm - self._mean_carrier_measure
        for p, g in zip(params, grads):
            result = result - sum_rightmost(p * g, len(self.event_shape))
        return result


class ContinuousBernoulli(_ProbsLogits, ExponentialFamily):
    """The continuous Bernoulli distribution on [0, 1]: density C(lambda) lambda^x (1 - lambda)^(1-x),
    reparameterised through its inverse cdf. Near lambda = 0.5, where the closed forms cancel,
    Taylor expansions are used (the interval ``lims``).

    Args:
        probs: lambda in [0, 1].
        logits: its log-odds (instead of probs).
        lims: the interval around 0.5 where Taylor expansions replace the closed forms.
        validate_args: check the parameters.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args: bool | None = None) -> None:
        (param,) = self._set(probs, logits, "ContinuousBernoulli")
        self._lims = lims
        super().__init__(param.shape, (), validate_args)
        if "probs" in self.__dict__:
            self.probs = clamp_probs(self.probs)

    def __getattr__(self, name):
        if name == "probs" and "logits" in self.__dict__:
            return clamp_probs(self.__dict__["logits"].sigmoid())
        return super().__getattr__(name)

    def _stable(self) -> Tensor:
        """Where probs is outside ``lims`` (the closed forms are accurate there)."""
        p = self.probs
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return F.where(self._stable(), self.probs, self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        cut = self._cut_probs()
        below = F.where(cut <= 0.5, cut, 0.0)
        above = F.where(cut >= 0.5, cut, 1.0)
        exact = ((-cut).log1p() - cut.log()).abs().log() - F.where(
            cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log()
        )
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return F.where(self._stable(), exact, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        exact = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x**2) * x
        return F.where(self._stable(), exact, taylor)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        exact = cut * (cut - 1.0) / (1.0 - 2.0 * cut) ** 2 + 1.0 / ((-cut).log1p() - cut.log()) ** 2
        x = (self.probs - 0.5) ** 2
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return F.where(self._stable(), exact, taylor)

    @property
    def param_shape(self):
        d = self.__dict__
        return (d["probs"] if "probs" in d else d["logits"]).shape

    def rsample(self, sample_shape=()) -> Tensor:
        return self.icdf(_noise(creation.rand, self._extended_shape(sample_shape), self.probs))

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        logits = self.logits
        shape = F.broadcast_shapes(tuple(logits.shape), tuple(value.shape))
        bce = NF.binary_cross_entropy_with_logits(logits.expand(*shape), value.expand(*shape), reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value) -> Tensor:
        self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut**value * (1.0 - cut) ** (1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = F.where(self._stable(), cdfs, value)
        return F.where(value <= 0.0, 0.0, F.where(value >= 1.0, 1.0, inside))

    def icdf(self, value) -> Tensor:
        cut = self._cut_probs()
        exact = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return F.where(self._stable(), exact, value)

    def entropy(self) -> Tensor:
        log0, log1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log0 - log1) - self._cont_bern_log_norm() - log0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        lo, hi = self._lims[0] - 0.5, self._lims[1] - 0.5
        stable = (x <= lo) | (x > hi)
        cut = F.where(stable, x, lo)
        exact = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x**2 / 24.0 - x**4 / 2880.0
        return F.where(stable, exact, taylor)
