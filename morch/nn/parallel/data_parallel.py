"""``DataParallel`` (morch.nn's) and the function ``data_parallel``: without GPUs both call the module."""

from __future__ import annotations

from morch.nn.container import DataParallel
from morch.nn.module import Module

__all__ = ["DataParallel", "data_parallel"]


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """``module(*inputs, **module_kwargs)``: what PyTorch's data_parallel does without GPUs.

    Args:
        module: the module to run.
        inputs: its positional input, or a tuple of them.
        device_ids: must be None or empty (morch has no GPUs).
        output_device: accepted.
        dim: accepted (the dimension PyTorch would split the batch along).
        module_kwargs: keyword arguments for the module.
    """
    if device_ids:
        raise RuntimeError(f"data_parallel: morch has no GPUs, got device_ids={device_ids}")
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return module(*inputs, **(module_kwargs or {}))
