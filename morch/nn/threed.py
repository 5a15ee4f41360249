"""3-d layers and the pooling variants that pick each window's maximum by index.

- adaptive 3-d pooling (``adaptive_avg_pool3d``, ``adaptive_max_pool3d``), 3-d padding layers,
  ``InstanceNorm3d``, ``lp_pool3d``, ``max_unpool3d``;
- ``max_pool3d_with_indices`` (``max_pool3d(return_indices=True)`` and ``MaxPool3d(return_indices=True)``
  go there) and fractional max pooling (``fractional_max_pool2d/3d``): the windows are index arrays,
  each window's first maximum (the last NaN, if any, as PyTorch's kernels) is found in numpy, and a
  ``gather`` of the input at those indices gives the output, so the gradient goes to that element;
- ``conv_transpose3d`` / ``ConvTranspose3d``: the adjoint of ``conv3d``, computed as a stride-1
  ``conv3d`` of the input with zeros inserted between its elements, padded, with the kernel flipped;
- LazyConvTranspose3d and LazyInstanceNorm3d (beside their layers), and the lazy layers of
  morch.nn.lazy that complete the family (LazyConv3d, LazyConvTranspose1d/2d, LazyBatchNorm3d,
  LazyInstanceNorm1d/2d, UninitializedBuffer), re-exported from here.
"""

from __future__ import annotations

import math

import numpy as np

from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.creation import rand
from morch.nn import functional as F
from morch.nn._util import InputError, InputTypeError, ntuple, shape_str, who
from morch.nn.conv import _ConvTransposeNd
from morch.nn.lazy import (
    LazyBatchNorm3d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    UninitializedBuffer,
    _LazyConvTranspose,
    _LazyInstanceNorm,
)
from morch.nn.linear import _not_a_tensor
from morch.nn.module import Module
from morch.nn.normalization import _InstanceNorm
from morch.nn.padding import ZeroPad2d, _ConstantPadNd, _PadNd
from morch.nn.pooling import _LPPoolNd, _MaxUnpoolNd
from morch.ops import nn as N
from morch.tensor import Tensor, _wrap

# layer classes, exported from morch.nn
__all__: list[str] = [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d",
    "CircularPad3d", "InstanceNorm3d", "LPPool3d", "MaxUnpool3d", "ConvTranspose3d", "FractionalMaxPool2d",
    "FractionalMaxPool3d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "UninitializedBuffer",
]  # fmt: skip
# functions, exported from morch.nn.functional
FUNCTIONS: list[str] = [
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "lp_pool3d", "max_unpool3d",
    "max_pool3d_with_indices", "conv_transpose3d", "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices", "fractional_max_pool3d", "fractional_max_pool3d_with_indices",
]  # fmt: skip


# ====================================================================== maxima of index windows
def _flat_windows(positions: list, spatial: tuple) -> tuple:
    """Flat indices of pooling windows into the flattened spatial dims.

    Args:
        positions: per spatial dim, an int array (N or 1, C or 1, out_i, k_i): the coordinates that
            window j of that dim covers (outside [0, size) for padding).
        spatial: the input's spatial sizes.

    Returns:
        flat (N|1, C|1, prod(out), K) indices (clipped into the input) and the matching mask of
        coordinates inside the input; window elements are in scan order (first dim outermost).
    """
    nd = len(positions)
    flat, valid, step = np.zeros((), np.int64), np.ones((), bool), 1
    for i in reversed(range(nd)):
        pos = positions[i]
        shape = list(pos.shape[:2]) + [1] * (2 * nd)
        shape[2 + i], shape[2 + nd + i] = pos.shape[2], pos.shape[3]
        pos = pos.reshape(shape)
        flat = flat + np.clip(pos, 0, spatial[i] - 1) * step
        valid = valid & (pos >= 0) & (pos < spatial[i])
        step *= spatial[i]
    lead = flat.shape[:2]
    out = int(np.prod(flat.shape[2 : 2 + nd]))
    return flat.reshape(*lead, out, -1), np.broadcast_to(valid, flat.shape).reshape(*lead, out, -1)


