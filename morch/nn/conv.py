"""Convolution layers: Conv1d and Conv2d (im2col and a matrix product per chunk of images: ops.nn.Conv2d)."""

from __future__ import annotations

import math

from morch.nn import functional as F
from morch.nn import init
from morch.nn._util import ntuple
from morch.nn.linear import _check_device, _empty, _not_a_tensor
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _wrap

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, initialisation and repr."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size")
        self.stride = ntuple(stride, nd, "stride")
        self.dilation = ntuple(dilation, nd, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, nd, "padding")
        self.output_padding = (0,) * nd
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, False
        # F.pad's order (last dim first, before and after) for padding modes other than zeros
        pads = F._conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, nd, type(self).__name__)
        self._reversed_padding_repeated_twice = [v for pair in reversed(pads) for v in pair]
        self.weight = Parameter(_wrap(_empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)))
        if bias:
            self.bias = Parameter(_wrap(_empty(out_channels, dtype=dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from PyTorch's defaults: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise _not_a_tensor(self, input)
        padding = self.padding
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        return F._conv(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, self._nd, self)

    def extra_repr(self) -> str:
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) or (C_in, L) input, giving (N, C_out, L_out).

    weight (out_channels, in_channels / groups, kernel_size) and bias (out_channels,) are
    initialised as in PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kernel_size.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel length.
        stride: step between windows.
        padding: zeros added on both sides: an int, 'valid' or 'same'.
        dilation: spacing of the kernel taps.
        groups: independent channel groups (in_channels and out_channels must be divisible by it).
        bias: learn an additive bias.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 1


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W) input, giving (N, C_out, H_out, W_out).

    weight (out_channels, in_channels / groups, kH, kW) and bias (out_channels,) are initialised
    as in PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kH * kW.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel size (int or pair).
        stride: step between windows (int or pair).
        padding: padding on each side (int or pair), 'valid' or 'same'.
        dilation: spacing of the kernel taps (int or pair).
        groups: independent channel groups (in_channels and out_channels must be divisible by it).
        bias: learn an additive bias.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 2
