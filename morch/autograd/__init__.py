"""Reverse-mode automatic differentiation: the Function base, the engine, grad mode and gradcheck."""

from morch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "backward",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
]


def __getattr__(name):
    # function, engine and gradcheck import morch.tensor, which imports this package: load them late
    if name == "Function":
        from morch.autograd.function import Function

        return Function
    if name in ("backward", "grad"):
        from morch.autograd import engine

        return getattr(engine, name)
    if name == "functional":  # "import morch.autograd.functional": "from morch.autograd import ..." recurses here
        import importlib

        return importlib.import_module("morch.autograd.functional")
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        from morch.autograd import checks as _gc

        return getattr(_gc, name)
    raise AttributeError(f"module 'morch.autograd' has no attribute {name!r}")
