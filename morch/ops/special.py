"""Special functions numpy lacks: lgamma, digamma, polygamma, erfinv, erfc.

lgamma and erfc use Python's ``math`` (exact to libm accuracy, one call per element); digamma
and polygamma use the recurrence psi(x) = psi(x + 1) - 1/x to move the argument above 10 and
then the asymptotic series, with the reflection formula for negative arguments; erfinv refines
a rational first guess with Newton steps on ``math.erf``. Each gradient is the next function of
the family, so derivatives of any order work.
"""

from __future__ import annotations

import math

import numpy as np

from morch.autograd.function import Function, op_error
from morch.ops import special_more as _kernels
from morch.ops.special_more import igamma, orthogonal_polynomial, zeta

_lgamma = np.frompyfunc(math.lgamma, 1, 1)
_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)

# the Bernoulli numbers B_2k, k = 1..7, of the asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _lgamma_array(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, np.float64)
    flat = a.reshape(-1).astype(np.float64)
    res = out.reshape(-1)
    bad = (flat <= 0) & (flat == np.floor(flat))  # poles: +inf, as PyTorch
    ok = ~bad & np.isfinite(flat)
    res[ok] = _lgamma(flat[ok]).astype(np.float64)
    res[bad] = np.inf
    res[np.isinf(flat)] = np.inf
    res[np.isnan(flat)] = np.nan
    return out.astype(a.dtype, copy=False)


def _polygamma_array(n: int, a: np.ndarray) -> np.ndarray:
    """psi^(n)(a), n >= 0, in float64 then a's dtype."""
    x = a.astype(np.float64)
    out = np.zeros(x.shape)
    pole = (x <= 0) & (x == np.floor(x))
    reflect = (x < 0) & ~pole
    if n == 0 and reflect.any():  # psi(x) = psi(1 - x) - pi / tan(pi x)
        xr = x[reflect]
        out[reflect] = _polygamma_array(0, 1 - xr) - np.pi / np.tan(np.pi * xr)
    todo = ~pole & ~reflect & np.isfinite(x)
    if n > 0 and reflect.any():  # rare: sum the series directly after shifting (no reflection needed for n > 0)
        todo |= reflect
    y = x[todo]
    acc = np.zeros(y.shape)
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)^(n+1)
    fact = math.factorial(n)
    while True:
        small = y < 10
        if not small.any():
            break
        ys = y[small]
        # psi^(n)(y) = psi^(n)(y + 1) + (-1)^(n+1) n! / y^(n+1)  (psi(y) = psi(y + 1) - 1/y for n = 0)
        acc[small] += (-1.0 / ys) if n == 0 else sign * fact / ys ** (n + 1)
        y = np.where(small, y + 1, y)
    if n == 0:
        series = np.log(y) - 0.5 / y
        for k, b in enumerate(_BERNOULLI, start=1):
            series -= b / (2 * k) / y ** (2 * k)
    else:
        series = math.factorial(n - 1) / y**n + fact / (2 * y ** (n + 1))
        for k, b in enumerate(_BERNOULLI, start=1):
            series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / y ** (2 * k + n)
        series *= sign
    out[todo] = series + acc
    if n == 0:
        out[pole & (x == 0)] = -np.inf  # PyTorch: digamma(0) = -inf, other poles nan
        out[pole & (x != 0)] = np.nan
    else:
        out[pole] = np.inf if n % 2 == 1 else np.nan
    out[np.isnan(x)] = np.nan
    if n == 0:
        out[x == np.inf] = np.inf
    else:
        out[x == np.inf] = 0.0
    return out.astype(a.dtype, copy=False)


def _erfinv_array(a: np.ndarray) -> np.ndarray:
    y = a.astype(np.float64)
    out = np.full(y.shape, np.nan)
    ok = np.abs(y) < 1
    v = y[ok]
    # first guess (a logarithmic approximation good to ~1e-3), then Newton steps on erf
    w = -np.log((1 - v) * (1 + v))
    t = 2 / (np.pi * 0.147) - w / 2
    x = np.sign(v) * np.sqrt(np.sqrt(t * t + w / 0.147) - t)
    for _ in range(4):
        err = _erf(x).astype(np.float64) - v
        x = x - err / (2 / math.sqrt(math.pi) * np.exp(-x * x))
    out[ok] = x
    out[y == 1] = np.inf
    out[y == -1] = -np.inf
    return out.astype(a.dtype, copy=False)


def _lgamma64(a: np.ndarray) -> np.ndarray:
    return _lgamma(a).astype(np.float64)


