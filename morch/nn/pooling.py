"""Pooling layers: max, average, power-average (LPPool) and adaptive average/max pooling (vectorised
over all windows), with the functions ``lp_pool1d``, ``lp_pool2d`` and ``adaptive_max_pool1d``."""

from __future__ import annotations

import math

import numpy as np

from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, ntuple, shape_str, who
from morch.nn.module import Module
from morch.tensor import Tensor, _wrap


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return F._max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                           self.return_indices, self._nd, self)  # fmt: skip

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")  # fmt: skip


class MaxPool1d(_MaxPoolNd):
    """Max over windows of the last dim of (N, C, L) or (C, L) input.

    Args:
        kernel_size: window length.
        stride: step between windows (defaults to kernel_size).
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: spacing of the window taps.
        return_indices: also return the index of each maximum.
        ceil_mode: round the output length up.
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over windows of the last two dims of (N, C, H, W) or (C, H, W) input.

    Args:
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        padding: implicit -inf padding on each side (at most half the kernel).
        dilation: spacing of the window taps.
        return_indices: also return the flat index (y * W + x) of each maximum (for unpooling).
        ceil_mode: round the output size up.
    """

    _nd = 2


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:  # fmt: skip
        super().__init__()
        if self._nd == 1:  # PyTorch keeps AvgPool1d's arguments as 1-tuples
            kernel_size = ntuple(kernel_size, 1, "kernel_size")
            stride = ntuple(stride if stride is not None else kernel_size, 1, "stride")
            padding = ntuple(padding, 1, "padding")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F._avg_pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                           self.divisor_override, self._nd, self)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of the last dim of (N, C, L) or (C, L) input.

    Args:
        kernel_size: window length.
        stride: step between windows (defaults to kernel_size).
        padding: implicit zero padding on both sides.
        ceil_mode: round the output length up.
        count_include_pad: count the padding zeros in the divisor.
    """

    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:  # fmt: skip
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of the last two dims of (N, C, H, W) or (C, H, W) input.

    Args:
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        padding: implicit zero padding on each side (at most half the kernel).
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the divisor.
        divisor_override: divide by this instead of the window size.
    """

    _nd = 2


class AdaptiveAvgPool1d(Module):
    """Average pooling of (N, C, L) or (C, L) input to a fixed output length.

    Args:
        output_size: the output length.
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F._adaptive_avg(input, self.output_size, 1, self)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Average pooling of (N, C, H, W) or (C, H, W) input to a fixed output size (windows as PyTorch's).

    Args:
        output_size: an int or a pair; None in the pair keeps that input size.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F._adaptive_avg(input, self.output_size, 2, self)


class AdaptiveMaxPool2d(Module):
    """Max pooling of (N, C, H, W) or (C, H, W) input to a fixed output size.

    Args:
        output_size: an int or a pair; None in the pair keeps that input size.
        return_indices: also return the flat index of each maximum.
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


