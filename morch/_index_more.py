"""PyTorch's indexing, scatter, strided-view, ``*_copy`` and introspection names that morch lacked.

Top-level functions are listed in ``__all__`` (``morch/__init__.py`` star-imports this module);
Tensor methods are bound at import time, never over an existing attribute (``_bind_methods``).
Gradients come from the ops these functions are built from (index/index_put, scatter_reduce,
the strided ops of ``morch/ops/index_more.py``); histograms, ``unravel_index`` and ``argwhere``
have none, as in PyTorch.
"""

from __future__ import annotations

import builtins
import numbers
import warnings
import weakref
from collections import namedtuple

import numpy as np

from morch import autograd as _autograd
from morch import creation, dtypes
from morch import functional as F
from morch.autograd import grad_mode as _grad_mode
from morch.autograd.function import deferrable
from morch.nn import functional as NF
from morch.ops import index as I
from morch.ops import index_more as IM
from morch.ops.util import norm_dim
from morch.tensor import (
    _TYPE_NAMES,
    Size,
    Tensor,
    UntypedStorage,
    _in_place_variant,
    _memory_owner,
    _size_arg,
    _wrap,
    bind_missing,
    legacy_type_dtype,
)
from morch.tensor import device as _device

_range = builtins.range


# ------------------------------------------------------------------ helpers
def _like(src, t: Tensor) -> Tensor:
    """``src`` as a tensor of ``t``'s dtype (PyTorch's *_scatter functions cast it so)."""
    return F._cast(F._as_tensor_like(src, t), F._np_dtype(t))


def _check_integer(op: str, idx: Tensor, what: str = "index") -> None:
    if F._np_dtype(idx).kind not in "iu":
        raise RuntimeError(f"{op}: Expected a long tensor for {what}, but got {idx.dtype}")


def _check_flat_positions(op: str, idx: Tensor, n: int) -> None:
    """Every index in [-n, n), as ``take``/``put`` need (negative ones count from the end)."""
    a = idx._data
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < -n or hi >= n:
            raise IndexError(
                f"{op}: out of range: tried to access index {lo if lo < -n else hi} on a tensor of {n} elements."
            )


def _check_src_size(op: str, src: Tensor, want: tuple) -> None:
    if tuple(src.shape) != tuple(want):
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
            f"slice size = {list(want)}"
        )


# ------------------------------------------------------------------ take, put, index_put, index_reduce
@deferrable
def take(input, index) -> Tensor:
    """The elements of input, read as a 1-D tensor, at ``index`` (negative positions count from the end).

    Args:
        input: the input tensor.
        index: an integer tensor of positions; the result has its shape.
    """
    t, idx = F._tensor(input), F._tensor(index)
    _check_integer("take()", idx)
    _check_flat_positions("take()", idx, t.numel())
    return F.index(t.reshape(-1), idx)


@deferrable
def put(input, index, source, accumulate: bool = False) -> Tensor:
    """A copy of input with ``source`` written (or added) at ``index``, input being read as 1-D.

    Args:
        input: the input tensor.
        index: an integer tensor of positions (negative ones count from the end).
        source: the values, as many as index has (input's dtype).
        accumulate: add source instead of writing it (repeated positions add up).
    """
    t, idx = F._tensor(input), F._tensor(index)
    src = F._as_tensor_like(source, t)
    _check_integer("put_()", idx)
    if src.dtype != t.dtype:
        raise RuntimeError(
            f"put_(): self and source expected to have the same dtype, but got self.dtype = {t.dtype} and "
            f"source.dtype = {src.dtype}"
        )
    if src.numel() != idx.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {src.numel()}, index.numel() = {idx.numel()}"
        )
    _check_flat_positions("put_()", idx, t.numel())
    flat = F.index_put(t.reshape(-1), (idx.reshape(-1),), src.reshape(-1), accumulate=accumulate)
    return flat.reshape(t.shape)


