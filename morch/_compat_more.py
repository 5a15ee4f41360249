"""Top-level names PyTorch scripts still reach for: the legacy tensor types (``morch.FloatTensor``
...), ``asarray``/``frombuffer``/DLPack exchange, ``poisson``/``binomial`` sampling, the eager
control-flow functions ``cond``/``while_loop``, the real-valued forms of the complex helpers
(``conj``, ``real``, ``angle`` ...), ``nonzero_static`` and a few process switches.

``morch/__init__.py`` star-imports this module; importing it also binds the Tensor methods.
"""

from __future__ import annotations

import math

import numpy as np

from morch import creation, dtypes, functional, random
from morch.amp import GradScaler
from morch.func import vmap
from morch.random import default_generator
from morch.tensor import _DTYPE_OF_TYPE, Tensor, _wrap, bind_missing


# ------------------------------------------------------------------ legacy tensor types
class _LegacyTensorType(type):
    """The metaclass of ``morch.FloatTensor`` and friends: calling one makes a tensor of its dtype
    (``FloatTensor(2, 3)`` uninitialised, ``FloatTensor([1, 2])`` from data), and
    ``isinstance(t, morch.FloatTensor)`` is true for every float32 tensor, as in PyTorch."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.np_dtype

    def __call__(cls, *args, device=None):
        dt = dtypes.from_numpy(np.dtype(cls.np_dtype))
        if not args:
            return creation.empty(0, dtype=dt, device=device)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], tuple) and type(args[0]).__name__ == "Size"
        ):
            return creation.empty(*args, dtype=dt, device=device)
        if len(args) == 1:
            return creation.tensor(args[0], dtype=dt, device=device)
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got {args!r}")

    def __repr__(cls) -> str:
        return f"<class 'morch.{cls.__name__}'>"


def _legacy_type(name: str, np_dtype) -> type:
    doc = f"Legacy constructor and isinstance check for {np.dtype(np_dtype).name} tensors (``torch.{name}``)."
    return _LegacyTensorType(name, (), {"np_dtype": np_dtype, "__doc__": doc, "__module__": "morch"})


# morch.FloatTensor ... for each name of tensor.py's table (Tensor.type also reads it)
globals().update({name: _legacy_type(name, np.dtype(nd)) for name, nd in _DTYPE_OF_TYPE.items()})


# ------------------------------------------------------------------ arrays from elsewhere
def asarray(obj, *, dtype=None, device=None, copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """``obj`` as a tensor, sharing its memory when it can (a tensor or a numpy array of the wanted
    dtype), copying otherwise; ``copy=True`` always copies, ``copy=False`` refuses to.

    Args:
        obj: a tensor, a numpy array, an object with ``__dlpack__`` or ``__array__``, a number or a sequence.
        dtype: the dtype (default: obj's, or inferred as ``morch.tensor`` does).
        device: only 'cpu'.
        copy: None (share when possible), True (always copy) or False (never copy).
        requires_grad: make the result a leaf that requires grad.
    """
    if device is not None:
        creation.empty(0, device=device)  # refuses anything but the CPU, with morch's message
    want = None if dtype is None else dtypes.to_numpy(dtype)
    if isinstance(obj, Tensor):
        arr = obj._data
    elif isinstance(obj, np.ndarray):
        arr = obj
    elif hasattr(obj, "__dlpack__") and copy is not True:
        arr = np.from_dlpack(obj)
    else:
        if copy is False:
            raise ValueError(f"asarray: a {type(obj).__name__} cannot be viewed without a copy (copy=False)")
        out = creation.tensor(obj, dtype=dtype)
        return out.requires_grad_() if requires_grad else out
    if want is not None and arr.dtype != want:
        if copy is False:
            raise ValueError(f"asarray: casting {arr.dtype} to {np.dtype(want).name} needs a copy (copy=False)")
        arr = arr.astype(want)
    elif copy:
        arr = arr.copy()
    if isinstance(obj, Tensor) and arr is obj._data and not requires_grad:
        return obj
    dtypes.from_numpy(arr.dtype)  # a dtype morch supports, or a clear error
    out = _wrap(arr)
    return out.requires_grad_() if requires_grad else out


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor sharing the memory of an object with the buffer protocol (bytes, bytearray, array ...).

    Args:
        buffer: the object.
        dtype: the element type.
        count: how many elements to read (-1: all that follow ``offset``).
        offset: bytes to skip first.
        requires_grad: make the result a leaf that requires grad.
    """
    nd = np.dtype(dtypes.to_numpy(dtype))
    size = memoryview(buffer).nbytes
    if offset < 0 or offset > size or (count == -1 and (size - offset) % nd.itemsize):
        raise ValueError(
            f"frombuffer: a buffer of {size} bytes with offset {offset} does not hold whole {nd.name} elements"
        )
    if count == 0 or (count == -1 and size == offset):
        raise ValueError("frombuffer: both buffer length and count must be greater than 0")
    arr = np.frombuffer(buffer, dtype=nd, count=count, offset=offset)
    out = _wrap(arr)
    return out.requires_grad_() if requires_grad else out


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (a PyTorch CPU tensor, a numpy array ...).

    Args:
        ext_tensor: the object (or a DLPack capsule's owner with ``__dlpack__``).
    """
    arr = np.from_dlpack(ext_tensor)
    dtypes.from_numpy(arr.dtype)
    return _wrap(arr)


def to_dlpack(tensor: Tensor):
    """A DLPack capsule of the tensor's memory (``torch.utils.dlpack.to_dlpack``)."""
    return tensor._data.__dlpack__()


Tensor.__dlpack__ = lambda self, **kw: self._data.__dlpack__(**kw)
Tensor.__dlpack_device__ = lambda self: self._data.__dlpack_device__()


# ------------------------------------------------------------------ sampling
def poisson(input: Tensor, generator=None) -> Tensor:
    """A Poisson draw for each rate in ``input`` (same shape and dtype).

    Args:
        input: the rates (>= 0).
        generator: the source of randomness (the default generator when None).
    """
    rates = input._data
    if np.any(rates < 0) or np.isnan(rates).any():
        raise ValueError("poisson: the rates must be non-negative")
    return _wrap(random._gen(generator).poisson(rates).astype(rates.dtype))


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """A binomial draw (number of successes of ``count`` trials with success probability ``prob``), elementwise.

    Args:
        count: the numbers of trials (float tensor of whole numbers >= 0).
        prob: the success probabilities, in [0, 1].
        generator: the source of randomness (the default generator when None).
    """
    n, p = np.broadcast_arrays(count._data, prob._data)
    if np.any((p < 0) | (p > 1)) or np.any(n < 0):
        raise ValueError("binomial: count must be >= 0 and prob in [0, 1]")
    return _wrap(random._gen(generator).binomial(n.astype(np.int64), p).astype(count._data.dtype))


# ------------------------------------------------------------------ eager control flow
def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)`` (PyTorch's ``torch.cond``, run eagerly).

    Args:
        pred: a bool or a one-element tensor.
        true_fn, false_fn: callables taking the operands.
        operands: a tuple (or list) of operands.
    """
    if isinstance(pred, Tensor) and pred._data.size != 1:
        raise RuntimeError(f"cond: the predicate must be a one-element tensor, got shape {tuple(pred.shape)}")
    return (true_fn if bool(pred) else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Apply ``body_fn`` to the carried values while ``cond_fn`` of them is true (run eagerly).

    Args:
        cond_fn: returns a bool or a one-element tensor from the carried values.
        body_fn: returns the next carried values (a tuple as long as ``carried_inputs``).
        carried_inputs: a tuple of the initial values.
    """
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        nxt = body_fn(*carried)
        nxt = tuple(nxt) if isinstance(nxt, (tuple, list)) else (nxt,)
        if len(nxt) != len(carried):
            raise RuntimeError(f"while_loop: body_fn returned {len(nxt)} values for {len(carried)} carried inputs")
        carried = nxt
    return carried


# ------------------------------------------------------------------ complex helpers on real tensors
def conj(input: Tensor) -> Tensor:
    """The complex conjugate: ``input`` itself, since morch's tensors are real."""
    return input


conj_physical = resolve_conj = resolve_neg = conj


def conj_physical_(input: Tensor) -> Tensor:
    """In-place conjugate: nothing to do for a real tensor."""
    return input


def is_conj(input: Tensor) -> bool:
    """False: morch tensors are real, never lazily conjugated."""
    return False


is_neg = is_conj


def angle(input) -> Tensor:
    """The argument of each element seen as a complex number: pi for negative values, else 0 (NaN stays NaN).

    Args:
        input: a real tensor (integers are computed in the default float dtype).
    """
    x = functional._float_tensor(input)
    return functional.where(x < 0, math.pi, 0.0).type(x.dtype) + x * 0  # x * 0 keeps NaN and the graph


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """The indices of non-zero elements as ``nonzero`` gives them, cut or padded with ``fill_value``
    to exactly ``size`` rows.

    Args:
        input: the tensor.
        size: the number of rows of the result.
        fill_value: the value of padding rows.
    """
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    idx = np.argwhere(input._data)[:size]
    out = np.full((size, input._data.ndim), fill_value, dtype=np.int64)
    out[: len(idx)] = idx
    return _wrap(out)


# ------------------------------------------------------------------ process switches
_deterministic_debug_mode = [0]


def set_flush_denormal(mode: bool) -> bool:
    """False: numpy gives no control over flushing denormals, so the request has no effect (as
    PyTorch answers on CPUs without the feature)."""
    return False


def set_deterministic_debug_mode(debug_mode) -> None:
    """Accepted: morch is deterministic; the mode is only kept for ``get_deterministic_debug_mode``.

    Args:
        debug_mode: 0/'default', 1/'warn' or 2/'error'.
    """
    names = {"default": 0, "warn": 1, "error": 2}
    mode = names.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`: {debug_mode!r}")
    _deterministic_debug_mode[0] = int(mode)


def get_deterministic_debug_mode() -> int:
    """The mode last given to ``set_deterministic_debug_mode`` (0 by default)."""
    return _deterministic_debug_mode[0]


# ------------------------------------------------------------------ Tensor methods
def _as_subclass(self, cls):
    """This tensor's data seen as an instance of ``cls`` (a subclass of Tensor), sharing memory and history."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass: {cls!r} is not a subclass of Tensor")
    out = object.__new__(cls)
    out.__dict__.update(getattr(self, "__dict__", {}))
    for slot in ("_data", "grad", "_requires_grad", "grad_fn", "_version", "_hooks", "_base"):
        if hasattr(self, slot):
            setattr(out, slot, getattr(self, slot))
    return out


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


_METHODS = {
    "conj": conj, "conj_physical": conj_physical, "conj_physical_": conj_physical_, "resolve_conj": conj,
    "resolve_neg": conj, "angle": angle, "nonzero_static": nonzero_static, "as_subclass": _as_subclass,
}  # fmt: skip
bind_missing(
    _METHODS | {"real": property(lambda self: self), "imag": property(_imag),
                "volatile": property(lambda self: False), "is_distributed": lambda self: False}
)  # fmt: skip

__all__ = [
    *_DTYPE_OF_TYPE, "asarray", "frombuffer", "from_dlpack", "to_dlpack", "poisson", "binomial", "cond", "while_loop",
    "conj", "conj_physical", "conj_physical_", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "angle",
    "nonzero_static", "set_flush_denormal", "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "vmap", "GradScaler", "default_generator",
]  # fmt: skip
