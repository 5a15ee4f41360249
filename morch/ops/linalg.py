"""Linear algebra ops: inverse, solve, determinants and the matrix factorisations.

Everything works on batches of matrices in the last two dimensions. Backward formulas use morch
ops on the op's inputs and outputs, so second derivatives work. A factorisation with several
outputs (eigh, qr, svd) is one op per output, selected by ``part``: their gradient formulas are
linear in the output gradients, so the engine's sum of the parts' gradients is the full gradient.
Each part recomputes the factorisation; that costs time, and keeps every op single-output.
"""

from __future__ import annotations

import math

import numpy as np

from morch.autograd.function import Function, op_error
from morch.tensor import _wrap


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular, not positive-definite), as ``torch.linalg.LinAlgError``."""


# ------------------------------------------------------------------ checks and error messages
def check_matrix(a: np.ndarray, op: str, square: bool = False) -> None:
    """A floating-point (batch of) matrix, square if asked, else a clear error naming ``op``."""
    if a.dtype.kind != "f":
        raise op_error(TypeError, f"{op}: Expected a floating point tensor as input. Got {a.dtype}")
    if a.ndim < 2:
        raise op_error(ValueError, f"{op}: The input tensor A must have at least 2 dimensions, got shape {a.shape}")
    if square and a.shape[-1] != a.shape[-2]:
        raise op_error(
            ValueError,
            f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices",
        )


def _batch_prefix(a: np.ndarray, index: int) -> str:
    return f"(Batch element {index}): " if a.ndim > 2 else ""


def _zero_pivot(m: np.ndarray) -> int | None:
    """The 1-based position of the first zero pivot of LU with partial pivoting, as LAPACK reports it."""
    u = m.astype(np.float64, copy=True)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1 :, k:] -= np.outer(u[k + 1 :, k] / u[k, k], u[k, k:])
    return None


def _first_singular(a: np.ndarray) -> tuple[int, int | None]:
    """The first batch element with a zero pivot, and that pivot's 1-based position (None if not found)."""
    for i, m in enumerate(a.reshape(-1, *a.shape[-2:])):
        k = _zero_pivot(m)
        if k is not None:
            return i, k
    return 0, None


def singular_error(a: np.ndarray, op: str) -> LinAlgError:
    """PyTorch's message for a singular input: which batch element, which diagonal element of U is zero."""
    i, k = _first_singular(a)
    if k is None:  # LAPACK saw a zero pivot that this float64 elimination did not
        return LinAlgError(f"{op}: The input matrix of shape {a.shape} is singular.")
    return LinAlgError(
        f"{op}: {_batch_prefix(a, i)}The diagonal element {k} is zero, the inversion could not be "
        "completed because the input matrix is singular."
    )


def _inv(a: np.ndarray, op: str) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise singular_error(a, op) from None


def _eye_like(t, n: int):
    return _wrap(np.eye(n, dtype=t._data.dtype))


def _diag_embed(v):
    """A batch of diagonal matrices with ``v`` (..., n) on the diagonal, built differentiably."""
    return v.unsqueeze(-1) * _eye_like(v, v.shape[-1])


# ------------------------------------------------------------------ inverse, solve, determinants
class Inv(Function):
    op_name = "linalg_inv"

    def forward(self, a):
        check_matrix(a, "linalg.inv", square=True)
        self.out = _inv(a, "linalg.inv")
        return self.out

    def backward(self, g):
        y = self.output().mT
        return -(y @ g @ y)


class Solve(Function):
    """X with A X = B; B is (..., n, k) here (the functional twin handles vectors)."""

    op_name = "linalg_solve"

    def forward(self, a, b):
        check_matrix(a, "linalg.solve", square=True)
        if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
            raise op_error(
                ValueError,
                f"linalg.solve: incompatible shapes of A {a.shape} and B {b.shape} (A X = B needs B (..., n, k))",
            )
        try:
            self.out = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            i, _ = _first_singular(a)
            raise LinAlgError(
                f"linalg.solve: {_batch_prefix(a, i)}The solver failed because the input matrix is singular."
            ) from None
        return self.out

    def backward(self, g):
        a, _ = self.inputs
        gb = Solve.apply(a.mT, g)
        return -(gb @ self.output().mT), gb


