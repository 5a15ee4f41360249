"""Grad mode: whether ops record the graph. One process-wide flag (morch runs ops on one thread)."""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when new ops are recorded for autograd."""
    return _enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    _mode = True

    def __enter__(self):
        global _enabled
        self._prev = _enabled
        _enabled = self._mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: ``with morch.no_grad():`` or ``@morch.no_grad()``."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enable graph recording inside a ``no_grad`` block."""

    _mode = True


class inference_mode(no_grad):
    """Same as ``no_grad`` in morch (there is no separate inference tensor kind)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradModeContext):
    """Set grad mode: as a call it takes effect at once, as a context manager it is restored on exit.

    Args:
        mode: True to record ops for autograd, False not to.
    """

    def __init__(self, mode: bool):
        global _enabled
        self._prev = _enabled
        self._mode = bool(mode)
        _enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        global _enabled
        _enabled = self._prev  # used as a decorator: do not change the mode at decoration time
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
