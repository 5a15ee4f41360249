"""``morch.linalg``: PyTorch's linear algebra functions, batched over leading dimensions.

Matrices live in the last two dimensions. Inputs must be floating point (PyTorch does not promote
integers here either). The factorisations are ops in ``morch.ops.linalg``; the rest are composites
of morch ops, so they differentiate (twice) like any other code. Complex numbers are not supported.
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from morch import functional as F
from morch.autograd.function import deferrable
from morch.functional import _tensor
from morch.ops import linalg as L
from morch.ops.linalg import LinAlgError
from morch.tensor import Tensor, _wrap

__all__ = [
    "LinAlgError", "inv", "inv_ex", "solve", "det", "slogdet", "cholesky", "qr", "eigh", "eigvalsh", "svd",
    "svdvals", "norm", "vector_norm", "matrix_norm", "matrix_rank", "pinv", "lstsq", "cross", "matrix_power",
    "multi_dot", "diagonal", "vecdot", "cond", "matmul",
]  # fmt: skip

_Number = int | float


def _result_type(name: str, fields: list[str]) -> type:
    """A named tuple that prints as PyTorch's ``torch.return_types.<name>``."""
    cls = namedtuple(name, fields)
    cls.__repr__ = lambda self: f"morch.return_types.{name}(\n" + ",\n".join(
        f"{f}={getattr(self, f)!r}" for f in fields
    ) + ")"  # fmt: skip
    cls.__module__ = "morch.return_types"
    return cls


_slogdet_t = _result_type("linalg_slogdet", ["sign", "logabsdet"])
_slogdet_top_t = _result_type("slogdet", ["sign", "logabsdet"])
_eigh_t = _result_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
_qr_t = _result_type("linalg_qr", ["Q", "R"])
_svd_t = _result_type("linalg_svd", ["U", "S", "Vh"])
_lstsq_t = _result_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_inv_ex_t = _result_type("linalg_inv_ex", ["inverse", "info"])


def _check(t: Tensor, op: str, square: bool = False) -> Tensor:
    """Check eagerly when the data is there (the ops check again, for static graphs)."""
    if t._data is not None:
        L.check_matrix(t._data, op, square)
    return t


