"""Indexing ops: getitem with a scatter-add backward, index_put, gather/scatter_add, constant pad.

Tensors inside an index (``x[idx]``, ``x[mask]``) are op inputs, not parameters, so that
static graphs can feed them; ``key`` is the index with ``Slot(i)`` where input ``i+1`` goes.
"""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function, op_error
from morch.ops.util import norm_dim
from morch.tensor import _wrap


class Slot(int):
    """Marks where the i-th index tensor goes in an index template."""

    def __repr__(self) -> str:
        return f"Slot({int(self)})"


def fill_key(key: tuple, arrays) -> tuple:
    return tuple(arrays[k] if type(k) is Slot else k for k in key)


def is_advanced(key: tuple) -> bool:
    return any(type(k) is Slot or isinstance(k, np.ndarray) for k in key)


def _unique_positions(key: tuple, arrays) -> bool:
    """True if the index cannot select one element twice (basic index, or one boolean mask)."""
    adv = [arrays[k] if type(k) is Slot else k for k in key if type(k) is Slot or isinstance(k, np.ndarray)]
    return not adv or (len(adv) == 1 and adv[0].dtype == np.bool_)


class Index(Function):
    unread_inputs = (0,)  # the indexed tensor; index tensors are read

    def forward(self, a, *key_arrays, key):
        self.in_shape, self.key = a.shape, key
        k = fill_key(key, key_arrays)
        out = a[k]
        if type(out) is not np.ndarray:  # one element: numpy gives a scalar; a 0-d view keeps writes reaching a
            out = a[k + (Ellipsis,)]
        return out

    def backward(self, g):
        rest = self.inputs[1:]
        return (IndexGrad.apply(g, *rest, key=self.key, shape=self.in_shape),) + (None,) * len(rest)


class IndexGrad(Function):
    """Zeros of ``shape`` with ``g`` added at ``key`` (the backward of Index)."""

    unread_inputs = (0,)

    def forward(self, g, *key_arrays, key, shape):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        k = fill_key(key, key_arrays)
        if _unique_positions(key, key_arrays):
            out[k] = g
        else:
            np.add.at(out, k, g)
        return out

    def backward(self, gg):
        rest = self.inputs[1:]
        return (Index.apply(gg, *rest, key=self.key),) + (None,) * len(rest)


class IndexPut(Function):
    """A copy of ``a`` with ``v`` written (or added, with accumulate) at ``key``."""

    unread_inputs = (0, 1)

    def forward(self, a, v, *key_arrays, key, accumulate=False):
        self.key, self.accumulate = key, accumulate
        out = a.copy()
        k = fill_key(key, key_arrays)
        if accumulate:
            np.add.at(out, k, np.broadcast_to(v, out[k].shape))
        else:
            out[k] = v
        return out

    def backward(self, g):
        rest = self.inputs[2:]
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g if self.accumulate else IndexPut.apply(g, _wrap(np.zeros((), g._data.dtype)), *rest, key=self.key)
        if self.needs_input_grad[1]:
            gv = Index.apply(g, *rest, key=self.key)
        return (ga, gv) + (None,) * len(rest)


