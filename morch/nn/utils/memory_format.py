"""Convolution weights in a given memory format (``convert_conv2d_weight_memory_format`` and its 3-d twin)."""

from __future__ import annotations

import numpy as np

from morch import _alloc, _layout


def _aligned_in_format(arr: np.ndarray, memory_format) -> np.ndarray:
    """An aligned copy of ``arr`` laid out in ``memory_format`` (row-major for ``contiguous_format``)."""
    order = _layout.ORDERS.get(memory_format)
    if order is None:
        return _alloc.copy(np.ascontiguousarray(arr))
    out = _alloc.empty([arr.shape[i] for i in order], arr.dtype).transpose(np.argsort(order))
    np.copyto(out, arr)
    return out


def _convert(module, memory_format, kinds: tuple, fn_name: str):
    if memory_format not in (_layout.contiguous_format, *_layout.ORDERS):
        raise RuntimeError(f"{fn_name}: unsupported memory format {memory_format!r}")
    for m in module.modules():
        if isinstance(m, kinds):
            w = m.weight
            w.contiguous(memory_format=memory_format)  # refuses a format of the wrong rank, naming it
            w._data = _aligned_in_format(w._data, memory_format)
    return module


def _conv_kinds(*names: str) -> tuple:
    from morch import nn

    return tuple(getattr(nn, n) for n in names if hasattr(nn, n))


def convert_conv2d_weight_memory_format(module, memory_format):
    """Lay the weights of every ``Conv2d`` and ``ConvTranspose2d`` in ``module`` (itself included) out in
    ``memory_format``; the parameters stay the same objects with the same values. morch's convolutions
    accept weights in any layout; the format only changes the order of the elements in memory.

    Args:
        module: a module (searched recursively).
        memory_format: ``morch.channels_last`` or ``morch.contiguous_format``.

    Returns:
        ``module``.
    """
    kinds = _conv_kinds("Conv2d", "ConvTranspose2d")
    return _convert(module, memory_format, kinds, "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module, memory_format):
    """Lay the weights of every ``Conv3d`` and ``ConvTranspose3d`` in ``module`` (itself included) out in
    ``memory_format``, as ``convert_conv2d_weight_memory_format`` does for 2-d convolutions.

    Args:
        module: a module (searched recursively).
        memory_format: ``morch.channels_last_3d`` or ``morch.contiguous_format``.

    Returns:
        ``module``.
    """
    kinds = _conv_kinds("Conv3d", "ConvTranspose3d")
    return _convert(module, memory_format, kinds, "convert_conv3d_weight_memory_format")
