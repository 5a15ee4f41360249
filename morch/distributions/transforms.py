"""Transforms and TransformedDistribution: distributions of f(x) for an invertible f, with
``log_prob(y) = base.log_prob(f^-1(y)) - log|det J_f|``, as ``torch.distributions``.

A transform has a ``domain`` and a ``codomain`` constraint (their ``event_dim`` says how many
rightmost dimensions one event spans on each side), ``forward_shape``/``inverse_shape`` and
``inv``, the inverse transform (``t.inv(y)`` inverts).
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np

from morch import creation
from morch import functional as F
from morch.distributions import constraints
from morch.distributions.continuous import Normal
from morch.distributions.distribution import Distribution, _as_params
from morch.distributions.utils import softplus, sum_rightmost, tril_matrix_to_vec, vec_to_tril_matrix
from morch.tensor import Size, Tensor

__all__ = ["Transform", "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform",
           "SigmoidTransform", "SoftplusTransform", "TanhTransform", "SoftmaxTransform", "StackTransform",
           "StickBreakingTransform", "identity_transform", "TransformedDistribution", "LogNormal"]  # fmt: skip

_sum_rightmost = sum_rightmost


def _shape_of(x) -> tuple:
    return tuple(x.shape) if isinstance(x, Tensor) else ()


def _need_dims(shape, n: int, who: str) -> None:
    if len(shape) < n:
        raise ValueError(f"{who}: too few dimensions on input: shape {tuple(shape)}, needs at least {n}")


class Transform:
    """An invertible (or at least left-invertible) map with the log of its Jacobian's absolute determinant.

    Subclasses define ``_call``, ``_inverse`` and ``log_abs_det_jacobian(x, y)``, and set ``domain``,
    ``codomain`` (constraints), ``bijective`` and ``sign`` (+1/-1 for monotone maps).

    Args:
        cache_size: 1 to remember the last (x, y) pair, so inverting a value just produced is exact.
    """

    bijective = False
    domain = constraints.real
    codomain = constraints.real
    _cache_size = 0
    _cached = (None, None)

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size, self._cached = cache_size, (None, None)

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> Transform:
        """The inverse transform (calling it inverts: ``t.inv(y)``)."""
        inv = self.__dict__.get("_inv")
        if inv is None:
            inv = _InverseTransform(self)
            self._inv = inv
        return inv

    @property
    def sign(self):
        raise NotImplementedError(f"{type(self).__name__} has no sign (it is not monotone)")

    def with_cache(self, cache_size: int = 1) -> Transform:
        """The same transform with a cache of the last (x, y) pair (``cache_size`` 1) or none (0)."""
        if self._cache_size == cache_size:
            return self
        new = copy.copy(self)
        Transform.__init__(new, cache_size)
        new.__dict__.pop("_inv", None)
        return new

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and (self is other or self._same(other))

    def _same(self, other) -> bool:
        return True  # parameterless transforms of one type are equal; parameterised ones compare parameters

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __call__(self, x: Tensor) -> Tensor:
        if not self._cache_size:
            return self._call(x)
        x_old, y_old = self._cached
        if x is x_old:
            return y_old
        y = self._call(x)
        self._cached = (x, y)
        return y

    def _inv_call(self, y: Tensor) -> Tensor:
        if not self._cache_size:
            return self._inverse(y)
        x_old, y_old = self._cached
        if y is y_old:
            return x_old
        x = self._inverse(y)
        self._cached = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not define its forward map")

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian")

    def forward_shape(self, shape):
        """The shape of f(x) for x of ``shape``."""
        return Size(shape)

    def inverse_shape(self, shape):
        """The shape of f^-1(y) for y of ``shape``."""
        return Size(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """The inverse of a transform (what ``t.inv`` returns)."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(transform._cache_size)
        self._inv = transform

    domain = property(lambda self: self._inv.codomain)
    codomain = property(lambda self: self._inv.domain)
    bijective = property(lambda self: self._inv.bijective)
    sign = property(lambda self: self._inv.sign)
    inv = property(lambda self: self._inv)

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inv.with_cache(cache_size).inv

    def _same(self, other) -> bool:
        return self._inv == other._inv

    def __call__(self, y):
        return self._inv._inv_call(y)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inv!r})"