def _window_max(x: Tensor, positions: list) -> tuple:
    """Each window's maximum of x (N, C, *spatial) and its flat index (torch's indices).

    The first maximum in scan order wins; a window with NaNs gives its last NaN, as PyTorch's CPU
    kernels do. The values are a gather at those indices, so the gradient goes to that element only.
    """
    n, c = x.shape[:2]
    spatial = tuple(x.shape[2:])
    out_shape = tuple(p.shape[2] for p in positions)
    flat, valid = _flat_windows(positions, spatial)
    xa = x._data.reshape(n, c, -1)
    vals = np.take_along_axis(xa, flat.reshape(flat.shape[0], flat.shape[1], -1), -1).reshape(n, c, *flat.shape[2:])
    if not valid.all():
        vals = np.where(valid, vals, N._lowest(vals.dtype))
    arg = vals.argmax(-1) if vals.shape[-1] else np.zeros(vals.shape[:-1], np.int64)
    if vals.dtype.kind == "f":
        nan = np.isnan(vals)
        if nan.any():
            arg = np.where(nan.any(-1), vals.shape[-1] - 1 - nan[..., ::-1].argmax(-1), arg)
    idx = np.take_along_axis(np.broadcast_to(flat, vals.shape), arg[..., None], -1)[..., 0]
    idx_t = _wrap(idx)
    out = _mf.gather(x.reshape(n, c, -1), -1, idx_t) if idx.size else _wrap(np.zeros(idx.shape, xa.dtype))
    return out.reshape(n, c, *out_shape), idx_t.reshape(n, c, *out_shape)


def _as_positions(per_dim: list) -> list:
    """(out_i, k_i) window coordinates shared by every sample and channel, as _flat_windows takes them."""
    return [p.reshape(1, 1, *p.shape) for p in per_dim]


# ====================================================================== max pooling with indices
def _pool_windows(spatial, kernel, stride, padding, dilation, ceil_mode, name) -> list:
    """The (out, k) coordinates of every max-pooling window per dim (ceil mode: the output rounded up)."""
    if min(kernel + stride + dilation) <= 0 or min(padding) < 0:
        raise ValueError(f"{who(name)}: kernel size, stride and dilation must be positive and padding >= 0, got "
                         f"kernel_size={kernel}, stride={stride}, dilation={dilation}, padding={padding}")  # fmt: skip
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(
            f"{who(name)}: pad should be at most half of effective kernel size, but got pad={padding}, "
            f"kernel_size={kernel}"
        )
    out = [N._pool_size(*a, ceil_mode) for a in zip(spatial, kernel, stride, padding, dilation)]
    if min(out) <= 0:
        raise InputError(
            f"{who(name)}: output size would be {tuple(out)}: the input {tuple(spatial)} (padding {padding}) is "
            f"too small for kernel {kernel} with dilation {dilation}"
        )
    return [
        np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
        for o, k, s, p, d in zip(out, kernel, stride, padding, dilation)
    ]


@deferrable
def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):  # fmt: skip
    """The maximum over each 3-d window and its flat index (d * H * W + h * W + w) in the input.

    The first maximum of a window (in d, h, w order) gets the gradient, as in PyTorch.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        kernel_size: the window (int or triple).
        stride: the step (default kernel_size).
        padding: -inf padding on each side (at most half the kernel).
        dilation: spacing of the window taps.
        ceil_mode: round the output size up (the last window may run past the input).
        return_indices: ignored (the indices are always returned).
    """
    x, unbatched = F._batched(input, 3, "max_pool3d_with_indices")
    k, s, p, d = F._pool_args(kernel_size, stride, padding, dilation, 3)
    wins = _pool_windows(tuple(x.shape[2:]), k, s, p, d, ceil_mode, "max_pool3d_with_indices")
    out, idx = _window_max(x, _as_positions(wins))
    return F._unbatched(out, unbatched), F._unbatched(idx, unbatched)


# ====================================================================== adaptive 3-d pooling
def _adaptive_windows(size: int, out: int) -> np.ndarray:
    """(out, longest) coordinates of PyTorch's adaptive windows floor(i*size/out) .. ceil((i+1)*size/out)-1,
    shorter windows padded by repeating their last coordinate (which changes no maximum)."""
    starts, ends = (np.arange(out) * size) // out, -(-(np.arange(1, out + 1) * size) // out)
    return np.minimum(starts[:, None] + np.arange(int((ends - starts).max())), ends[:, None] - 1)


