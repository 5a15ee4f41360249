"""VonMises: the circular normal distribution on angles."""

from __future__ import annotations

import math

import numpy as np

from morch import special
from morch.distributions import constraints
from morch.distributions.distribution import _as_params, _LocCentred
from morch.distributions.gamma_family import _draw, _rng
from morch.tensor import Tensor

__all__ = ["VonMises"]


def _log_i0(x: Tensor) -> Tensor:
    """log I0(x) for x >= 0, without overflow: log(exp(-x) I0(x)) + x."""
    return special.i0e(x).log() + x


def _best_fisher(loc: np.ndarray, kappa: np.ndarray, rng) -> np.ndarray:
    """Von Mises draws (float64) by Best and Fisher's (1979) rejection method with a wrapped Cauchy envelope."""
    tau = 1 + np.sqrt(1 + 4 * kappa**2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))
    x = np.zeros(loc.shape)
    done = np.zeros(loc.shape, dtype=bool)
    while not done.all():
        u1, u2, u3 = rng.random((3,) + loc.shape)
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = ((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0)
        accept &= ~done
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
        done |= accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(_LocCentred):
    """The von Mises distribution on angles: density exp(kappa cos(x - loc)) / (2 pi I0(kappa)).
    Draws (in [-pi, pi)) come from Best and Fisher's rejection sampler; not reparameterised.

    ``mean`` is the circular mean (loc).

    Args:
        loc: the mean angle (radians).
        concentration: kappa (> 0; large kappa is close to Normal(loc, 1/sqrt(kappa))).
        validate_args: check the parameters.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = _as_params(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def variance(self) -> Tensor:
        """The circular variance 1 - I1(kappa) / I0(kappa)."""
        k = self.concentration
        return 1 - special.i1e(k) / special.i0e(k)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        loc = np.broadcast_to(self.loc._data.astype(np.float64), shape)
        kappa = np.broadcast_to(self.concentration._data.astype(np.float64), shape)
        return _draw(_best_fisher(loc, kappa, _rng()), self.loc)

    def log_prob(self, value) -> Tensor:
        self._validate_sample(value)
        k = self.concentration
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - _log_i0(k)
