"""``morch.utils.data.distributed``, as ``torch.utils.data.distributed``: the DistributedSampler."""

from morch.utils.data.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
