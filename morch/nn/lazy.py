"""Lazy layers: LazyLinear, LazyConv1d/2d, LazyBatchNorm1d/2d infer their input size at the first call.

Until then their parameters are ``UninitializedParameter`` placeholders (so an optimizer can be
built first, as in PyTorch). The first call builds the real layer with the size it sees, moves its
freshly initialised values into the very same parameter objects, and the module becomes that
layer (``LazyLinear`` becomes a ``Linear``), as PyTorch's ``cls_to_become``.
"""

from __future__ import annotations

import numpy as np

from morch import dtypes
from morch.autograd import grad_mode
from morch.nn.conv import Conv1d, Conv2d
from morch.nn.linear import Linear
from morch.nn.module import Module
from morch.nn.normalization import BatchNorm1d, BatchNorm2d
from morch.nn.parameter import Parameter
from morch.tensor import Tensor

__all__ = [
    "UninitializedParameter",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
]


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; a lazy layer's first call materializes it in place."""

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        super().__init__(None, requires_grad)
        self._data = np.empty((0,), dtype=nd)

    def materialize(self, value: Tensor) -> None:
        """Become a plain Parameter holding ``value``'s array (the same object stays in optimizers)."""
        self._data = value._data
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


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
        from morch import random

        Module.__init__(self)
        self._args = (kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype)
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
