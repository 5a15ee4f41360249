"""Grad mode: whether ops record the graph. One process-wide flag (morch runs ops on one thread)."""

from __future__ import annotations

import functools

_enabled = True
_inference = False  # inside an inference_mode(True) block (is_inference_mode_enabled)


def is_grad_enabled() -> bool:
    """True when new ops are recorded for autograd."""
    return _enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    _mode = True

    def __new__(cls, *args, **kwargs):
        # ``@no_grad`` without parentheses, as PyTorch allows: decorate the function at once
        if len(args) == 1 and not kwargs and callable(args[0]) and issubclass(cls, (no_grad, enable_grad)):
            return object.__new__(cls)(args[0])
        return object.__new__(cls)

    def __enter__(self):
        global _enabled
        self._prev = _enabled
        _enabled = self._mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            global _enabled
            prev = _enabled
            _enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled = prev

        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: ``with morch.no_grad():``, ``@morch.no_grad()`` or ``@morch.no_grad``."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enable graph recording inside a ``no_grad`` block (also as a decorator)."""

    _mode = True


class inference_mode(no_grad):
    """``no_grad`` that also sets the flag ``morch.is_inference_mode_enabled()`` reads (morch has no
    separate inference tensor kind).

    Args:
        mode: True to disable graph recording, False to leave grad mode as it is.
    """

    def __init__(self, mode: bool = True):
        self._mode = False if mode else _enabled
        self._inference_mode = bool(mode)

    def __enter__(self):
        global _inference
        self._prev_inference, _inference = _inference, self._inference_mode
        super().__enter__()

    def __exit__(self, *exc):
        global _inference
        _inference = self._prev_inference
        return super().__exit__(*exc)

    def __call__(self, fn):
        mode = getattr(self, "_inference_mode", True)  # ``@inference_mode`` without parentheses skips __init__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


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
        return super().__call__(fn)

    def __repr__(self) -> str:
        return f"morch.autograd.grad_mode.set_grad_enabled(mode={self._mode})"