def _index_put(self, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of this tensor with ``values`` written (or added) at ``self[indices]``.

    Args:
        indices: a tuple (or list) of integer or bool tensors, one per leading dimension indexed.
        values: the values (this tensor's dtype), broadcast to the selected elements.
        accumulate: add values instead of writing them (repeated positions add up).
    """
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for i, k in enumerate(indices):
        if not isinstance(k, Tensor):
            raise TypeError(
                f"index_put(): expected Tensor as element {i} in argument 'indices', but got {type(k).__name__}"
            )
    if isinstance(values, Tensor) and values.dtype != self.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {self.dtype} for the destination "
            f"and {values.dtype} for the source."
        )
    return F.index_put(self, tuple(indices), values, accumulate)


def index_put_(input, indices, values, accumulate: bool = False) -> Tensor:
    """In-place ``input.index_put(indices, values, accumulate)``.

    Args:
        input: the tensor to write into.
        indices: a tuple of integer or bool tensors.
        values: the values (input's dtype).
        accumulate: add values instead of writing them.
    """
    return input.index_put_(indices, values, accumulate)


_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


@deferrable
def index_reduce(input, dim: int, index, source, reduce: str, *, include_self: bool = True) -> Tensor:
    """A copy of input where each slice ``index[i]`` along ``dim`` becomes the reduction of the
    source slices ``i`` sent to it (and of its own values when ``include_self``); integer 'mean'
    rounds down. Gradients as ``scatter_reduce``'s.

    Args:
        input: the input tensor.
        dim: the dimension to index.
        index: a 1-D integer tensor of positions along dim, one per source slice.
        source: input's shape and dtype, except along dim where it has len(index) entries.
        reduce: 'prod', 'mean', 'amax' or 'amin'.
        include_self: also reduce input's own values at the positions written.
    """
    t, idx, src = F._tensor(input), F._tensor(index), F._tensor(source)
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if F._np_dtype(idx).kind not in "iu":
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim}")
    if src.dtype != t.dtype:
        raise RuntimeError(f"index_reduce_(): self ({t.dtype}) and source ({src.dtype}) must have the same scalar type")
    d = norm_dim(dim, t.ndim, "index_reduce")
    shape, sshape = list(t.shape) or [1], list(src.shape) or [1]
    if t.ndim != src.ndim or shape[:d] + shape[d + 1 :] != sshape[:d] + sshape[d + 1 :]:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(t.shape)} source.shape = {list(src.shape)}"
        )
    if idx.numel() != sshape[d]:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({idx.numel()}) should be equal to source.size(dim): "
            f"({sshape[d]}), for dim: {dim}"
        )
    if idx.numel() and (int(idx._data.min()) < 0 or int(idx._data.max()) >= shape[d]):
        raise IndexError(f"index_reduce(): index out of range in self (positions along dim {d} of size {shape[d]})")
    along = [1] * len(shape)
    along[d] = -1
    full = idx.reshape(along).expand(sshape)
    out = F.scatter_reduce(t.reshape(shape), d, full, src.reshape(sshape), reduce, include_self=include_self)
    return out.reshape(t.shape)


@deferrable
def argwhere(input) -> Tensor:
    """The indices of the nonzero elements, one row each: an (n, input.ndim) int64 tensor (``nonzero``).

    Args:
        input: the input tensor.
    """
    return F.nonzero(input)


def unravel_index(indices, shape) -> tuple:
    """The coordinates in ``shape`` of flat (row-major) positions, one int64 tensor per dimension
    in indices' shape. As in PyTorch, positions wrap around: each coordinate is taken modulo its
    dimension's size (so -1 is the last element).

    Args:
        indices: an integer tensor of flat positions.
        shape: the shape (an int or a sequence of ints).
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"unravel_index: expected 'indices' to be a Tensor, got {type(indices).__name__}")
    a = indices._data
    if a.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    rest, coords = a.astype(np.int64), []
    with np.errstate(divide="ignore"):
        for s in reversed(shape):
            coords.append(np.mod(rest, s) if s else np.zeros_like(rest))
            rest = np.floor_divide(rest, s) if s else rest
    return tuple(_wrap(c) for c in reversed(coords))


# ------------------------------------------------------------------ *_scatter
def _slice_key(op: str, dim: int, start, end, step: int) -> tuple:
    if step <= 0:
        raise RuntimeError(f"{op}: slice step must be positive, got {step}")
    return F._along(dim, slice(start, end, step))


@deferrable
def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """A copy of input with ``src`` written at ``input.select(dim, index)``.

    Args:
        input: the input tensor.
        src: the values, of the selected slice's shape (cast to input's dtype).
        dim: the dimension to index.
        index: the position along dim (negative counts from the end).
    """
    t = F._tensor(input)
    d = norm_dim(dim, t.ndim, "select_scatter")
    n = t.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(t.shape)} at dimension {d}")
    key = F._along(d, index)
    src = _like(src, t)
    _check_src_size("select_scatter", src, t._data[key].shape)
    return F.index_put(t, key, src)


@deferrable
def slice_scatter(input, src, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1) -> Tensor:
    """A copy of input with ``src`` written at ``input[..., start:end:step, ...]`` (along ``dim``).

    Args:
        input: the input tensor.
        src: the values, of the slice's shape (cast to input's dtype).
        dim: the dimension to slice.
        start: the first position (None: 0; negative counts from the end).
        end: the end position, excluded (None: the dimension's size).
        step: the step (> 0).
    """
    t = F._tensor(input)
    key = _slice_key("slice_scatter", norm_dim(dim, t.ndim, "slice_scatter"), start, end, step)
    src = _like(src, t)
    _check_src_size("slice_scatter", src, t._data[key].shape)
    return F.index_put(t, key, src)


@deferrable
def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of input with ``src`` written on the diagonal ``input.diagonal(offset, dim1, dim2)``.

    Args:
        input: a tensor of at least 2 dimensions.
        src: the values, of that diagonal's shape (cast to input's dtype).
        offset: which diagonal: 0 the main one, positive above it, negative below.
        dim1: the first dimension of the matrices.
        dim2: the second dimension of the matrices.
    """
    t = F._tensor(input)
    src = _like(src, t)
    _check_src_size("diagonal_scatter", src, F.diagonal(t, offset, dim1, dim2).shape)
    args = (offset, norm_dim(dim1, t.ndim, "diagonal_scatter"), norm_dim(dim2, t.ndim, "diagonal_scatter"))
    on_diagonal = I.DiagonalGrad.apply(_wrap(np.ones(src.shape, dtype=bool)), args=args, shape=tuple(t.shape))
    return F.where(on_diagonal, I.DiagonalGrad.apply(src, args=args, shape=tuple(t.shape)), t)


# ------------------------------------------------------------------ strided views
def _mark_view(out: Tensor, t: Tensor) -> Tensor:
    if out._data is not None:
        out._base = t._base or weakref.ref(t)
    return out


def as_strided(input, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of input's memory with the given geometry: element ``(i, j, ...)`` is the storage
    element ``storage_offset + i * stride[0] + j * stride[1] + ...``. The storage is the memory
    input shares with the tensor it is a view of; a geometry reaching outside it is refused. The
    view is read-only where two of its elements share a place. The gradient adds the output
    gradient back to the places read (overlapping windows add up).

    Args:
        input: the input tensor.
        size: the shape of the view.
        stride: the step, in elements, along each dimension (>= 0).
        storage_offset: the storage index of the first element (None: input's own ``storage_offset()``).
    """
    t = F._tensor(input)
    out = IM.AsStrided.apply(t, size=tuple(size), stride=tuple(stride), storage_offset=storage_offset)
    return _mark_view(out, t)


