"""Pooling layers: max, average and adaptive average/max pooling (vectorised over all windows)."""

from __future__ import annotations

from morch.nn import functional as F
from morch.nn._util import ntuple
from morch.nn.module import Module
from morch.tensor import Tensor


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
