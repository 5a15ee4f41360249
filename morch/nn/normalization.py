"""Normalisation layers: BatchNorm1d/2d/3d (with running statistics), LayerNorm and GroupNorm."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, shape_str
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
