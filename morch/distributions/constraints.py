"""The constraints distributions check their parameters and values against (``validate_args``)."""

from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
           "nonnegative_integer", "interval", "lower_cholesky", "positive_definite", "real_vector"]  # fmt: skip


class Constraint:
    """A set of values: ``check(array)`` says, per element (or per event), whether it belongs."""

    event_dim = 0

    def __init__(self, name: str, check, event_dim: int = 0):
        self.name, self._check, self.event_dim = name, check, event_dim

    def check(self, value: np.ndarray) -> np.ndarray:
        return self._check(np.asarray(value))

    def __repr__(self) -> str:
        return self.name


def _symmetric(a):
    return np.all(np.isclose(a, np.swapaxes(a, -1, -2)), axis=(-1, -2))


def _pd(a):
    if not np.all(_symmetric(a)):
        return np.zeros(a.shape[:-2], bool)
    return np.all(np.linalg.eigvalsh(a) > 0, axis=-1)


real = Constraint("Real()", lambda a: a == a)  # NaN is not real
real_vector = Constraint("IndependentConstraint(Real(), 1)", lambda a: np.all(a == a, axis=-1), 1)
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda a: a > 0)
nonnegative = Constraint("GreaterThanEq(lower_bound=0.0)", lambda a: a >= 0)
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)", lambda a: (a >= 0) & (a <= 1))
boolean = Constraint("Boolean()", lambda a: (a == 0) | (a == 1))
nonnegative_integer = Constraint("IntegerGreaterThan(lower_bound=0)", lambda a: (a >= 0) & (a % 1 == 0))
simplex = Constraint(
    "Simplex()", lambda a: np.all(a >= 0, axis=-1) & (np.abs(a.sum(-1) - 1) < 1e-6 * max(a.shape[-1], 1) + 1e-5), 1
)
lower_cholesky = Constraint(
    "LowerCholesky()",
    lambda a: np.all(np.triu(a, 1) == 0, axis=(-1, -2)) & np.all(np.diagonal(a, axis1=-2, axis2=-1) > 0, axis=-1),
    2,
)
positive_definite = Constraint("PositiveDefinite()", _pd, 2)


def interval(low, high) -> Constraint:
    """The values in [low, high]."""
    return Constraint(f"Interval(lower_bound={low}, upper_bound={high})", lambda a: (a >= low) & (a <= high))