class Det(Function):
    """det(A); the gradient is adj(A)^T, taken from inv(A) or, for exactly singular A, from an SVD.

    At an exactly singular matrix the gradient is a constant: second derivatives there are not
    supported (they are elsewhere).
    """

    op_name = "linalg_det"

    def forward(self, a):
        check_matrix(a, "linalg.det", square=True)
        self.out = np.asarray(np.linalg.det(a))
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        if np.all(self.out != 0):
            return (g * self.output()).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT
        return g.unsqueeze(-1).unsqueeze(-1) * _wrap(_cofactors(a._data))


def _cofactors(a: np.ndarray) -> np.ndarray:
    """adj(A)^T for any square A: with A = U diag(s) Vh, it is det(U Vh) U diag(prod of the other s) Vh."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1) if n else s
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (u * others[..., None, :]) @ vh


class SlogdetSign(Function):
    op_name = "linalg_slogdet_sign"

    def forward(self, a):
        check_matrix(a, "linalg.slogdet", square=True)
        return np.linalg.slogdet(a)[0]

    def backward(self, g):
        return None  # the sign is piecewise constant


class Logabsdet(Function):
    op_name = "linalg_slogdet_logabsdet"

    def forward(self, a):
        check_matrix(a, "linalg.slogdet", square=True)
        return np.linalg.slogdet(a)[1]

    def backward(self, g):
        (a,) = self.inputs
        return g.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


# ------------------------------------------------------------------ factorisations
class Cholesky(Function):
    """The lower factor L of A = L L^T (only the lower triangle of A is read, as in PyTorch)."""

    op_name = "linalg_cholesky"

    def forward(self, a):
        check_matrix(a, "linalg.cholesky", square=True)
        try:
            self.out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        return self.out

    def backward(self, g):
        # Murray (2016): gA = L^-T Phi(L^T gL) L^-1 with Phi the lower triangle, diagonal halved, symmetrised
        lo = self.output()
        x = (lo.mT @ g).tril()
        s = 0.5 * (x + x.tril(-1).mT)
        li = Inv.apply(lo)
        return li.mT @ s @ li


def _not_positive_definite(a: np.ndarray) -> LinAlgError:
    flat = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(flat):
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return LinAlgError(
                    f"linalg.cholesky: {_batch_prefix(a, i)}The factorization could not be completed because the "
                    f"input is not positive-definite (the leading minor of order {k} is not positive-definite)."
                )
    return LinAlgError(f"linalg.cholesky: The input of shape {a.shape} is not positive-definite.")


class QR(Function):
    """One factor (``part`` "Q" or "R") of A = QR; ``mode`` 'reduced', 'complete' or 'r' (R only, no gradient)."""

    op_name = "linalg_qr"

    def forward(self, a, part, mode="reduced"):
        check_matrix(a, "linalg.qr")
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.out = q if part == "Q" else r
        self.part, self.mode = part, mode
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        if self.mode == "r":
            raise RuntimeError(
                "linalg.qr: The derivative of linalg.qr depends on Q, which is not computed when mode='r'"
            )
        if self.mode == "complete" and a.shape[-2] > a.shape[-1]:
            raise RuntimeError(
                "linalg.qr: The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        q = self.output() if self.part == "Q" else QR.apply(a, part="Q")
        r = self.output() if self.part == "R" else QR.apply(a, part="R")
        gq, gr = (g, None) if self.part == "Q" else (None, g)
        m, n = a.shape[-2], a.shape[-1]
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr)
        # A = [X | Y] with X square: X = Q U, Y = Q V, R = [U | V] (Walter and Lehmann 2018)
        y = a[..., :, m:]
        u = r[..., :, :m]
        gu = gr[..., :, :m] if gr is not None else None
        gv = gr[..., :, m:] if gr is not None else None
        if gv is not None:
            gq = y @ gv.mT if gq is None else gq + y @ gv.mT
        gx = _qr_backward_tall(q, u, gq, gu)
        gy = q @ gv if gv is not None else (y * 0.0)
        return _cat_last(gx, gy)


def _cat_last(a, b):
    from morch import functional as F

    return F.cat([a, b], dim=-1)


def _qr_backward_tall(q, r, gq, gr):
    """Gradient for m >= n: gA = (gQ + Q copyltu(M)) R^-T with M = gR R^T - Q^T gQ."""
    if gr is not None:
        m_ = gr @ r.mT if gq is None else gr @ r.mT - q.mT @ gq
    else:
        m_ = -(q.mT @ gq)
    up = m_.triu()
    ga = q @ (up + up.triu(1).mT)
    if gq is not None:
        ga = ga + gq
    return ga @ Inv.apply(r).mT


class Eigh(Function):
    """Eigenvalues (``part`` "values", ascending) or eigenvectors ("vectors") of a symmetric matrix."""

    op_name = "linalg_eigh"

    def forward(self, a, part, UPLO="L"):  # noqa: N803 - PyTorch's argument name
        check_matrix(a, "linalg.eigh", square=True)
        if UPLO not in ("L", "U"):
            raise op_error(ValueError, f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        self.out = w if part == "values" else v
        self.part, self.uplo = part, UPLO
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        if self.part == "values":
            v = Eigh.apply(a, part="vectors", UPLO=self.uplo)
            return v @ _diag_embed(g) @ v.mT
        # gA = V (skew(V^T gV) / E) V^T with E_ij = w_j - w_i: the skew part is the gauge-invariant one
        w = Eigh.apply(a, part="values", UPLO=self.uplo)
        v = self.output()
        vg = v.mT @ g
        skew = 0.5 * (vg - vg.mT)
        e = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye_like(w, w.shape[-1])
        return v @ (skew / e) @ v.mT


class SVD(Function):
    """One factor (``part`` "U", "S" or "Vh") of A = U diag(S) Vh.

    Gradients need the reduced factorisation (or a square A), as in PyTorch.
    """

    op_name = "linalg_svd"

    def forward(self, a, part, full_matrices=False):
        check_matrix(a, "linalg.svd")
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        self.out = {"U": u, "S": s, "Vh": vh}[part]
        self.part, self.full = part, full_matrices
        return self.out

    def backward(self, g):
        (a,) = self.inputs
        m, n = a.shape[-2], a.shape[-1]
        if self.full and m != n:
            raise RuntimeError(
                f"linalg.svd: gradients need full_matrices=False (got a {m}x{n} input with full_matrices=True)"
            )
        parts = {p: self.output() if p == self.part else SVD.apply(a, part=p) for p in ("U", "S", "Vh")}
        u, s, vh = parts["U"], parts["S"], parts["Vh"]
        if self.part == "S":
            return (u * g.unsqueeze(-2)) @ vh
        # PyTorch's svd_backward, one output gradient at a time
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye_like(s, s.shape[-1])
        if self.part == "U":
            uhgu = u.mT @ g
            inner = (uhgu - uhgu.mT) / e * s.unsqueeze(-2)
            ga = u @ inner @ vh
            if m > n:
                gus = g / s.unsqueeze(-2)
                ga = ga + (gus - u @ (u.mT @ gus)) @ vh
            return ga
        v, gv = vh.mT, g.mT
        vhgv = vh @ gv
        inner = s.unsqueeze(-1) * (vhgv - vhgv.mT) / e
        ga = u @ inner @ vh
        if m < n:
            gvs = gv / s.unsqueeze(-2)
            ga = ga + u @ (gvs.mT - (gvs.mT @ v) @ vh)
        return ga


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse, dropping singular values at or below max(atol, rtol * largest)."""

    op_name = "linalg_pinv"

    def forward(self, a, atol, rtol):
        check_matrix(a, "linalg.pinv")
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        top = s.max(axis=-1, keepdims=True, initial=0.0)
        keep = s > np.maximum(atol, rtol * top)
        s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(a.dtype)
        self.out = np.swapaxes(vh, -1, -2) @ (s_inv[..., :, None] * np.swapaxes(u, -1, -2))
        return self.out

    def backward(self, g):
        # Golub and Pereyra (1973), for inputs of constant rank
        (a,) = self.inputs
        p = self.output()
        pt = p.mT
        m, n = a.shape[-2], a.shape[-1]
        left = _eye_like(a, m) - a @ p  # projection onto the complement of range(A)
        right = _eye_like(a, n) - p @ a
        return -(pt @ g @ pt) + left @ g.mT @ (p @ pt) + (pt @ p) @ g.mT @ right