def _event_dim_through(parts, start: int, forward: bool) -> int:
    """The event dimensions at the far end of a chain of transforms that starts with ``start``."""
    event_dim = start
    for p in parts if forward else reversed(parts):
        src, dst = (p.domain, p.codomain) if forward else (p.codomain, p.domain)
        event_dim = max(event_dim + dst.event_dim - src.event_dim, dst.event_dim)
    return event_dim


def _independent(constraint, event_dim: int):
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


class ComposeTransform(Transform):
    """Several transforms applied in order (``identity_transform`` is the empty composition).

    Args:
        parts: the transforms, first applied first.
        cache_size: 0 or 1 (passed to the parts).
    """

    def __init__(self, parts: list, cache_size: int = 0):
        parts = list(parts)
        if not all(isinstance(p, Transform) for p in parts):
            raise ValueError(f"ComposeTransform expects a list of Transforms, got {parts}")
        super().__init__(cache_size)
        self.parts = [p.with_cache(cache_size) for p in parts] if cache_size else parts

    def _same(self, other) -> bool:
        return self.parts == other.parts

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        return _independent(
            self.parts[0].domain, _event_dim_through(self.parts, self.parts[-1].codomain.event_dim, False)
        )

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        return _independent(
            self.parts[-1].codomain, _event_dim_through(self.parts, self.parts[0].domain.event_dim, True)
        )

    bijective = property(lambda self: all(p.bijective for p in self.parts))

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self) -> Transform:
        inv = self.__dict__.get("_inv")
        if inv is None:
            inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inv, inv._inv = inv, self
        return inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else ComposeTransform(self.parts, cache_size)

    def __call__(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return creation.zeros_like(x)
        total, event_dim = None, self.domain.event_dim
        for i, p in enumerate(self.parts):
            y_p = y if i == len(self.parts) - 1 else p(x)
            term = sum_rightmost(p.log_abs_det_jacobian(x, y_p), event_dim - p.domain.event_dim)
            total = term if total is None else total + term
            event_dim += p.codomain.event_dim - p.domain.event_dim
            x = y_p
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return Size(shape)

    def inverse_shape(self, shape):
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return Size(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n    " + ",\n    ".join(repr(p) for p in self.parts) + "\n)"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with its last ``reinterpreted_batch_ndims`` batch dimensions made part of the
    event: its log-Jacobian is summed over them.

    Args:
        base_transform: the transform.
        reinterpreted_batch_ndims: how many more dimensions form one event.
        cache_size: 0 or 1.
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0):
        super().__init__(cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size)

    domain = property(lambda self: constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims))
    codomain = property(
        lambda self: constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)
    )
    bijective = property(lambda self: self.base_transform.bijective)
    sign = property(lambda self: self.base_transform.sign)

    def _same(self, other) -> bool:
        return (
            self.base_transform == other.base_transform
            and self.reinterpreted_batch_ndims == other.reinterpreted_batch_ndims
        )

    def _call(self, x):
        _need_dims(x.shape, self.domain.event_dim, "IndependentTransform")
        return self.base_transform(x)

    def _inverse(self, y):
        _need_dims(y.shape, self.codomain.event_dim, "IndependentTransform")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Reshapes the rightmost ``in_shape`` dimensions to ``out_shape`` (log-Jacobian 0).

    Args:
        in_shape: the event shape of the input.
        out_shape: the event shape of the output (same number of elements).
        cache_size: 0 or 1.
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        if int(np.prod(self.in_shape)) != int(np.prod(self.out_shape)):
            raise ValueError(
                f"ReshapeTransform: in_shape {tuple(self.in_shape)} and out_shape {tuple(self.out_shape)} "
                "have different numbers of elements"
            )
        super().__init__(cache_size)

    domain = property(lambda self: constraints.independent(constraints.real, len(self.in_shape)))
    codomain = property(lambda self: constraints.independent(constraints.real, len(self.out_shape)))

    def _same(self, other) -> bool:
        return self.in_shape == other.in_shape and self.out_shape == other.out_shape

    def _call(self, x):
        return x.reshape(*x.shape[: x.ndim - len(self.in_shape)], *self.out_shape)

    def _inverse(self, y):
        return y.reshape(*y.shape[: y.ndim - len(self.out_shape)], *self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return creation.zeros(*x.shape[: x.ndim - len(self.in_shape)], dtype=x.dtype)

    def _reshaped(self, shape, src, dst):
        shape = tuple(shape)
        _need_dims(shape, len(src), "ReshapeTransform")
        cut = len(shape) - len(src)
        if shape[cut:] != tuple(src):
            raise ValueError(f"ReshapeTransform: shape mismatch: expected {tuple(src)} but got {shape[cut:]}")
        return Size(shape[:cut] + tuple(dst))

    def forward_shape(self, shape):
        return self._reshaped(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshaped(shape, self.out_shape, self.in_shape)


class ExpTransform(Transform):
    """y = exp(x)."""

    domain, codomain, bijective, sign = constraints.real, constraints.positive, True, 1

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """y = x ** exponent, on the positive reals.

    Args:
        exponent: the power (a number or a tensor broadcast against x).
        cache_size: 0 or 1.
    """

    domain, codomain, bijective = constraints.positive, constraints.positive, True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size)
        (self.exponent,) = _as_params(exponent)

    sign = property(lambda self: self.exponent.sign())

    def _same(self, other) -> bool:
        return bool((self.exponent == other.exponent).all())

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), _shape_of(self.exponent)))

    inverse_shape = forward_shape


