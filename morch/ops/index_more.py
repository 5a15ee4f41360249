"""Strided views of a tensor's memory: ``as_strided`` and ``as_strided_scatter``.

A morch tensor's memory (its *storage*) is the numpy array that owns the memory it views
(``tensor._memory_owner``), as ``storage_offset()`` and ``untyped_storage()`` count it. A geometry
``(size, stride, storage_offset)`` in elements names the storage elements
``storage_offset + sum_k i_k * stride_k``; geometries reaching outside the storage are refused
before any memory is touched. Gradients are written with the Index/IndexGrad ops, so they are
differentiable again: as_strided's adds the output gradient into a storage-sized buffer at each
output element's place (overlapping windows add up) and reads it back at each input element's
place (divided by how many input elements share that place, as in PyTorch).
"""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function, op_error
from morch.ops.index import Index, IndexGrad
from morch.tensor import _memory_owner, _wrap


def check_geometry(op: str, size, stride, offset: int, storage_size: int) -> tuple[tuple, tuple]:
    """``size`` and ``stride`` as tuples of ints, with PyTorch's errors for a geometry that is
    malformed or reaches outside a storage of ``storage_size`` elements.

    Args:
        op: the function named in errors.
        size: the shape of the view.
        stride: the step, in elements, along each dimension.
        offset: the storage index of the view's first element.
        storage_size: how many elements the storage holds.
    """
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape ({list(size)} and {list(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError(f"{op}: negative size in {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"{op}: invalid storage offset {offset}")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > storage_size:
        raise RuntimeError(
            f"{op}: sizes {list(size)}, strides {list(stride)} and storage offset {offset} need a storage of "
            f"{needed} elements, out of bounds for a storage of {storage_size} elements",
        )
    return size, stride


def positions(size: tuple, stride: tuple, offset: int) -> np.ndarray:
    """The storage index of every element of the view ``(size, stride, offset)``, in its shape."""
    pos = np.full(size, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((-1,) + (1,) * (len(size) - d - 1))
    return pos


def overlaps(size: tuple, stride: tuple) -> bool:
    """True if two elements of the view share a storage place."""
    dims = sorted((s, n) for n, s in zip(size, stride) if n > 1)
    reach = 0  # the largest storage distance spanned by the dims of smaller stride
    for s, n in dims:
        if s <= reach:
            return np.unique(positions(size, stride, 0)).size < int(np.prod(size))
        reach += (n - 1) * s
    return False


def storage_of(a: np.ndarray) -> tuple[np.ndarray, int]:
    """The storage of ``a`` as a flat byte array, and ``a``'s storage offset in elements of its dtype."""
    owner = _memory_owner(a)
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        raise op_error(ValueError, "as_strided: the tensor's memory is not one contiguous block")
    flat = owner.reshape(-1) if owner.flags.c_contiguous else owner.T.reshape(-1)
    return flat.view(np.uint8), (a.ctypes.data - owner.ctypes.data) // a.itemsize


def element_strides(op: str, a: np.ndarray) -> tuple:
    """``a``'s strides in elements (refused when a step is not a whole number of elements)."""
    if any(s % a.itemsize for s in a.strides):
        raise op_error(ValueError, f"{op}: the tensor's strides {a.strides} (bytes) are not whole elements")
    return tuple(s // a.itemsize for s in a.strides)


def strided_view(op: str, a: np.ndarray, size, stride, offset: int | None) -> np.ndarray:
    """The view ``(size, stride, offset)`` of ``a``'s storage, of ``a``'s dtype (offset None: a's own);
    read-only where two of its elements share a place."""
    storage, own = storage_of(a)
    offset = own if offset is None else int(offset)
    size, stride = check_geometry(op, size, stride, offset, storage.size // a.itemsize)
    item = a.itemsize
    start = 0 if 0 in size else offset * item  # an empty view may start anywhere: numpy wants it inside
    view = np.ndarray(size, a.dtype, buffer=storage, offset=start, strides=tuple(s * item for s in stride))
    if view.flags.writeable and overlaps(size, stride):
        view.flags.writeable = False
    return view


class AsStrided(Function):
    """``as_strided(input, size, stride, storage_offset)``: a view of input's storage with this
    geometry (the storage offset counts from the storage's start; None keeps input's own)."""

    unread_inputs = (0,)

    def forward(self, a, size, stride, storage_offset=None):
        out = strided_view("as_strided", a, size, stride, storage_offset)
        own = storage_of(a)[1]
        offset = own if storage_offset is None else storage_offset
        self.out_geometry = (out.shape, element_strides("as_strided", out), offset)
        self.in_geometry = (a.shape, element_strides("as_strided", a), own)
        return out

    def backward(self, g):
        out_pos, in_pos = positions(*self.out_geometry), positions(*self.in_geometry)
        if out_pos.size == 0 or in_pos.size == 0:
            return _wrap(np.zeros(in_pos.shape, dtype=g._data.dtype))
        lo = min(out_pos.min(), in_pos.min())
        n = int(max(out_pos.max(), in_pos.max()) - lo + 1)
        storage = IndexGrad.apply(g, key=(out_pos - lo,), shape=(n,))
        grad = Index.apply(storage, key=(in_pos - lo,))
        count = np.bincount((in_pos - lo).reshape(-1), minlength=n)
        if count.max() > 1:  # input elements sharing a place share its gradient
            grad = grad / _wrap(count[in_pos - lo].astype(g._data.dtype))
        return grad


def dense_order(a: np.ndarray) -> np.ndarray:
    """For a copy of ``a`` laid out as PyTorch's ``clone()`` keeps it (the order of a's strides):
    the row-major position in ``a`` of each storage element of that copy."""
    ids = np.empty_like(a, dtype=np.int64)
    ids[...] = np.arange(a.size, dtype=np.int64).reshape(a.shape)
    return ids.ravel(order="K")


class AsStridedScatter(Function):
    """``as_strided_scatter(input, src, size, stride, storage_offset)``: a copy of input with src
    written where ``copy.as_strided(size, stride, storage_offset)`` would look; the copy keeps
    input's layout (the order of its strides) and starts its storage at offset 0, as PyTorch's clone."""

    unread_inputs = (0, 1)

    def forward(self, a, src, size, stride, storage_offset=None):
        offset = 0 if storage_offset is None else int(storage_offset)
        size, stride = check_geometry("as_strided_scatter", size, stride, offset, a.size)
        if src.shape != size:
            raise RuntimeError(
                f"as_strided_scatter: expected src to have a size equal to the slice of self. src size = "
                f"{list(src.shape)}, slice size = {list(size)}",
            )
        if src.dtype != a.dtype:
            raise op_error(TypeError, f"as_strided_scatter: expected src of dtype {a.dtype}, got {src.dtype}")
        self.flat = dense_order(a)[positions(size, stride, offset)]
        out = np.array(a, order="C")
        out.reshape(-1)[self.flat] = src
        return out

    def backward(self, g):
        ga = gsrc = None
        if self.needs_input_grad[0]:
            keep = np.ones(g._data.size, dtype=g._data.dtype)
            keep[self.flat] = 0
            ga = g * _wrap(keep.reshape(g._data.shape))
        if self.needs_input_grad[1]:
            gsrc = Index.apply(g.reshape(-1), key=(self.flat,))
        return ga, gsrc


OPS = [AsStrided, AsStridedScatter]