# ------------------------------------------------------------------ triangular solves, LU, matrix exponential
class SolveTriangular(Function):
    """X with A X = B for triangular A (``upper``; ``unitriangular``: the diagonal is taken as ones and not read).

    Only A's triangle is read. A zero on the diagonal gives inf/nan, not an error, as in PyTorch.
    """

    op_name = "linalg_solve_triangular"

    def forward(self, a, b, upper, unitriangular=False):
        check_matrix(a, "linalg.solve_triangular", square=True)
        if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
            raise op_error(
                ValueError,
                f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
                f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2] if b.ndim > 1 else b.shape}x{b.shape[-1]})",
            )
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = np.broadcast_to(a, batch + a.shape[-2:])
        x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), dtype=np.result_type(a, b))
        n = a.shape[-1]
        with np.errstate(all="ignore"):
            for i in range(n - 1, -1, -1) if upper else range(n):
                rest = slice(i + 1, n) if upper else slice(0, i)
                x[..., i, :] -= np.einsum("...j,...jk->...k", a[..., i, rest], x[..., rest, :])
                if not unitriangular:
                    x[..., i, :] /= a[..., i, i, None]
        self.out = x
        self.upper, self.unit = upper, unitriangular
        return x

    def backward(self, g):
        a, _ = self.inputs
        gb = SolveTriangular.apply(a.mT, g, upper=not self.upper, unitriangular=self.unit)
        ga = -(gb @ self.output().mT)
        shift = 1 if self.unit else 0
        return (ga.triu(shift) if self.upper else ga.tril(-shift)), gb


