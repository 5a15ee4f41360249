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

from morch.autograd.function import Function

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


OPS = [Lgamma, Polygamma, Erfinv, Erfc]
