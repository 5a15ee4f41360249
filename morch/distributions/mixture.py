"""MixtureSameFamily: a Categorical choice among the components of one batched distribution."""

from __future__ import annotations

from morch.autograd import grad_mode
from morch.distributions.discrete import Categorical
from morch.distributions.distribution import Distribution
from morch.tensor import Tensor

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """A mixture whose components are the rightmost batch dimension of ``component_distribution``,
    weighted by ``mixture_distribution``. Not reparameterised (no rsample, as in PyTorch).

    Args:
        mixture_distribution: a Categorical over the K components (batch shape broadcastable to
            the component's batch shape without its last dimension).
        component_distribution: a distribution with batch shape (..., K).
        validate_args: check values given to log_prob.
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:  # fmt: skip
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: the mixture distribution needs to be a Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("MixtureSameFamily: the component distribution needs to be a Distribution")
        mix_batch = tuple(mixture_distribution.batch_shape)
        comp_batch = tuple(component_distribution.batch_shape)
        if not comp_batch:
            raise ValueError("MixtureSameFamily: the component distribution needs a batch dimension of components")
        for a, b in zip(reversed(mix_batch), reversed(comp_batch[:-1])):
            if a != 1 and b != 1 and a != b:
                raise ValueError(
                    f"`mixture_distribution.batch_shape` ({mix_batch}) is not compatible with "
                    f"`component_distribution.batch_shape` ({comp_batch})"
                )
        k = mixture_distribution._num_events
        if k != comp_batch[-1]:
            raise ValueError(
                f"`mixture_distribution` has {k} components but `component_distribution.batch_shape[-1]` "
                f"is {comp_batch[-1]}"
            )
        self._mixture_distribution, self._component_distribution = mixture_distribution, component_distribution
        self._num_component, self._event_ndims = k, len(component_distribution.event_shape)
        super().__init__(comp_batch[:-1], component_distribution.event_shape, validate_args)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    component_distribution = property(lambda self: self._component_distribution)
    support = property(lambda self: self._component_distribution.support)

    def expand(self, batch_shape, _instance=None):
        batch = tuple(batch_shape)
        comp = self._component_distribution.expand(batch + (self._num_component,))
        return MixtureSameFamily(self._mixture_distribution.expand(batch), comp, validate_args=False)

    def _pad(self, x: Tensor) -> Tensor:
        """x with a components dimension before its event dimensions."""
        return x.unsqueeze(-1 - self._event_ndims)

    def _mixture_probs(self) -> Tensor:
        """The mixture weights shaped to multiply the components' (batch..., K, event...) values."""
        p = self._mixture_distribution.probs
        extra = 0 if len(self._mixture_distribution.batch_shape) == 1 else len(self.batch_shape) - p.ndim + 1
        return p.reshape(*p.shape[:-1], *([1] * extra), p.shape[-1], *([1] * self._event_ndims))

    @property
    def mean(self) -> Tensor:
        return (self._mixture_probs() * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        probs, comp = self._mixture_probs(), self._component_distribution
        within = (probs * comp.variance).sum(-1 - self._event_ndims)
        between = (probs * (comp.mean - self._pad(self.mean)) ** 2).sum(-1 - self._event_ndims)
        return within + between

    def cdf(self, value) -> Tensor:
        return (self._component_distribution.cdf(self._pad(value)) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        log_px = self._component_distribution.log_prob(self._pad(value))
        return (log_px + self._mixture_distribution.logits.log_softmax(-1)).logsumexp(-1)

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            gather_dim = len(tuple(sample_shape)) + len(self.batch_shape)
            event = tuple(self.event_shape)
            which = self._mixture_distribution.sample(sample_shape)
            draws = self._component_distribution.sample(sample_shape)
            index = which.reshape(*which.shape, 1, *([1] * len(event))).expand(*which.shape, 1, *event)
            return draws.gather(gather_dim, index).squeeze(gather_dim)

    def __repr__(self) -> str:
        return f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  {self._component_distribution!r})"
