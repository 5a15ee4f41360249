"""Independent: some batch dimensions of a distribution read as event dimensions."""

from __future__ import annotations

from morch.distributions.distribution import Distribution
from morch.tensor import Tensor


def _sum_last(x: Tensor, n: int) -> Tensor:
    return x.sum(tuple(range(-n, 0))) if n else x


class Independent(Distribution):
    """``base_distribution`` with its last ``reinterpreted_batch_ndims`` batch dimensions made part
    of the event: ``log_prob`` and ``entropy`` sum over them.

    Args:
        base_distribution: the distribution.
        reinterpreted_batch_ndims: how many batch dimensions become event dimensions.
        validate_args: check values given to log_prob.
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int, validate_args=None) -> None:
        n = reinterpreted_batch_ndims
        batch = tuple(base_distribution.batch_shape)
        if n > len(batch):
            raise ValueError(
                f"Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual {n} vs {len(batch)}"
            )
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        split = len(batch) - n
        super().__init__(batch[:split], batch[split:] + tuple(base_distribution.event_shape), validate_args=False)
        self._validate_args = base_distribution._validate_args if validate_args is None else validate_args

    has_rsample = property(lambda self: self.base_dist.has_rsample)
    has_enumerate_support = property(lambda self: False)
    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def expand(self, batch_shape, _instance=None):
        """The same distribution over a larger batch shape (the base is expanded)."""
        n = self.reinterpreted_batch_ndims
        base_batch = tuple(batch_shape) + tuple(self.event_shape)[:n]
        new = Independent(self.base_dist.expand(base_batch), n, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value) -> Tensor:
        return _sum_last(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return _sum_last(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
