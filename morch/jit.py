"""``morch.jit``: TorchScript's entry points for scripts that call them; morch has no compiler, so
``script`` and ``trace`` return what they are given (it then runs eagerly), and saving or loading
a TorchScript archive is refused."""

from __future__ import annotations

__all__ = [
    "script",
    "trace",
    "ignore",
    "unused",
    "export",
    "is_scripting",
    "is_tracing",
    "save",
    "load",
    "fork",
    "wait",
]


def script(obj=None, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Returns ``obj`` unchanged (a module or a function; it runs eagerly)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Returns ``func`` unchanged (no graph is recorded; it runs eagerly)."""
    return func


def ignore(drop=False, **kwargs):
    """Decorator accepted as in TorchScript; returns the function unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


unused = export = ignore


def is_scripting() -> bool:
    """False: morch never compiles."""
    return False


def is_tracing() -> bool:
    """False: morch never traces."""
    return False


def save(m, f, _extra_files=None) -> None:
    """Refused: morch cannot write TorchScript archives (use ``morch.save(module.state_dict(), f)``)."""
    raise NotImplementedError("morch.jit.save: morch has no TorchScript; save a state_dict with morch.save instead")


def load(f, map_location=None, _extra_files=None):
    """Refused: morch cannot read TorchScript archives."""
    raise NotImplementedError("morch.jit.load: morch cannot read TorchScript archives")


class _Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs) -> _Future:
    """Runs ``func`` now (morch has no inter-op parallelism) and returns a future holding its result."""
    return _Future(func(*args, **kwargs))


def wait(future: _Future):
    """The result of a ``fork``."""
    return future.wait()
