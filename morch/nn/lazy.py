"""Lazy layers: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d and
LazyInstanceNorm1d/2d/3d infer their input size at the first call.

Until then their parameters are ``UninitializedParameter`` placeholders and their running statistics
``UninitializedBuffer`` ones (so an optimizer can be built first, as in PyTorch). The first call
builds the real layer with the size it sees, moves its freshly initialised values into the very same
parameter and buffer objects, and the module becomes that layer (``LazyLinear`` becomes a
``Linear``), as PyTorch's ``cls_to_become``.
"""

from __future__ import annotations

import numpy as np

from morch import dtypes
from morch.autograd import grad_mode
from morch.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from morch.nn.linear import Linear
from morch.nn.module import Module
from morch.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _init, _wrap

__all__ = [
    "UninitializedParameter", "UninitializedBuffer", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d",
]  # fmt: skip
# LazyConvTranspose3d and LazyInstanceNorm3d are in morch.nn.threed, beside their layers


def _materialized(placeholder: Tensor, value, dtype) -> np.ndarray:
    """The array a placeholder becomes: ``value``'s (a Tensor), or an uninitialised one of shape ``value``
    (of ``dtype``, else the placeholder's)."""
    if isinstance(value, Tensor):
        return value._data
    return np.empty(tuple(int(s) for s in value), dtype=dtypes.to_numpy(dtype) if dtype else placeholder._data.dtype)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; a lazy layer's first call materializes it in place."""

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        super().__init__(None, requires_grad)
        self._data = np.empty((0,), dtype=nd)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a plain Parameter (the same object stays in optimizers).

        Args:
            shape: the new shape (uninitialised values, as PyTorch's), or a Tensor whose array to take.
            device: 'cpu' or None.
            dtype: the dtype for a shape (default: the placeholder's).
        """
        self._data = _materialized(self, shape, dtype)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (a lazy layer's running statistics); ``materialize``
    turns it into a plain tensor in place.

    Args:
        requires_grad: whether the materialized tensor requires grad.
        device: 'cpu' or None.
        dtype: the dtype (default: the default float dtype).
        persistent: kept for PyTorch's signature (register the buffer with ``persistent`` to choose).
    """

    __slots__ = ()

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        _init(self, np.empty((0,), dtype=nd), None, requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a plain tensor.

        Args:
            shape: the new shape (uninitialised values, as PyTorch's), or a Tensor whose array to take.
            device: 'cpu' or None.
            dtype: the dtype for a shape (default: the placeholder's).
        """
        self._data = _materialized(self, shape, dtype)
        self._version += 1
        self.__class__ = Tensor

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


class _LazyMixin:
    """The first call builds ``cls_to_become`` from the saved arguments and the input's size."""

    cls_to_become: type = Module

    def _lazy_setup(self, names: tuple, requires: dict, dtype) -> None:
        for name in names:
            if requires.get(name, True):
                setattr(self, name, UninitializedParameter(dtype=dtype))
            else:
                setattr(self, name, None)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def _infer(self, input: Tensor) -> int:
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            with grad_mode.no_grad():
                real = self._build(self._infer(args[0]))
            d = self.__dict__
            for name, p in real._parameters.items():
                mine = d["_parameters"].get(name)
                if isinstance(mine, UninitializedParameter):
                    mine.materialize(p)
            for name, b in real._buffers.items():
                mine = d["_buffers"].get(name)
                if isinstance(mine, UninitializedBuffer) and b is not None:
                    mine.materialize(b)
                else:
                    d["_buffers"][name] = b
            skip = {"_parameters", "_buffers", "_modules", "training"}
            skip.update(k for k in d if k.startswith("_forward") or k.startswith("_backward"))
            for key, value in real.__dict__.items():
                if key not in skip:
                    d[key] = value
            d.pop("_args", None)
            self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)

    def _build(self, size: int) -> Module:
        raise NotImplementedError


class LazyLinear(_LazyMixin, Linear):
    """``Linear`` whose in_features is taken from the last dimension of the first input.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self._args = (bias, device, dtype)
        self._lazy_setup(("weight", "bias"), {"bias": bias}, dtype)

    def _infer(self, input: Tensor) -> int:
        return input.shape[-1]

    def _build(self, size: int) -> Module:
        bias, device, dtype = self._args
        return Linear(size, self.out_features, bias, device, dtype)


class _LazyConv(_LazyMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:  # fmt: skip
        args = (kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype)
        self._lazy_conv_setup(out_channels, groups, bias, dtype, args)

    def _lazy_conv_setup(self, out_channels: int, groups: int, bias: bool, dtype, args: tuple) -> None:
        """Keep ``args`` (the layer's arguments after in_channels and out_channels) for the first call."""
        from morch import random

        Module.__init__(self)
        self._args = args
        # a throw-away layer checks the arguments and gives the attributes (kernel_size, ...) for the repr;
        # the random state is put back, so the real initialisation at the first call draws what it would
        state = random.get_rng_state()
        probe = self.cls_to_become(groups, out_channels, *self._args)
        random.set_rng_state(state)
        for key, value in probe.__dict__.items():
            if not key.startswith("_") and key != "training":
                self.__dict__[key] = value
        self._reversed_padding_repeated_twice = probe._reversed_padding_repeated_twice
        self.in_channels = 0
        self._lazy_setup(("weight", "bias"), {"bias": bias}, dtype)

    def _infer(self, input: Tensor) -> int:
        unbatched = input.ndim == self.cls_to_become._nd + 1
        return input.shape[0 if unbatched else 1]

    def _build(self, size: int) -> Module:
        return self.cls_to_become(size, self.out_channels, *self._args)


class _LazyConvTranspose(_LazyConv):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:  # fmt: skip
        args = (kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype)
        self._lazy_conv_setup(out_channels, groups, bias, dtype, args)


class LazyConv1d(_LazyConv, Conv1d):
    """``Conv1d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as Conv1d.
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """``Conv2d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as Conv2d.
    """

    cls_to_become = Conv2d


class _LazyBatchNorm(_LazyMixin):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None) -> None:  # fmt: skip
        Module.__init__(self)
        self.num_features = 0
        self.eps, self.momentum, self.affine, self.track_running_stats = eps, momentum, affine, track_running_stats
        self._args = (eps, momentum, affine, track_running_stats, device, dtype)
        self._lazy_setup(("weight", "bias"), {"weight": affine, "bias": affine}, dtype)
        for name in ("running_mean", "running_var"):
            self.register_buffer(name, UninitializedBuffer(dtype=dtype) if track_running_stats else None)
        zero = _wrap(np.zeros((), dtype=np.int64)) if track_running_stats else None
        self.register_buffer("num_batches_tracked", zero)

    def has_uninitialized_params(self) -> bool:
        return self.num_features == 0

    def _infer(self, input: Tensor) -> int:
        return input.shape[1] if input.ndim > 1 else input.shape[0]

    def _build(self, size: int) -> Module:
        return self.cls_to_become(size, *self._args)


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``BatchNorm1d`` whose num_features is taken from the first input.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as BatchNorm1d.
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``BatchNorm2d`` whose num_features is taken from the first input.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as BatchNorm2d.
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """``BatchNorm3d`` whose num_features is taken from the first input.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as BatchNorm3d.
    """

    cls_to_become = BatchNorm3d


class LazyConv3d(_LazyConv, Conv3d):
    """``Conv3d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as Conv3d.
    """

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """``ConvTranspose1d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype:
            as ConvTranspose1d.
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """``ConvTranspose2d`` whose in_channels is taken from the first input (same arguments without it).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype:
            as ConvTranspose2d.
    """

    cls_to_become = ConvTranspose2d


class _LazyInstanceNorm(_LazyBatchNorm):
    def _infer(self, input: Tensor) -> int:
        return input.shape[0 if input.ndim == self.cls_to_become._nd + 1 else 1]


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """``InstanceNorm1d`` whose num_features is taken from the first input ((N, C, L) or (C, L)).

    As PyTorch's lazy layer (unlike InstanceNorm1d), affine and track_running_stats default to True.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as InstanceNorm1d.
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """``InstanceNorm2d`` whose num_features is taken from the first input ((N, C, H, W) or (C, H, W)).

    As PyTorch's lazy layer (unlike InstanceNorm2d), affine and track_running_stats default to True.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype: as InstanceNorm2d.
    """

    cls_to_become = InstanceNorm2d
