"""``morch.nn.parallel``: ``DataParallel``, ``data_parallel`` and ``DistributedDataParallel`` for
scripts written for several devices or processes. morch runs on the CPU in one process, so each
wraps the module and calls it directly; ``replicate``, ``scatter``, ``gather`` and ``parallel_apply``
split and join the data as PyTorch's do, but run the pieces one after another.
"""

from morch.nn.parallel.data_parallel import DataParallel, data_parallel
from morch.nn.parallel.distributed import DistributedDataParallel
from morch.nn.parallel.functions import gather, parallel_apply, replicate, scatter, scatter_kwargs

__all__ = [
    "DataParallel", "data_parallel", "DistributedDataParallel",
    "replicate", "scatter", "scatter_kwargs", "gather", "parallel_apply",
]  # fmt: skip
