"""``morch.nn.parallel``: ``DataParallel``, ``data_parallel`` and ``DistributedDataParallel`` for
scripts written for several devices or processes. morch runs on the CPU in one process, so each
wraps the module and calls it directly.
"""

from morch.nn.parallel.data_parallel import DataParallel, data_parallel
from morch.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
