"""Process-wide switches that PyTorch scripts set: CPU threads, compile, determinism, matmul precision.

morch's parallelism is the BLAS library numpy was built with (OpenBLAS in numpy's wheels):
``set_num_threads`` sets that library's thread count, found among the libraries loaded in this
process. The other switches are accepted for compatibility and documented as what they do here.
"""

from __future__ import annotations

import ctypes
import os
import sys

_PRECISIONS = ("highest", "high", "medium")
_state = {"threads": None, "deterministic": False, "warn_only": False, "precision": "highest"}
_blas_cache: list = []


def _blas_functions():
    """(get, set) thread functions of the BLAS loaded in this process, or None if it cannot be found."""
    if _blas_cache:
        return _blas_cache[0]
    found = None
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            found = _thread_functions(path)
            if found:
                break
    _blas_cache.append(found)
    return found


def _thread_functions(path: str):
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    # numpy's wheels rename OpenBLAS's symbols (scipy_openblas ... 64_); a system OpenBLAS does not
    for prefix, suffix in (("scipy_openblas_", "64_"), ("openblas_", "64_"), ("openblas_", "")):
        get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
        set_ = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
        if get is not None and set_ is not None:
            get.restype, get.argtypes = ctypes.c_int, []
            set_.restype, set_.argtypes = None, [ctypes.c_int]
            return get, set_
    return None


def get_num_threads() -> int:
    """The number of threads morch's matrix products use (the BLAS library's thread count)."""
    fns = _blas_functions()
    if fns is not None:
        return int(fns[0]())
    if _state["threads"] is not None:
        return _state["threads"]
    return os.cpu_count() or 1


def set_num_threads(num: int) -> None:
    """Set the number of threads morch's matrix products use, as ``torch.set_num_threads``.

    morch sets the thread count of the OpenBLAS library numpy uses; with another BLAS (not found
    in the process) the value is only remembered, and ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS``
    set before starting Python are the way to choose it.

    Args:
        num: a positive number of threads.
    """
    if isinstance(num, bool) or not isinstance(num, int) or num <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {num!r}")
    _state["threads"] = num
    fns = _blas_functions()
    if fns is not None:
        fns[1](num)


def get_num_interop_threads() -> int:
    """Always 1: morch runs ops one after another in the calling thread."""
    return 1


def set_num_interop_threads(num: int) -> None:
    """Accepted for compatibility: morch has no inter-op thread pool (ops run in the calling thread).

    Args:
        num: a positive number of threads.
    """
    if isinstance(num, bool) or not isinstance(num, int) or num <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {num!r}")


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None, options=None,
            disable: bool = False):  # fmt: skip
    """``torch.compile`` for scripts that call it: returns ``model`` (a module or function) unchanged.

    morch has no compiler; its eager ops are what runs. Used as a decorator with arguments
    (``@morch.compile(mode=...)``) it returns a decorator that does the same.

    Args:
        model: the module or function.
        fullgraph, dynamic, backend, mode, options, disable: accepted and ignored.
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expected a module or a function, got {type(model).__name__}")
    return model


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted for compatibility: every morch op is already deterministic on the same input.

    Args:
        mode: whether deterministic algorithms are requested.
        warn_only: accepted and remembered.
    """
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """What the last ``use_deterministic_algorithms`` asked for (morch is deterministic either way)."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` of the last ``use_deterministic_algorithms``."""
    return _state["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted for compatibility: float32 products in morch are always full float32 ('highest').

    Args:
        precision: 'highest', 'high' or 'medium'.
    """
    if precision not in _PRECISIONS:
        raise RuntimeError(f"Invalid precision {precision!r}: expected one of {', '.join(_PRECISIONS)}")
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The value last given to ``set_float32_matmul_precision`` ('highest' by default)."""
    return _state["precision"]


__all__ = [
    "get_num_threads",
    "set_num_threads",
    "get_num_interop_threads",
    "set_num_interop_threads",
    "compile",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]