def _clipped_sigmoid(x: Tensor) -> Tensor:
    info = np.finfo(x._data.dtype)
    return x.sigmoid().clamp(float(info.tiny), 1.0 - float(info.eps))


class SigmoidTransform(Transform):
    """y = sigmoid(x) (kept inside (0, 1) in floating point)."""

    domain, codomain, bijective, sign = constraints.real, constraints.unit_interval, True, 1

    def _call(self, x):
        return _clipped_sigmoid(x)

    def _inverse(self, y):
        info = np.finfo(y._data.dtype)
        y = y.clamp(float(info.tiny), 1 - float(info.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class SoftplusTransform(Transform):
    """y = log(1 + exp(x))."""

    domain, codomain, bijective, sign = constraints.real, constraints.positive, True, 1

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return (-(-y).expm1()).log() + y

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class TanhTransform(Transform):
    """y = tanh(x) (the squashing of bounded-action policies); the inverse clamps y inside (-1, 1)."""

    domain, codomain, bijective, sign = constraints.real, constraints.interval(-1.0, 1.0), True, 1

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        eps = float(np.finfo(y._data.dtype).eps)
        y = y.clamp(-1 + eps, 1 - eps)
        return 0.5 * ((1 + y).log() - (1 - y).log())

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x| (not injective: the inverse returns y itself)."""

    domain, codomain = constraints.real, constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = loc + scale * x.

    Args:
        loc: the shift.
        scale: the scale.
        event_dim: how many rightmost dimensions form one event.
        cache_size: 0 or 1.
    """

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    event_dim = property(lambda self: self._event_dim)
    domain = property(lambda self: _independent(constraints.real, self._event_dim))
    codomain = domain

    def _same(self, other) -> bool:
        return all(bool(np.all(np.asarray(a == b))) for a, b in ((self.loc, other.loc), (self.scale, other.scale)))

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Number):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        if isinstance(self.scale, Tensor):
            result = self.scale.abs().log()
        else:
            result = creation.full(tuple(x.shape), math.log(abs(self.scale)), dtype=x.dtype)
        shape = np.broadcast_shapes(tuple(result.shape), tuple(x.shape))
        result = result.expand(*shape) if tuple(result.shape) != shape else result
        return sum_rightmost(result, self._event_dim)

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), _shape_of(self.loc), _shape_of(self.scale)))

    inverse_shape = forward_shape


