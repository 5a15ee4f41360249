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
    "multi_dot", "diagonal", "vecdot", "cond", "matmul", "solve_triangular", "lu_factor", "lu_factor_ex", "lu",
    "lu_solve", "matrix_exp", "cholesky_ex", "solve_ex", "householder_product", "tensorinv", "tensorsolve", "vander",
    "ldl_factor", "ldl_factor_ex", "ldl_solve",
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
_lu_factor_t = _result_type("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_t = _result_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_t = _result_type("linalg_lu", ["P", "L", "U"])
_lu_unpack_t = _result_type("lu_unpack", ["P", "L", "U"])
_cholesky_ex_t = _result_type("linalg_cholesky_ex", ["L", "info"])
_solve_ex_t = _result_type("linalg_solve_ex", ["result", "info"])
_svd_top_t = _result_type("svd", ["U", "S", "V"])
_qr_top_t = _result_type("qr", ["Q", "R"])
_triangular_solve_t = _result_type("triangular_solve", ["solution", "cloned_coefficient"])
_geqrf_t = _result_type("geqrf", ["a", "tau"])
_ldl_factor_t = _result_type("linalg_ldl_factor", ["LD", "pivots"])
_ldl_factor_ex_t = _result_type("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


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
        mode: 'reduced' (Q is m x k, R is k x n with k = min(m, n)), 'complete' (Q is m x m, R m x n; not
            differentiable when m > n) or 'r' (R only, Q empty; not differentiable), as in PyTorch.
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    t = _tensor(A)
    r = L.QR.apply(t, part="R", mode=mode)
    q = _wrap(np.zeros(0, dtype=F._np_dtype(t))) if mode == "r" else L.QR.apply(t, part="Q", mode=mode)
    return _qr_t(q, r)


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


# ------------------------------------------------------------------ triangular systems, LU, matrix exponential
@deferrable
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (or X A = B when left is False) for triangular A, batched and broadcast.

    Only the triangle of A named by ``upper`` is read. A zero on the diagonal gives inf/nan, not an error.

    Args:
        A: a (..., n, n) floating-point tensor.
        B: a (..., n, k) tensor ((..., k, n) when left is False).
        upper: whether A is upper (True) or lower (False) triangular; keyword-only and required, as in PyTorch.
        left: solve A X = B (True) or X A = B (False).
        unitriangular: take A's diagonal as ones (it is not read).
    """
    a, b = F._pair(_check(_tensor(A), "linalg.solve_triangular", square=True), B)
    if b.ndim < 2:
        raise ValueError(f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got {b.ndim}")
    if left:
        return L.SolveTriangular.apply(a, b, upper=upper, unitriangular=unitriangular)
    return L.SolveTriangular.apply(a.mT, b.mT, upper=not upper, unitriangular=unitriangular).mT


def _no_pivot(pivot: bool, op: str) -> None:
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """The LU factorisation with partial pivoting in LAPACK's packed form, as (LU, pivots, info).

    LU holds the strictly lower part of L (whose diagonal is ones) and U; pivots (int32, 1-based) are
    the row swaps; info (int32) is the 1-based position of the first zero pivot, 0 if none. LU is
    differentiable (for full-rank A, square or not).

    Args:
        A: a (..., m, n) floating-point tensor.
        pivot: only True is supported (as PyTorch on the CPU).
        check_errors: raise ``LinAlgError`` for a singular matrix.
    """
    _no_pivot(pivot, "linalg.lu_factor_ex")
    t = _check(_tensor(A), "linalg.lu_factor_ex")
    _, piv, info = L.lu_packed(t._data)
    if check_errors and np.any(info):
        raise L.singular_error(t._data, "linalg.lu_factor_ex")
    return _lu_factor_ex_t(L.LUFactor.apply(t), _wrap(piv), _wrap(info))


def lu_factor(A: Tensor, *, pivot: bool = True):
    """The packed LU factorisation with partial pivoting, as (LU, pivots); see ``lu_factor_ex``.

    A singular square matrix raises ``LinAlgError`` as PyTorch does (a rectangular one does not).

    Args:
        A: a (..., m, n) floating-point tensor.
        pivot: only True is supported (as PyTorch on the CPU).
    """
    _no_pivot(pivot, "linalg.lu_factor")
    t = _check(_tensor(A), "linalg.lu_factor")
    lu_, piv, info = lu_factor_ex(t)
    if t.shape[-1] == t.shape[-2] and np.any(info._data):
        i = int(np.flatnonzero(info._data.reshape(-1))[0])
        k = info._data.reshape(-1)[i]
        raise LinAlgError(
            f"linalg.lu_factor: {L._batch_prefix(t._data, i)}U[{k},{k}] is zero and using it on lu_solve would result "
            "in a division by zero; linalg.lu_factor_ex or linalg.lu factor singular matrices without this error."
        )
    return _lu_factor_t(lu_, piv)


def _unpack(lu_: Tensor, pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) from the packed LU and its pivots (empty tensors for the parts not asked for)."""
    m, n = lu_.shape[-2:]
    k = builtins.min(m, n)
    dtype = F._np_dtype(lu_)
    empty = _wrap(np.zeros(0, dtype=dtype))
    lo = up = empty
    if unpack_data:
        lo = lu_[..., :, :k].tril(-1) + _wrap(np.eye(m, k, dtype=dtype))
        up = lu_[..., :k, :].triu()
    p = empty
    if unpack_pivots:
        piv = _tensor(pivots)._data
        if piv.dtype != np.int32:
            raise TypeError(
                f"lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype, got {piv.dtype}"
            )
        p = _wrap(L.pivots_to_permutation(piv, m, dtype))
    return lo, up, p


def lu(A: Tensor, *, pivot: bool = True):
    """The LU factorisation with partial pivoting A = P L U, as (P, L, U), differentiable in L and U.

    Args:
        A: a (..., m, n) floating-point tensor; L is m x k (unit diagonal) and U k x n, k = min(m, n).
        pivot: only True is supported (as PyTorch on the CPU).
    """
    _no_pivot(pivot, "linalg.lu")
    lu_, piv, _ = lu_factor_ex(A)
    lo, up, p = _unpack(lu_, piv)
    return _lu_t(p, lo, up)


@deferrable
def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:  # noqa: N803
    """X with A X = B (A^T X = B when adjoint; X A = B when not left), A given by ``lu_factor``'s (LU, pivots).

    Differentiable in LU and B.

    Args:
        LU: the packed (..., n, n) factor.
        pivots: its (..., n) int32 pivots.
        B: a (..., n, k) right-hand side ((..., k, n) when left is False).
        left: solve A X = B (True) or X A = B (False).
        adjoint: solve with A's transpose.
    """
    lu_, b = F._pair(_check(_tensor(LU), "linalg.lu_solve", square=True), B)
    if not left:
        return lu_solve(lu_, pivots, b.mT, adjoint=not adjoint).mT
    if b.ndim < 2 or b.shape[-2] != lu_.shape[-1]:
        raise ValueError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B "
            f"({lu_.shape[-2]}x{lu_.shape[-1]} and {tuple(b.shape)})"
        )
    _, _, p = _unpack(lu_, pivots, unpack_data=False)
    if adjoint:  # A^T = U^T L^T P^T
        y = L.SolveTriangular.apply(lu_.mT, b, upper=False)
        return p @ L.SolveTriangular.apply(lu_.mT, y, upper=True, unitriangular=True)
    y = L.SolveTriangular.apply(lu_, p.mT @ b, upper=False, unitriangular=True)
    return L.SolveTriangular.apply(lu_, y, upper=True)


# ------------------------------------------------------------------ LDL^T (Bunch-Kaufman), no derivative as in PyTorch
def _ldl(A: Tensor, op: str, check_errors: bool):
    t = _check(_tensor(A), op, square=True)
    ld, piv, info = L.ldl_packed(t._data)
    if check_errors and np.any(info):
        i = int(np.flatnonzero(info.reshape(-1))[0])
        k = int(info.reshape(-1)[i])
        raise LinAlgError(
            f"{op}: {L._batch_prefix(t._data, i)}D[{k},{k}] is zero, so the factorisation cannot be used to solve "
            "systems: the matrix is singular (linalg.ldl_factor_ex returns it without this error)."
        )
    return L.LDLFactor.apply(t, packed=ld), _wrap(piv), _wrap(info)


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False):
    """The LDL^T factorisation of symmetric (possibly indefinite) matrices, as (LD, pivots, info).

    Bunch-Kaufman pivoting as LAPACK's sytrf on the lower triangle (the upper one is not read): LD holds
    L's strictly lower part and D's 1x1 and 2x2 diagonal blocks; pivots (int32) are LAPACK's, negative
    on both rows of a 2x2 block; info (int32) is the 1-based position of the first zero block of D,
    0 if none. Not differentiable: a backward through LD raises NotImplementedError, as in PyTorch.

    Args:
        A: a (..., n, n) floating-point tensor.
        hermitian: no effect on real matrices (morch has no complex dtypes).
        check_errors: raise ``LinAlgError`` if a block of D is zero.
    """
    return _ldl_factor_ex_t(*_ldl(A, "linalg.ldl_factor_ex", check_errors))


