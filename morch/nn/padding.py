"""Padding layers: constant (ZeroPad, ConstantPad), reflection, replication and circular padding of
the last one or two dims, each a thin module over ``F.pad``."""

from __future__ import annotations

from morch.nn import functional as F
from morch.nn._util import InputError, shape_str
from morch.nn.module import Module
from morch.tensor import Tensor


def _padding(padding, nd: int, cls: str) -> tuple:
    """PyTorch's padding argument: an int pads every side, else one (left, right[, top, bottom]) per side."""
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    pads = tuple(int(p) for p in padding)
    if len(pads) != 2 * nd:
        raise ValueError(f"{cls}: padding must be an int or a tuple of {2 * nd} ints, got {padding!r}")
    return pads


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(padding, self._nd, type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        if self._mode != "constant" and input._data is not None and input.ndim not in (self._nd + 1, self._nd + 2):
            dims = "(C, W) or (N, C, W)" if self._nd == 1 else "(C, H, W) or (N, C, H, W)"
            raise InputError(f"{self._one_line()}: expected input of shape {dims}, got shape {shape_str(input)}")
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant.

    Args:
        padding: an int for both sides, or (left, right); negative values crop.
        value: the fill value.
    """


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant.

    Args:
        padding: an int for every side, or (left, right, top, bottom); negative values crop.
        value: the fill value.
    """

    _nd = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    Args:
        padding: an int for both sides, or (left, right); negative values crop.
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros.

    Args:
        padding: an int for every side, or (left, right, top, bottom); negative values crop.
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim of (N, C, W) or (C, W) input with its mirror image, the edge not repeated.

    Args:
        padding: an int for both sides, or (left, right); each smaller than the input width.
    """

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims of (N, C, H, W) or (C, H, W) input with their mirror image, the edge not repeated.

    Args:
        padding: an int for every side, or (left, right, top, bottom); each smaller than that input size.
    """

    _nd, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim of (N, C, W) or (C, W) input by repeating its edge values.

    Args:
        padding: an int for both sides, or (left, right).
    """

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims of (N, C, H, W) or (C, H, W) input by repeating the edge values.

    Args:
        padding: an int for every side, or (left, right, top, bottom).
    """

    _nd, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim of (N, C, W) or (C, W) input by wrapping around (periodic boundary).

    Args:
        padding: an int for both sides, or (left, right); at most the input width.
    """

    _mode = "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dims of (N, C, H, W) or (C, H, W) input by wrapping around (periodic boundary).

    Args:
        padding: an int for every side, or (left, right, top, bottom); at most that input size.
    """

    _nd, _mode = 2, "circular"
