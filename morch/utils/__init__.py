"""Utilities: ``morch.utils.data`` (datasets, loaders), ``morch.utils.checkpoint``, ``swap_tensors``
and ``set_module``."""

from __future__ import annotations

import copyreg
import weakref

from morch.utils import checkpoint as checkpoint

__all__ = ["swap_tensors", "set_module"]


def _swap_attr(t1, t2, name: str) -> None:
    missing = object()
    v1, v2 = getattr(t1, name, missing), getattr(t2, name, missing)
    for t, v in ((t1, v2), (t2, v1)):
        if v is missing:
            if hasattr(t, name):
                delattr(t, name)
        else:
            setattr(t, name, v)


def swap_tensors(t1, t2) -> None:
    """Exchange the contents of two tensors in place: each keeps its identity (``id``) and takes the
    other's class (Tensor or Parameter), data, ``grad``, ``requires_grad``, ``grad_fn``, version
    counter, hooks and view relationship.

    Args:
        t1: a tensor.
        t2: a tensor whose class has the same slots as ``t1``'s.
    """
    from morch.tensor import Tensor

    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"swap_tensors: {name} must be a Tensor, got {type(t).__name__}")
        if weakref.getweakrefs(t):
            raise RuntimeError(
                f"Cannot swap {name} because it has weakref associated with it (in morch, a live view of it is one)"
            )
    slots = set(copyreg._slotnames(type(t1)))
    if slots != set(copyreg._slotnames(type(t2))):
        raise RuntimeError(
            f"Cannot swap t1 and t2 if they have different slots ({type(t1).__name__} and {type(t2).__name__})"
        )
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    if hasattr(t1, "__dict__") and hasattr(t2, "__dict__"):
        _swap_attr(t1, t2, "__dict__")
    for name in sorted(slots):
        _swap_attr(t1, t2, name)


def set_module(obj, mod: str) -> None:
    """Set ``obj.__module__`` (the module a public object says it comes from).

    Args:
        obj: a class or function.
        mod: the module's dotted name.
    """
    if not isinstance(mod, str):
        raise TypeError("The mod argument should be a string")
    obj.__module__ = mod