def lu_packed(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting as LAPACK's getrf: (L and U in one matrix, 1-based int32 pivots, int32 info).

    The pivot of each column is its first entry of largest magnitude; info is the 1-based position of
    the first exactly zero pivot (0 if none).
    """
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    flat = a.reshape(-1, m, n).copy()
    piv = np.zeros((flat.shape[0], k), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    rows = np.arange(flat.shape[0])
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1) if m > j else np.full(len(rows), j)
            piv[:, j] = p + 1
            top = flat[rows, j].copy()
            flat[rows, j] = flat[rows, p]
            flat[rows, p] = top
            pivot = flat[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            lcol = np.where(zero[:, None], flat[:, j + 1 :, j], flat[:, j + 1 :, j] / pivot[:, None])
            flat[:, j + 1 :, j] = lcol
            flat[:, j + 1 :, j + 1 :] -= lcol[:, :, None] * flat[:, j, None, j + 1 :]
    return flat.reshape(a.shape), piv.reshape(*batch, k), info.reshape(batch)


def pivots_to_permutation(piv: np.ndarray, m: int, dtype) -> np.ndarray:
    """The permutation matrices P (..., m, m) with A = P L U, from LAPACK's sequential row swaps."""
    flat = piv.reshape(-1, piv.shape[-1]).astype(np.int64) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        target = flat[:, i]
        if np.any((target < i) | (target >= m)):
            raise op_error(
                ValueError, f"lu_unpack: pivots must be between {i + 1} and {m} at position {i}, got {target.min() + 1}"
            )
        here = perm[:, i].copy()
        perm[:, i] = perm[rows, target]
        perm[rows, target] = here
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2).reshape(*piv.shape[:-1], m, m)


def _lsolve_unit_lower_t(lo, x):
    """L^-T x for unit lower-triangular L."""
    return SolveTriangular.apply(lo.mT, x, upper=True, unitriangular=True)


def _rsolve_upper_t(x, up):
    """x U^-T for upper-triangular U."""
    return SolveTriangular.apply(up, x.mT, upper=True).mT


def _lu_square_grad(lo, up, gl, gu):
    """P^T gA for A = P L U square: L^-T (tril_-1(L^T gL) + triu(gU U^T)) U^-T."""
    phi = (lo.mT @ gl).tril(-1) + (gu @ up.mT).triu()
    return _rsolve_upper_t(_lsolve_unit_lower_t(lo, phi), up)


