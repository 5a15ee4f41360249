"""Indexing ops: getitem with a scatter-add backward, index_put, gather/scatter_add, constant pad.

Tensors inside an index (``x[idx]``, ``x[mask]``) are op inputs, not parameters, so that
static graphs can feed them; ``key`` is the index with ``Slot(i)`` where input ``i+1`` goes.
"""

from __future__ import annotations

import numpy as np

from morch import functional as F
from morch.autograd.function import Function, op_error
from morch.ops.util import norm_dim
from morch.tensor import Tensor, _wrap


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
            raise op_error(TypeError, f"gather(): Expected dtype int64 for index (an integer tensor), got {idx.dtype}")
        self.dim, self.in_shape = norm_dim(dim, a.ndim, "gather"), a.shape
        if a.ndim == 0:  # PyTorch reads a 0-d input as one element, and an index of 0 or 1 dims
            if idx.ndim > 1:
                raise op_error(ValueError, f"gather(): index of shape {tuple(idx.shape)} has more dims than input ()")
            _check_positions("gather", idx, 0, 1)
            return np.broadcast_to(a, idx.shape).copy()
        if idx.ndim != a.ndim:
            raise op_error(
                ValueError,
                f"gather(): Index tensor must have the same number of dimensions as input tensor "
                f"(index {tuple(idx.shape)}, input {tuple(a.shape)})",
            )
        for d, n in enumerate(idx.shape):
            if d != self.dim and n > a.shape[d]:
                raise op_error(
                    ValueError,
                    f"gather(): Size does not match at dimension {d} expected index {tuple(idx.shape)} to be "
                    f"no larger than input {tuple(a.shape)} apart from dimension {self.dim}",
                )
        _check_positions("gather", idx, self.dim, a.shape[self.dim])
        return a[along_dim(idx, self.dim)]

    def backward(self, g):
        zeros = _wrap(np.zeros(self.in_shape, dtype=g._data.dtype))
        return ScatterAdd.apply(zeros, self.inputs[1], g, dim=self.dim), None