def ldl_factor(A: Tensor, *, hermitian: bool = False):
    """The LDL^T factorisation of symmetric matrices as (LD, pivots); see ``ldl_factor_ex``.

    A singular matrix (a zero block in D) raises ``LinAlgError``.

    Args:
        A: a (..., n, n) floating-point tensor.
        hermitian: no effect on real matrices.
    """
    return _ldl_factor_t(*_ldl(A, "linalg.ldl_factor", True)[:2])


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:  # noqa: N803
    """X with A X = B, A given by ``ldl_factor``'s (LD, pivots); batch dimensions broadcast. Not differentiable.

    Args:
        LD: the (..., n, n) compact factor.
        pivots: its (..., n) integer pivots.
        B: a (..., n, k) right-hand side of LD's dtype.
        hermitian: no effect on real matrices.
    """
    ld, piv, b = _check(_tensor(LD), "linalg.ldl_solve", square=True), _tensor(pivots), _tensor(B)
    n = ld.shape[-1]
    if F._np_dtype(piv).kind not in "iu":
        raise TypeError(f"linalg.ldl_solve: Expected pivots to be integers, got {piv.dtype}")
    if tuple(piv.shape) != tuple(ld.shape[:-1]):
        raise ValueError(
            f"linalg.ldl_solve: Expected LD.shape[:-1] and pivots.shape to be the same, got LD {tuple(ld.shape)} "
            f"and pivots {tuple(piv.shape)}"
        )
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(f"linalg.ldl_solve: each A matrix is {n} by {n} but B has shape {tuple(b.shape)}")
    if b.dtype != ld.dtype:
        raise TypeError(f"linalg.ldl_solve: Expected B and LD to have the same dtype, got {b.dtype} and {ld.dtype}")
    return L.LDLSolve.apply(ld, piv, b)


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) = sum_k A^k / k! of each square matrix (Pade (13, 13) with scaling and
    squaring, Higham 2005); differentiable any number of times.

    Args:
        A: a (..., n, n) floating-point tensor.
    """
    return L.MatrixExp.apply(_tensor(A))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """The Cholesky factor and an int32 ``info`` (0: success, k: the leading minor of order k is not
    positive-definite), without raising by default. A failed matrix's factor is NaN (PyTorch's holds
    LAPACK's partial result). Eager only.

    Args:
        A: a (..., n, n) floating-point tensor.
        upper: return the upper factor.
        check_errors: raise as ``cholesky`` does.
    """
    t = _tensor(A)
    try:
        return _cholesky_ex_t(cholesky(t, upper=upper), _wrap(np.zeros(t.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    flat = t._data.reshape(-1, *t._data.shape[-2:])
    info = np.array([_failing_minor(m) for m in flat], dtype=np.int32).reshape(t._data.shape[:-2])
    good = np.linalg.cholesky(np.where((info == 0)[..., None, None], t._data, np.eye(t.shape[-1])))
    out = np.where((info == 0)[..., None, None], good, np.nan).astype(t._data.dtype)
    return _cholesky_ex_t(_wrap(np.swapaxes(out, -1, -2) if upper else out), _wrap(info))


def _failing_minor(m: np.ndarray) -> int:
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """``solve`` with an int32 ``info`` (0: success, k > 0: U[k, k] of A's LU factor is zero) instead of an
    error by default; a singular system's result is NaN. Eager only.

    Args:
        A: a (..., n, n) floating-point tensor.
        B: the right-hand side, as for ``solve``.
        left: only True is supported, as for ``solve``.
        check_errors: raise as ``solve`` does.
    """
    t = _tensor(A)
    info = _wrap(L.lu_packed(t._data)[2]) if t._data.shape[-1] == t._data.shape[-2] else None
    if info is None or not np.any(info._data) or check_errors:
        x = solve(t, B, left=left)
        return _solve_ex_t(x, info if info is not None else _wrap(np.zeros(t.shape[:-2], dtype=np.int32)))
    safe = np.where((info._data == 0)[..., None, None], t._data, np.eye(t.shape[-1], dtype=t._data.dtype))
    x = solve(_wrap(safe), B, left=left).detach()
    bad = (info._data != 0).reshape(info._data.shape + (1,) * (x.ndim - info._data.ndim))
    return _solve_ex_t(_wrap(np.where(bad, np.nan, x._data)), info)


# ------------------------------------------------------------------ Householder products, tensor inverses, Vandermonde
@deferrable
def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, with v_i column i of A below the
    diagonal (and 1 on it), as LAPACK's orgqr; differentiable in A and tau.

    Args:
        A: a (..., m, n) floating-point tensor with m >= n.
        tau: a (..., k) tensor with k <= n.
    """
    a, t = F._pair(_tensor(A), tau)
    _check(a, "linalg.householder_product")
    m, n = a.shape[-2:]
    k = t.shape[-1] if t.ndim else 0
    if m < n or k > n or t.ndim != a.ndim - 1:
        raise ValueError(
            f"linalg.householder_product: expected A (..., m, n) with m >= n and tau (..., k) with k <= n, "
            f"got A {tuple(a.shape)} and tau {tuple(t.shape)}"
        )
    dtype = F._np_dtype(a)
    v = a[..., :, :k].tril(-1) + _wrap(np.eye(m, k, dtype=dtype))
    q = _wrap(np.eye(m, dtype=dtype)).expand(*a.shape[:-2], m, m)
    for i in range(k):
        vi = v[..., :, i : i + 1]
        q = q - (q @ vi) * t[..., i : i + 1].unsqueeze(-1) @ vi.mT
    return q[..., :, :n]


def _prod(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A seen as a linear map from its last dims to its first ``ind`` dims: shape A.shape[ind:] +
    A.shape[:ind], with tensordot(tensorinv(A), A, ind) the identity.

    Args:
        A: a floating-point tensor with prod(A.shape[:ind]) == prod(A.shape[ind:]).
        ind: the number of leading dimensions (> 0).
    """
    t = _tensor(A)
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = tuple(t.shape[:ind]), tuple(t.shape[ind:])
    if _prod(out_shape) != _prod(in_shape):
        raise ValueError(
            f"linalg.tensorinv: Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {_prod(in_shape)} != {_prod(out_shape)}"
        )
    return inv(t.reshape(_prod(out_shape), _prod(in_shape))).reshape(*in_shape, *out_shape)


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B; X has shape A.shape[B.ndim:].

    Args:
        A: a floating-point tensor whose first B.ndim dims match B.
        B: the right-hand side.
        dims: dimensions of A moved to the end first, or None.
    """
    a, b = F._pair(_tensor(A), B)
    if dims is not None:
        dims = [_dim(d, a.ndim) for d in dims]
        a = F.movedim(a, dims, list(range(a.ndim - len(dims), a.ndim)))
    x_shape = tuple(a.shape[b.ndim :])
    if tuple(a.shape[: b.ndim]) != tuple(b.shape) or _prod(x_shape) != _prod(b.shape):
        raise ValueError(
            f"linalg.tensorsolve: Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]) with other.shape == self.shape[:other.ndim], got A {tuple(a.shape)} "
            f"and B {tuple(b.shape)}"
        )
    n = _prod(b.shape)
    return solve(a.reshape(n, n), b.reshape(n)).reshape(*x_shape)


@deferrable
def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's argument name
    """The Vandermonde matrix with increasing powers: out[..., i, j] = x[..., i]^j, j < N.

    Args:
        x: a (..., n) tensor (any numeric dtype; the result keeps it).
        N: the number of columns (default n); must be greater than 1.
    """
    t = _tensor(x)
    if t.ndim < 1:
        raise ValueError("linalg.vander: x must be at least 1-dimensional.")
    n = t.shape[-1] if N is None else N
    if n <= 1:
        raise ValueError("linalg.vander: N must be greater than 1.")
    cols = t.unsqueeze(-1).expand(*t.shape, n - 1)
    ones = _wrap(np.ones((*t.shape, 1), dtype=F._np_dtype(t)))
    return F.cat([ones, F.cumprod(cols, dim=-1)], dim=-1)


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


def _svd_top(input: Tensor, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T (V, not Vh as ``linalg.svd``).

    Args:
        input: a (..., m, n) floating-point tensor.
        some: reduced factors (U m x k, V n x k) if True, else full (m x m, n x n).
        compute_uv: if False, U and V are zero-filled (m x m and n x n) and only S is computed.
    """
    t = _tensor(input)
    if not compute_uv:
        m, n = t.shape[-2:]
        dtype = F._np_dtype(t)
        zeros = [_wrap(np.zeros((*t.shape[:-2], k, k), dtype=dtype)) for k in (m, n)]
        return _svd_top_t(zeros[0], svdvals(t), zeros[1])
    u, s, vh = svd(t, full_matrices=not some)
    return _svd_top_t(u, s, vh.mT)


def _qr_top(input: Tensor, some: bool = True):
    """``torch.qr``: (Q, R), reduced if ``some`` else complete.

    Args:
        input: a (..., m, n) floating-point tensor.
        some: reduced (True) or complete (False) factorisation.
    """
    return _qr_top_t(*qr(input, mode="reduced" if some else "complete"))


def _lu_top(A: Tensor, pivot: bool = True, get_infos: bool = False):  # noqa: N803
    """``torch.lu`` (deprecated in PyTorch): (LU, pivots) or, with get_infos, (LU, pivots, infos) without errors.

    Args:
        A: a (..., m, n) floating-point tensor.
        pivot: only True is supported.
        get_infos: also return the int32 infos instead of raising for a singular matrix.
    """
    lu_, piv, info = lu_factor_ex(A, pivot=pivot, check_errors=not get_infos)
    return (lu_, piv, info) if get_infos else (lu_, piv)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True):  # noqa: N803
    """(P, L, U) from ``lu_factor``'s packed LU and pivots; the parts not asked for are empty tensors.

    Args:
        LU_data: the packed (..., m, n) factor (L and U are differentiable in it).
        LU_pivots: the (..., k) int32 pivots.
        unpack_data: compute L and U.
        unpack_pivots: compute P.
    """
    lo, up, p = _unpack(_tensor(LU_data), LU_pivots, unpack_data, unpack_pivots)
    return _lu_unpack_t(p, lo, up)


def _lu_solve_top(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """``torch.lu_solve`` (old argument order): X with A X = b, A given by its LU factorisation.

    Args:
        b: a (..., n, k) right-hand side.
        LU_data: the packed factor.
        LU_pivots: its int32 pivots.
    """
    return lu_solve(LU_data, LU_pivots, b)


def _cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """``torch.cholesky_solve``: X with A X = B for A = L L^T (or U^T U when upper), given the factor.

    Args:
        B: a (..., n, k) right-hand side.
        L: the (..., n, n) Cholesky factor (only its triangle is read); differentiable in B and L.
        upper: whether L is the upper factor.
    """
    y = solve_triangular(L.mT if upper else L, B, upper=False)
    return solve_triangular(L if upper else L.mT, y, upper=True)


def _cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """``torch.cholesky_inverse``: inv(A) for A = L L^T (or U^T U when upper), given the factor.

    Args:
        L: the (..., n, n) Cholesky factor (only its triangle is read).
        upper: whether L is the upper factor.
    """
    t = _tensor(L)
    eye = _wrap(np.eye(t.shape[-1], dtype=F._np_dtype(t))).expand(*t.shape)
    return _cholesky_solve(eye, t, upper)


def _triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False, unitriangular: bool = False):  # noqa: N803
    """``torch.triangular_solve`` (deprecated in PyTorch): (solution, cloned_coefficient) of A X = b (A^T X = b
    when transpose).

    Args:
        b: a (..., n, k) right-hand side.
        A: a (..., n, n) triangular matrix.
        upper: whether A is upper triangular.
        transpose: solve with A^T.
        unitriangular: take A's diagonal as ones.
    """
    a = _tensor(A)
    x = solve_triangular(a.mT if transpose else a, b, upper=upper != transpose, unitriangular=unitriangular)
    return _triangular_solve_t(x, a.clone())


def _matrix_rank_removed(input: Tensor, tol=None, symmetric: bool = False):
    """``torch.matrix_rank``: removed from PyTorch (it raises there too); use ``linalg.matrix_rank``.

    Args:
        input: unused.
        tol: unused.
        symmetric: unused.
    """
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. Please use the "
        "`morch.linalg.matrix_rank` function instead. The parameter 'symmetric' was renamed in "
        "`morch.linalg.matrix_rank()` to 'hermitian'."
    )


def _norm_dims(dim, keepdim):
    """torch.nuclear_norm's two call forms: (input, keepdim) and (input, dim, keepdim)."""
    if isinstance(dim, bool):
        return (-2, -1), dim
    return ((-2, -1) if dim is None else tuple(dim)), keepdim


def _nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """``torch.nuclear_norm``: the sum of singular values of the matrices in ``dim`` (default the last two).

    Args:
        input: a floating-point tensor.
        dim: a pair of dimensions, or keepdim itself (PyTorch's ``nuclear_norm(input, keepdim)`` form).
        keepdim: keep the reduced dimensions with size 1.
    """
    d, k = _norm_dims(dim, keepdim)
    return matrix_norm(input, "nuc", d, k)


def _frobenius_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """``torch.frobenius_norm`` (deprecated in PyTorch): the 2-norm over ``dim``.

    Args:
        input: a floating-point tensor.
        dim: one or two dimensions.
        keepdim: keep the reduced dimensions with size 1.
    """
    return vector_norm(input, 2, dim, keepdim)


def _geqrf(input: Tensor):
    """``torch.geqrf``: LAPACK's Householder QR, as (a, tau): R on and above a's diagonal, the reflectors'
    vectors below it (see ``householder_product``). Not differentiable (as in PyTorch).

    Args:
        input: a (..., m, n) floating-point tensor.
    """
    t = _check(_tensor(input), "geqrf")
    a, tau = L.householder_qr(t._data)
    return _geqrf_t(_wrap(a), _wrap(tau))


@deferrable
def _ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    """``torch.ormqr``: other multiplied by the full m x m Q of ``geqrf``'s reflectors (Q other, Q^T other,
    other Q or other Q^T).

    Args:
        input: the (..., m, n) reflectors, as from ``geqrf``.
        tau: their (..., k) factors.
        other: the (..., m, p) ((..., p, m) when not left) matrix to multiply.
        left: multiply from the left.
        transpose: use Q^T.
    """
    a, t = F._pair(_tensor(input), tau)
    m, n = a.shape[-2:]
    pad_a = F.cat([a, a[..., :, :1].expand(*a.shape[:-1], m - n) * 0.0], dim=-1) if m > n else a[..., :, :m]
    k = t.shape[-1]
    pad_t = F.cat([t, t[..., :1].expand(*t.shape[:-1], m - k) * 0.0], dim=-1) if m > k else t
    q = householder_product(pad_a, pad_t)
    q = q.mT if transpose else q
    return q @ other if left else other @ q


def _orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """``torch.orgqr``: the same as ``linalg.householder_product``.

    Args:
        input: the (..., m, n) reflectors.
        tau: their (..., k) factors.
    """
    return householder_product(input, tau)


def _approximate_basis(a: Tensor, q: int, niter: int, m_: Tensor | None) -> Tensor:
    """An orthonormal (..., m, q) basis approximately spanning the range of A - M (Halko et al. 2011, 4.4)."""
    from morch.creation import randn

    n = a.shape[-1]
    r = randn(*a.shape[:-2], n, q, dtype=a.dtype)
    centered = a if m_ is None else a - m_
    basis = qr(centered @ r).Q
    for _ in range(niter):
        basis = qr(centered.mT @ basis).Q
        basis = qr(centered @ basis).Q
    return basis


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int = 2, M: Tensor | None = None):  # noqa: N803
    """A randomised rank-q SVD of A - M, as (U, S, V) (Halko, Martinsson and Tropp 2011).

    Random draws come from morch's generator, so the factors (not their span) differ from PyTorch's.

    Args:
        A: a (..., m, n) floating-point tensor.
        q: the rank (a slight overestimate of A's rank; default 6).
        niter: subspace iterations (more is more accurate).
        M: a tensor broadcastable to A subtracted from it, or None.
    """
    a = _check(_tensor(A), "svd_lowrank")
    q = 6 if q is None else q
    m, n = a.shape[-2:]
    m_ = None if M is None else _tensor(M).expand(*a.shape)
    if m < n:  # work with the tall transpose
        v, s, u = svd_lowrank(a.mT, q, niter, None if m_ is None else m_.mT)
        return _svd_top_t(u, s, v)
    basis = _approximate_basis(a, q, niter, m_)
    b = basis.mT @ (a if m_ is None else a - m_)
    u, s, vh = svd(b, full_matrices=False)
    return _svd_top_t(basis @ u, s, vh.mT)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):  # noqa: N803
    """Principal components of the rows of A by a randomised SVD of the centred A, as (U, S, V).

    Args:
        A: a (..., m, n) floating-point tensor.
        q: the rank (default min(6, m, n)).
        center: subtract the column means first.
        niter: subspace iterations.
    """
    a = _check(_tensor(A), "pca_lowrank")
    m, n = a.shape[-2:]
    q = builtins.min(6, m, n) if q is None else q
    if not 0 <= q <= builtins.min(m, n):
        raise ValueError(
            f"pca_lowrank: q(={q}) must be non-negative integer and not greater than min(m, n)={builtins.min(m, n)}"
        )
    if niter < 0:
        raise ValueError(f"pca_lowrank: niter(={niter}) must be non-negative integer")
    return svd_lowrank(a - F.mean(a, dim=-2, keepdim=True) if center else a, q, niter)


TOP_LEVEL = {
    "det": det, "logdet": _logdet, "slogdet": _slogdet_top, "inverse": _inverse, "pinverse": _pinverse,
    "matrix_power": matrix_power, "cholesky": _cholesky_top, "cross": _cross_top, "svd": _svd_top, "qr": _qr_top,
    "lu": _lu_top, "lu_solve": _lu_solve_top, "cholesky_solve": _cholesky_solve,
    "cholesky_inverse": _cholesky_inverse, "triangular_solve": _triangular_solve, "matrix_exp": matrix_exp,
    "geqrf": _geqrf, "orgqr": _orgqr, "ormqr": _ormqr,
    # top level only (no Tensor method in PyTorch):
    "lu_unpack": lu_unpack, "matrix_rank": _matrix_rank_removed, "nuclear_norm": _nuclear_norm,
    "frobenius_norm": _frobenius_norm, "svd_lowrank": svd_lowrank, "pca_lowrank": pca_lowrank,
}  # fmt: skip
_FUNCTIONS_ONLY = ("lu_unpack", "matrix_rank", "nuclear_norm", "frobenius_norm", "svd_lowrank", "pca_lowrank")
for _name, _fn in TOP_LEVEL.items():
    if _name not in _FUNCTIONS_ONLY:
        setattr(Tensor, _name, _fn)  # Tensor.det() and friends, which PyTorch also has as methods