class LUFactor(Function):
    """The packed LU factor of A = P L U (partial pivoting), differentiable for any m x n (full-rank) A."""

    op_name = "linalg_lu_factor"

    def forward(self, a):
        check_matrix(a, "linalg.lu_factor")
        self.out, piv, _ = lu_packed(a)
        self.perm = pivots_to_permutation(piv, a.shape[-2], a.dtype)
        return self.out

    def backward(self, g):
        from morch import functional as F

        lu = self.output()
        m, n = lu.shape[-2:]
        k = min(m, n)
        lo = lu[..., :, :k].tril(-1) + _wrap(np.eye(m, k, dtype=lu._data.dtype))
        up = lu[..., :k, :].triu()
        gl, gu = g[..., :, :k].tril(-1), g[..., :k, :].triu()
        if m == n:
            ga = _lu_square_grad(lo, up, gl, gu)
        elif m < n:  # A = P L [U1 | U2]: U2 = L^-1 P^T A2 also moves with L
            u1, u2, gu1, gu2 = up[..., :m], up[..., m:], gu[..., :m], gu[..., m:]
            gl_eff = gl - _lsolve_unit_lower_t(lo, gu2) @ u2.mT
            ga = F.cat([_lu_square_grad(lo, u1, gl_eff.tril(-1), gu1), _lsolve_unit_lower_t(lo, gu2)], dim=-1)
        else:  # A = P [L1; L2] U: L2 = A2 U^-1 also moves with U
            l1, l2, gl1, gl2 = lo[..., :n, :], lo[..., n:, :], gl[..., :n, :], gl[..., n:, :]
            gu_eff = gu - l2.mT @ _rsolve_upper_t(gl2, up)
            ga = F.cat([_lu_square_grad(l1, up, gl1, gu_eff.triu()), _rsolve_upper_t(gl2, up)], dim=-2)
        return _wrap(self.perm) @ ga


def householder_qr(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's geqrf in numpy: R on and above the diagonal, the reflectors' vectors below it, and tau.

    Column j's reflector H = I - tau v v^T (v[j] = 1) maps A[j:, j] to (beta, 0, ...) with
    beta = -sign(alpha) ||A[j:, j]||; tau = 0 (H = I) when the column is already zero below the diagonal.
    """
    m, n = a.shape[-2:]
    k = min(m, n)
    r = a.reshape(-1, m, n).astype(a.dtype, copy=True)
    tau = np.zeros((r.shape[0], k), a.dtype)
    with np.errstate(all="ignore"):
        for j in range(k):
            alpha = r[:, j, j].copy()
            below = np.linalg.norm(r[:, j + 1 :, j], axis=-1)
            skip = below == 0
            beta = -np.copysign(np.hypot(alpha, below), alpha)
            tau[:, j] = np.where(skip, 0.0, (beta - alpha) / beta)
            v = np.where(skip[:, None], 0.0, r[:, j + 1 :, j] / (alpha - beta)[:, None])
            r[:, j + 1 :, j] = v
            r[:, j, j] = np.where(skip, alpha, beta)
            full_v = np.concatenate([np.ones((r.shape[0], 1), a.dtype), v], axis=1)
            rest = r[:, j:, j + 1 :]
            rest -= tau[:, j, None, None] * full_v[:, :, None] * np.einsum("bi,bij->bj", full_v, rest)[:, None, :]
    return r.reshape(a.shape), tau.reshape(*a.shape[:-2], k)


# the Pade (13, 13) approximant of exp and its scaling threshold (Higham 2005)
_PADE13 = tuple(
    math.factorial(26 - j) * math.factorial(13) / (math.factorial(26) * math.factorial(j) * math.factorial(13 - j))
    for j in range(14)
)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp(A) for a batch of matrices: Pade (13, 13) after scaling each matrix by 2^-s, then s squarings."""
    norm = np.abs(a).sum(axis=-2).max(axis=-1, initial=0.0) if a.size else np.zeros(a.shape[:-2])
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.where(norm > 0, norm, 1.0) / _THETA13))).astype(np.int64)
    s = np.where(np.isfinite(norm), s, 0)
    x = a * (0.5**s)[..., None, None].astype(a.dtype)
    b = _PADE13
    eye = np.eye(a.shape[-1], dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for i in range(int(s.max(initial=0))):
        r = np.where((s > i)[..., None, None], r @ r, r)
    return r


class MatrixExp(Function):
    """exp(A) = sum_k A^k / k!; the gradient is the upper-right block of exp([[A^T, G], [0, A^T]])."""

    op_name = "linalg_matrix_exp"

    def forward(self, a):
        check_matrix(a, "linalg.matrix_exp", square=True)
        with np.errstate(all="ignore"):
            return _expm(a).astype(a.dtype, copy=False) if a.size else a.copy()

    def backward(self, g):
        from morch import functional as F

        (a,) = self.inputs
        n = a.shape[-1]
        at = a.mT.expand(tuple(g.shape))
        block = F.cat([F.cat([at, g], dim=-1), F.cat([at * 0.0, at], dim=-1)], dim=-2)
        return MatrixExp.apply(block)[..., :n, n:]


# ------------------------------------------------------------------ LDL^T with Bunch-Kaufman pivoting (LAPACK sytf2)
_BK_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch and Kaufman's threshold, which bounds the growth of L


def _bk_pivot(a: np.ndarray, k: int) -> tuple[int, int]:
    """(kp, kstep): the pivot row and block size (1 or 2) Bunch-Kaufman chooses at step k (0-based)."""
    n = a.shape[0]
    absakk = abs(a[k, k])
    imax, colmax = k, 0.0
    if k + 1 < n:
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1 :, k])))
        colmax = abs(a[imax, k])
    if max(absakk, colmax) == 0 or np.isnan(absakk) or absakk >= _BK_ALPHA * colmax:
        return k, 1
    row = np.abs(np.concatenate([a[imax, k:imax], a[imax + 1 :, imax]]))  # row imax of the lower triangle
    rowmax = row.max()
    if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
        return k, 1
    if abs(a[imax, imax]) >= _BK_ALPHA * rowmax:
        return imax, 1
    return imax, 2