class SoftmaxTransform(Transform):
    """y = softmax(x) over the last dimension (not injective: the inverse gives log y)."""

    domain, codomain = constraints.real_vector, constraints.simplex

    def _call(self, x):
        return x.softmax(-1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _need_dims(shape, 1, "SoftmaxTransform")
        return Size(shape)

    inverse_shape = forward_shape


def _pad_last(x: Tensor, before: int, after: int) -> Tensor:
    """``x`` with ``before``/``after`` ones added at the ends of its last dimension."""
    parts = [x]
    if before:
        parts.insert(0, creation.ones(*x.shape[:-1], before, dtype=x.dtype))
    if after:
        parts.append(creation.ones(*x.shape[:-1], after, dtype=x.dtype))
    return F.cat(parts, -1)


def _stick_offset(n: int, like: Tensor) -> Tensor:
    """log(n), log(n - 1), ..., log(1): the shifts that make x = 0 the simplex's centre."""
    return creation.tensor(np.log(np.arange(n, 0, -1, dtype=np.float64)), dtype=like.dtype)


class StickBreakingTransform(Transform):
    """Unconstrained (..., K-1) vectors onto the (..., K) simplex by stick breaking (a bijection)."""

    domain, codomain, bijective = constraints.real_vector, constraints.simplex, True

    def _call(self, x):
        z = _clipped_sigmoid(x - _stick_offset(x.shape[-1], x))
        return _pad_last(z, 0, 1) * _pad_last((1 - z).cumprod(-1), 1, 0)

    def _inverse(self, y):
        crop = y[..., :-1]
        rest = (1 - crop.cumsum(-1)).clamp(min=float(np.finfo(y._data.dtype).tiny))
        return crop.log() - rest.log() + _stick_offset(crop.shape[-1], y)

    def log_abs_det_jacobian(self, x, y):
        from morch.nn import functional as NF

        x = x - _stick_offset(x.shape[-1], x)
        return (-x + NF.logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _need_dims(shape, 1, "StickBreakingTransform")
        return Size(tuple(shape)[:-1] + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        _need_dims(shape, 1, "StickBreakingTransform")
        return Size(tuple(shape)[:-1] + (shape[-1] - 1,))


class LowerCholeskyTransform(Transform):
    """Square matrices onto lower-triangular ones with a positive diagonal: strict lower part kept,
    diagonal exponentiated. No log_abs_det_jacobian (as in PyTorch)."""

    domain, codomain = constraints.independent(constraints.real, 2), constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """Square matrices onto positive-definite ones: L L^T with L from LowerCholeskyTransform.
    No log_abs_det_jacobian (as in PyTorch)."""

    domain, codomain = constraints.independent(constraints.real, 2), constraints.positive_definite

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        from morch import linalg

        return LowerCholeskyTransform().inv(linalg.cholesky(y))


class CorrCholeskyTransform(Transform):
    """Unconstrained vectors of length D(D-1)/2 onto Cholesky factors of D x D correlation matrices
    (lower triangular, positive diagonal, unit rows): tanh, then stick breaking along each row."""

    domain, codomain, bijective = constraints.real_vector, constraints.corr_cholesky, True

    def _call(self, x):
        eps = float(np.finfo(x._data.dtype).eps)
        r = vec_to_tril_matrix(x.tanh().clamp(-1 + eps, 1 - eps), diag=-1)
        remaining = (1 - r**2).sqrt().cumprod(-1)
        eye = creation.eye(r.shape[-1], dtype=r.dtype)
        return (r + eye) * _pad_last(remaining[..., :-1], 1, 0)

    def _inverse(self, y):
        left = _pad_last((1 - (y * y).cumsum(-1))[..., :-1], 1, 0)
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left, diag=-1).sqrt()
        return (t.log1p() - (-t).log1p()) / 2

    def log_abs_det_jacobian(self, x, y):
        left = tril_matrix_to_vec(1 - (y * y).cumsum(-1), diag=-2)
        stick = 0.5 * left.log().sum(-1)
        tanh = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick + tanh

    def forward_shape(self, shape):
        _need_dims(shape, 1, "CorrCholeskyTransform")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError(f"CorrCholeskyTransform: input size {n} is not D(D-1)/2 for any D")
        return Size(tuple(shape)[:-1] + (d, d))

    def inverse_shape(self, shape):
        _need_dims(shape, 2, "CorrCholeskyTransform")
        if shape[-2] != shape[-1]:
            raise ValueError(f"CorrCholeskyTransform: input of shape {tuple(shape)} is not square")
        d = shape[-1]
        return Size(tuple(shape)[:-2] + (d * (d - 1) // 2,))


class _Pieces(Transform):
    """What CatTransform and StackTransform share: one transform per piece along ``dim``."""

    def _init(self, tseq, dim: int, cache_size: int):
        tseq = list(tseq)
        if not all(isinstance(t, Transform) for t in tseq):
            raise ValueError(f"{type(self).__name__} expects a sequence of Transforms, got {tseq}")
        Transform.__init__(self, cache_size)
        self.transforms = [t.with_cache(cache_size) for t in tseq] if cache_size else tseq
        self.dim = dim

    bijective = property(lambda self: all(t.bijective for t in self.transforms))

    def _same(self, other) -> bool:
        return (
            self.transforms == other.transforms
            and self.dim == other.dim
            and self.__dict__.get("lengths") == other.__dict__.get("lengths")
        )

    def _call(self, x):
        return self._join([t(p) for t, p in zip(self.transforms, self._split(x, "x"))])

    def _inverse(self, y):
        return self._join([t.inv(p) for t, p in zip(self.transforms, self._split(y, "y"))])

    def _dim_of(self, x: Tensor, who: str) -> int:
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{type(self).__name__}: dim {self.dim} out of range for {who} with {x.ndim} dimensions")
        return self.dim % x.ndim


class CatTransform(_Pieces):
    """Transforms applied to consecutive pieces (of sizes ``lengths``) along ``dim``, as ``cat``.

    Args:
        tseq: the transforms.
        dim: the dimension the pieces are joined along.
        lengths: each piece's size along dim (default 1 each).
        cache_size: 0 or 1.
    """

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        self._init(tseq, dim, cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.lengths)} lengths for {len(self.transforms)} transforms")

    event_dim = property(lambda self: max(t.event_dim for t in self.transforms))
    length = property(lambda self: sum(self.lengths))
    domain = property(lambda self: constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths))
    codomain = property(lambda self: constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths))

    def with_cache(self, cache_size: int = 1) -> Transform:
        return (
            self
            if self._cache_size == cache_size
            else CatTransform(self.transforms, self.dim, self.lengths, cache_size)
        )

    def _split(self, x, who):
        dim = self._dim_of(x, who)
        if x.shape[dim] != self.length:
            raise ValueError(
                f"CatTransform: {who}.size({self.dim}) = {x.shape[dim]} must equal sum(lengths) = {self.length}"
            )
        starts = np.cumsum([0] + self.lengths[:-1])
        return [x.narrow(dim, int(s), n) for s, n in zip(starts, self.lengths)]

    def _join(self, pieces):
        return F.cat(pieces, self.dim)

    def log_abs_det_jacobian(self, x, y):
        xs, ys = self._split(x, "x"), self._split(y, "y")
        terms = [sum_rightmost(t.log_abs_det_jacobian(a, b), self.event_dim - t.event_dim)
                 for t, a, b in zip(self.transforms, xs, ys)]  # fmt: skip
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        if dim < 0:
            return F.cat(terms, dim)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


class StackTransform(_Pieces):
    """Transforms applied to the slices along ``dim``, as ``stack``.

    Args:
        tseq: the transforms, one per slice.
        dim: the stacked dimension.
        cache_size: 0 or 1.
    """

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        self._init(tseq, dim, cache_size)

    domain = property(lambda self: constraints.stack([t.domain for t in self.transforms], self.dim))
    codomain = property(lambda self: constraints.stack([t.codomain for t in self.transforms], self.dim))

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else StackTransform(self.transforms, self.dim, cache_size)

    def _split(self, x, who):
        dim = self._dim_of(x, who)
        if x.shape[dim] != len(self.transforms):
            raise ValueError(
                f"StackTransform: {who}.size({self.dim}) = {x.shape[dim]} must equal the number of transforms "
                f"({len(self.transforms)})"
            )
        return [x.select(dim, i) for i in range(x.shape[dim])]

    def _join(self, pieces):
        return F.stack(pieces, self.dim)

    def log_abs_det_jacobian(self, x, y):
        pairs = zip(self.transforms, self._split(x, "x"), self._split(y, "y"))
        return F.stack([t.log_abs_det_jacobian(a, b) for t, a, b in pairs], self.dim)


class CumulativeDistributionTransform(Transform):
    """y = distribution.cdf(x), onto the unit interval (log-Jacobian: distribution.log_prob(x)).

    Args:
        distribution: a distribution with cdf, icdf and log_prob.
        cache_size: 0 or 1.
    """

    bijective, codomain, sign = True, constraints.unit_interval, 1

    def __init__(self, distribution: Distribution, cache_size: int = 0):
        super().__init__(cache_size)
        self.distribution = distribution

    domain = property(lambda self: self.distribution.support)

    def _same(self, other) -> bool:
        return self.distribution is other.distribution

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)


