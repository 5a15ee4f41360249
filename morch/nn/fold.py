"""Rearranging layers: Unfold / Fold (im2col and its adjoint), PixelShuffle / PixelUnshuffle and
ChannelShuffle, with the functions ``pixel_shuffle``, ``pixel_unshuffle`` and ``channel_shuffle``.

The shuffles are a reshape, a permute and a reshape, so their gradients (of any order) come from
those ops; Unfold and Fold use the Im2Col / Col2Im ops behind ``F.unfold`` and ``F.fold``.
"""

from __future__ import annotations

from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError
from morch.nn.module import Module
from morch.tensor import Tensor


def _check_factor(factor: int, name: str, what: str) -> int:
    if int(factor) != factor or factor <= 0:
        raise ValueError(f"{name} expects a positive {what}, but got {factor}")
    return int(factor)


@deferrable
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), r = upscale_factor (sub-pixel convolution).

    Args:
        input: a tensor with at least 3 dims.
        upscale_factor: r.
    """
    r = _check_factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.ndim < 3:
        raise InputError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                         f"{input.ndim} dimension(s)")  # fmt: skip
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise InputError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                         f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")  # fmt: skip
    b = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


@deferrable
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W), r = downscale_factor: pixel_shuffle's inverse.

    Args:
        input: a tensor with at least 3 dims.
        downscale_factor: r; must divide the height and the width.
    """
    r = _check_factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if input.ndim < 3:
        raise InputError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                         f"{input.ndim} dimension(s)")  # fmt: skip
    *lead, c, h, w = input.shape
    for what, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise InputError(f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                             f"input.size({d})={size} is not divisible by {r}")  # fmt: skip
    b = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)  # (*, C, r, r, H, W)
    return x.reshape(*lead, c * r * r, h // r, w // r)


@deferrable
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels (dim 1) of (N, C, *) input: view them as (groups, C / groups), transpose.

    Args:
        input: a tensor with more than 2 dims.
        groups: the number of groups; must divide C.
    """
    if groups <= 0:
        raise ValueError(f"channel_shuffle: Number of groups to divide channels in must be positive. "
                         f"Value of groups:{groups}")  # fmt: skip
    if input.ndim <= 2:
        raise InputError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                         f"{list(input.shape)}")  # fmt: skip
    n, c, *rest = input.shape
    if c % groups:
        raise InputError(f"channel_shuffle: Number of channels must be divisible by groups. Got {c} channels and "
                         f"{groups} groups.")  # fmt: skip
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)


for _f in (pixel_shuffle, pixel_unshuffle, channel_shuffle):
    _f.replayable = True  # they read only shapes


class PixelShuffle(Module):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), r = upscale_factor.

    Args:
        upscale_factor: r.
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W), r = downscale_factor.

    Args:
        downscale_factor: r.
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of (N, C, *) input in ``groups`` groups (as in ShuffleNet).

    Args:
        groups: the number of groups; must divide C.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class Unfold(Module):
    """Extract sliding windows: (N, C, H, W) -> (N, C * kH * kW, L), L the number of windows (im2col).

    Args:
        kernel_size: window size (int or pair).
        dilation: spacing of the window taps.
        padding: zeros added on each side.
        stride: step between windows.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")  # fmt: skip


class Fold(Module):
    """Sum sliding windows back into an image (col2im, Unfold's adjoint): (N, C * kH * kW, L) -> (N, C, H, W).

    Args:
        output_size: (H, W) of the result (int or pair).
        kernel_size: window size.
        dilation: spacing of the window taps.
        padding: padding that Unfold would have added.
        stride: step between windows.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")  # fmt: skip