def _bk_swap(a: np.ndarray, kk: int, kp: int) -> None:
    """Swap rows and columns kk < kp of the symmetric trailing matrix, stored in the lower triangle."""
    a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
    between = a[kk + 1 : kp, kk].copy()
    a[kk + 1 : kp, kk] = a[kp, kk + 1 : kp]
    a[kp, kk + 1 : kp] = between
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]


def _ldl_one(a: np.ndarray) -> tuple[int, np.ndarray]:
    """Factor one symmetric matrix in place (lower triangle) as LAPACK's sytf2: (info, 1-based pivots)."""
    n = a.shape[0]
    piv = np.zeros(n, np.int32)
    info, k = 0, 0
    while k < n:
        kp, kstep = _bk_pivot(a, k)
        if kstep == 1 and (a[k, k] == 0 or np.isnan(a[k, k])) and kp == k:
            info = info or k + 1
            piv[k] = k + 1
            k += 1
            continue
        kk = k + kstep - 1
        if kp != kk:
            _bk_swap(a, kk, kp)
            if kstep == 2:
                a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
        if kstep == 1:
            x, d11 = a[k + 1 :, k].copy(), 1 / a[k, k]
            a[k + 1 :, k + 1 :] -= np.tril(np.outer(x, d11 * x))
            a[k + 1 :, k] = d11 * x
            piv[k] = kp + 1
        else:
            d21 = a[k + 1, k]
            d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
            d21 = 1 / (d11 * d22 - 1) / d21
            c0, c1 = a[k + 2 :, k].copy(), a[k + 2 :, k + 1].copy()
            wk, wkp1 = d21 * (d11 * c0 - c1), d21 * (d22 * c1 - c0)
            a[k + 2 :, k + 2 :] -= np.tril(np.outer(c0, wk))
            a[k + 2 :, k + 2 :] -= np.tril(np.outer(c1, wkp1))
            a[k + 2 :, k], a[k + 2 :, k + 1] = wk, wkp1
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return info, piv


