"""Reverse-mode automatic differentiation: the Function base, the engine, grad mode and gradcheck."""

import contextlib

from morch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
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


_anomaly = [False]


class detect_anomaly(contextlib.ContextDecorator):
    """``torch.autograd.detect_anomaly`` as a context manager or decorator. Accepted for
    compatibility: morch does not check backward results for NaN, but its backward errors already
    name the op (and plugin) that failed; ``is_anomaly_enabled()`` reports the mode.

    Args:
        check_nan: accepted.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = _anomaly[0]
        _anomaly[0] = True
        return self

    def __exit__(self, *exc) -> None:
        _anomaly[0] = self.prev


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Set the anomaly-detection flag (see ``detect_anomaly``: morch adds no NaN checks).

    Args:
        mode: on or off.
        check_nan: accepted.
    """
    _anomaly[0] = bool(mode)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection was switched on."""
    return _anomaly[0]


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
