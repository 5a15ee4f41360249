"""Normalisation layers: BatchNorm1d/2d/3d (with running statistics), LayerNorm, GroupNorm,
InstanceNorm1d/2d, RMSNorm and LocalResponseNorm, with the functions ``instance_norm``, ``rms_norm``
and ``local_response_norm``."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, InputTypeError, shape_str, who
from morch.nn.linear import _check_device, _empty
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _wrap


class _BatchNorm(Module):
    _dims: tuple = (2, 3)
    _shape_text = "(N, C) or (N, C, L)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(_wrap(_empty(num_features, dtype=dtype)))
            if bias:
                self.bias = Parameter(_wrap(_empty(num_features, dtype=dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _wrap(_empty(num_features, dtype=dtype)))
            self.register_buffer("running_var", _wrap(_empty(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", _wrap(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._version += 1

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        return _batch_norm_forward(self, input)

    def _load_from_state_dict(self, state_dict: Mapping, prefix: str, *args, **kwargs) -> None:
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict and isinstance(state_dict, dict):
            # PyTorch fills in a missing counter (state dicts from before it existed) instead of failing
            state_dict[key] = _wrap(np.zeros((), dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")  # fmt: skip


@deferrable
def _batch_norm_forward(m: _BatchNorm, input: Tensor) -> Tensor:
    # deferrable as a whole: in a static graph the batch counter and running statistics advance per run
    if input._data.ndim not in m._dims:
        dims = " or ".join(f"{d}D" for d in m._dims)
        raise InputError(f"{m._one_line()}: expected {dims} input {m._shape_text} with "
                         f"C = {m.num_features}, got shape {shape_str(input)}")  # fmt: skip
    factor = 0.0 if m.momentum is None else m.momentum
    if m.training and m.track_running_stats and m.num_batches_tracked is not None:
        nbt = m.num_batches_tracked
        nbt._data += 1
        nbt._version += 1
        # momentum None: a cumulative moving average, each batch weighted equally
        factor = 1.0 / float(nbt._data) if m.momentum is None else m.momentum
    use_batch_stats = m.training or (m.running_mean is None and m.running_var is None)
    track = not m.training or m.track_running_stats
    return F._batch_norm(input, m.running_mean if track else None, m.running_var if track else None, m.weight,
                         m.bias, use_batch_stats, factor, m.eps, m)  # fmt: skip


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch (and length) for each channel.

    In training mode the batch statistics normalise the input and update running_mean and
    running_var (momentum; None for a cumulative average); in eval mode the running ones are used.

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor, or None for a cumulative average.
        affine: learn a per-channel scale (weight, init 1) and shift (bias, init 0).
        track_running_stats: keep running statistics (else batch statistics are used in eval mode too).
        device: 'cpu' or None.
        dtype: dtype of parameters and buffers.
        bias: learn the shift (with affine).
    """

    _dims = (2, 3)
    _shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over the batch and spatial dims for each channel.

    In training mode the batch statistics normalise the input and update running_mean and
    running_var (momentum; None for a cumulative average); in eval mode the running ones are used.

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor, or None for a cumulative average.
        affine: learn a per-channel scale (weight, init 1) and shift (bias, init 0).
        track_running_stats: keep running statistics (else batch statistics are used in eval mode too).
        device: 'cpu' or None.
        dtype: dtype of parameters and buffers.
        bias: learn the shift (with affine).
    """

    _dims = (4,)
    _shape_text = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input for each channel (see BatchNorm2d).

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor, or None for a cumulative average.
        affine: learn a per-channel scale and shift.
        track_running_stats: keep running statistics.
        device: 'cpu' or None.
        dtype: dtype of parameters and buffers.
        bias: learn the shift (with affine).
    """

    _dims = (5,)
    _shape_text = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its last dims (``normalized_shape``), then scale and shift elementwise.

    Args:
        normalized_shape: the trailing shape to normalise over (int or tuple).
        eps: added to the variance for stability.
        elementwise_affine: learn weight (init 1) and bias (init 0) of shape normalized_shape.
        bias: learn the bias (with elementwise_affine).
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_wrap(_empty(*self.normalized_shape, dtype=dtype)))
            if bias:
                self.bias = Parameter(_wrap(_empty(*self.normalized_shape, dtype=dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F._layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps, self)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")  # fmt: skip


class GroupNorm(Module):
    """Normalise each group of channels of each sample, then scale and shift per channel.

    Args:
        num_groups: number of groups (must divide num_channels).
        num_channels: C of the (N, C, *) input.
        eps: added to the variance for stability.
        affine: learn per-channel weight (init 1) and bias (init 0).
        device: 'cpu' or None.
        dtype: dtype of the parameters.
        bias: learn the bias (with affine).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        nd = _empty(0, dtype=dtype).dtype
        if affine:
            self.weight = Parameter(_wrap(np.ones(num_channels, dtype=nd)))
            if bias:
                self.bias = Parameter(_wrap(np.zeros(num_channels, dtype=nd)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        if input._data is not None and (input.ndim < 2 or input.shape[1] != self.num_channels):
            raise InputError(f"{self._one_line()}: expected input (N, {self.num_channels}, *), got shape "
                             f"{shape_str(input)}")  # fmt: skip
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={bias}"


# ---------------------------------------------------------------------- instance norm
@deferrable
def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise each channel of each sample over its spatial dims, then scale and shift per channel.

    With use_input_stats the sample statistics are used and running_mean / running_var (if given)
    are updated in place with their mean over the batch; otherwise the running statistics are used.

    Args:
        input: (N, C, *) with at least one spatial dim.
        running_mean: (C,) tensor or None.
        running_var: (C,) tensor or None.
        weight: (C,) scale or None.
        bias: (C,) shift or None.
        use_input_stats: normalise with each sample's own statistics.
        momentum: the running-average factor.
        eps: added to the variance for stability.
    """
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps,
                          "instance_norm")  # fmt: skip


@deferrable
def _instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum, eps, name) -> Tensor:
    if x.ndim < 3:
        raise InputError(f"{who(name)}: expected input of shape (N, C, *) with at least one spatial dim, got "
                         f"shape {shape_str(x)}")  # fmt: skip
    n, c = x.shape[:2]
    if use_input_stats and x.numel() // max(n * c, 1) <= 1:
        raise InputError(f"{who(name)}: Expected more than 1 spatial element when training, got input size "
                         f"{list(x.shape)}")  # fmt: skip
    # each (sample, channel) pair is one channel of a batch norm over a batch of one
    rm = rv = None
    if running_mean is not None and running_var is not None:
        rm = _wrap(np.tile(running_mean._data, n))
        rv = _wrap(np.tile(running_var._data, n))
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    out = F._batch_norm(x.reshape(1, n * c, *x.shape[2:]), rm, rv, w, b, use_input_stats, momentum, eps, name)
    if use_input_stats and rm is not None:
        for t, new in ((running_mean, rm), (running_var, rv)):
            t._data[...] = new._data.reshape(n, c).mean(0)
            t._version += 1
    return out.reshape(x.shape)


