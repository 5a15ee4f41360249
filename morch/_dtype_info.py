"""``finfo``, ``iinfo`` and the public promotion queries (``promote_types``, ``result_type``,
``can_cast``), answered with morch's promotion rules (``dtypes.promote_types``)."""

from __future__ import annotations

import numpy as np

from morch import dtypes
from morch.tensor import Tensor

__all__ = ["finfo", "iinfo", "promote_types", "result_type", "can_cast"]


class finfo:
    """Machine limits of a floating-point dtype, as ``torch.finfo`` (the default dtype if none given).

    Args:
        type: a morch floating-point dtype.
    """

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        d = dtypes.get_default_dtype() if type is None else type
        nd = dtypes.to_numpy(d)
        if nd.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle '{d}'")
        info = np.finfo(nd)
        self.bits, self.eps, self.resolution = info.bits, float(info.eps), 10.0**-info.precision
        self.max, self.min = float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.dtype = nd.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``.

    Args:
        type: a morch integer (or bool) dtype.
    """

    def __init__(self, type):  # noqa: A002 - PyTorch's argument name
        nd = dtypes.to_numpy(type)
        if nd.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type}'")
        info = np.iinfo(np.uint8 if nd.kind == "b" else nd)
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)
        if nd.kind == "b":
            self.bits, self.max, self.min = 8, 1, 0
        self.dtype = nd.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def promote_types(type1, type2):
    """The dtype an op between tensors of these two dtypes gives.

    Args:
        type1: a dtype.
        type2: a dtype.
    """
    return dtypes.from_numpy(dtypes.promote_types(dtypes.to_numpy(type1), False, dtypes.to_numpy(type2), False))


def result_type(tensor1, tensor2):
    """The dtype of an arithmetic op between two tensors or numbers (0-d tensors and numbers are weak).

    Args:
        tensor1: a tensor or a number.
        tensor2: a tensor or a number.
    """
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
        a, b = tensor1._data, tensor2._data
        return dtypes.from_numpy(dtypes.promote_types(a.dtype, a.ndim == 0, b.dtype, b.ndim == 0))
    if isinstance(tensor1, Tensor):
        return dtypes.from_numpy(dtypes.promote_scalar(tensor1._data.dtype, tensor2))
    if isinstance(tensor2, Tensor):
        return dtypes.from_numpy(dtypes.promote_scalar(tensor2._data.dtype, tensor1))
    from morch.creation import tensor

    return result_type(tensor(tensor1), tensor(tensor2))


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to become ``to`` in an in-place op: never
    to a lower category (float -> int, int -> bool).

    Args:
        from_: the source dtype.
        to: the target dtype.
    """
    return dtypes.category(dtypes.to_numpy(from_)) <= dtypes.category(dtypes.to_numpy(to))
