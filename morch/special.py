"""``morch.special``: PyTorch's ``torch.special`` names for morch's special functions."""

from __future__ import annotations

import math

from morch import functional as F
from morch.ops import extra as X
from morch.ops import special as SP
from morch.tensor import Tensor

__all__ = [
    "erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln", "digamma", "psi", "polygamma",
    "multigammaln", "log_softmax", "softmax", "logsumexp", "sinc", "entr", "log1p", "expm1", "exp2", "ndtr",
    "ndtri", "log_ndtr", "round", "i0", "i0e", "i1", "i1e", "erfcx", "modified_bessel_i0", "modified_bessel_i1",
    "gammainc", "gammaincc", "zeta", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p", "airy_ai",
]  # fmt: skip

erf, erfc, erfinv, digamma, polygamma, log1p, expm1, exp2, xlogy, logit, round = (
    F.erf, F.erfc, F.erfinv, F.digamma, F.polygamma, F.log1p, F.expm1, F.exp2, F.xlogy, F.logit, F.round,
)  # fmt: skip
expit, gammaln, psi = F.sigmoid, F.lgamma, F.digamma
i0, sinc = F.i0, F.sinc


def multigammaln(input, p: int) -> Tensor:
    """The multivariate log-gamma function (``mvlgamma``).

    Args:
        input: the input.
        p: the dimension.
    """
    return F.mvlgamma(input, p)


def log_softmax(input, dim: int, *, dtype=None) -> Tensor:
    """log(softmax(input)) along dim.

    Args:
        input: the input.
        dim: the dimension.
        dtype: cast to this dtype first.
    """
    return F.log_softmax(input, dim, dtype)


def softmax(input, dim: int, *, dtype=None) -> Tensor:
    """softmax along dim.

    Args:
        input: the input.
        dim: the dimension.
        dtype: cast to this dtype first.
    """
    return F.softmax(input, dim, dtype) if dtype is not None else F.softmax(input, dim)


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over dim, computed stably.

    Args:
        input: the input.
        dim: the dimension(s).
        keepdim: keep the reduced dimensions.
    """
    return F.logsumexp(input, dim, keepdim)


def entr(input) -> Tensor:
    """-x log(x) elementwise (0 at 0, -inf for negative x).

    Args:
        input: the input.
    """
    x = F._float_tensor(input)
    negative = x < 0
    return F.where(negative, -math.inf, 0.0 - F.xlogy(x, F.where(negative, 1.0, x)))


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input is 0 (unless other is NaN).

    Args:
        input: the factor.
        other: the argument of log1p.
    """
    a, b = F._pair(input, other)
    a, b = F._float_tensor(a), F._float_tensor(b)
    zero = (a == 0) & ~F.isnan(b)
    return F.where(zero, 0.0, a * F.log1p(F.where(zero, 0.0, b)))


def ndtr(input) -> Tensor:
    """The standard normal distribution function, (1 + erf(x / sqrt 2)) / 2.

    Args:
        input: the input.
    """
    return 0.5 * F.erfc(-F._float_tensor(input) / math.sqrt(2))


def ndtri(input) -> Tensor:
    """The inverse of ndtr: sqrt(2) * erfinv(2p - 1).

    Args:
        input: probabilities in [0, 1].
    """
    return math.sqrt(2) * F.erfinv(2 * F._float_tensor(input) - 1)


def log_ndtr(input) -> Tensor:
    """log(ndtr(x)).

    Args:
        input: the input.
    """
    return ndtr(input).log()


def i0e(input) -> Tensor:
    """The exponentially scaled modified Bessel function of order zero, exp(-|x|) I0(x), which
    stays finite where I0 overflows.

    Args:
        input: the input.
    """
    return X.I0e.apply(F._float_tensor(input))


def i1(input) -> Tensor:
    """The modified Bessel function of the first kind of order one, I1(x). Differs from PyTorch:
    I1(+-inf) is +-inf, where PyTorch gives NaN.

    Args:
        input: the input.
    """
    return X.I1.apply(F._float_tensor(input))


def i1e(input) -> Tensor:
    """The exponentially scaled modified Bessel function of order one, exp(-|x|) I1(x).

    Args:
        input: the input.
    """
    return X.I1e.apply(F._float_tensor(input))


def erfcx(input) -> Tensor:
    """The scaled complementary error function, exp(x^2) erfc(x), accurate for large x where
    erfc underflows.

    Args:
        input: the input.
    """
    return X.Erfcx.apply(F._float_tensor(input))


def modified_bessel_i0(input) -> Tensor:
    """I0(x), as ``i0``. Differs from PyTorch: differentiable (PyTorch's has no derivative).

    Args:
        input: the input.
    """
    return F.i0(input)


def modified_bessel_i1(input) -> Tensor:
    """I1(x), as ``i1``. Differs from PyTorch: differentiable (PyTorch's has no derivative).

    Args:
        input: the input.
    """
    return i1(input)


