"""Dropout layers: elementwise (Dropout) and channel-wise (Dropout1d/2d/3d), and alpha dropout for SELU
networks (AlphaDropout, FeatureAlphaDropout, with their functions); identities in eval mode."""

from __future__ import annotations

import math

import numpy as np

from morch import random
from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, shape_str
from morch.nn.module import Module
from morch.tensor import Tensor, _wrap


class _DropoutNd(Module):
    _fn = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability p and scale the others by 1/(1-p).

    Args:
        p: the probability of zeroing an element.
        inplace: overwrite the input.
    """


class Dropout1d(_DropoutNd):
    """In training mode, zero whole channels of (N, C, L) or (C, L) input with probability p.

    Args:
        p: the probability of zeroing a channel.
        inplace: overwrite the input.
    """

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """In training mode, zero whole feature maps of (N, C, H, W) or (C, H, W) input with probability p.

    Args:
        p: the probability of zeroing a channel.
        inplace: overwrite the input.
    """

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """In training mode, zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p.

    Args:
        p: the probability of zeroing a channel.
        inplace: overwrite the input.
    """

    _fn = staticmethod(F.dropout3d)


# SELU's negative saturation value, -scale * alpha: alpha dropout drops to it so that the
# self-normalising mean and variance of SELU networks survive
_ALPHA_PRIME = 1.7580993408473766


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, name: str) -> Tensor:
    F._check_p(p)
    if feature and input.ndim < 2:
        raise InputError(f"{name}: Feature dropout requires at least 2 dimensions in the input, got shape "
                         f"{shape_str(input)}")  # fmt: skip
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return F._maybe_inplace(input, input * 0.0, inplace)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    dt = input._data.dtype
    keep = random._gen(None).random(shape, dtype=np.float32 if dt == np.float32 else np.float64) >= p
    # kept values become a * x + b, dropped ones a * (-alpha') + b: mean and variance stay unchanged
    a = 1.0 / math.sqrt((_ALPHA_PRIME**2 * p + 1) * (1 - p))
    b = _ALPHA_PRIME * a * p
    scale = _wrap((keep * a).astype(dt))
    shift = _wrap((np.where(keep, b, b - _ALPHA_PRIME * a)).astype(dt))
    return F._maybe_inplace(input, input * scale + shift, inplace)


@deferrable
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: drop elements with probability p to SELU's saturation value, then an
    affine map that keeps the input's mean and variance (identity when not training).

    Args:
        input: any tensor.
        p: the probability of dropping an element.
        training: apply dropout (False by default, as in PyTorch).
        inplace: overwrite ``input``.
    """
    return _alpha_dropout(input, p, training, inplace, False, "alpha_dropout")


@deferrable
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels: one draw per (sample, channel) of (N, C, *) input.

    Args:
        input: a tensor with at least 2 dims.
        p: the probability of dropping a channel.
        training: apply dropout (False by default, as in PyTorch).
        inplace: overwrite ``input``.
    """
    return _alpha_dropout(input, p, training, inplace, True, "feature_alpha_dropout")


class AlphaDropout(_DropoutNd):
    """In training mode, alpha dropout (see ``alpha_dropout``): keeps the zero mean and unit variance
    that SELU activations maintain.

    Args:
        p: the probability of dropping an element.
        inplace: overwrite the input.
    """

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """In training mode, alpha dropout of whole channels of (N, C, *) input.

    Args:
        p: the probability of dropping a channel.
        inplace: overwrite the input.
    """

    _fn = staticmethod(feature_alpha_dropout)