# ------------------------------------------------------------------ inverse, solve, determinants
def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix in ``A``.

    Args:
        A: a (..., n, n) floating-point tensor; a singular matrix raises ``LinAlgError`` naming the
            zero diagonal element of its LU factor, as PyTorch does.
    """
    return L.Inv.apply(_tensor(A))


def inv_ex(A: Tensor, *, check_errors: bool = False):
    """The inverse and an int32 ``info`` (0: success, k > 0: U[k, k] is zero), without raising by default.

    A singular matrix gives an inverse of NaNs (PyTorch's holds whatever LAPACK left). Eager only:
    static graphs use ``inv``.

    Args:
        A: a (..., n, n) floating-point tensor.
        check_errors: raise on a singular matrix, as ``inv``.
    """
    t = _tensor(A)
    try:
        return _inv_ex_t(L.Inv.apply(t), _wrap(np.zeros(t.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    flat = t._data.reshape(-1, *t._data.shape[-2:])
    info = np.array([L._zero_pivot(m) or 0 for m in flat], dtype=np.int32).reshape(t._data.shape[:-2])
    return _inv_ex_t(_wrap(np.full(t._data.shape, np.nan, dtype=t._data.dtype)), _wrap(info))


@deferrable
def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B, batched and broadcast over leading dimensions.

    Args:
        A: a (..., n, n) floating-point tensor.
        B: a (..., n, k) tensor, or a vector batch (..., n) when B has one dimension fewer than A
            (or is 1-D), as PyTorch decides.
        left: only True (A X = B) is supported; morch does not solve X A = B.
    """
    if not left:
        raise NotImplementedError("linalg.solve: left=False is not supported by morch")
    a, b = F._pair(_check(_tensor(A), "linalg.solve", square=True), B)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if vector:
        return L.Solve.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return L.Solve.apply(a, b)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix in ``A``.

    Args:
        A: a (..., n, n) floating-point tensor.
    """
    return L.Det.apply(_tensor(A))


def slogdet(A: Tensor):
    """The sign and the log of the absolute value of the determinant, as a named tuple (sign, logabsdet).

    Args:
        A: a (..., n, n) floating-point tensor; a singular matrix gives sign 0 and logabsdet -inf.
    """
    t = _tensor(A)
    return _slogdet_t(L.SlogdetSign.apply(t), L.Logabsdet.apply(t))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower Cholesky factor L of each symmetric positive-definite matrix, A = L L^T.

    Args:
        A: a (..., n, n) floating-point tensor; only its lower triangle is read. A matrix that is
            not positive-definite raises ``LinAlgError`` naming the failing leading minor.
        upper: return the upper factor L^T instead.
    """
    lo = L.Cholesky.apply(_tensor(A))
    return lo.mT if upper else lo


# ------------------------------------------------------------------ factorisations
def qr(A: Tensor, mode: str = "reduced"):
    """The QR factorisation A = QR with orthonormal columns in Q and upper-triangular R, as (Q, R).

    Args:
        A: a (..., m, n) floating-point tensor.
        mode: only 'reduced' (Q is m x k, R is k x n with k = min(m, n)) is supported by morch.
    """
    if mode != "reduced":
        raise NotImplementedError(f"linalg.qr: mode={mode!r} is not supported by morch, only 'reduced'")
    t = _tensor(A)
    return _qr_t(L.QR.apply(t, part="Q"), L.QR.apply(t, part="R"))


def eigh(A: Tensor, UPLO: str = "L"):  # noqa: N803 - PyTorch's argument name
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, as (eigenvalues, eigenvectors).

    Eigenvectors are defined up to sign, so only losses that do not depend on the sign (gauge
    invariant) have meaningful gradients; repeated eigenvalues give infinite gradients, as in PyTorch.

    Args:
        A: a (..., n, n) floating-point tensor; only the triangle named by UPLO is read.
        UPLO: 'L' (lower triangle) or 'U'.
    """
    t = _tensor(A)
    return _eigh_t(L.Eigh.apply(t, part="values", UPLO=UPLO), L.Eigh.apply(t, part="vectors", UPLO=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending.

    Args:
        A: a (..., n, n) floating-point tensor.
        UPLO: 'L' (lower triangle) or 'U'.
    """
    return L.Eigh.apply(_tensor(A), part="values", UPLO=UPLO)


def svd(A: Tensor, full_matrices: bool = True):
    """The singular value decomposition A = U diag(S) Vh, as (U, S, Vh) with S descending.

    Args:
        A: a (..., m, n) floating-point tensor.
        full_matrices: U is m x m and Vh n x n if True, else m x k and k x n (k = min(m, n)).
            Gradients need full_matrices=False (or square A), as in PyTorch.
    """
    t = _tensor(A)
    parts = [L.SVD.apply(t, part=p, full_matrices=full_matrices) for p in ("U", "S", "Vh")]
    return _svd_t(*parts)


def svdvals(A: Tensor) -> Tensor:
    """The singular values of each matrix, descending.

    Args:
        A: a (..., m, n) floating-point tensor.
    """
    return L.SVD.apply(_tensor(A), part="S")


@deferrable
def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse, through the SVD.

    Args:
        A: a (..., m, n) floating-point tensor.
        atol: singular values at or below this are treated as zero (default 0).
        rtol: ... or at or below rtol times the largest; default eps * max(m, n) when atol is also
            None, else 0, as in PyTorch.
        hermitian: accepted for PyTorch compatibility; morch uses the SVD either way.
    """
    t = _check(_tensor(A), "linalg.pinv")
    atol_, rtol_ = _tolerances(t, atol, rtol)
    return L.Pinv.apply(t, atol=atol_, rtol=rtol_)


def _tolerances(t: Tensor, atol, rtol) -> tuple[float, float]:
    if rtol is None:
        rtol = np.finfo(t._data.dtype).eps * builtins.max(t.shape[-2:]) if atol is None or atol <= 0 else 0.0
    return float(atol or 0.0), float(rtol)


def _pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: the pseudo-inverse with singular values at or below rcond * largest dropped.

    Args:
        input: a (..., m, n) floating-point tensor.
        rcond: the relative cutoff.
    """
    return pinv(input, rtol=rcond)


@deferrable
def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * largest), as int64 (no gradient).

    Args:
        A: a (..., m, n) floating-point tensor.
        atol: absolute tolerance (default 0).
        rtol: relative tolerance; default eps * max(m, n) when atol is also None, as in PyTorch.
        hermitian: accepted for PyTorch compatibility; morch uses the SVD either way.
    """
    t = _check(_tensor(A), "linalg.matrix_rank")
    atol_, rtol_ = _tolerances(t, atol, rtol)
    s = svdvals(t.detach())._data
    top = s.max(axis=-1, keepdims=True, initial=0.0)
    return _wrap(np.sum(s > np.maximum(atol_, rtol_ * top), axis=-1).astype(np.int64))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None):
    """The least-squares solution of A X = B, as (solution, residuals, rank, singular_values).

    The solution is pinv(A) @ B (differentiable). Like PyTorch's default CPU driver 'gelsy',
    residuals and singular_values are empty; with driver 'gelsd' or 'gelss' singular_values are
    filled, and residuals (squared, per column) when m > n and every matrix has full rank.

    Args:
        A: a (..., m, n) floating-point tensor.
        B: a (..., m, k) tensor (or (..., m) when it has one dimension fewer than A).
        rcond: relative cutoff for small singular values (default eps * max(m, n)).
        driver: 'gelsy' (default), 'gels', 'gelsd' or 'gelss'; all solve through the SVD here.
    """
    a, b = F._pair(_tensor(A), B)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got {driver}")
    x = _lstsq_solution(a, b, rcond)
    empty = _wrap(np.zeros(0, dtype=F._np_dtype(a)))
    rank = matrix_rank(a, rtol=rcond) if driver != "gels" else _wrap(np.zeros(0, dtype=np.int64))
    if driver not in ("gelsd", "gelss"):
        return _lstsq_t(x, empty, rank, empty)
    return _lstsq_t(x, _lstsq_residuals(a, b, x, rank), rank, svdvals(a).detach())


def _is_vector_rhs(a: Tensor, b: Tensor) -> bool:
    return b.ndim == a.ndim - 1


@deferrable
def _lstsq_solution(a: Tensor, b: Tensor, rcond) -> Tensor:
    _check(a, "linalg.lstsq")
    vector = _is_vector_rhs(a, b)
    b2 = b.unsqueeze(-1) if vector else b
    if b2.ndim < 2 or b2.shape[-2] != a.shape[-2]:
        raise ValueError(f"linalg.lstsq: A {tuple(a.shape)} and B {tuple(b.shape)} must have the same number of rows")
    x = pinv(a, rtol=rcond) @ b2
    return x.squeeze(-1) if vector else x


@deferrable
def _lstsq_residuals(a: Tensor, b: Tensor, x: Tensor, rank: Tensor) -> Tensor:
    """Squared residual norms per column, when m > n and every matrix has full rank (else empty)."""
    m, n = a.shape[-2:]
    if m <= n or not bool(np.all(rank._data == n)):
        return _wrap(np.zeros(0, dtype=a._data.dtype))
    vector = _is_vector_rhs(a, b)
    xs, bs = (x.unsqueeze(-1), b.unsqueeze(-1)) if vector else (x, b)
    res = F.sum((a @ xs - bs) ** 2, dim=-2)
    return res.squeeze(-1) if vector else res


# ------------------------------------------------------------------ norms
def vector_norm(x: Tensor, ord: _Number = 2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """The vector ord-norm over ``dim`` (all elements when None): sum(|x|^ord)^(1/ord).

    Args:
        x: a floating-point tensor.
        ord: 2, 1, inf, -inf, 0 (number of nonzeros) or any other number.
        dim: a dimension or tuple of dimensions; None reduces all.
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute in this dtype.
    """
    t = _tensor(x) if dtype is None else F._to_dtype(x, dtype)
    if t._data is not None and t._data.dtype.kind != "f":
        raise TypeError(f"linalg.vector_norm: Expected a floating point tensor as input. Got {t._data.dtype}")
    if isinstance(ord, str):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return F.norm(t, ord, dim, keepdim)


@deferrable
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """The matrix norm of the matrices in dims ``dim``.

    Args:
        A: a floating-point tensor of at least 2 dimensions.
        ord: 'fro' (Frobenius), 'nuc' (sum of singular values), 2 / -2 (largest / smallest singular
            value), 1 / -1 (max / min column sum of |A|), inf / -inf (max / min row sum of |A|).
        dim: the two dimensions holding the matrices.
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute in this dtype.
    """
    t = _tensor(A) if dtype is None else F._to_dtype(A, dtype)
    if t.ndim < 2:
        raise ValueError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got shape {tuple(t.shape)}"
        )
    if t._data is not None and t._data.dtype.kind != "f":
        raise TypeError(f"linalg.matrix_norm: Expected a floating point tensor as input. Got {t.dtype}")
    if len(dim) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a 2-tuple, got {dim}")
    d0, d1 = (_dim(d, t.ndim) for d in dim)
    if d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dims must be different, got ({d0}, {d1})")
    if ord == "fro":
        return F.norm(t, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(F.movedim(t, (d0, d1), (-2, -1)))
        r = F.sum(s, -1) if ord == "nuc" else F.amax(s, -1) if ord == 2 else F.amin(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
        return r
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (d0, d1) if ord in (1, -1) else (d1, d0)
        r = F.sum(F.abs(t), summed, keepdim=True)
        r = F.amax(r, over, keepdim=True) if ord > 0 else F.amin(r, over, keepdim=True)
        return r if keepdim else r.squeeze(builtins.max(d0, d1)).squeeze(builtins.min(d0, d1))
    raise ValueError(f"linalg.matrix_norm: Order {ord} not supported.")


def _dim(d: int, n: int) -> int:
    if not -n <= d < n:
        raise IndexError(f"linalg: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


@deferrable
def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """A vector or a matrix norm, chosen as PyTorch does.

    With ``dim`` an int or 1-tuple, the vector norm; a 2-tuple, the matrix norm. With ``dim``
    None: ord None is the 2-norm of all elements; otherwise A must be 1-D (vector norm) or 2-D
    (matrix norm).

    Args:
        A: a floating-point tensor.
        ord: the order (see ``vector_norm`` and ``matrix_norm``); None is 2 or 'fro'.
        dim: None, a dimension, or a tuple of one or two dimensions.
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute in this dtype.
    """
    t = _tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(t, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        if len(dim) == 2:
            return matrix_norm(t, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        raise ValueError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if ord is None:
        return vector_norm(t, 2, None, keepdim, dtype=dtype)
    if t.ndim == 1:
        return vector_norm(t, ord, None, keepdim, dtype=dtype)
    if t.ndim == 2:
        return matrix_norm(t, ord, (-2, -1), keepdim, dtype=dtype)
    raise ValueError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {t.ndim}D.")


@deferrable
def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of each matrix in the norm ``p`` (None: 2, the ratio of extreme singular values).

    Args:
        A: a (..., m, n) floating-point tensor (square unless p is None, 2 or -2).
        p: None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf.
    """
    t = _check(_tensor(A), "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(t)
        big, small = F.amax(s, -1), F.amin(s, -1)
        return big / small if p != -2 else small / big
    return matrix_norm(t, p) * matrix_norm(inv(t), p)


# ------------------------------------------------------------------ products and helpers
@deferrable
def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim``, broadcasting the other dimensions.

    Args:
        input: the first tensor.
        other: the second tensor.
        dim: the dimension of length 3.
    """
    a, b = F.broadcast_tensors(*F._pair(input, other))
    d = _dim(dim, a.ndim)
    if a.shape[d] != 3:
        raise ValueError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {_tensor(input).shape[dim]} and "
            f"{_tensor(other).shape[dim]}"
        )
    a0, a1, a2 = F.unbind(a, d)
    b0, b1, b2 = F.unbind(b, d)
    return F.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


@deferrable
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A multiplied by itself n times (by repeated squaring); n = 0 gives the identity, n < 0 powers of inv(A).

    Args:
        A: a (..., k, k) floating-point tensor.
        n: the exponent.
    """
    t = _check(_tensor(A), "linalg.matrix_power", square=True)
    if n == 0:
        return _wrap(np.eye(t.shape[-1], dtype=t._data.dtype)).expand(tuple(t.shape)).clone()
    if n < 0:
        t, n = inv(t), -n
    result = None
    while n:
        if n & 1:
            result = t if result is None else result @ t
        n >>= 1
        if n:
            t = t @ t
    return result


@deferrable
def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first may be a row vector and the last a column vector (1-D).

    Unlike PyTorch, morch multiplies left to right instead of choosing the cheapest order (the
    result is the same up to rounding).

    Args:
        tensors: a sequence of at least two tensors, 2-D except possibly the first and the last.
    """
    ts = [_tensor(t) for t in tensors]
    if len(ts) < 2:
        raise ValueError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(ts) - 1))
        if not ok:
            where = "first" if i == 0 else "last" if i == len(ts) - 1 else f"tensor {i}"
            raise ValueError(f"multi_dot(): {where} tensor must be 1D or 2D but got {t.ndim}D" if i in (0, len(ts) - 1)
                             else f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")  # fmt: skip
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    out = ts[0].unsqueeze(0) if first_vec else ts[0]
    for i, t in enumerate(ts[1:], 1):
        out = F.matmul(out, t.unsqueeze(-1) if (i == len(ts) - 1 and last_vec) else t)
    if last_vec:
        out = out.squeeze(-1)
    if first_vec:
        out = out.squeeze(0)
    return out


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices in dims (dim1, dim2), as a new last dimension.

    Args:
        A: a tensor of at least 2 dimensions.
        offset: which diagonal: 0 the main one, positive above it, negative below.
        dim1: the first dimension of the matrices.
        dim2: the second dimension of the matrices.
    """
    return F.diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim``, broadcasting the other dimensions.

    Args:
        x: the first tensor.
        y: the second tensor.
        dim: the dimension holding the vectors.
    """
    return F.sum(F.mul(x, y), dim)


matmul = F.matmul


# ------------------------------------------------------------------ the top-level twins (torch.det ...)
def _logdet(input: Tensor) -> Tensor:
    """log(det(A)): nan where the determinant is negative and -inf where it is zero, as ``torch.logdet``.

    Args:
        input: a (..., n, n) floating-point tensor.
    """
    sign, logabs = slogdet(input)
    return F.where(sign < 0, math.nan, logabs)


def _slogdet_top(input: Tensor):
    """``torch.slogdet``: (sign, logabsdet) of the determinant.

    Args:
        input: a (..., n, n) floating-point tensor.
    """
    return _slogdet_top_t(*slogdet(input))


def _cholesky_top(input: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch in favour of ``linalg.cholesky``).

    Args:
        input: a (..., n, n) symmetric positive-definite tensor.
        upper: return the upper factor.
    """
    return cholesky(input, upper=upper)


@deferrable
def _cross_top(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: like ``linalg.cross``, but dim None means the first dimension of size 3 (PyTorch warns).

    Args:
        input: the first tensor.
        other: the second tensor.
        dim: the dimension of length 3, or None.
    """
    if dim is None:
        warnings.warn("Using morch.cross without specifying the dim arg is deprecated", UserWarning, stacklevel=2)
        shape = F.broadcast_tensors(*F._pair(input, other))[0].shape
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dimension of size 3 in input of shape {tuple(shape)}")
    return cross(input, other, dim=dim)


def _inverse(input: Tensor) -> Tensor:
    """``torch.inverse``: the same as ``linalg.inv``.

    Args:
        input: a (..., n, n) floating-point tensor.
    """
    return inv(input)


TOP_LEVEL = {
    "det": det, "logdet": _logdet, "slogdet": _slogdet_top, "inverse": _inverse, "pinverse": _pinverse,
    "matrix_power": matrix_power, "cholesky": _cholesky_top, "cross": _cross_top,
}  # fmt: skip
for _name, _fn in TOP_LEVEL.items():
    setattr(Tensor, _name, _fn)  # Tensor.det() and friends, which PyTorch also has as methods