def ldl_packed(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The LDL^T factorisation of symmetric matrices as LAPACK's sytrf with uplo 'L', reading the lower triangle.

    Returns (LD, pivots, info): LD holds L's strictly lower part (unit diagonal) and the 1x1 and 2x2 blocks
    of D, with zeros above; pivots (int32, 1-based) is k where rows k and pivots[k] were swapped for a
    1x1 block, and -p on both rows of a 2x2 block whose second row was swapped with p; info (int32) is
    the 1-based position of the first exactly zero 1x1 block, 0 if none.
    """
    n = a.shape[-1]
    flat = np.tril(a).reshape(math.prod(a.shape[:-2]), n, n)
    piv = np.zeros((flat.shape[0], n), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    with np.errstate(all="ignore"):
        for i, m in enumerate(flat):
            info[i], piv[i] = _ldl_one(m)
    return flat.reshape(a.shape), piv.reshape(a.shape[:-1]), info.reshape(a.shape[:-2])


def _ldl_solve_one(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    """Overwrite b (n, k) with A^-1 b for A = ``_ldl_one``'s factor (LAPACK's sytrs, uplo 'L')."""
    n = ld.shape[0]
    k = 0
    while k < n:  # forward: b = D^-1 L^-1 P^T b
        if piv[k] > 0:
            p = piv[k] - 1
            b[[k, p]] = b[[p, k]]
            b[k + 1 :] -= np.outer(ld[k + 1 :, k], b[k])
            b[k] /= ld[k, k]
            k += 1
            continue
        p = -piv[k] - 1
        b[[k + 1, p]] = b[[p, k + 1]]
        b[k + 2 :] -= np.outer(ld[k + 2 :, k], b[k]) + np.outer(ld[k + 2 :, k + 1], b[k + 1])
        off = ld[k + 1, k]
        d1, d2 = ld[k, k] / off, ld[k + 1, k + 1] / off
        denom = d1 * d2 - 1
        b1, b2 = b[k] / off, b[k + 1] / off
        b[k], b[k + 1] = (d2 * b1 - b2) / denom, (d1 * b2 - b1) / denom
        k += 2
    k = n - 1
    while k >= 0:  # backward: b = P L^-T b
        step = 1 if piv[k] > 0 else 2
        for j in range(k, k - step, -1):
            b[j] -= ld[k + 1 :, j] @ b[k + 1 :]
        p = abs(piv[k]) - 1
        b[[k, p]] = b[[p, k]]
        k -= step


def ldl_solve_packed(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for A given by ``ldl_packed``'s (LD, pivots), batch dimensions broadcast."""
    n = ld.shape[-1]
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    dtype = np.result_type(ld, b)
    count = math.prod(batch)
    ld = np.broadcast_to(ld, (*batch, n, n)).reshape(count, n, n)
    piv = np.broadcast_to(piv, (*batch, n)).reshape(count, n)
    out = np.array(np.broadcast_to(b, (*batch, *b.shape[-2:])), dtype=dtype).reshape(count, *b.shape[-2:])
    with np.errstate(all="ignore"):
        for i in range(out.shape[0]):
            _ldl_solve_one(ld[i], piv[i], out[i])
    return out.reshape(*batch, *b.shape[-2:])


class LDLFactor(Function):
    """The LD of ``ldl_packed`` (``packed``: when the caller has already computed it). No derivative, as in PyTorch."""

    op_name = "linalg_ldl_factor"
    differentiable = False

    def forward(self, a, packed=None):
        return ldl_packed(a)[0] if packed is None else packed

    def backward(self, g):
        raise NotImplementedError("the derivative for 'linalg.ldl_factor' is not implemented.")


class LDLSolve(Function):
    """X with A X = B from ``ldl_packed``'s (LD, pivots). No derivative, as in PyTorch."""

    op_name = "linalg_ldl_solve"
    differentiable = False

    def forward(self, ld, piv, b):
        return ldl_solve_packed(ld, piv, b)

    def backward(self, g):
        raise NotImplementedError("the derivative for 'linalg.ldl_solve' is not implemented.")


OPS = [Inv, Solve, Det, SlogdetSign, Logabsdet, Cholesky, QR, Eigh, SVD, Pinv, SolveTriangular, LUFactor, MatrixExp,
       LDLFactor, LDLSolve]  # fmt: skip