@deferrable
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed output size; window i of a dim
    spans floor(i*size/out) to ceil((i+1)*size/out) - 1.

    Args:
        input: the input.
        output_size: an int or a triple (None keeps that input size).
        return_indices: also return the flat index (d * H * W + h * W + w) of each maximum.
    """
    x, unbatched = F._batched(input, 3, "adaptive_max_pool3d")
    spatial = tuple(x.shape[2:])
    out_size = F._adaptive_size(output_size, spatial, 3)
    out, idx = _window_max(x, _as_positions([_adaptive_windows(s, o) for s, o in zip(spatial, out_size)]))
    out = F._unbatched(out, unbatched)
    return (out, F._unbatched(idx, unbatched)) if return_indices else out


@deferrable
def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool3d(..., return_indices=True)``."""
    return adaptive_max_pool3d(input, output_size, True)


@deferrable
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed output size, with
    adaptive_max_pool3d's windows: one product with a constant averaging matrix per resized dim.

    Args:
        input: the input.
        output_size: an int or a triple (None keeps that input size).
    """
    F._batched(input, 3, "adaptive_avg_pool3d")
    if not F._float_dtype(input):
        raise InputTypeError(f"adaptive_avg_pool3d: expected a floating-point input, got {input.dtype}")
    spatial = tuple(input.shape[-3:])
    out_size = F._adaptive_size(output_size, spatial, 3)
    if all(o == 1 for o in out_size):
        return input.mean((-3, -2, -1), keepdim=True)
    y = input
    for dim, size, o in zip((-3, -2, -1), spatial, out_size):
        if size != o:
            avg = F._const(F._adaptive_matrix(size, o, input._data.dtype).T)
            y = _mf.matmul(y.movedim(dim, -1), avg).movedim(-1, dim)
    return y


class AdaptiveAvgPool3d(Module):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed output size.

    Args:
        output_size: an int or a triple; None in the triple keeps that input size.
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(AdaptiveAvgPool3d):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed output size.

    Args:
        output_size: an int or a triple; None in the triple keeps that input size.
        return_indices: also return the flat index of each maximum.
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)


# ====================================================================== padding
class _Pad3d(_PadNd):
    """Reflection, replication and circular padding of the last three dims (F.pad checks the input)."""

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant.

    Args:
        padding: an int for every side, or (left, right, top, bottom, front, back); negative values crop.
        value: the fill value.
    """

    _nd = 3


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros.

    Args:
        padding: an int for every side, or (left, right, top, bottom, front, back); negative values crop.
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = ZeroPad2d.extra_repr


class ReflectionPad3d(_Pad3d):
    """Pad the last three dims of (N, C, D, H, W) or (C, D, H, W) input with their mirror image, the edge
    not repeated.

    Args:
        padding: an int for every side, or (left, right, top, bottom, front, back); each smaller than
            that input size.
    """

    _mode = "reflect"


class ReplicationPad3d(_Pad3d):
    """Pad the last three dims of (N, C, D, H, W) or (C, D, H, W) input by repeating the edge values.

    Args:
        padding: an int for every side, or (left, right, top, bottom, front, back).
    """

    _mode = "replicate"


class CircularPad3d(_Pad3d):
    """Pad the last three dims of (N, C, D, H, W) or (C, D, H, W) input by wrapping around.

    Args:
        padding: an int for every side, or (left, right, top, bottom, front, back); at most that input size.
    """

    _mode = "circular"


# ====================================================================== instance norm, LP pooling, unpooling
class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input: each channel of each sample
    over D, H and W (arguments and defaults as InstanceNorm2d: affine and track_running_stats False).

    Args:
        num_features: C.
        eps, momentum, affine, track_running_stats, device, dtype, bias: as InstanceNorm2d.
    """

    _nd = 3


@deferrable
def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """lp_pool2d over 3-d windows of (N, C, D, H, W) or (C, D, H, W) input: (sum of x^p)^(1/p), p = inf
    the maximum of |x|.

    Args:
        input: the input.
        norm_type: p.
        kernel_size: window size (int or triple).
        stride: step between windows (defaults to kernel_size).
        ceil_mode: round the output size up (only for p = inf in morch).
    """
    if norm_type in (math.inf, -math.inf):
        sign = 1 if norm_type > 0 else -1
        return max_pool3d_with_indices(input.abs() * sign, kernel_size, stride, 0, 1, ceil_mode)[0] * sign
    if norm_type == 0:
        raise ValueError("lp_pool3d: norm_type must not be 0")
    k = ntuple(kernel_size, 3, "kernel_size")
    out = F.avg_pool3d(input**norm_type, k, stride, 0, ceil_mode)
    # sign(out) * relu(|out|), as PyTorch writes it, so that the gradient at 0 matches
    return ((_mf.sign(out) * _mf.relu(_mf.abs(out))) * float(np.prod(k))) ** (1.0 / norm_type)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-d windows (``lp_pool3d``).

    Args:
        norm_type, kernel_size, stride, ceil_mode: as lp_pool3d.
    """

    _fn = staticmethod(lp_pool3d)


