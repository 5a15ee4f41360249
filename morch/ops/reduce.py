"""Reductions over dimensions (``dim`` is None for all, or a tuple of normalised axes)."""

from __future__ import annotations

import numpy as np

from morch import functional as F
from morch.autograd.function import Function
from morch.ops.util import norm_dim, norm_dims
from morch.tensor import _wrap


def _keep_shape(shape: tuple, dim) -> tuple:
    """The shape the reduction has with keepdim=True."""
    if dim is None:
        return (1,) * len(shape)
    return tuple(1 if i in dim else s for i, s in enumerate(shape))


class _Reduce(Function):
    def _setup(self, a, dim, keepdim):
        """Normalise ``dim`` (None, int or tuple; negative allowed) and remember what backward needs."""
        self.in_shape, self.keepdim = a.shape, keepdim
        self.dim = norm_dims(dim, a.ndim, type(self).__name__.lower())
        return self.dim

    def _expand(self, g):
        """Bring a gradient of the reduced shape back to the input's shape."""
        if not self.keepdim:
            g = g.reshape(_keep_shape(self.in_shape, self.dim))
        return g.expand(self.in_shape)


class Sum(_Reduce):
    unread_inputs = (0,)

    def forward(self, a, dim=None, keepdim=False, dtype=None):
        dim = self._setup(a, dim, keepdim)
        if dtype is None and (a.dtype.kind in "bu" or (a.dtype.kind == "i" and a.dtype.itemsize < 8)):
            dtype = np.int64  # PyTorch sums bool and small integers as int64
        return np.sum(a, axis=dim, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return self._expand(g)


class Prod(_Reduce):
    def forward(self, a, dim=None, keepdim=False, dtype=None):
        dim = self._setup(a, dim, keepdim)
        if dtype is None and (a.dtype.kind in "bu" or (a.dtype.kind == "i" and a.dtype.itemsize < 8)):
            dtype = np.int64  # as sum: PyTorch multiplies bool and small integers as int64
        self.out = np.asarray(np.prod(a, axis=dim, keepdims=keepdim, dtype=dtype))
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        if not (a._data == 0).any():
            out = self.output().reshape(_keep_shape(self.in_shape, self.dim))
            return self._expand(g) * (out / a)
        # with zeros, out / a fails: take the product of the other elements without dividing
        return self._expand(g) * _product_of_others(a, self.dim)


def _product_of_others(a, dims):
    """For every element of ``a``, the product of the other elements of its slice over ``dims``.

    The reduced dimensions become one axis of length n, repeated n times with the diagonal set
    to 1, so it costs n times the memory of ``a`` (used only when ``a`` holds zeros).
    """
    dims = tuple(range(a.ndim)) if dims is None else dims
    kept = [d for d in range(a.ndim) if d not in dims]
    x = a.permute(*kept, *dims)
    outer, inner = x.shape[: len(kept)], x.shape[len(kept) :]
    n = int(np.prod(inner))
    x = x.reshape(*outer, 1, n).expand(*outer, n, n)
    x = F.where(_wrap(np.eye(n, dtype=bool)), 1.0, x)
    others = Prod.apply(x, dim=-1).reshape(*outer, *inner)
    return others.permute(*np.argsort(kept + list(dims)).tolist())


class Mean(_Reduce):
    unread_inputs = (0,)

    def forward(self, a, dim=None, keepdim=False):
        dim = self._setup(a, dim, keepdim)
        if a.dtype.kind != "f":
            raise TypeError(f"mean(): could not infer output dtype. Input dtype must be floating point, got {a.dtype}")
        self.count = a.size if dim is None else int(np.prod([a.shape[d] for d in dim]))
        if self.count == 0:  # numpy warns about the empty mean; PyTorch quietly gives nan
            return np.full(np.sum(a, axis=dim, keepdims=keepdim).shape, np.nan, dtype=a.dtype)
        return np.mean(a, axis=dim, keepdims=keepdim)

    def backward(self, g):
        return self._expand(g / self.count)


class Amax(_Reduce):
    """Max over dims; ties share the gradient equally (as ``torch.amax``)."""

    np_fn = staticmethod(np.max)

    def forward(self, a, dim=None, keepdim=False):
        dim = self._setup(a, dim, keepdim)
        if a.size == 0:
            raise ValueError(f"{type(self).__name__.lower()}(): cannot reduce an empty tensor of shape {a.shape}")
        self.out = type(self).np_fn(a, axis=dim, keepdims=keepdim)
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        out = self.output().reshape(_keep_shape(self.in_shape, self.dim)).detach()
        mask = (a.detach() == out).type(g.dtype)
        share = mask / mask.sum(dim=self.dim, keepdim=True)
        return self._expand(g) * share


class Amin(Amax):
    np_fn = staticmethod(np.min)


class _IndexReduce(Function):
    np_fn = None

    def forward(self, a, dim=None, keepdim=False):
        if dim is None:
            out = type(self).np_fn(a.reshape(-1))
            return np.asarray(out).reshape((1,) * a.ndim if keepdim else ())
        if a.ndim == 0:
            return np.asarray(type(self).np_fn(a.reshape(-1)))
        if isinstance(dim, int):
            dim = norm_dim(dim, a.ndim, type(self).__name__.lower())
        else:
            dim = norm_dims(dim, a.ndim, type(self).__name__.lower())
        return type(self).np_fn(a, axis=dim, keepdims=keepdim)

    def backward(self, g):
        return (None,)


class Argmax(_IndexReduce):
    np_fn = staticmethod(np.argmax)


class Argmin(_IndexReduce):
    np_fn = staticmethod(np.argmin)


class LogSumExp(_Reduce):
    op_name = "logsumexp"

    def forward(self, a, dim=None, keepdim=False):
        dim = self._setup(a, dim, keepdim)
        m = np.max(a, axis=dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # rows of -inf give -inf, not nan
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(a - m), axis=dim, keepdims=True)) + m
        self.out = out if keepdim else np.squeeze(out, axis=dim)
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        k = _keep_shape(self.in_shape, self.dim)
        return self._expand(g) * (a - self.output().reshape(k)).exp()


