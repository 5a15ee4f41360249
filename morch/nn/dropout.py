"""Dropout layers: elementwise (Dropout) and channel-wise (Dropout1d/2d/3d); identities in eval mode."""

from __future__ import annotations

from morch.nn import functional as F
from morch.nn.module import Module
from morch.tensor import Tensor


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