def _as_strided_(self, size, stride, storage_offset: int | None = None) -> Tensor:
    """In-place ``as_strided``: this tensor takes the new geometry over the same memory.

    Args:
        size: the shape.
        stride: the step, in elements, along each dimension.
        storage_offset: the storage index of the first element (None: this tensor's own).
    """
    if self._requires_grad:
        raise RuntimeError(
            "as_strided_: morch cannot change the geometry of a tensor that requires grad in place; "
            "use the out-of-place as_strided(...) instead"
        )
    self._data = as_strided(self, size, stride, storage_offset)._data
    return self


def as_strided_(input, size, stride, storage_offset: int | None = None) -> Tensor:
    """In-place ``as_strided`` (see ``Tensor.as_strided_``).

    Args:
        input: the tensor.
        size: the shape.
        stride: the step, in elements, along each dimension.
        storage_offset: the storage index of the first element (None: input's own).
    """
    return _as_strided_(input, size, stride, storage_offset)


def as_strided_scatter(input, src, size, stride, storage_offset: int | None = None) -> Tensor:
    """A copy of input with ``src`` written where ``copy.as_strided(size, stride, storage_offset)``
    looks; the copy keeps input's layout (the order of its strides) with its storage starting at
    input's first element, as PyTorch's ``clone``.

    Args:
        input: the input tensor.
        src: the values, of shape ``size`` (cast to input's dtype).
        size: the shape of the strided view.
        stride: its step, in elements, along each dimension.
        storage_offset: the storage index of its first element (None: 0).
    """
    t = F._tensor(input)
    return IM.AsStridedScatter.apply(
        t, _like(src, t), size=tuple(size), stride=tuple(stride), storage_offset=storage_offset
    )


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:  # fmt: skip
    """An uninitialised tensor with the given shape and strides, over just enough memory.

    Args:
        size: the shape.
        stride: the step, in elements, along each dimension (>= 0).
        dtype: defaults to the default float dtype.
        layout: only ``morch.strided`` (or None).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
        pin_memory: must be False (morch has no accelerator).
    """
    if pin_memory:
        raise RuntimeError("empty_strided: pin_memory needs an accelerator, which morch lacks")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    needed = 0 if 0 in size else 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    memory = np.empty(builtins.max(needed, 0), creation._dt(dtype))
    return creation._finish(IM.strided_view("empty_strided", memory, size, stride, 0), requires_grad, device)


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                       pin_memory: bool = False) -> Tensor:  # fmt: skip
    """``empty_strided`` with this tensor's dtype unless given.

    Args:
        size: the shape.
        stride: the step, in elements, along each dimension.
        dtype: the dtype instead of this tensor's.
        layout: only ``morch.strided`` (or None).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the result for autograd.
        pin_memory: must be False.
    """
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                         pin_memory=pin_memory)  # fmt: skip