class Cumsum(Function):
    unread_inputs = (0,)

    def forward(self, a, dim):
        self.dim = dim = norm_dim(dim, a.ndim, "cumsum")
        return np.cumsum(a, axis=dim) if a.ndim else np.cumsum(a).reshape(())  # 0-d stays 0-d, as in PyTorch

    def backward(self, g):
        if g.ndim == 0:
            return g
        return g.flip((self.dim,)).cumsum(self.dim).flip((self.dim,))


class Cumprod(Function):
    """Running product along ``dim``.

    The gradient of input i is the sum over j >= i of g_j * prod(x_k for k <= j, k != i). Without
    zeros along ``dim`` that is revcumsum(g * out)_i / x_i; where there are zeros it is computed
    without dividing, as E_i * S_i with E_i = prod(x_k, k < i) and the reverse recurrence
    S_i = g_i + x_(i+1) * S_(i+1) (one small op per position along ``dim``). Both are written
    with morch ops, so the gradient is differentiable again.
    """

    def forward(self, a, dim):
        self.dim = dim = norm_dim(dim, a.ndim, "cumprod")
        self.out = np.cumprod(a, axis=dim) if a.ndim else np.cumprod(a).reshape(())
        return self.out

    def backward(self, g):
        (x,) = self.inputs
        if x.ndim == 0:
            return g
        d = self.dim
        if x._data.size == 0 or np.all(x._data != 0):
            return (g * self.output()).flip((d,)).cumsum(d).flip((d,)) / x
        xs, gs = x.unbind(d), g.unbind(d)
        n = len(xs)
        s = [gs[-1]] * n
        for i in range(n - 2, -1, -1):
            s[i] = gs[i] + xs[i + 1] * s[i + 1]
        e = xs[0] * 0 + 1
        grads = [s[0]]
        for i in range(1, n):
            e = e * xs[i - 1]
            grads.append(e * s[i])
        return F.stack(grads, d)


class All(_IndexReduce):
    np_fn = staticmethod(np.all)


class Any(_IndexReduce):
    np_fn = staticmethod(np.any)


class Var(_Reduce):
    def forward(self, a, dim=None, correction=1, keepdim=False):
        dim = self._setup(a, dim, keepdim)
        n = a.size if dim is None else int(np.prod([a.shape[d] for d in dim]))
        self.denom = max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.var(a, axis=dim, ddof=correction, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.inputs
        centered = a - a.mean(dim=self.dim, keepdim=True)
        return self._expand(g) * centered * (2.0 / self.denom if self.denom else float("nan"))


OPS = [Var, Sum, Prod, Mean, Amax, Amin, Argmax, Argmin, LogSumExp, Cumsum, Cumprod, All, Any]
