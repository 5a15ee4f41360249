"""``biject_to`` and ``transform_to``: registries from constraints to transforms that map the
unconstrained reals onto them, as ``torch.distributions.constraint_registry``.

``biject_to(c)`` is a bijection (for optimising over a constrained parameter, with log-Jacobians);
``transform_to(c)`` need not be one (e.g. softmax onto the simplex). Both look a constraint up by
its class; ``register`` adds a factory ``constraint -> transform``.
"""

from __future__ import annotations

import numbers

from morch.distributions import constraints
from morch.distributions import transforms as T

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A map from constraint classes to factories ``constraint -> Transform``."""

    def __init__(self) -> None:
        self._registry: dict = {}

    def register(self, constraint, factory=None):
        """Register ``factory`` for a constraint class (or the class of a constraint instance);
        usable as a decorator when ``factory`` is omitted.

        Args:
            constraint: a Constraint subclass or instance.
            factory: a callable taking the constraint and returning a Transform.
        """
        if factory is None:
            return lambda fn: self.register(constraint, fn)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The transform registered for ``constraint``'s class, built for this constraint."""
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(*classes):
    def decorator(fn):
        for c in classes:
            biject_to.register(c, fn)
            transform_to.register(c, fn)
        return fn

    return decorator


@_both(constraints.real)
def _to_real(constraint):
    return T.identity_transform


def _independent_with(registry):
    def factory(constraint):
        return T.IndependentTransform(registry(constraint.base_constraint), constraint.reinterpreted_batch_ndims)

    return factory


biject_to.register(constraints.independent, _independent_with(biject_to))
transform_to.register(constraints.independent, _independent_with(transform_to))


@_both(constraints.greater_than, constraints.greater_than_eq)
def _to_greater_than(constraint):
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(constraint.lower_bound, 1)])


@_both(constraints.less_than)
def _to_less_than(constraint):
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(constraint.upper_bound, -1)])


@_both(constraints.interval, constraints.half_open_interval)
def _to_interval(constraint):
    lo, hi = constraint.lower_bound, constraint.upper_bound
    if isinstance(lo, numbers.Number) and isinstance(hi, numbers.Number) and lo == 0 and hi == 1:
        return T.SigmoidTransform()
    return T.ComposeTransform([T.SigmoidTransform(), T.AffineTransform(lo, hi - lo)])


biject_to.register(constraints.simplex, lambda c: T.StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: T.SoftmaxTransform())
transform_to.register(constraints.lower_cholesky, lambda c: T.LowerCholeskyTransform())
transform_to.register(constraints.positive_definite, lambda c: T.PositiveDefiniteTransform())
transform_to.register(constraints.positive_semidefinite, lambda c: T.PositiveDefiniteTransform())
_both(constraints.corr_cholesky)(lambda c: T.CorrCholeskyTransform())


def _pieces_with(registry, cls):
    def factory(constraint):
        parts = [registry(c) for c in constraint.cseq]
        if cls is T.CatTransform:
            return T.CatTransform(parts, constraint.dim, constraint.lengths)
        return T.StackTransform(parts, constraint.dim)

    return factory


for _registry in (biject_to, transform_to):
    _registry.register(constraints.cat, _pieces_with(_registry, T.CatTransform))
    _registry.register(constraints.stack, _pieces_with(_registry, T.StackTransform))
