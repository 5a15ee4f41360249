"""``DistributedDataParallel`` as a transparent wrapper, so that training code written for DDP runs
unchanged in one process (a world of size 1, where averaging gradients over processes changes nothing)."""

from __future__ import annotations

import contextlib

from morch.nn.module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """``torch.nn.parallel.DistributedDataParallel`` for one process: calls the wrapped module. The
    module is ``self.module``, so state dict keys gain the ``module.`` prefix as in PyTorch.

    Args:
        module: the module to wrap.
        device_ids: must be None or empty (morch has no GPUs).
        output_device: accepted.
        dim: accepted.
        broadcast_buffers: accepted (one process: nothing to broadcast).
        process_group: accepted.
        bucket_cap_mb: accepted.
        find_unused_parameters: accepted.
        check_reduction: accepted.
        gradient_as_bucket_view: accepted.
        static_graph: accepted.
        kwargs: PyTorch's further options, accepted.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 **kwargs) -> None:  # fmt: skip
        super().__init__()
        if device_ids:
            raise RuntimeError(f"DistributedDataParallel: morch has no GPUs, got device_ids={device_ids}")
        self.module, self.dim = module, dim
        self.broadcast_buffers, self.process_group = broadcast_buffers, process_group
        self.find_unused_parameters, self.static_graph = find_unused_parameters, static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self._comm_hooks: list = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """A context in which PyTorch skips the gradient all-reduce (gradient accumulation); in one
        process there is none to skip, so gradients accumulate as usual."""
        yield

    @contextlib.contextmanager
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True, throw_on_early_termination=False):
        """A context for uneven inputs across processes; nothing to do in one process.

        Args:
            divide_by_initial_world_size: accepted.
            enable: accepted.
            throw_on_early_termination: accepted.
        """
        yield

    def register_comm_hook(self, state, hook) -> None:
        """Accepted and kept (``_comm_hooks``); one process communicates nothing, so it is never called.

        Args:
            state: the hook's state.
            hook: the communication hook.
        """
        self._comm_hooks.append((state, hook))

    def will_sync_module_buffers(self) -> bool:
        """False: one process has no buffers to synchronise."""
        return False