def along_dim(idx: np.ndarray, dim: int) -> tuple:
    """The full index that picks ``idx`` along ``dim`` and keeps every other position (gather's)."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in idx.shape)])
    grids[dim] = idx
    return tuple(grids)


class Gather(Function):
    unread_inputs = (0,)

    def forward(self, a, idx, dim):
        if idx.dtype.kind not in "iu":
            raise TypeError(f"gather(): index must be an integer tensor, got {idx.dtype}")
        if idx.ndim != a.ndim:
            raise ValueError(f"gather(): index has {idx.ndim} dimensions but input has {a.ndim}")
        self.dim, self.in_shape = norm_dim(dim, a.ndim, "gather"), a.shape
        _check_positions("gather", idx, self.dim, a.shape[self.dim])
        return a[along_dim(idx, self.dim)]

    def backward(self, g):
        zeros = _wrap(np.zeros(self.in_shape, dtype=g._data.dtype))
        return ScatterAdd.apply(zeros, self.inputs[1], g, dim=self.dim), None


class ScatterAdd(Function):
    """``a.scatter_add(dim, idx, src)``: a copy of a with src added at idx along dim."""

    unread_inputs = (0, 2)

    def forward(self, a, idx, src, dim):
        self.dim = dim = norm_dim(dim, a.ndim, "scatter_add")
        _check_scatter_index("scatter_add", a, idx, src, dim)
        out = a.copy()
        np.add.at(out, along_dim(idx, dim), src[tuple(slice(0, s) for s in idx.shape)])
        return out

    def backward(self, g):
        gsrc = None
        if self.needs_input_grad[2]:
            gsrc = Gather.apply(g, self.inputs[1], dim=self.dim)
            src_shape = self.inputs[2]._data.shape
            if gsrc._data.shape != src_shape:  # src may be larger than index: the rest gets no gradient
                gsrc = IndexGrad.apply(gsrc, key=tuple(slice(0, s) for s in gsrc._data.shape), shape=src_shape)
        return g, None, gsrc


def _check_scatter_index(name: str, a: np.ndarray, idx: np.ndarray, src: np.ndarray, dim: int) -> None:
    """PyTorch's rules: an integer index with input's number of dims, no larger than src anywhere
    nor than input outside ``dim``, and positions inside input along ``dim``."""
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != a.ndim or src.ndim != a.ndim:
        raise ValueError(
            f"{name}(): index {tuple(idx.shape)}, src {tuple(src.shape)} and input {tuple(a.shape)} "
            "must have the same number of dimensions"
        )
    for d, n in enumerate(idx.shape):
        if n > src.shape[d] or (d != dim and n > a.shape[d]):
            raise ValueError(
                f"{name}(): index of shape {tuple(idx.shape)} is larger than src {tuple(src.shape)} "
                f"or than input {tuple(a.shape)} outside dimension {dim}"
            )
    _check_positions(name, idx, dim, a.shape[dim])


def _check_positions(name: str, idx: np.ndarray, dim: int, size: int) -> None:
    """Every index in [0, size), as PyTorch requires (a negative index is an error, not counted from the end)."""
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{name}(): index {bad} is out of bounds for dimension {dim} with size {size}")


class Scatter(Function):
    """``a.scatter(dim, idx, src)``: a copy of a with src written at idx along dim.

    Where an index repeats, the last write wins (PyTorch leaves the order unspecified); the
    gradients are those of PyTorch, exact when the index has no repeats: the input's gradient is
    zero where something was written, src's is the output gradient read back at the index.
    """

    unread_inputs = (0, 2)

    def forward(self, a, idx, src, dim):
        self.dim = dim = norm_dim(dim, a.ndim, "scatter")
        _check_scatter_index("scatter", a, idx, src, dim)
        out = a.copy()
        out[along_dim(idx, dim)] = src[tuple(slice(0, s) for s in idx.shape)]
        return out

    def backward(self, g):
        need, idx = self.needs_input_grad, self.inputs[1]
        ga = gsrc = None
        if need[0]:
            ga = Scatter.apply(g, idx, _wrap(np.zeros(idx._data.shape, g._data.dtype)), dim=self.dim)
        if need[2]:
            gsrc = Gather.apply(g, idx, dim=self.dim)
            src_shape = self.inputs[2]._data.shape
            if gsrc._data.shape != src_shape:  # src may be larger than index: the rest gets no gradient
                gsrc = IndexGrad.apply(gsrc, key=tuple(slice(0, s) for s in gsrc._data.shape), shape=src_shape)
        return ga, None, gsrc


class ScatterMultiply(Function):
    """``a.scatter(dim, idx, src, reduce='multiply')``: a copy of a multiplied by src at idx (forward only)."""

    differentiable = False

    def forward(self, a, idx, src, dim):
        self.dim = dim = norm_dim(dim, a.ndim, "scatter")
        _check_scatter_index("scatter", a, idx, src, dim)
        out = a.copy()
        np.multiply.at(out, along_dim(idx, dim), src[tuple(slice(0, s) for s in idx.shape)])
        return out

    def backward(self, g):
        raise RuntimeError(
            "scatter(reduce='multiply') is not differentiable in morch: its forward works, but for gradients "
            "write the product with ops (for example gather, then mul)"
        )


def _diagonal_index(shape: tuple, offset: int, d1: int, d2: int) -> tuple:
    """The index that picks the diagonal of dims (d1, d2), after they are moved to the end."""
    n = max(0, min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)))
    i = np.arange(n)
    return (Ellipsis, i + max(-offset, 0), i + max(offset, 0))


class Diagonal(Function):
    """The diagonal of dims (dim1, dim2), as a new last dimension (a read-only view, as numpy's)."""

    unread_inputs = (0,)

    def forward(self, a, offset=0, dim1=0, dim2=1):
        d1, d2 = norm_dim(dim1, a.ndim, "diagonal"), norm_dim(dim2, a.ndim, "diagonal")
        if d1 == d2:
            raise op_error(ValueError, f"diagonal: dim1 and dim2 cannot be the same dimension ({d1})")
        self.args, self.in_shape = (offset, d1, d2), a.shape
        return np.diagonal(a, offset, d1, d2)

    def backward(self, g):
        return DiagonalGrad.apply(g, args=self.args, shape=self.in_shape)


class DiagonalGrad(Function):
    """Zeros of ``shape`` with ``g`` on the diagonal of dims (dim1, dim2): Diagonal's backward, and ``diag``."""

    unread_inputs = (0,)

    def forward(self, g, args, shape):
        self.args = args
        offset, d1, d2 = args
        out = np.zeros(shape, dtype=g.dtype)
        np.moveaxis(out, (d1, d2), (-2, -1))[_diagonal_index(shape, offset, d1, d2)] = g
        return out

    def backward(self, gg):
        offset, d1, d2 = self.args
        return Diagonal.apply(gg, offset=offset, dim1=d1, dim2=d2)


class ConstantPad(Function):
    unread_inputs = (0,)

    def forward(self, a, widths, value=0.0):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        return np.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, g):
        return g[self.slices]


OPS = [Index, IndexGrad, IndexPut, Gather, ScatterAdd, Diagonal, DiagonalGrad, ConstantPad]