def gammainc(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The regularized lower incomplete gamma function P(a, x), float64 (``special_more.igamma``)."""
    return igamma(a, x, upper=False)


def standard_gamma_grad(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """d(sample)/d(concentration) of a Gamma(a, 1) draw x at a fixed quantile (implicit
    reparameterisation): -(dP/da) / (dP/dx), dP/da by a central difference."""
    x, a = np.asarray(x, np.float64), np.asarray(a, np.float64)
    h = 1e-5 * np.maximum(a, 1.0)
    dp_da = (gammainc(a + h, x) - gammainc(a - h, x)) / (2 * h)
    dp_dx = np.exp((a - 1) * np.log(np.maximum(x, 1e-300)) - x - _lgamma64(a))
    return -dp_da / dp_dx


class StandardGamma(Function):
    """A Gamma(concentration, 1) draw from morch's generator, differentiable in the concentration
    (implicit reparameterisation, as PyTorch's ``_standard_gamma``); its gradient is not
    differentiable again."""

    differentiable = False

    def forward(self, a):
        from morch.random import default_generator

        self.out = np.maximum(default_generator._rng.standard_gamma(a), np.finfo(a.dtype).tiny).astype(a.dtype)
        return self.out

    def backward(self, g):
        from morch.tensor import _wrap

        a = self.inputs[0]._data
        return _wrap(g._data * standard_gamma_grad(self.out, a).astype(a.dtype))


class Lgamma(Function):
    def forward(self, a):
        return _lgamma_array(a)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=0)


class Polygamma(Function):
    """The n-th derivative of digamma (n = 0: digamma itself)."""

    def forward(self, a, n):
        self.n = n
        return _polygamma_array(n, a)

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=self.n + 1)


class Erfinv(Function):
    def forward(self, a):
        self.out = _erfinv_array(a)
        return self.out

    def backward(self, g):
        y = self.output()
        return g * (math.sqrt(math.pi) / 2) * (y * y).exp()


class Erfc(Function):
    def forward(self, a):
        return np.asarray(_erfc(a), dtype=a.dtype)

    def backward(self, g):
        (a,) = self.inputs
        return g * (-2 / math.sqrt(math.pi)) * (-(a * a)).exp()


OPS = [Lgamma, Polygamma, Erfinv, Erfc, StandardGamma]


# ------------------------------------------------------------------ Cephes functions (kernels in special_more)
def _as_float(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.kind == "f" else a.astype(np.float32)


class SpecialFn(Function):
    """A one-argument function of ``morch.ops.special_more`` (``fn``: its name), without gradient:
    the functional layer applies it to detached inputs, as PyTorch has no derivative for these."""

    op_name = "special_fn"
    differentiable = False

    def forward(self, a, fn):
        a = _as_float(a)
        with np.errstate(all="ignore"):
            return getattr(_kernels, fn)(a.astype(np.float64)).astype(a.dtype, copy=False)

    def backward(self, g):
        return None


class OrthogonalPolynomial(Function):
    """P_n(x) of a family of ``special_more.orthogonal_polynomial`` (no gradient, as in PyTorch)."""

    op_name = "orthogonal_polynomial"
    differentiable = False

    def forward(self, x, n, kind, shifted=False):
        dtype = np.result_type(x, n)
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
        return orthogonal_polynomial(kind, x, n, shifted).astype(dtype, copy=False)

    def backward(self, g):
        return None, None


class Zeta(Function):
    """The Hurwitz zeta function zeta(x, q); differentiable in q only (d/dq = -x zeta(x + 1, q)), as PyTorch."""

    op_name = "zeta"

    def forward(self, x, q):
        return zeta(x, q).astype(x.dtype, copy=False)

    def backward(self, g):
        x, q = self.inputs
        if self.needs_input_grad[0]:
            raise NotImplementedError(
                "the derivative for 'zeta' with respect to its first argument is not implemented."
            )
        return None, g * -x * Zeta.apply(x + 1, q)


class Igamma(Function):
    """The regularized incomplete gamma function P(a, x) (``upper`` False) or Q(a, x), differentiable in
    x only: d/dx P = x^(a-1) e^-x / Gamma(a) (PyTorch has no derivative in a either)."""

    op_name = "igamma"

    def forward(self, a, x, upper):
        if a.dtype.kind != "f":
            raise op_error(TypeError, f"igamma: not implemented for integer inputs (got {a.dtype})")
        self.upper = upper
        return igamma(a, x, upper).astype(a.dtype, copy=False)

    def backward(self, g):
        from morch import functional as F

        a, x = self.inputs
        if self.needs_input_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        density = F.exp((a - 1) * F.log(x) - x - F.lgamma(a))
        return None, -g * density if self.upper else g * density


OPS += [SpecialFn, OrthogonalPolynomial, Zeta, Igamma]