@deferrable
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: each value written back at its recorded index, zeros elsewhere.

    Args:
        input: the pooled values (N, C, D, H, W) or (C, D, H, W).
        indices: max_pool3d's indices (flat d * H * W + h * W + w).
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
        output_size: the size to restore (default from the other arguments).
    """
    F._batched(input, 3, "max_unpool3d")
    return F._max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d: ``forward(input, indices, output_size=None)`` writes each
    value back at its recorded index, zeros elsewhere.

    Args:
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
    """

    _nd = 3

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


# ====================================================================== transposed 3-d convolution
def _spread(x: Tensor, dim: int, step: int) -> Tensor:
    """x with step - 1 zeros between neighbours along ``dim`` (length (n - 1) * step + 1)."""
    n = x.shape[dim]
    y = F.pad(x.unsqueeze(dim + 1), [0, 0] * (x.ndim - dim - 1) + [0, step - 1])
    return y.reshape(*x.shape[:dim], n * step, *x.shape[dim + 1 :]).narrow(dim, 0, (n - 1) * step + 1)


@deferrable
def _conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups, dilation, name) -> Tensor:
    if weight.ndim == 5 and (input.ndim not in (4, 5) or input.shape[-4] != weight.shape[0]):
        raise InputError(
            f"{who(name)}: expected input of shape (N, {weight.shape[0]}, D, H, W) or ({weight.shape[0]}, D, H, W) "
            f"for weight of shape {shape_str(weight)}, got shape {shape_str(input)}"
        )
    F._check_conv_transpose_input(input, weight, bias, groups, 3, name)
    kernel = tuple(weight.shape[2:])
    s, p, op, d, _ = F._transposed_geometry(input, kernel, stride, padding, output_padding, dilation, 3, name)
    x, unbatched = F._batched(input, 3, name)
    for i in range(3):
        if s[i] > 1:
            x = _spread(x, 2 + i, s[i])
    # the adjoint of a correlation is a full correlation with the flipped kernel: pad by d * (k - 1) - p
    # (negative: crop) before and that plus output_padding after
    widths = []
    for i in reversed(range(3)):
        lo = d[i] * (kernel[i] - 1) - p[i]
        widths += [lo, lo + op[i]]
    x = F.pad(x, widths)
    cin, cout_g = weight.shape[:2]
    w = weight.reshape(groups, cin // groups, cout_g, *kernel).transpose(1, 2)
    w = w.reshape(groups * cout_g, cin // groups, *kernel).flip((2, 3, 4))
    return F._unbatched(F.conv3d(x, w, bias, 1, 0, d, groups), unbatched)


@deferrable
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:  # fmt: skip
    """3-d transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) input: the gradient of
    conv3d with respect to its input; D_out = (D - 1) * stride - 2 * padding + dilation * (kD - 1) +
    output_padding + 1, and likewise H_out and W_out.

    Computed as a stride-1 conv3d of the input with stride - 1 zeros between its elements (so it is
    differentiable to any order, but does stride^3 times the work of a dedicated kernel).

    Args:
        input: the input.
        weight: (C_in, C_out / groups, kD, kH, kW).
        bias: (C_out,) or None.
        stride: the stride of the convolution this is the gradient of (int or triple).
        padding: that convolution's padding (int or triple; cut from both sides of the output).
        output_padding: extra planes added at the end of each output dim (smaller than stride or dilation).
        groups: split channels into this many independent groups.
        dilation: spacing of the kernel taps (int or triple).
    """
    return _conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups, dilation,
                             "conv_transpose3d")  # fmt: skip


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input (``F.conv_transpose3d``):
    the gradient of a Conv3d with respect to its input. ``forward(input, output_size=None)`` picks the
    output_padding that gives ``output_size`` instead, as in PyTorch.

    weight (in_channels, out_channels / groups, kD, kH, kW) and bias (out_channels,) are initialised
    as in PyTorch: U(-1/sqrt(k), 1/sqrt(k)), k = out_channels / groups * kD * kH * kW.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: kernel size (int or triple).
        stride: stride of the convolution this is the gradient of (int or triple).
        padding: that convolution's padding (int or triple).
        output_padding: extra planes at the end of each output dim (smaller than stride or dilation).
        groups: independent channel groups (in_channels and out_channels must be divisible by it).
        bias: learn an additive bias.
        dilation: spacing of the kernel taps (int or triple).
        padding_mode: only 'zeros', as in PyTorch.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _nd = 3

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if not isinstance(input, Tensor):
            raise _not_a_tensor(self, input)
        output_padding = self._output_padding(input, output_size)
        return _conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                 self.groups, self.dilation, self)  # fmt: skip


