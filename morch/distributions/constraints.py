"""The constraints distributions check their parameters and values against (``validate_args``),
and that ``biject_to`` / ``transform_to`` (``constraint_registry.py``) map to transforms.

Each family is a class (``greater_than`` is the class, ``positive`` an instance of it), as in
``torch.distributions.constraints``; the registries look constraints up by their class.
``check`` takes an array or a Tensor and returns a boolean array (one entry per event).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "dependent", "dependent_property", "is_dependent", "independent", "boolean", "one_hot",
           "nonnegative_integer", "positive_integer", "integer_interval", "real", "real_vector", "positive",
           "nonnegative", "greater_than", "greater_than_eq", "less_than", "multinomial", "unit_interval",
           "interval", "half_open_interval", "simplex", "lower_triangular", "lower_cholesky", "corr_cholesky",
           "square", "symmetric", "positive_semidefinite", "positive_definite", "cat", "stack"]  # fmt: skip


def _array(value) -> np.ndarray:
    """A Tensor's (detached) values or any array-like as an ndarray."""
    data = getattr(value, "_data", None)
    return np.asarray(value if data is None else data)


class Constraint:
    """A set of values: ``check(value)`` says, per event, whether it belongs.

    Subclasses override ``check``; the generic form takes a name and a check function.

    Args:
        name: the repr.
        check: array -> boolean array.
        event_dim: how many rightmost dimensions form one checked event.
    """

    event_dim = 0
    is_discrete = False

    def __init__(self, name: str | None = None, check=None, event_dim: int | None = None):
        if name is not None:
            self._name = name
        if check is not None:
            self._check = check
        if event_dim is not None:
            self.event_dim = event_dim

    def check(self, value) -> np.ndarray:
        return self._check(_array(value))

    def __repr__(self) -> str:
        name = getattr(self, "_name", None)
        if name is not None:
            return name
        args = ", ".join(f"{k}={v}" for k, v in self._args().items())
        return f"{type(self).__name__.lstrip('_')}({args})"

    def _args(self) -> dict:
        return {}


