"""``morch.autograd.profiler``: the legacy profiler API, sharing ``morch.profiler``'s implementation."""

from __future__ import annotations

from morch import profiler as _profiler
from morch.profiler import EventList, FunctionEvent, FunctionEventAvg, record_function

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class profile(_profiler.profile):
    """``with profile() as prof: ...`` then ``prof.key_averages().table()`` (the legacy profiler).

    Args:
        enabled: False makes the profile record nothing.
        use_cuda, use_device, use_kineto, use_cpu, with_flops, profile_memory, with_stack,
            with_modules: accepted; only CPU time is recorded.
        record_shapes: record the input shapes of ops.
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True, **kwargs) -> None:  # fmt: skip  # noqa: E501
        opts = dict(profile_memory=profile_memory, with_stack=with_stack, with_flops=with_flops)
        super().__init__(record_shapes=record_shapes, with_modules=with_modules, **opts)
        self.enabled = enabled

    def _enter(self, action) -> None:
        if self.enabled:
            super()._enter(action)

    @property
    def function_events(self) -> EventList:
        """The recorded events, in order of start."""
        return self._trace

    @property
    def self_cpu_time_total(self) -> float:
        return self._trace.self_cpu_time_total

    def total_average(self):
        """All events added into one average."""
        return self._trace.total_average()

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs) -> str:
        """The recorded events as a table (see ``EventList.table``)."""
        return self._trace.table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def __str__(self) -> str:
        return self.table()
