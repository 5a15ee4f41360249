"""More elementwise special functions: the normalised sinc, the scaled complementary error
function erfcx(x) = exp(x^2) erfc(x), and the modified Bessel functions of the first kind, I0 and
I1, plain and exponentially scaled (``i0e(x) = exp(-|x|) i0(x)``).

The Bessel functions are computed scaled, in float64: below |x| = 30 by the power series
sum_k (x/2)^(2k+n) / (k! (k+n)!) (all terms positive, so no cancellation), with the factor
exp(-|x|) folded into the first term so that nothing overflows; from 30 on by the asymptotic
series e^-x I_n(x) ~ (2 pi x)^-1/2 sum_k (-1)^k prod_j (4n^2 - (2j-1)^2) / (k! (8x)^k), whose
terms keep shrinking well past the float64 precision at x >= 30. Each gradient is written with
these same ops, so derivatives of any order work.
"""

from __future__ import annotations

import math

import numpy as np

from morch import functional as F
from morch.autograd.function import Function

_SERIES_LIMIT = 30.0
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _bessel_scaled(n: int, a: np.ndarray) -> np.ndarray:
    """exp(-|x|) I_n(|x|) for n in (0, 1), float64."""
    x = np.abs(a.astype(np.float64))
    out = np.empty(x.shape)
    small = x < _SERIES_LIMIT
    xs = x[small]
    half_sq = (xs / 2) ** 2
    term = np.exp(-xs) * (xs / 2) ** n
    total = term.copy()
    k = 0
    while term.size and np.any(term > 1e-17 * total):
        k += 1
        term = term * half_sq / (k * (k + n))
        total += term
    out[small] = total
    xl = x[~small & ~np.isnan(x)]
    mu = 4.0 * n * n
    term = np.ones(xl.shape)
    total = term.copy()
    for k in range(1, 30):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8 * xl)
        total += term
    with np.errstate(divide="ignore", invalid="ignore"):
        out[~small & ~np.isnan(x)] = np.where(np.isinf(xl), 0.0, total / np.sqrt(2 * np.pi * xl))
    out[np.isnan(x)] = np.nan
    return out


def _odd(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """I1 is odd: give v (computed at |x|) the sign of x."""
    return np.where(a < 0, -v, v)


def _exp_abs(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.exp(np.abs(a.astype(np.float64)))


def _at_zero(x, value: float, elsewhere):
    """``value`` where x == 0, else ``elsewhere(safe_x)`` with the zeros replaced by ones."""
    zero = x == 0
    return F.where(zero, value, elsewhere(F.where(zero, 1.0, x)))


class Sinc(Function):
    def forward(self, a):
        with np.errstate(invalid="ignore"):
            self.out = np.sinc(a).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        (x,) = self.inputs
        y = self.output()
        # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc x) / x, 0 at x = 0 (as PyTorch)
        return g * _at_zero(x, 0.0, lambda s: (F.cos(math.pi * s) - y) / s)


def _erfcx_array(a: np.ndarray) -> np.ndarray:
    x = a.astype(np.float64)
    out = np.empty(x.shape)
    # below 26, exp(x^2) and erfc(x) both stay inside float64; above it the asymptotic series
    # 1 / (x sqrt(pi)) sum_k (-1)^k (2k-1)!! / (2x^2)^k is exact to rounding after a few terms
    direct = x < 26
    xd = x[direct]
    with np.errstate(over="ignore", invalid="ignore"):
        out[direct] = np.exp(xd * xd) * _erfc(xd).astype(np.float64)
    out[np.isneginf(x)] = np.inf
    xl = x[~direct]
    term = np.ones(xl.shape)
    total = term.copy()
    for k in range(1, 12):
        term = -term * (2 * k - 1) / (2 * xl) / xl
        total += term
    out[~direct] = np.where(np.isinf(xl), 0.0, total / (xl * math.sqrt(math.pi)))
    return out


class Erfcx(Function):
    def forward(self, a):
        self.out = _erfcx_array(a).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        return g * (2 * self.inputs[0] * self.output() - 2 / math.sqrt(math.pi))


class I0(Function):
    def forward(self, a):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.isinf(a), np.inf, _bessel_scaled(0, a) * _exp_abs(a)).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * I1.apply(self.inputs[0])


class I1(Function):
    def forward(self, a):
        with np.errstate(over="ignore", invalid="ignore"):
            big = np.where(np.isinf(a), np.inf, _bessel_scaled(1, a) * _exp_abs(a))
        self.out = _odd(a, big).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        (x,) = self.inputs
        # I1' = I0 - I1 / x, 1/2 at 0
        return g * _at_zero(x, 0.5, lambda s: I0.apply(x) - self.output() / s)


class I0e(Function):
    def forward(self, a):
        self.out = _bessel_scaled(0, a).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        (x,) = self.inputs
        return g * (I1e.apply(x) - F.sign(x) * self.output())


class I1e(Function):
    def forward(self, a):
        self.out = _odd(a, _bessel_scaled(1, a)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        (x,) = self.inputs
        y = self.output()
        return g * _at_zero(x, 0.5, lambda s: I0e.apply(x) - y / s - F.sign(x) * y)


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) along ``dim``, as a running logaddexp (stable for any spread of values)."""

    def forward(self, a, dim):
        self.dim = dim
        with np.errstate(invalid="ignore"):
            self.out = np.logaddexp.accumulate(a, axis=dim) if a.size else a.copy()
        return self.out

    def backward(self, g):
        # d out_i / d x_j = exp(x_j - out_i) for i >= j, so grad_j = sum_{i>=j} g_i exp(x_j - out_i);
        # done in log space, positive and negative parts of g apart, with a reversed logcumsumexp
        (x,) = self.inputs
        out, d = self.output(), self.dim
        unreachable = F.isinf(out) & (out < 0)  # every x so far is -inf: no gradient flows there
        grad = 0
        for sign, part in ((1, F.where(g > 0, g, 0.0)), (-1, F.where(g < 0, -g, 0.0))):
            log_part = F.where(part > 0, F.log(F.where(part > 0, part, 1.0)), -math.inf)
            shifted = F.where(unreachable, -math.inf, log_part - F.where(unreachable, 0.0, out))
            tail = F.flip(LogCumSumExp.apply(F.flip(shifted, [d]), dim=d), [d])
            total = F.where(F.isinf(x) & (x < 0), -math.inf, x + tail)
            grad = grad + sign * F.exp(total)
        return grad


OPS = [Sinc, Erfcx, I0, I1, I0e, I1e, LogCumSumExp]
