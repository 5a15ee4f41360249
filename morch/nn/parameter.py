"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes."""

from __future__ import annotations

import numpy as np

from morch import dtypes
from morch.tensor import Tensor, _init, _repr


def _array(data) -> np.ndarray:
    if data is None:
        return np.empty((0,), dtype=dtypes.default_float())
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    raise TypeError(f"Parameter/Buffer data must be a Tensor, got {type(data).__name__}")


class Parameter(Tensor):
    """A tensor that is a module parameter: assigned as a Module attribute, it appears in ``parameters()``.

    The new parameter shares memory with ``data`` (as in PyTorch) and is a leaf of the graph.

    Args:
        data: the initial value (a Tensor); an empty float tensor when omitted.
        requires_grad: whether the parameter requires gradient (default True).
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        _init(self, _array(data), None, False)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _repr(self)


class Buffer(Tensor):
    """A tensor that is a module buffer (state that is not a parameter, such as running statistics).

    Assigned as a Module attribute it is registered as ``register_buffer`` would; it then is an
    ordinary tensor in the module.

    Args:
        data: the value (a Tensor).
        persistent: whether the buffer is part of ``state_dict()``.
    """

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True):
        _init(self, _array(data), None, False)
        self.persistent = persistent