class _Dependent(Constraint):
    """A placeholder for a constraint that depends on other parameters (not checkable by itself)."""

    def __init__(self, is_discrete: bool = False, event_dim: int = 0):
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, *, is_discrete=None, event_dim=None):
        return _Dependent(self.is_discrete if is_discrete is None else is_discrete,
                          self.event_dim if event_dim is None else event_dim)  # fmt: skip

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is the ``dependent`` placeholder (or a dependent_property)."""
    return isinstance(constraint, _Dependent)


class dependent_property(property, _Dependent):  # noqa: N801 - PyTorch's name
    """A property that is also a ``dependent`` constraint when read from the class."""

    def __init__(self, fn=None, *, is_discrete: bool = False, event_dim: int = 0):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete, event_dim)

    def __call__(self, fn):
        return dependent_property(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


class _Real(Constraint):
    def check(self, value):
        a = _array(value)
        return a == a  # NaN is not real


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        a = _array(value)
        return (a == 0) | (a == 1)


class _OneHot(Constraint):
    is_discrete, event_dim = True, 1

    def check(self, value):
        a = _array(value)
        return np.all((a == 0) | (a == 1), -1) & (a.sum(-1) == 1)


class _Bounded(Constraint):
    """A one- or two-sided bound; subclasses name the comparison in ``_ok``."""

    def __init__(self, lower_bound=None, upper_bound=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _args(self) -> dict:
        return {k: v for k, v in (("lower_bound", self.lower_bound), ("upper_bound", self.upper_bound))
                if v is not None}  # fmt: skip

    def check(self, value):
        a = _array(value)
        lo = None if self.lower_bound is None else _array(self.lower_bound)
        hi = None if self.upper_bound is None else _array(self.upper_bound)
        return self._ok(a, lo, hi)


class _GreaterThan(_Bounded):
    def __init__(self, lower_bound):
        super().__init__(lower_bound)

    def _ok(self, a, lo, hi):
        return a > lo


class _GreaterThanEq(_GreaterThan):
    def _ok(self, a, lo, hi):
        return a >= lo


class _LessThan(_Bounded):
    def __init__(self, upper_bound):
        super().__init__(None, upper_bound)

    def _ok(self, a, lo, hi):
        return a < hi


class _Interval(_Bounded):
    def _ok(self, a, lo, hi):
        return (a >= lo) & (a <= hi)


class _HalfOpenInterval(_Bounded):
    def _ok(self, a, lo, hi):
        return (a >= lo) & (a < hi)


class _IntegerInterval(_Interval):
    is_discrete = True

    def _ok(self, a, lo, hi):
        return super()._ok(a, lo, hi) & (a % 1 == 0)


class _IntegerGreaterThan(_GreaterThanEq):
    is_discrete = True

    def _ok(self, a, lo, hi):
        return super()._ok(a, lo, hi) & (a % 1 == 0)


class _IntegerLessThan(_Bounded):
    is_discrete = True

    def __init__(self, upper_bound):
        super().__init__(None, upper_bound)

    def _ok(self, a, lo, hi):
        return (a <= hi) & (a % 1 == 0)


class _IndependentConstraint(Constraint):
    """``base_constraint`` with its last ``reinterpreted_batch_ndims`` dimensions made part of the event.

    Args:
        base_constraint: the constraint on each element.
        reinterpreted_batch_ndims: how many more dimensions form one event (all must hold).
    """

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError(
                f"independent: reinterpreted_batch_ndims must be an int >= 0, got {reinterpreted_batch_ndims}"
            )
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims

    is_discrete = property(lambda self: self.base_constraint.is_discrete)
    event_dim = property(lambda self: self.base_constraint.event_dim + self.reinterpreted_batch_ndims)

    def check(self, value):
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if ok.ndim < n:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {_array(value).ndim}")
        return np.all(ok, axis=tuple(range(-n, 0))) if n else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        a = _array(value)
        return np.all(a >= 0, axis=-1) & (np.abs(a.sum(-1) - 1) < 1e-6 * max(a.shape[-1], 1) + 1e-5)


class _Multinomial(Constraint):
    """Non-negative integer vectors summing to at most ``upper_bound``."""

    is_discrete, event_dim = True, 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        a = _array(value)
        return np.all(a >= 0, axis=-1) & (a.sum(-1) <= self.upper_bound)


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        a = _array(value)
        return np.all(np.triu(a, 1) == 0, axis=(-1, -2))


class _LowerCholesky(_LowerTriangular):
    def check(self, value):
        a = _array(value)
        return super().check(a) & np.all(np.diagonal(a, axis1=-2, axis2=-1) > 0, axis=-1)


class _CorrCholesky(_LowerCholesky):
    """Lower Cholesky factors of correlation matrices: rows of unit length."""

    def check(self, value):
        a = _array(value)
        tol = np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps * a.shape[-1] * 10
        unit_rows = np.all(np.abs(np.linalg.norm(a, axis=-1) - 1.0) <= tol, axis=-1)
        return super().check(a) & unit_rows


class _Square(Constraint):
    event_dim = 2

    def check(self, value):
        a = _array(value)
        return np.full(a.shape[:-2], a.shape[-1] == a.shape[-2], dtype=bool)


class _Symmetric(_Square):
    def check(self, value):
        a = _array(value)
        if a.shape[-1] != a.shape[-2]:
            return super().check(a)
        return np.all(np.isclose(a, np.swapaxes(a, -1, -2), atol=1e-6), axis=(-1, -2))


class _PositiveSemidefinite(_Symmetric):
    _strict = False

    def check(self, value):
        a = _array(value)
        sym = super().check(a)
        if not np.all(sym):
            return sym
        eig = np.linalg.eigvalsh(a)
        return np.all(eig > 0 if self._strict else eig >= 0, axis=-1)


class _PositiveDefinite(_PositiveSemidefinite):
    _strict = True


def _normalise_dim(dim: int, ndim: int, who: str) -> int:
    if not -ndim <= dim < ndim:
        raise ValueError(f"{who}: dim {dim} out of range for a value with {ndim} dimensions")
    return dim % ndim


class _Cat(Constraint):
    """Constraints ``cseq`` on consecutive pieces (of sizes ``lengths``) along ``dim``, as ``cat``.

    Args:
        cseq: the constraints.
        dim: the dimension the pieces are joined along.
        lengths: each piece's size along dim (default 1 each).
    """

    def __init__(self, cseq, dim: int = 0, lengths=None):
        self.cseq = list(cseq)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat: {len(self.lengths)} lengths for {len(self.cseq)} constraints")
        self.dim = dim

    is_discrete = property(lambda self: any(c.is_discrete for c in self.cseq))
    event_dim = property(lambda self: max(c.event_dim for c in self.cseq))

    def check(self, value):
        a = _array(value)
        dim = _normalise_dim(self.dim, a.ndim, "constraints.cat")
        pieces = np.split(a, np.cumsum(self.lengths)[:-1], axis=dim)
        return np.concatenate([c.check(p) for c, p in zip(self.cseq, pieces)], axis=dim)


class _Stack(Constraint):
    """Constraints ``cseq`` on the slices along ``dim``, as ``stack``.

    Args:
        cseq: the constraints, one per slice.
        dim: the stacked dimension.
    """

    def __init__(self, cseq, dim: int = 0):
        self.cseq, self.dim = list(cseq), dim

    is_discrete = property(lambda self: any(c.is_discrete for c in self.cseq))

    @property
    def event_dim(self) -> int:
        d = max(c.event_dim for c in self.cseq)
        return d + 1 if self.dim + d < 0 else d

    def check(self, value):
        a = _array(value)
        dim = _normalise_dim(self.dim, a.ndim, "constraints.stack")
        return np.stack([c.check(np.take(a, i, axis=dim)) for i, c in enumerate(self.cseq)], axis=dim)


dependent = _Dependent()
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
cat = _Cat
stack = _Stack
