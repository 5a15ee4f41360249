"""Convolution layers: Conv1d and Conv2d (im2col and a matrix product per chunk of images: ops.nn.Conv2d),
and the transposed ConvTranspose1d and ConvTranspose2d (a convolution's input gradient: ops.nn.Conv2dInputGrad)."""

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
    """What Conv1d and Conv2d (and the transposed layers) share: arguments, parameters, initialisation and repr."""

    _nd = 2
    transposed = False  # transposed layers keep their weight as (in_channels, out_channels / groups, *kernel)

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
        self.groups, self.padding_mode = groups, padding_mode
        # F.pad's order (last dim first, before and after) for padding modes other than zeros
        pads = F._conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, nd, type(self).__name__)
        self._reversed_padding_repeated_twice = [v for pair in reversed(pads) for v in pair]
        wshape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(_wrap(_empty(*wshape, *self.kernel_size, dtype=dtype)))
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
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
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


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: PyTorch's argument order, output_padding and output_size."""

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:  # fmt: skip
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        if isinstance(padding, str):
            raise TypeError(f"{name}: padding must be an int or a tuple of {self._nd} ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)  # fmt: skip
        self.output_padding = ntuple(output_padding, self._nd, "output_padding")

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The output_padding that gives ``output_size`` (spatial sizes, optionally preceded by the
        batch and channel sizes), which must lie within one stride of the smallest output."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        lead = input.ndim - nd  # 2 for a batch, 1 for one sample
        size = [int(v) for v in output_size]
        if len(size) == lead + nd:
            size = size[lead:]
        if len(size) != nd:
            raise ValueError(
                f"{self._one_line()}: for {input.ndim}-D input, output_size must have {nd} or {lead + nd} "
                f"elements, got {tuple(output_size)}"
            )
        spatial = tuple(input.shape[-nd:])
        low = [
            (i - 1) * s - 2 * p + d * (k - 1) + 1
            for i, s, p, d, k in zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)
        ]
        high = [m + s - 1 for m, s in zip(low, self.stride)]
        if any(not lo <= v <= hi for v, lo, hi in zip(size, low, high)):
            raise ValueError(
                f"{self._one_line()}: requested an output size of {tuple(size)}, but valid sizes range from "
                f"{tuple(low)} to {tuple(high)} (for an input of spatial size {spatial})"
            )
        return tuple(v - lo for v, lo in zip(size, low))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if not isinstance(input, Tensor):
            raise _not_a_tensor(self, input)
        output_padding = self._output_padding(input, output_size)
        return F._conv_transpose(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                 self.groups, self.dilation, self._nd, self)  # fmt: skip


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) or (C_in, L) input, giving (N, C_out, L_out) with
    L_out = (L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1: the
    gradient of a Conv1d with respect to its input. ``forward(input, output_size=None)`` picks the
    output_padding that gives ``output_size`` instead, as in PyTorch.

    weight (in_channels, out_channels / groups, kernel_size) and bias (out_channels,) are initialised
    as in PyTorch: U(-1/sqrt(k), 1/sqrt(k)), k = out_channels / groups * kernel_size.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel length.
        stride: stride of the convolution this is the gradient of.
        padding: that convolution's padding (an int): dilation * (kernel_size - 1) - padding zeros
            are effectively added to both sides of the input.
        output_padding: extra length added at the end of the output (smaller than stride or dilation).
        groups: independent channel groups (in_channels and out_channels must be divisible by it).
        bias: learn an additive bias.
        dilation: spacing of the kernel taps.
        padding_mode: only 'zeros', as in PyTorch.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution ("deconvolution") over (N, C_in, H, W) or (C_in, H, W) input, giving
    (N, C_out, H_out, W_out) with H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) +
    output_padding + 1 (likewise W_out): the gradient of a Conv2d with respect to its input.
    ``forward(input, output_size=None)`` picks the output_padding that gives ``output_size``
    (e.g. the size of the input of the Conv2d being inverted) instead, as in PyTorch.

    weight (in_channels, out_channels / groups, kH, kW) and bias (out_channels,) are initialised as
    in PyTorch: U(-1/sqrt(k), 1/sqrt(k)), k = out_channels / groups * kH * kW.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel size (int or pair).
        stride: stride of the convolution this is the gradient of (int or pair).
        padding: that convolution's padding (int or pair): dilation * (kernel_size - 1) - padding
            zeros are effectively added to each side of the input.
        output_padding: extra rows and columns added at the bottom and right of the output (int or
            pair, smaller than stride or dilation).
        groups: independent channel groups (in_channels and out_channels must be divisible by it).
        bias: learn an additive bias.
        dilation: spacing of the kernel taps (int or pair).
        padding_mode: only 'zeros', as in PyTorch.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 2


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input (``F.conv3d``: strided views
    and an einsum, differentiable to any order; memory grows with the kernel volume).

    weight (out_channels, in_channels / groups, kD, kH, kW) and bias (out_channels,) are
    initialised as in PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel size (int or triple).
        stride: step between windows (int or triple).
        padding: padding on each side (int or triple), 'valid' or 'same'.
        dilation: spacing of the kernel taps (int or triple).
        groups: independent channel groups.
        bias: learn an additive bias.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise _not_a_tensor(self, input)
        padding = self.padding
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        return F.conv3d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
