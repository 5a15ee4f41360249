"""Ops behind Tensor methods that have no functional twin: ``Tensor.unfold`` (sliding windows)."""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function
from morch.ops.util import norm_dim


def _check_window(op: str, a: np.ndarray, dimension: int, size: int, step: int) -> tuple[int, int]:
    """The normalised dimension and its length, with PyTorch's errors for a bad window."""
    d = norm_dim(dimension, a.ndim, op)
    n = a.shape[d] if a.ndim else 1
    if size < 0:
        raise RuntimeError(f"{op}: size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"{op}: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"{op}: step is {step} but must be > 0")
    return d, n


class Unfold(Function):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dimension.

    The result is a strided view of the input: writeable when the windows do not overlap, read-only
    when they do (one memory element would be several output elements)."""

    op_name = "unfold"
    unread_inputs = (0,)

    def forward(self, a, dimension, size, step):
        self.in_shape = a.shape
        self.d, n = _check_window("unfold", a, dimension, size, step)
        self.size, self.step = size, step
        if a.ndim == 0:  # PyTorch treats a 0-d tensor as one element along dimension 0
            return a.reshape(1)[:size]
        count = (n - size) // step + 1
        d, strides = self.d, a.strides
        shape = a.shape[:d] + (count,) + a.shape[d + 1 :] + (size,)
        new_strides = strides[:d] + (strides[d] * step,) + strides[d + 1 :] + (strides[d],)
        overlap = step < size and count > 1
        return np.lib.stride_tricks.as_strided(a, shape, new_strides, writeable=not overlap)

    def backward(self, g):
        return UnfoldBackward.apply(g, in_shape=self.in_shape, dimension=self.d, size=self.size, step=self.step)


class UnfoldBackward(Function):
    """The adjoint of ``unfold``: adds every window back to the place it was taken from."""

    op_name = "unfold_backward"
    unread_inputs = (0,)

    def forward(self, g, in_shape, dimension, size, step):
        self.d, self.size, self.step = dimension, size, step
        if len(in_shape) == 0:
            return g.sum().reshape(())
        out = np.zeros(in_shape, dtype=g.dtype)
        count = g.shape[dimension]
        moved = np.moveaxis(g, -1, 0)  # element j of every window, shaped like the windows' dimension
        for j in range(size):
            idx = [slice(None)] * len(in_shape)
            idx[dimension] = slice(j, j + step * (count - 1) + 1, step)
            out[tuple(idx)] += moved[j]
        return out

    def backward(self, gg):
        return Unfold.apply(gg, dimension=self.d, size=self.size, step=self.step)


OPS = [Unfold, UnfoldBackward]
