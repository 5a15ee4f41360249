"""``morch.special``: PyTorch's ``torch.special`` names for morch's special functions."""

from __future__ import annotations

import math

from morch import functional as F
from morch.ops import extra as X
from morch.tensor import Tensor

__all__ = [
    "erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln", "digamma", "psi", "polygamma",
    "multigammaln", "log_softmax", "softmax", "logsumexp", "sinc", "entr", "log1p", "expm1", "exp2", "ndtr",
    "ndtri", "log_ndtr", "round", "i0", "i0e", "i1", "i1e", "erfcx", "modified_bessel_i0", "modified_bessel_i1",
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