class TransformedDistribution(Distribution):
    """The distribution of ``transforms(x)`` for x drawn from ``base_distribution``.

    The base distribution is expanded to the shape the transforms need, and wrapped in
    ``Independent`` when the transforms act on more event dimensions than it has.

    Args:
        base_distribution: the distribution of x.
        transforms: a transform or a list applied in order.
        validate_args: check values given to log_prob.
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args: bool | None = None) -> None:
        from morch.distributions.independent import Independent

        if isinstance(transforms, Transform):
            transforms = [transforms]
        if not isinstance(transforms, (list, tuple)) or not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, but was {transforms}")
        self.transforms = list(transforms)
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        chain = ComposeTransform(self.transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(
                f"base_distribution needs to have shape with size at least {chain.domain.event_dim}, "
                f"but got {base_shape}."
            )
        forward_shape = tuple(chain.forward_shape(base_shape))
        expanded = tuple(chain.inverse_shape(forward_shape))
        if expanded != base_shape:
            base_distribution = base_distribution.expand(expanded[: len(expanded) - base_event_dim])
        if chain.domain.event_dim > base_event_dim:
            base_distribution = Independent(base_distribution, chain.domain.event_dim - base_event_dim)
        self.base_dist = base_distribution
        change = chain.codomain.event_dim - chain.domain.event_dim
        event_dim = max(chain.codomain.event_dim, base_event_dim + change)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    @property
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        return _independent(support, len(self.event_shape))

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + tuple(self.event_shape)
        for t in reversed(self.transforms):
            shape = tuple(t.inverse_shape(shape))
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.base_dist = self.base_dist.expand(shape[: len(shape) - len(self.base_dist.event_shape)])
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()) -> Tensor:
        from morch.autograd import grad_mode

        with grad_mode.no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        total, y = None, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            term = sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            total = -term if total is None else total - term
            y = x
        base = sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))
        return base if total is None else base + total

    def _monotonize_cdf(self, value):
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LogNormal(TransformedDistribution):
    """exp(x) for x ~ Normal(loc, scale).

    Args:
        loc: the mean of log(x).
        scale: the standard deviation of log(x) (> 0).
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        loc, scale = _as_params(loc, scale)
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(), validate_args)
        self.loc, self.scale = loc, scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale**2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale**2).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale**2
        return (s2.exp() - 1) * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