# ====================================================================== fractional max pooling
# which of a plane's random samples drives each spatial dim: PyTorch's 2-d kernel reads (W, H), the 3-d one (D, H, W)
_SAMPLE_OF_DIM = {2: (1, 0), 3: (0, 1, 2)}


def _fractional_starts(u: np.ndarray, size: int, out: int, k: int) -> np.ndarray:
    """Window starts of fractional max pooling (Graham, 2014) for samples u (any shape) in [0, 1).

    With alpha = (size - k) / (out - 1), window i < out - 1 starts at int((i + u) * alpha) - int(u * alpha)
    and the last at size - k, computed in u's dtype (float32 for float32 input) as PyTorch does.
    """
    starts = np.full(u.shape + (out,), size - k, dtype=np.int64)
    if out > 1:
        alpha = u.dtype.type(size - k) / u.dtype.type(out - 1)
        i = np.arange(out - 1, dtype=u.dtype)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    return starts


@deferrable
def _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, nd: int, name) -> tuple:
    fname = f"fractional_max_pool{nd}d"
    x, unbatched = F._batched(input, nd, name)
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    k = ntuple(kernel_size, nd, "kernel_size")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fname} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = tuple(output_ratio) if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nd
        if len(ratio) != nd:
            raise ValueError(f"{fname} requires output_ratio to either be a single float or a tuple of {nd} floats")
        output_size = [int(size * r) for size, r in zip(spatial, ratio)]
    out = ntuple(output_size, nd, "output_size")
    if min(k) <= 0 or min(out) < 0:
        raise ValueError(f"{who(name)}: kernel_size must be positive and output_size non-negative, got "
                         f"kernel_size={k}, output_size={out}")  # fmt: skip
    for axis, size, o, kk in zip("DHW"[3 - nd :], spatial, out, k):
        if o + kk - 1 > size:
            raise InputError(
                f"{who(name)}: pool size {kk} too large relative to input size {size} along {axis} for output "
                f"size {o} (needs output_size + kernel_size - 1 <= input size)"
            )
    if _random_samples is None:
        _random_samples = rand(n, c, nd, dtype=x.dtype)
    u = _random_samples._data
    if u.ndim != 3 or u.shape[0] < n or u.shape[1] != c or u.shape[2] != nd:
        raise InputError(f"{who(name)}: expected _random_samples of shape ({n}, {c}, {nd}) (batch, channels, one "
                         f"sample per spatial dim), got {shape_str(_random_samples)}")  # fmt: skip
    if u.dtype != x._data.dtype:
        raise InputTypeError(f"{who(name)}: expected _random_samples of the input's dtype {x.dtype}, got "
                             f"{_random_samples.dtype}")  # fmt: skip
    positions = [
        _fractional_starts(u[:n, :, _SAMPLE_OF_DIM[nd][i]], spatial[i], out[i], k[i])[..., None] + np.arange(k[i])
        for i in range(nd)
    ]
    values, idx = _window_max(x, positions)
    return F._unbatched(values, unbatched), F._unbatched(idx, unbatched)