# ------------------------------------------------------------------ splits and the *_copy functions
def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:
    """Pieces of the given sizes along ``dim`` (views), which must add up to the dimension's size.

    Args:
        input: the input tensor.
        split_sizes: a sequence of sizes.
        dim: the dimension to split.
    """
    if isinstance(split_sizes, (int, np.integer)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' must be a sequence of ints, not {split_sizes!r}")
    return F.split(input, list(split_sizes), dim)


unsafe_split, unsafe_chunk, unsafe_split_with_sizes = F.split, F.chunk, split_with_sizes


def _slice(input, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1) -> Tensor:
    t = F._tensor(input)
    return F.index(t, _slice_key("slice_copy", norm_dim(dim, t.ndim, "slice_copy"), start, end, step))


def _expand(input, size, *, implicit: bool = False) -> Tensor:
    return F.expand(input, size)


def _unfold(input, dimension: int, size: int, step: int) -> Tensor:
    return F._tensor(input).unfold(dimension, size, step)


# name -> (PyTorch's view function, morch's); each copy is that view, cloned
_COPIES = {
    "alias_copy": ("alias", F._tensor),
    "as_strided_copy": ("as_strided", as_strided),
    "detach_copy": ("detach", lambda input: F._tensor(input).detach()),
    "diagonal_copy": ("diagonal", F.diagonal),
    "expand_copy": ("expand", _expand),
    "narrow_copy": ("narrow", F.narrow),
    "permute_copy": ("permute", F.permute),
    "select_copy": ("select", F.select),
    "slice_copy": ("slice", _slice),
    "split_copy": ("split", F.split),
    "split_with_sizes_copy": ("split_with_sizes", split_with_sizes),
    "squeeze_copy": ("squeeze", F.squeeze),
    "t_copy": ("t", F.t),
    "transpose_copy": ("transpose", F.transpose),
    "unbind_copy": ("unbind", F.unbind),
    "unfold_copy": ("unfold", _unfold),
    "unsqueeze_copy": ("unsqueeze", F.unsqueeze),
    "view_copy": ("view", F.view),
}


def _copying(name: str, view_name: str, view):
    def fn(input, *args, **kwargs):
        out = view(input, *args, **kwargs)
        return tuple(F.clone(o) for o in out) if isinstance(out, tuple) else F.clone(out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``{view_name}`` of input, copied: the same values in memory of their own (a tuple of copies where "
        f"``{view_name}`` gives several views); gradients flow as through ``{view_name}``.\n\n"
        f"    Args:\n        input: the input tensor.\n        args: ``{view_name}``'s other arguments.\n    "
    )
    return fn


globals().update({name: _copying(name, *spec) for name, spec in _COPIES.items()})


# ------------------------------------------------------------------ histograms
def _return_type(name: str, fields: tuple) -> type:
    cls = namedtuple(name, fields)
    cls.__repr__ = lambda self: (
        f"morch.return_types.{name}(\n" + ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self)) + ")"
    )
    cls.__module__ = "morch.return_types"
    return cls