@deferrable
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) input to a fixed output length (adaptive_avg_pool1d's windows).

    Args:
        input: the input.
        output_size: the output length (an int, or a 1-tuple; None keeps the input length).
        return_indices: also return the index of each maximum.
    """
    if input.ndim not in (2, 3):
        raise InputError(f"adaptive_max_pool1d: expected input of shape (N, C, L) or (C, L), got shape "
                         f"{shape_str(input)}")  # fmt: skip
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 1:
            raise ValueError(f"adaptive_max_pool1d: output_size must be an int or a 1-tuple, got {output_size!r}")
        output_size = output_size[0]
    if not return_indices:
        return F.adaptive_max_pool2d(input.unsqueeze(-2), (1, output_size)).squeeze(-2)
    size = input.shape[-1]
    o = size if output_size is None else int(output_size)
    if o <= 0:
        raise ValueError(f"adaptive_max_pool1d: output_size must be positive, got {output_size!r}")
    # windows of unequal length, each padded to the longest by repeating its last index
    starts, ends = (np.arange(o) * size) // o, -(-(np.arange(1, o + 1) * size) // o)
    win = np.minimum(starts[:, None] + np.arange(int((ends - starts).max())), ends[:, None] - 1)
    vals = input._data[..., win]  # (..., o, longest window)
    best = np.take_along_axis(np.broadcast_to(win, vals.shape), vals.argmax(-1)[..., None], -1)[..., 0]
    idx = _wrap(best.astype(np.int64))
    return _mf.gather(input, -1, idx), idx


@deferrable
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd: int, name) -> Tensor:
    if norm_type == math.inf or norm_type == -math.inf:
        mp = F.max_pool1d if nd == 1 else F.max_pool2d
        sign = 1 if norm_type > 0 else -1
        return mp(input.abs() * sign, kernel_size, stride, 0, 1, ceil_mode) * sign
    if norm_type == 0:
        raise ValueError(f"{who(name)}: norm_type must not be 0")
    if nd == 1:
        k = ntuple(kernel_size, 1, "kernel_size")
        out = F._avg_pool(input**norm_type, k, stride, 0, ceil_mode, True, None, 1, name)
    else:
        k = ntuple(kernel_size, 2, "kernel_size")
        out = F._avg_pool(input**norm_type, k, stride, 0, ceil_mode, True, None, 2, name)
    # sign(out) * relu(|out|), as PyTorch writes it, so that the gradient at 0 matches
    return ((_mf.sign(out) * _mf.relu(_mf.abs(out))) * float(np.prod(k))) ** (1.0 / norm_type)


@deferrable
def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling of (N, C, L) or (C, L) input: (sum over each window of x^p)^(1/p).

    p = inf gives max pooling of |x|. As in PyTorch, x^p of a negative x with a fractional p is nan.

    Args:
        input: the input.
        norm_type: p.
        kernel_size: window length.
        stride: step between windows (defaults to kernel_size).
        ceil_mode: round the output length up.
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


@deferrable
def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling of (N, C, H, W) or (C, H, W) input: (sum over each window of x^p)^(1/p).

    p = inf gives max pooling of |x|. As in PyTorch, x^p of a negative x with a fractional p is nan.

    Args:
        input: the input.
        norm_type: p.
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        ceil_mode: round the output size up.
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


for _f in (lp_pool1d, lp_pool2d):
    _f.replayable = True  # they read only shapes (adaptive_max_pool1d's indices read values)


class AdaptiveMaxPool1d(Module):
    """Max pooling of (N, C, L) or (C, L) input to a fixed output length.

    Args:
        output_size: the output length.
        return_indices: also return the index of each maximum.
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")  # fmt: skip


class LPPool1d(_LPPoolNd):
    """Power-average pooling of (N, C, L) or (C, L) input: (sum over each window of x^p)^(1/p).

    Args:
        norm_type: p (inf gives max pooling of |x|).
        kernel_size: window length.
        stride: step between windows (defaults to kernel_size).
        ceil_mode: round the output length up.
    """

    _fn = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling of (N, C, H, W) or (C, H, W) input: (sum over each window of x^p)^(1/p).

    Args:
        norm_type: p (inf gives max pooling of |x|).
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        ceil_mode: round the output size up.
    """

    _fn = staticmethod(lp_pool2d)


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        nd = self._nd
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size")
        self.stride = ntuple(stride if stride is not None else kernel_size, nd, "stride")
        self.padding = ntuple(padding, nd, "padding")

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        fn = F.max_unpool1d if self._nd == 1 else F.max_unpool2d
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d: ``forward(input, indices, output_size=None)`` writes each
    value back at its recorded index, zeros elsewhere.

    Args:
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d: ``forward(input, indices, output_size=None)`` writes each
    value back at its recorded index, zeros elsewhere.

    Args:
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
    """


class MaxPool3d(_MaxPoolNd):
    """Max over 3-d windows of (N, C, D, H, W) or (C, D, H, W) input (``F.max_pool3d``).

    Args:
        kernel_size: window size (int or triple).
        stride: step between windows (defaults to kernel_size).
        padding: implicit -inf padding on each side (at most half the kernel).
        dilation: spacing of the window taps.
        return_indices: also return the flat index of each maximum.
        ceil_mode: round the output size up.
    """

    _nd = 3

    def forward(self, input: Tensor):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)  # fmt: skip


class AvgPool3d(_AvgPoolNd):
    """Mean over 3-d windows of (N, C, D, H, W) or (C, D, H, W) input (``F.avg_pool3d``: no ceil_mode in morch).

    Args:
        kernel_size: window size (int or triple).
        stride: step between windows (defaults to kernel_size).
        padding: implicit zero padding on each side.
        ceil_mode: must be False.
        count_include_pad: count the padding zeros in the divisor.
        divisor_override: divide by this instead of the window size.
    """

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)  # fmt: skip