@deferrable
def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):  # fmt: skip
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input and the flat index (h * W + w) of each maximum.

    Windows of ``kernel_size`` start at pseudo-random, increasing positions (Graham, 2014) drawn from
    one sample in [0, 1) per sample, channel and dim (``_random_samples``, (N, C, 2), else drawn
    from morch's generator); with PyTorch's samples the outputs and indices equal PyTorch's.

    Args:
        input: the input.
        kernel_size: the window (int or pair).
        output_size: the output size (int or pair), or
        output_ratio: the output size as a fraction of the input size (float or pair).
        return_indices: ignored (the indices are always returned).
        _random_samples: the samples (N, C, 2) in the input's dtype: [..., 0] for W, [..., 1] for H.
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2,
                                "fractional_max_pool2d")  # fmt: skip


@deferrable
def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):  # fmt: skip
    """fractional_max_pool2d_with_indices, with the indices only when asked for.

    Args:
        input, kernel_size, output_size, output_ratio, _random_samples: as fractional_max_pool2d_with_indices.
        return_indices: also return the flat index (h * W + w) of each maximum.
    """
    out = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, True, _random_samples)
    return out if return_indices else out[0]


@deferrable
def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):  # fmt: skip
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W) input and the flat index
    (d * H * W + h * W + w) of each maximum (see fractional_max_pool2d_with_indices).

    Args:
        input: the input.
        kernel_size: the window (int or triple).
        output_size: the output size (int or triple), or
        output_ratio: the output size as a fraction of the input size (float or triple).
        return_indices: ignored (the indices are always returned).
        _random_samples: the samples (N, C, 3) in the input's dtype, for D, H and W.
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3,
                                "fractional_max_pool3d")  # fmt: skip


@deferrable
def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):  # fmt: skip
    """fractional_max_pool3d_with_indices, with the indices only when asked for.

    Args:
        input, kernel_size, output_size, output_ratio, _random_samples: as fractional_max_pool3d_with_indices.
        return_indices: also return the flat index (d * H * W + h * W + w) of each maximum.
    """
    out = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, True, _random_samples)
    return out if return_indices else out[0]


class _FractionalMaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None) -> None:  # fmt: skip
        super().__init__()
        nd, name = self._nd, type(self).__name__
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size")
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = ntuple(output_size, nd, "output_size") if output_size is not None else None
        ratio = output_ratio
        if ratio is not None and not isinstance(ratio, (list, tuple)):
            ratio = (ratio,) * nd
        self.output_ratio = tuple(ratio) if ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        out = _fractional_max_pool(input, self.kernel_size, self.output_size, self.output_ratio,
                                   self._random_samples, self._nd, self)  # fmt: skip
        return out if self.return_indices else out[0]


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input (``F.fractional_max_pool2d``): windows
    of kernel_size at pseudo-random increasing positions, a new draw per call unless ``_random_samples``
    (N, C, 2) is given.

    Args:
        kernel_size: the window (int or pair).
        output_size: the output size (int or pair), or
        output_ratio: the output size as a fraction of the input size (in (0, 1); float or pair).
        return_indices: also return the flat index of each maximum (for MaxUnpool2d).
        _random_samples: fixed samples, kept as a buffer.
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W) input (``F.fractional_max_pool3d``).

    Args:
        kernel_size: the window (int or triple).
        output_size: the output size (int or triple), or
        output_ratio: the output size as a fraction of the input size (in (0, 1); float or triple).
        return_indices: also return the flat index of each maximum (for MaxUnpool3d).
        _random_samples: fixed samples (N, C, 3), kept as a buffer.
    """

    _nd = 3


for _f in (adaptive_avg_pool3d, conv_transpose3d):
    _f.replayable = True  # they read only shapes (the max poolings read values to pick their indices)


# ====================================================================== lazy forms of the layers above (morch.nn.lazy)
class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """``ConvTranspose3d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype:
            as ConvTranspose3d.
    """

    cls_to_become = ConvTranspose3d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """``InstanceNorm3d`` whose num_features is taken from the first input ((N, C, D, H, W) or (C, D, H, W)).

    As PyTorch's lazy layer (unlike InstanceNorm3d), affine and track_running_stats default to True.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as InstanceNorm3d.
    """

    cls_to_become = InstanceNorm3d
