"""Reverse-mode automatic differentiation: the Function base, the engine, grad mode and gradcheck."""

import contextlib
import sys
import types
import warnings

from morch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Variable",
    "anomaly_mode",
    "variable",
    "is_multithreading_enabled",
    "set_multithreading_enabled",
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


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from morch.tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy ``torch.autograd.Variable``: ``Variable(t, requires_grad=False)`` returns a tensor
    sharing ``t``'s memory, cut from the graph (``t.detach()``), with the given ``requires_grad``.
    Every tensor is an instance of ``Variable``; ``Variable()`` is an empty float tensor.

    Args:
        data: a tensor (or None).
        requires_grad: whether the result requires gradient.
        volatile: removed in PyTorch long ago; True warns and has no effect.
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from morch.tensor import Tensor

        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with morch.no_grad():` instead.", stacklevel=2
            )
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if data is None:
            data = Tensor()
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad = True
        return out


class set_multithreading_enabled(contextlib.ContextDecorator):
    """Set the flag ``is_multithreading_enabled`` reports (from the call, or inside a ``with`` block).
    morch's backward always runs on the calling thread, so the flag changes nothing else.

    Args:
        mode: on or off.
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _multithreading[0]
        _multithreading[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _multithreading[0] = self.prev


_multithreading = [True]


def is_multithreading_enabled() -> bool:
    """The flag set by ``set_multithreading_enabled`` (True by default, as in torch)."""
    return _multithreading[0]


def _alias_module(name: str, doc: str, **names) -> types.ModuleType:
    """A submodule ``morch.autograd.<name>`` holding ``names`` (importable, as torch's module of that name)."""
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update(names, __all__=list(names))
    sys.modules[module.__name__] = module
    return module


anomaly_mode = _alias_module(
    "anomaly_mode",
    "Anomaly detection switches (``torch.autograd.anomaly_mode``).",
    detect_anomaly=detect_anomaly,
    set_detect_anomaly=set_detect_anomaly,
)
variable = _alias_module("variable", "The legacy Variable (``torch.autograd.variable``).", Variable=Variable)


def __getattr__(name):
    # function, engine and gradcheck import morch.tensor, which imports this package: load them late
    if name == "Function":
        from morch.autograd.function import Function

        return Function
    if name in ("backward", "grad"):
        from morch.autograd import engine

        return getattr(engine, name)
    if name in ("functional", "forward_ad", "profiler"):  # "from morch.autograd import ..." would recurse here
        import importlib

        return importlib.import_module(f"morch.autograd.{name}")
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        from morch.autograd import checks as _gc

        return getattr(_gc, name)
    raise AttributeError(f"module 'morch.autograd' has no attribute {name!r}")