_histogram_type = _return_type("histogram", ("hist", "bin_edges"))
_histogramdd_type = _return_type("histogramdd", ("hist", "bin_edges"))


def _bin_edges(op: str, data: np.ndarray, bins, range, dtype) -> list:  # noqa: A002 - PyTorch's name
    """The edges of every dimension of (N, D) ``data``, in ``dtype``, with PyTorch's checks."""
    n_dims = data.shape[1]
    if isinstance(bins, (int, np.integer)) or (isinstance(bins, Tensor) and n_dims == 1):
        bins = [bins] * n_dims
    if len(bins) != n_dims:
        raise RuntimeError(f"{op}: The size of bins must be equal to the innermost dimension of the input.")
    if range is not None and len(range) != 2 * n_dims:
        raise RuntimeError(
            f"{op}: for a {n_dims}-dimensional histogram range should have {2 * n_dims} elements, but got {len(range)}"
        )
    edges = []
    for d, b in enumerate(bins):
        if isinstance(b, Tensor):
            if b.ndim != 1:
                raise RuntimeError(f"{op}: bins tensor should have one dimension, but got {b.ndim} dimensions")
            if b._data.dtype != dtype:
                raise RuntimeError(f"{op}: input tensor and bins tensors should have the same dtype, got {b.dtype}")
            edges.append(b._data.copy())
            continue
        if b <= 0:
            raise RuntimeError(f"{op}: bins must be > 0, but got {b} for dimension {d}")
        if range is not None:
            lo, hi = float(range[2 * d]), float(range[2 * d + 1])
        elif data.shape[0]:
            lo, hi = float(data[:, d].min()), float(data[:, d].max())
        else:
            lo, hi = 0.0, 1.0
        if lo > hi:
            raise RuntimeError(f"{op}: min should not exceed max, but got min {lo} max {hi} for dimension {d}")
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"{op}: dimension {d}'s range [{lo}, {hi}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(np.linspace(lo, hi, int(b) + 1).astype(dtype))
    return edges