class _InstanceNorm(_BatchNorm):
    _nd = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:  # fmt: skip
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        return _instance_norm_forward(self, input)


@deferrable
def _instance_norm_forward(m: _InstanceNorm, input: Tensor) -> Tensor:
    nd = m._nd
    if input.ndim not in (nd + 1, nd + 2):
        raise InputError(f"{m._one_line()}: expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, got shape "
                         f"{shape_str(input)}")  # fmt: skip
    unbatched = input.ndim == nd + 1
    c = input.shape[0 if unbatched else 1]
    if c != m.num_features:
        if m.affine:
            raise InputError(f"{m._one_line()}: expected input's size at dim={0 if unbatched else 1} to match "
                             f"num_features ({m.num_features}), but got: {c}.")  # fmt: skip
        warnings.warn(f"input's size at dim={0 if unbatched else 1} does not match num_features. You can silence "
                      "this warning by not passing in num_features, which is not used because affine=False",
                      stacklevel=4)  # fmt: skip
    x = input.unsqueeze(0) if unbatched else input
    use_input_stats = m.training or not m.track_running_stats
    momentum = m.momentum if m.momentum is not None else 0.0
    out = _instance_norm(x, m.running_mean, m.running_var, m.weight, m.bias, use_input_stats, momentum, m.eps, m)
    return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input: each channel of each sample over its length.

    Unlike BatchNorm, affine and track_running_stats default to False (as in PyTorch); with
    track_running_stats the running statistics are used in eval mode.

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor (None behaves as 0: the running statistics stay put).
        affine: learn a per-channel scale (weight, init 1) and shift (bias, init 0).
        track_running_stats: keep running statistics.
        device: 'cpu' or None.
        dtype: dtype of parameters and buffers.
        bias: learn the shift (with affine).
    """

    _nd = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input: each channel of each sample over H and W.

    Unlike BatchNorm, affine and track_running_stats default to False (as in PyTorch); with
    track_running_stats the running statistics are used in eval mode.

    Args:
        num_features: C.
        eps: added to the variance for stability.
        momentum: running-average factor (None behaves as 0: the running statistics stay put).
        affine: learn a per-channel scale (weight, init 1) and shift (bias, init 0).
        track_running_stats: keep running statistics.
        device: 'cpu' or None.
        dtype: dtype of parameters and buffers.
        bias: learn the shift (with affine).
    """

    _nd = 2


