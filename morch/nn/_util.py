"""Helpers shared by morch.nn: argument normalisation and the errors layers raise."""

from __future__ import annotations

import collections.abc
import warnings


class InputError(ValueError, RuntimeError):
    """A layer or nn function got an input of the wrong shape or values.

    It is a ValueError (morch's convention for bad shapes) and a RuntimeError (what PyTorch raises),
    so code written for either catches it.
    """


class InputTypeError(TypeError, RuntimeError):
    """A layer or nn function got an input of the wrong dtype (a TypeError, and a RuntimeError as in PyTorch)."""


def ntuple(x, n: int, name: str = "argument") -> tuple:
    """``x`` repeated n times if it is a number, else checked to have n entries."""
    if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
        t = tuple(int(v) for v in x)
        if len(t) == 1 and n > 1:
            return t * n
        if len(t) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {x!r}")
        return t
    return (int(x),) * n


def who(name) -> str:
    """How an error message names its source: a module's one-line repr, or a function name."""
    return name._one_line() if hasattr(name, "_one_line") else str(name)


def shape_str(t) -> str:
    a = t._data
    return "(symbolic)" if a is None else str(tuple(a.shape))


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average / reduce arguments as a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def check_reduction(reduction: str, allowed=("mean", "sum", "none")) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