def _histogramdd(op: str, input, bins, range, weight, density: bool, result) -> tuple:  # noqa: A002
    t = F._tensor(input)
    a = t._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {t.dtype}: the input must be a floating point tensor")
    if a.ndim < 1 or (op == "histogramdd" and a.ndim < 2):
        raise RuntimeError(f"{op}: input tensor should have at least {1 if op == 'histogram' else 2} dimensions")
    data = a.reshape(-1, 1) if op == "histogram" else a.reshape(-1, a.shape[-1])
    w = None
    if weight is not None:
        want = a.shape if op == "histogram" else a.shape[:-1]
        if tuple(weight.shape) != want:
            raise RuntimeError(
                f"{op}: weight tensor should have the shape {list(want)} (the input's, without its innermost "
                f"dimension for histogramdd), but got {list(weight.shape)}"
            )
        w = weight._data.reshape(-1)
    edges = _bin_edges(op, data, bins, range, a.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # density of no values: NaN, as in PyTorch
        hist, _ = np.histogramdd(data, bins=[e.astype(np.float64) for e in edges], weights=w, density=density)
    out = _wrap(hist.astype(a.dtype))
    if op == "histogram":
        return result(out, _wrap(edges[0]))
    return result(out, tuple(_wrap(e) for e in edges))


def histogram(input, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002 - PyTorch's name
    """Counts (or summed weights) of input's values in bins: ``(hist, bin_edges)``. Values outside
    the range are ignored; the last bin includes its right edge. Not differentiable.

    Args:
        input: a floating point tensor (all its elements are counted).
        bins: the number of equal bins, or a 1-D tensor of increasing edges (input's dtype).
        range: (min, max) of the equal bins (default: the smallest and largest value).
        weight: a tensor of input's shape: each value counts its weight instead of 1.
        density: divide by the total and the bin widths, so that the histogram integrates to 1.
    """
    return _histogramdd("histogram", input, bins, range, weight, density, _histogram_type)


def histogramdd(input, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002 - PyTorch's name
    """A D-dimensional histogram of the points in the rows of input (its last dimension is D):
    ``(hist, bin_edges)``, bin_edges being a tuple of D edge tensors. Not differentiable.

    Args:
        input: a floating point tensor of shape (..., D).
        bins: an int (the same number of equal bins in every dimension), a sequence of D ints, or a
            sequence of D 1-D edge tensors.
        range: the flat sequence (min_0, max_0, min_1, max_1, ...) of the equal bins.
        weight: a tensor of input's shape without its last dimension: each point counts its weight.
        density: normalise so that the histogram integrates to 1.
    """
    return _histogramdd("histogramdd", input, bins, range, weight, density, _histogramdd_type)


# ------------------------------------------------------------------ storages
class TypedStorage:
    """A minimal stand-in for ``torch.TypedStorage`` (``tensor.storage()``): the memory a tensor
    and its views share, counted in elements of the tensor's dtype. Like morch's ``UntypedStorage``
    it only answers introspection: ``data_ptr()``, ``size()``, ``nbytes()``, ``element_size()``,
    ``dtype``, ``device``, ``untyped()`` and ``len()``."""

    __slots__ = ("_array", "dtype")

    def __init__(self, array: np.ndarray, dtype):
        self._array, self.dtype = array, dtype

    def data_ptr(self) -> int:
        """The address of the first byte."""
        return self._array.ctypes.data

    def nbytes(self) -> int:
        """The number of bytes."""
        return self._array.nbytes

    def element_size(self) -> int:
        """The bytes of one element of ``dtype``."""
        return self.dtype.itemsize

    def size(self) -> int:
        """The number of elements of ``dtype`` the memory holds."""
        return self._array.nbytes // self.dtype.itemsize

    def untyped(self) -> UntypedStorage:
        """The same memory as an ``UntypedStorage``."""
        return UntypedStorage(self._array)

    @property
    def device(self):
        """Always the CPU."""
        return _device("cpu")

    def __len__(self) -> int:
        return self.size()

    def __repr__(self) -> str:
        return f"morch.storage.TypedStorage(dtype={self.dtype!r}, device=cpu) of size {self.size()}"


# one subclass per dtype, as ``torch.FloatStorage`` ..., which ``storage_type()`` returns
_STORAGE_TYPES = {
    nd: type(name.replace("Tensor", "Storage"), (TypedStorage,), {"__slots__": (), "__module__": "morch"})
    for nd, name in _TYPE_NAMES.items()
}


def _storage(self) -> TypedStorage:
    """This tensor's memory as a (deprecated, as in PyTorch) typed storage; prefer ``untyped_storage()``."""
    warnings.warn(
        "TypedStorage is deprecated, as in PyTorch: use tensor.untyped_storage() instead of tensor.storage()",
        UserWarning,
        stacklevel=2,
    )
    return _storage_type(self)(_memory_owner(self._data), self.dtype)


def _storage_type(self) -> type:
    """The typed-storage class of this tensor's dtype (``FloatStorage`` for float32 ...)."""
    return _STORAGE_TYPES.get(self._data.dtype.name, TypedStorage)


def is_storage(obj) -> bool:
    """True if ``obj`` is a storage (typed or untyped).

    Args:
        obj: any object.
    """
    return isinstance(obj, (UntypedStorage, TypedStorage))


# ------------------------------------------------------------------ introspection methods
def _new(self, *args, device=None) -> Tensor:
    """PyTorch's legacy constructor, with this tensor's dtype: ``new()`` (empty), ``new(2, 3)`` or
    ``new(Size)`` (uninitialised, of that shape), ``new(data)`` (a list, tuple or array of values),
    ``new(tensor)`` (that tensor's memory, detached; it must have this dtype).

    Args:
        args: nothing, sizes, data or a tensor.
        device: only 'cpu' is accepted.
    """
    if device is not None:
        _device(device)
    nd = self._data.dtype
    if len(args) == 1 and not isinstance(args[0], (Size, numbers.Integral)):
        data = args[0]
        if isinstance(data, Tensor):
            if data._data.dtype != nd:
                raise TypeError(f"new(): expected a tensor of dtype {self.dtype}, got one of {data.dtype}")
            return data.detach()
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return creation.tensor(data, dtype=self.dtype)
    return _wrap(np.empty(_size_arg(args) if args else (0,), dtype=nd))


def _resized(op: str, self, shape: tuple) -> Tensor:
    warnings.warn(f"non-inplace {op} is deprecated", UserWarning, stacklevel=3)
    n = int(np.prod(shape, dtype=np.int64))
    if n != self._data.size:
        raise RuntimeError(
            f"{op}: requested resize to {'x'.join(map(str, shape))} ({n} elements in total), but the given tensor "
            f"has {self._data.size} elements: the out-of-place resize can only change the shape, keeping the "
            "number of elements (use resize_ to change it)"
        )
    return self.reshape(shape)


def _resize(self, *sizes) -> Tensor:
    """Deprecated, as in PyTorch: this tensor in a new shape of the same number of elements (``reshape``).

    Args:
        sizes: the new shape.
    """
    return _resized("resize", self, _size_arg(sizes))


def _resize_as(self, tensor: Tensor) -> Tensor:
    """Deprecated, as in PyTorch: ``resize`` to ``tensor``'s shape.

    Args:
        tensor: the tensor whose shape to take.
    """
    return _resized("resize_as", self, tuple(tensor.shape))


def _is_set_to(self, tensor: Tensor) -> bool:
    """True if both tensors view the same memory with the same shape and strides.

    Args:
        tensor: the other tensor.
    """
    a, b = self._data, tensor._data
    return (
        _memory_owner(a) is _memory_owner(b)
        and a.ctypes.data == b.ctypes.data
        and (a.shape, a.strides, a.dtype) == (b.shape, b.strides, b.dtype)
    )


_AMBIGUOUS = "The tensor does not have unique dim order, or cannot map to exact one of the given memory formats."


def _dim_order(self, *, ambiguity_check=False) -> tuple:
    """The dimensions from the outermost to the innermost in memory (largest stride first; equal
    strides put the longer dimension outside; dimensions of stride 0 keep their place).

    Args:
        ambiguity_check: True to raise when the order is not unique (a dimension of size 1, or two
            equal strides), or a list of memory formats: then an ambiguous order is accepted when
            the tensor is contiguous in exactly one of them.
    """
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    if not isinstance(ambiguity_check, bool) and not isinstance(ambiguity_check, list):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    shape, strides = self.shape, self.stride()
    nd = len(shape)
    if ambiguity_check is not False:
        several = 1 in shape or any(strides[i] == strides[i + 1] for i in _range(nd - 1))
        if several and builtins.sum(self.is_contiguous(memory_format=f) for f in formats) != 1:
            raise RuntimeError(_AMBIGUOUS)
    if self._data.flags.c_contiguous or nd < 2:
        return tuple(_range(nd))
    moving = [d for d in _range(nd) if strides[d] != 0]
    ordered = iter(sorted(moving, key=lambda d: (-strides[d], -shape[d])))
    order = tuple(next(ordered) if strides[d] != 0 else d for d in _range(nd))
    if ambiguity_check is True and len(moving) < nd:
        raise RuntimeError("The tensor does not have unique dim order.")
    return order


def _output_nr(self) -> int:
    """Which output of the op that made it this tensor is: always 0 in morch."""
    return 0


def get_device(input) -> int:
    """-1: the device index of a CPU tensor.

    Args:
        input: the tensor.
    """
    return -1


def is_inference(input) -> bool:
    """Always False: morch has no inference tensors (``inference_mode`` is ``no_grad``).

    Args:
        input: the tensor.
    """
    return False


def is_inference_mode_enabled() -> bool:
    """True inside ``with morch.inference_mode():`` (or a function it decorates)."""
    return _grad_mode._inference


# ------------------------------------------------------------------ process switches and small top-level names
_warn_always = [False]


def set_warn_always(b: bool) -> None:
    """Set the flag ``is_warn_always_enabled`` reports (morch's warnings follow Python's filters).

    Args:
        b: the flag.
    """
    _warn_always[0] = bool(b)


def is_warn_always_enabled() -> bool:
    """The flag ``set_warn_always`` set (False by default)."""
    return _warn_always[0]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``autograd.set_detect_anomaly``: switch anomaly mode on or off.

    Args:
        enabled: on or off.
        check_nan: accepted (morch adds no NaN checks).
    """
    _autograd.set_detect_anomaly(enabled, check_nan)


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (``autograd.detect_anomaly``, ``set_anomaly_enabled``)."""
    return _autograd.is_anomaly_enabled()


def typename(obj) -> str:
    """The type name of ``obj``: ``'morch.FloatTensor'`` for a float32 tensor, else the qualified
    name of the class or function (of ``obj``'s class for other objects), without ``builtins.``.

    Args:
        obj: any object.
    """
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") else type(obj)
    module = getattr(named, "__module__", None)
    return named.__qualname__ if module in (None, "builtins") else f"{module}.{named.__qualname__}"


def set_default_tensor_type(t) -> None:
    """Deprecated, as in PyTorch: set the default float dtype from a tensor type name
    (``'torch.FloatTensor'``, ``'morch.DoubleTensor'``, ``'torch.HalfTensor'``) or a class of that name.

    Args:
        t: the type name or class.
    """
    warnings.warn(
        "set_default_tensor_type() is deprecated (as in PyTorch 2.1 and later): use set_default_dtype()",
        UserWarning,
        stacklevel=2,
    )
    nd = legacy_type_dtype(t)
    if nd is None:
        raise TypeError(f"set_default_tensor_type: {t!r} is not a tensor type (such as 'torch.FloatTensor')")
    if np.dtype(nd).kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_dtype(np.dtype(nd))


def detach(input) -> Tensor:
    """``input.detach()``: the same memory, cut from the graph.

    Args:
        input: the tensor.
    """
    return input.detach()


def detach_(input) -> Tensor:
    """``input.detach_()``: cut input from the graph in place.

    Args:
        input: the tensor.
    """
    return input.detach_()


def fill(input, value) -> Tensor:
    """A tensor of input's shape and dtype holding ``value`` everywhere (its gradient flows to a
    tensor value; input gets none).

    Args:
        input: the tensor whose shape and dtype to take.
        value: a number or a 0-d tensor.
    """
    t = F._tensor(input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return F.where(True, _like(value, t), t)


def fill_(input, value) -> Tensor:
    """``input.fill_(value)``.

    Args:
        input: the tensor.
        value: a number or a 0-d tensor.
    """
    return input.fill_(value)


def zero_(input) -> Tensor:
    """``input.zero_()``.

    Args:
        input: the tensor.
    """
    return input.zero_()


# ------------------------------------------------------------------ Tensor methods and flags
_FALSE_FLAGS = (
    "is_sparse is_sparse_csr is_quantized is_meta is_mkldnn is_nested is_xpu is_mps is_vulkan is_ipu is_maia is_mtia "
    "is_xla"
)


def _false(self) -> bool:
    """False: morch tensors are real and never lazily negated or conjugated."""
    return False


def _bind_methods() -> None:
    methods = {
        "take": take, "put": put, "index_put": _index_put, "argwhere": argwhere, "index_reduce": index_reduce,
        "select_scatter": select_scatter, "slice_scatter": slice_scatter, "diagonal_scatter": diagonal_scatter,
        "as_strided": as_strided, "as_strided_": _as_strided_, "as_strided_scatter": as_strided_scatter,
        "new_empty_strided": _new_empty_strided, "split_with_sizes": split_with_sizes, "unsafe_split": unsafe_split,
        "unsafe_chunk": unsafe_chunk, "unsafe_split_with_sizes": unsafe_split_with_sizes,
        "narrow_copy": globals()["narrow_copy"], "histogram": histogram,
        "get_device": get_device, "is_inference": is_inference, "is_shared": _false, "is_set_to": _is_set_to,
        "is_conj": _false, "is_neg": _false, "new": _new, "storage": _storage, "storage_type": _storage_type,
        "dim_order": _dim_order, "const_data_ptr": Tensor.data_ptr, "resize": _resize, "resize_as": _resize_as,
        "output_nr": property(_output_nr), "name": None,
        "prelu": NF.prelu, "hardshrink": NF.hardshrink,
    }  # fmt: skip
    methods.update(dict.fromkeys(_FALSE_FLAGS.split(), False), is_cpu=True)
    methods.update({name + "_": _in_place_variant(name) for name in ("put", "index_put", "index_reduce")})
    bind_missing(methods)


_bind_methods()

__all__: list[str] = [
    "take", "put", "index_put_", "argwhere", "unravel_index", "index_reduce",
    "select_scatter", "slice_scatter", "diagonal_scatter", "as_strided", "as_strided_", "as_strided_scatter",
    "empty_strided", "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
    "histogram", "histogramdd", "TypedStorage", "UntypedStorage", "is_storage",
    "get_device", "is_inference", "is_inference_mode_enabled", "set_warn_always", "is_warn_always_enabled",
    "set_anomaly_enabled", "is_anomaly_enabled", "typename", "set_default_tensor_type",
    "detach", "detach_", "fill", "fill_", "zero_",
]  # fmt: skip
__all__ += list(_COPIES)