class _Plan:
    """Where a scatter-like op writes: PyTorch's checks done once, for forward and backward.

    ``key`` indexes ``out.reshape(shape)`` at the positions the index points to (a 0-d input,
    and its index and src, are read as one-dimensional, as PyTorch does); ``idx_shape`` is the
    index's shape as used with ``key``; ``hit`` marks, in the input's shape, every position
    written at least once. An empty index writes nothing: ``key`` is then None. With ``value``,
    src is a 0-d array written at every position of the index.
    """

    def __init__(self, name: str, a: np.ndarray, idx: np.ndarray, src: np.ndarray, dim: int, value: bool = False):
        if idx.dtype.kind not in "iu":
            raise op_error(TypeError, f"{name}(): Expected dtype int64 for index (an integer tensor), got {idx.dtype}")
        if src.dtype != a.dtype:
            raise op_error(
                TypeError,
                f"{name}(): Expected self.dtype to be equal to src.dtype (input {a.dtype}, src {src.dtype}; "
                "convert one with .to(...))",
            )
        self.dim = dim = norm_dim(dim, a.ndim, name)
        self.a_ndim, self.value = a.ndim, value
        self.shape = a.shape if a.ndim else (1,)
        self.key = None
        self.hit = np.zeros(a.shape, dtype=bool)
        if idx.size == 0:  # nothing to write (PyTorch accepts any empty index here)
            return
        shapes = f"index {tuple(idx.shape)}, src {tuple(src.shape)}, input {tuple(a.shape)}"
        if a.ndim == 0:
            if idx.ndim > 1 or (not value and (src.ndim > 1 or src.size < idx.size)):
                raise op_error(
                    ValueError, f"{name}(): a 0-d input takes an index and src of at most one element each ({shapes})"
                )
            idx = idx.reshape(-1)
        else:
            if idx.ndim != a.ndim or (src.ndim != a.ndim and not value):
                raise op_error(
                    ValueError,
                    f"{name}(): Index tensor must have the same number of dimensions as self and src ({shapes})",
                )
            for d, n in enumerate(idx.shape):
                if (not value and n > src.shape[d]) or (d != dim and n > a.shape[d]):
                    raise op_error(
                        ValueError,
                        f"{name}(): Expected index {tuple(idx.shape)} to be no larger than src {tuple(src.shape)} "
                        f"in every dimension and than input {tuple(a.shape)} apart from dimension {dim}",
                    )
        _check_positions(name, idx, dim, self.shape[dim])
        self.idx_shape = idx.shape
        self.key = along_dim(idx, dim)
        self.hit.reshape(self.shape)[self.key] = True

    def values(self, src: np.ndarray) -> np.ndarray:
        """The values written, in ``idx_shape``: src's part that the index covers (or the 0-d value)."""
        if self.value:
            return np.broadcast_to(src, self.idx_shape)
        if self.a_ndim == 0:
            return src.reshape(-1)[: self.idx_shape[0]]
        return src[tuple(slice(0, s) for s in self.idx_shape)]

    def covered(self, src: Tensor) -> Tensor:
        """``values`` as a graph-connected tensor."""
        if self.value:
            return src.expand(*self.idx_shape)
        if src._data.shape == self.idx_shape:
            return src
        if self.a_ndim == 0:
            return src.reshape(-1)[: self.idx_shape[0]]
        return src[tuple(slice(0, s) for s in self.idx_shape)]

    def gather(self, g: Tensor, idx: Tensor) -> Tensor:
        """``g`` (in the input's shape) read at the index, in ``idx_shape``."""
        out = Gather.apply(g, idx, dim=self.dim)
        return out.reshape(*self.idx_shape) if self.a_ndim == 0 else out

    def src_grad(self, g: Tensor, src: Tensor) -> Tensor | None:
        """A gradient in ``idx_shape`` as src's: src may be larger (the rest gets zeros)."""
        if self.value:  # src was a number written everywhere: it needs no gradient
            return None
        shape = src._data.shape
        if g._data.shape == shape:
            return g
        if g._data.size == src._data.size:  # a 0-d src of a 0-d input
            return g.reshape(*shape)
        return IndexGrad.apply(g, key=tuple(slice(0, s) for s in self.idx_shape), shape=shape)


def _check_positions(name: str, idx: np.ndarray, dim: int, size: int) -> None:
    """Every index in [0, size), as PyTorch requires (a negative index is an error, not counted from the end)."""
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise op_error(IndexError, f"{name}(): index {bad} is out of bounds for dimension {dim} with size {size}")


class ScatterAdd(Function):
    """``a.scatter_add(dim, idx, src)``: a copy of a with src added at idx along dim (repeats add up)."""

    unread_inputs = (0, 2)

    def forward(self, a, idx, src, dim):
        self.plan = plan = _Plan("scatter_add", a, idx, src, dim)
        out = a.copy()
        if plan.key is not None:
            np.add.at(out.reshape(plan.shape), plan.key, plan.values(src))
        return out

    def backward(self, g):
        plan, gsrc = self.plan, None
        if self.needs_input_grad[2] and plan.key is not None:
            gsrc = plan.src_grad(plan.gather(g, self.inputs[1]), self.inputs[2])
        return g, None, gsrc


class Scatter(Function):
    """``a.scatter(dim, idx, src)``: a copy of a with src written at idx along dim; with
    ``value=True`` src is a 0-d array written at every position of the index.

    Where an index repeats, the last write wins (numpy's order; PyTorch leaves the order
    unspecified). The gradients are PyTorch's, exact when the index has no repeats: the input's
    gradient is zero where something was written, src's is the output gradient read at the index.
    """

    unread_inputs = (0, 2)

    def forward(self, a, idx, src, dim, value=False):
        self.plan = plan = _Plan("scatter", a, idx, src, dim, value)
        out = a.copy()
        if plan.key is not None:
            out.reshape(plan.shape)[plan.key] = plan.values(src)
        return out

    def backward(self, g):
        need, plan = self.needs_input_grad, self.plan
        ga = gsrc = None
        if need[0]:
            ga = g * _wrap((~plan.hit).astype(g._data.dtype))
        if need[2] and plan.key is not None:
            gsrc = plan.src_grad(plan.gather(g, self.inputs[1]), self.inputs[2])
        return ga, None, gsrc


SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype):
    """The value that leaves a reduction unchanged (where a written position starts without include_self)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = reduce == "amin"
    if dtype.kind == "f":
        return np.inf if big else -np.inf
    if dtype.kind == "b":
        return big
    info = np.iinfo(dtype)
    return info.max if big else info.min


class ScatterReduce(Function):
    """``a.scatter_reduce(dim, idx, src, reduce, include_self=True)``: each position of a that the
    index points to becomes the reduction ('sum', 'prod', 'mean', 'amax', 'amin') of the src
    values sent there, and of its own value when ``include_self``; other positions keep a's value.

    Integer 'mean' rounds down (floor), as PyTorch. Repeated indices are the point: every value
    sent to a position takes part (numpy's ufunc.at), so the result does not depend on order.
    ``value=True`` (scatter's number form) makes src a 0-d array sent to every index position;
    ``name`` is the function named in errors.

    Gradients (float tensors), written with morch ops so they are differentiable again: sum and
    mean pass the output gradient (divided by the count, for mean) to every value that took
    part; amax/amin share it equally between the values equal to the result (PyTorch's rule,
    except that without include_self the input's own value never takes a share, where PyTorch
    still counts it when it ties); prod gives each value the gradient times the product of the
    other values, without dividing where a zero takes part. The input gets no gradient where
    its value did not take part (written positions without include_self).
    """

    def forward(self, a, idx, src, dim, reduce, include_self=True, value=False, name="scatter_reduce"):
        if reduce not in SCATTER_REDUCES:
            raise op_error(
                ValueError, f"{name}(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce!r}"
            )
        if reduce == "mean" and a.dtype.kind == "b":
            raise op_error(TypeError, f"{name}(): reduce='mean' is not implemented for bool tensors")
        self.plan = plan = _Plan(name, a, idx, src, dim, value)
        self.reduce, self.include_self = reduce, include_self
        if reduce in ("sum", "mean"):
            self.unread_inputs = (0, 2)  # their gradients read no values
        self.out = out = a.copy()
        if plan.key is None:
            return out
        if not include_self:
            out[plan.hit] = _identity(reduce, a.dtype)
        with np.errstate(invalid="ignore"):  # NaN propagates through amax/amin, quietly as in PyTorch
            _UFUNCS[reduce].at(out.reshape(plan.shape), plan.key, plan.values(src))
        if reduce == "mean":
            count = np.zeros(plan.shape, dtype=np.int64) + int(include_self)
            np.add.at(count, plan.key, 1)
            count = np.maximum(count, 1).reshape(a.shape)  # positions without writes keep their value
            if a.dtype.kind == "f":
                out /= count
                self.count = count
            else:
                out[...] = np.floor_divide(out, count)
        return out

    def backward(self, g):
        need, plan = self.needs_input_grad, self.plan
        a, idx, src = self.inputs
        if plan.key is None:
            return g, None, None
        takes_part = np.ones(a._data.shape, dtype=bool) if self.include_self else ~plan.hit
        if self.reduce in ("sum", "mean"):
            share = g if self.reduce == "sum" else g / _wrap(self.count.astype(g._data.dtype))
            ga = share if self.include_self else share * _wrap(takes_part.astype(g._data.dtype))
            gsrc = plan.gather(share, idx) if need[2] else None
        elif self.reduce in ("amax", "amin"):
            ga, gsrc = self._extremum_grads(g, takes_part)
        else:
            ga, gsrc = self._prod_grads(g, takes_part)
        return (ga if need[0] else None), None, (plan.src_grad(gsrc, src) if need[2] else None)

    def _extremum_grads(self, g, takes_part):
        """Ties share: each value equal to the result gets the gradient divided by how many are."""
        plan, (a, idx, src) = self.plan, self.inputs
        dtype = g._data.dtype
        self_wins = (a._data == self.out) & takes_part
        src_wins = plan.values(src._data) == self.out.reshape(plan.shape)[plan.key]
        n = self_wins.astype(dtype)
        np.add.at(n.reshape(plan.shape), plan.key, src_wins)
        share = g / _wrap(np.maximum(n, 1))
        return share * _wrap(self_wins.astype(dtype)), plan.gather(share, idx) * _wrap(src_wins.astype(dtype))

    def _prod_grads(self, g, takes_part):
        """Each value gets the output gradient times the product of the other values of its
        position: out / value where no zero takes part, else exclusive products."""
        plan, (a, idx, src) = self.plan, self.inputs
        covered = plan.covered(src)  # the src values that took part, in the index's shape
        if np.all(a._data[takes_part] != 0) and np.all(covered._data != 0):
            go = g * self.output()
            if takes_part.all():
                ga = go / a
            else:  # written positions without include_self: no gradient, and a may be 0 there
                part = _wrap(takes_part)
                ga = F.where(part, go / F.where(part, a, 1.0), 0.0)
            return ga, plan.gather(go, idx) / covered
        self_others, src_others = _exclusive_products(a, covered, plan, self.include_self)
        return g * self_others, plan.gather(g, idx) * src_others


def _exclusive_products(a: Tensor, covered: Tensor, plan: _Plan, include_self: bool):
    """For scatter_reduce 'prod': per value, the product of the other values sent to its position.

    The values of each written position (its own value if include_self, then the src values)
    are one row of a (written positions, most values) matrix padded with ones; a value's product
    of the others is the running product before it times the running product after it (cumprod,
    exact with zeros), so nothing is divided. Returns the factors for a (in a's shape: 1 where
    nothing was written, 0 at written positions without include_self) and for src (in the
    index's shape).
    """
    dtype = a._data.dtype
    flat_shape = (int(np.prod(plan.shape)),)
    dest = np.ravel_multi_index(np.broadcast_arrays(*plan.key), plan.shape).reshape(-1)
    rows = np.unique(dest)  # the written positions, one row each
    self_row = np.arange(len(rows)) if include_self else np.zeros(0, dtype=np.int64)
    row = np.concatenate([self_row, np.searchsorted(rows, dest)])
    order = np.argsort(row, kind="stable")
    col = np.empty_like(row)  # the place of each value in its row
    col[order] = np.arange(len(row)) - np.searchsorted(row[order], row[order])
    vals = covered.reshape(-1)
    if include_self:
        vals = F.cat([Index.apply(a.reshape(flat_shape), key=(rows,)), vals])
    grid = IndexPut.apply(_wrap(np.ones((len(rows), int(col.max()) + 1), dtype)), vals, key=(row, col))
    one = _wrap(np.ones((len(rows), 1), dtype))
    before = F.cat([one, grid[:, :-1].cumprod(1)], 1)
    after = F.cat([one, grid.flip((1,))[:, :-1].cumprod(1)], 1).flip((1,))
    others = Index.apply(before * after, key=(row, col))
    n_self = len(self_row)
    src_others = others[n_self:].reshape(*plan.idx_shape)
    if include_self:
        self_others = IndexPut.apply(_wrap(np.ones(flat_shape, dtype)), others[:n_self], key=(rows,))
    else:
        self_others = _wrap((~plan.hit).reshape(flat_shape).astype(dtype))
    return self_others.reshape(*a._data.shape), src_others


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


OPS = [Index, IndexGrad, IndexPut, Gather, ScatterAdd, Scatter, ScatterReduce, Diagonal, DiagonalGrad, ConstantPad]