# ------------------------------------------------------------------ incomplete gamma and Hurwitz zeta
def gammainc(input, other) -> Tensor:
    """The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a), with a = input, x = other.

    Differentiable in ``other`` only; a gradient with respect to ``input`` raises NotImplementedError, as in
    PyTorch. Integer inputs are refused, as PyTorch does.

    Args:
        input: a, the shape parameter (a >= 0).
        other: x (x >= 0).
    """
    a, x = F._pair(input, other)
    return SP.Igamma.apply(a, x, upper=False)


def gammaincc(input, other) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), with a = input, x = other.

    Args:
        input: a, the shape parameter (a >= 0).
        other: x (x >= 0); the only argument with a gradient, as in PyTorch.
    """
    a, x = F._pair(input, other)
    return SP.Igamma.apply(a, x, upper=True)


def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function sum_k (k + q)^-x, with x = input and q = other (Riemann's zeta at q = 1).

    nan for x < 1, inf at x = 1 and at q = 0, -1, -2, ...; differentiable in ``other`` only, as in PyTorch.

    Args:
        input: x.
        other: q.
    """
    x, q = F._pair(input, other)
    return SP.Zeta.apply(F._float_tensor(x), F._float_tensor(q))


# ------------------------------------------------------------------ Bessel functions (no gradient, as PyTorch)
def _no_grad_fn(fn: str, doc: str):
    def special_fn(input) -> Tensor:
        return SP.SpecialFn.apply(F._float_tensor(input).detach(), fn=fn)

    special_fn.__name__ = special_fn.__qualname__ = fn
    special_fn.__doc__ = (
        doc
        + """

    Computed in float64 with Cephes' approximations (see ``morch.ops.special_more``). Without gradient:
    the result does not require grad, as in PyTorch.

    Args:
        input: the input (integers give the default float dtype).
    """
    )
    return special_fn


bessel_j0 = _no_grad_fn("bessel_j0", "The Bessel function of the first kind of order zero, J0(x).")
bessel_j1 = _no_grad_fn("bessel_j1", "The Bessel function of the first kind of order one, J1(x).")
bessel_y0 = _no_grad_fn("bessel_y0", "The Bessel function of the second kind of order zero, Y0(x) (nan for x < 0).")
bessel_y1 = _no_grad_fn("bessel_y1", "The Bessel function of the second kind of order one, Y1(x) (nan for x < 0).")
modified_bessel_k0 = _no_grad_fn("modified_bessel_k0", "The modified Bessel function of the second kind K0(x).")
modified_bessel_k1 = _no_grad_fn("modified_bessel_k1", "The modified Bessel function of the second kind K1(x).")
scaled_modified_bessel_k0 = _no_grad_fn("scaled_modified_bessel_k0", "exp(x) K0(x), finite where K0 underflows.")
scaled_modified_bessel_k1 = _no_grad_fn("scaled_modified_bessel_k1", "exp(x) K1(x), finite where K1 underflows.")
spherical_bessel_j0 = _no_grad_fn("spherical_bessel_j0", "The spherical Bessel function j0(x) = sin(x) / x.")
airy_ai = _no_grad_fn("airy_ai", "The Airy function Ai(x) (nan at +-inf, as PyTorch; 0 above x = 103.892).")


# ------------------------------------------------------------------ orthogonal polynomials (no gradient)
def _polynomial(name: str, kind: str, what: str, shifted: bool = False):
    def polynomial(input, n) -> Tensor:
        x, k = F._pair(input, n)
        return SP.OrthogonalPolynomial.apply(x.detach(), k.detach(), kind=kind, shifted=shifted)

    polynomial.__name__ = polynomial.__qualname__ = name
    polynomial.__doc__ = f"""{what} of degree n at x, broadcast.

    n is truncated to an integer and negative n gives 0, as in PyTorch; integer inputs give the default
    float dtype. No gradient (the result does not require grad), as in PyTorch.

    Args:
        input: x (a tensor or a number).
        n: the degrees (a tensor or a number).
    """
    return polynomial


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "t", "The Chebyshev polynomial of the first kind T_n")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "u", "The Chebyshev polynomial of the second kind U_n")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "v", "The Chebyshev polynomial of the third kind V_n")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "w", "The Chebyshev polynomial of the fourth kind W_n")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", "t", "T_n(2x - 1)", shifted=True)
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", "u", "U_n(2x - 1)", shifted=True)
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", "v", "V_n(2x - 1)", shifted=True)
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", "w", "W_n(2x - 1)", shifted=True)
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "h", "The physicists' Hermite polynomial H_n")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "he", "The probabilists' Hermite polynomial He_n")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "l", "The Laguerre polynomial L_n")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "p", "The Legendre polynomial P_n")


# ------------------------------------------------------------------ top level (torch.igamma ...) and Tensor methods
def _igamma_(self: Tensor, other) -> Tensor:
    """In place: self = igamma(self, other)."""
    return self._update(gammainc(self._src(), other))


def _igammac_(self: Tensor, other) -> Tensor:
    """In place: self = igammac(self, other)."""
    return self._update(gammaincc(self._src(), other))


TOP_LEVEL = {"igamma": gammainc, "igammac": gammaincc}
for _name, _fn in {**TOP_LEVEL, "igamma_": _igamma_, "igammac_": _igammac_}.items():
    setattr(Tensor, _name, _fn)