# ---------------------------------------------------------------------- RMS norm
@deferrable
def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """input / sqrt(mean(input^2) + eps) over the last dims (``normalized_shape``), times weight.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalise over (int or sequence).
        weight: scale of shape normalized_shape, or None.
        eps: added to the mean square; None means the machine epsilon of the input's dtype.
    """
    return _rms_norm(input, normalized_shape, weight, eps, "rms_norm")


@deferrable
def _rms_norm(x, normalized_shape, weight, eps, name) -> Tensor:
    ns = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != ns:
        raise InputError(f"{who(name)}: Given normalized_shape={list(ns)}, expected input with shape "
                         f"[*, {', '.join(map(str, ns))}], but got input of size {list(x.shape)}")  # fmt: skip
    if weight is not None and tuple(weight.shape) != ns:
        raise InputError(f"{who(name)}: weight must have shape {ns}, got {shape_str(weight)}")
    if not F._float_dtype(x):
        raise InputTypeError(f"{who(name)}: expected a floating-point input, got {x.dtype}")
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    out = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims (``normalized_shape``), then an elementwise scale.

    Args:
        normalized_shape: the trailing shape to normalise over (int or tuple).
        eps: added to the mean square; None means the machine epsilon of the input's dtype.
        elementwise_affine: learn a weight (init 1) of shape normalized_shape.
        device: 'cpu' or None.
        dtype: dtype of the weight.
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_wrap(_empty(*self.normalized_shape, dtype=dtype)))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1."""
        if self.weight is not None:
            self.weight._data[...] = 1

    def forward(self, input: Tensor) -> Tensor:
        return _rms_norm(input, self.normalized_shape, self.weight, self.eps, self)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# ---------------------------------------------------------------------- local response norm
@deferrable
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of input^2 over ``size`` neighbouring channels)^beta (as in AlexNet).

    The window of channel c covers channels c - size // 2 .. c + (size - 1) // 2, zeros beyond the
    edges, and the mean always divides by ``size``.

    Args:
        input: (N, C, *) with at least 3 dims.
        size: the number of neighbouring channels.
        alpha: the multiplicative factor.
        beta: the exponent.
        k: the additive factor.
    """
    return _local_response_norm(input, size, alpha, beta, k, "local_response_norm")


@deferrable
def _local_response_norm(x, size, alpha, beta, k, name) -> Tensor:
    if x.ndim < 3:
        raise InputError(f"{who(name)}: Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if size <= 0:
        raise ValueError(f"{who(name)}: size must be positive, got {size}")
    if x.numel() == 0:
        return x
    c = x.shape[1]
    sq = x * x
    padded = F.pad(sq, (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2))
    window = padded.narrow(1, 0, c)
    for i in range(1, size):  # a loop over the window's offsets, not over the data
        window = window + padded.narrow(1, i, c)
    return x / (window * (alpha / size) + k) ** beta


class LocalResponseNorm(Module):
    """Normalise each channel by the activity of its ``size`` neighbouring channels (see local_response_norm).

    Args:
        size: the number of neighbouring channels.
        alpha: the multiplicative factor.
        beta: the exponent.
        k: the additive factor.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return _local_response_norm(input, self.size, self.alpha, self.beta, self.k, self)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


for _f in (rms_norm, local_response_norm):
    _f.replayable = True  # they read only shapes (instance_norm may update running statistics)
