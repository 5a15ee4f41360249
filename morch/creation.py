"""Functions that make tensors: from data, filled with constants, ranges, and random numbers."""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from morch import dtypes
from morch.random import Generator, _gen
from morch.tensor import Size, Tensor, _size_arg, _wrap, device


def _finish(arr: np.ndarray, requires_grad: bool, dev) -> Tensor:
    if dev is not None:
        device(dev)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _from_data(data, dtype=None) -> np.ndarray:
    """An array for the data, in ``dtype`` or else PyTorch's default (float32 for Python floats, int64
    for ints; numpy arrays and tensors keep theirs). May share memory with ``data``."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        arr = _python_data(data)
        if dtype is None and arr.dtype.kind == "f":
            dtype = dtypes.default_float()
    if dtype is not None:
        return arr.astype(dtypes.to_numpy(dtype), copy=False)
    dtypes.from_numpy(arr.dtype)  # refuses numpy dtypes morch does not support
    return arr


def _python_data(data) -> np.ndarray:
    """Numbers and (nested) sequences of them as an array of float64, int64 or bool."""
    try:
        arr = np.array(data)
    except (ValueError, TypeError) as e:
        raise ValueError(f"tensor(): could not make a tensor from this {type(data).__name__}: {e}") from None
    except OverflowError:
        raise RuntimeError("tensor(): an integer is out of the range of int64") from None
    if arr.dtype.kind in "fb" or arr.dtype == np.int64:
        return arr
    if arr.dtype.kind in "iu":
        if arr.dtype == np.uint64 and (arr > np.iinfo(np.int64).max).any():
            raise RuntimeError("tensor(): an integer is out of the range of int64")
        return arr.astype(np.int64)
    if arr.dtype.kind == "c":
        raise TypeError("tensor(): complex numbers are not supported by morch")
    items = arr.ravel().tolist()
    bad = [x for x in items if not isinstance(x, (bool, int, float))]
    if not bad and items:  # only Python numbers, so some int did not fit into int64
        raise RuntimeError("tensor(): an integer is out of the range of int64")
    what = type(bad[0]).__name__ if bad else arr.dtype.name
    raise TypeError(f"tensor(): could not make a tensor from a {type(data).__name__} holding {what} (numbers only)")


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, numpy arrays, tensors).

    Args:
        data: the values.
        dtype: defaults to float32 for float data, int64 for integers, bool for bools; numpy arrays keep theirs.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return _finish(np.array(_from_data(data, dtype), copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array or tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        if device is not None:
            globals()["device"](device)
        return data if dtype is None else data.to(dtype)
    return _finish(_from_data(data, dtype), False, device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy(ndarray.dtype)
    return _wrap(ndarray)


def _dt(dtype, default=None) -> np.dtype:
    return dtypes.to_numpy(dtype) if dtype is not None else (default or dtypes.default_float())


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _finish(np.zeros(_size_arg(size), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _finish(np.ones(_size_arg(size), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size with unspecified values."""
    return _finish(np.empty(_size_arg(size), _dt(dtype)), requires_grad, device)


def _fill_dtype(value) -> np.dtype:
    if isinstance(value, builtins.bool):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    return dtypes.default_float()


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (whose type decides the default dtype)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(_size_arg((size,)), fill_value, _dt(dtype, _fill_dtype(fill_value))), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start (default 0) up to, not including, end; int64 unless a bound or step is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise ValueError("arange: step must be nonzero")
    integral = all(isinstance(v, numbers.Integral) for v in vals)
    default = np.dtype(np.int64) if integral else dtypes.default_float()
    arr = np.arange(*vals, dtype=np.float64 if not integral else np.int64)
    return _finish(arr.astype(_dt(dtype, default)), requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, inclusive."""
    return _finish(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    """``steps`` values from base**start to base**end, evenly spaced in the exponent."""
    return _finish(np.logspace(start, end, steps, base=base).astype(_dt(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An identity matrix of n rows (and m columns)."""
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1)."""
    return _finish(_gen(generator).random(_size_arg(size)).astype(_dt(dtype)), requires_grad, device)


def randn(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers."""
    return _finish(_gen(generator).standard_normal(_size_arg(size)).astype(_dt(dtype)), requires_grad, device)


def randint(low, high=None, size=None, *, generator: Generator | None = None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint() missing required argument 'high'")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    arr = _gen(generator).integers(low, high, _size_arg((size,)))
    return _finish(arr.astype(_dt(dtype, np.dtype(np.int64))), requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    return _finish(_gen(generator).permutation(n).astype(_dt(dtype, np.dtype(np.int64))), False, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None) -> Tensor:
    """Normal random numbers with the given mean and std (numbers or tensors)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size_arg((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    return _wrap(_gen(generator).normal(m, s, shape).astype(dtypes.default_float()))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or ``p``) elementwise, else 0."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    return _wrap((_gen(generator).random(input._data.shape) < probs).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:  # fmt: skip
    """Sample category indices with probabilities proportional to the rows of ``input``."""
    p = np.atleast_2d(input._data).astype(np.float64)
    rng = _gen(generator)
    rows = [rng.choice(p.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in p]
    out = np.stack(rows).astype(np.int64)
    return _wrap(out if input._data.ndim == 2 else out[0])


def _like(fn):
    def like(input: Tensor, *args, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
        return fn(*args, input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad, **kwargs)

    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
zeros_like.__doc__ = "Zeros with the shape (and dtype) of ``input``."
ones_like.__doc__ = "Ones with the shape (and dtype) of ``input``."
empty_like.__doc__ = "An uninitialised tensor with the shape (and dtype) of ``input``."


def full_like(input: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and dtype) of ``input``."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform random numbers with the shape of ``input``."""
    return rand(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Normal random numbers with the shape of ``input``."""
    return randn(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low, high=None, dtype=None, device=None) -> Tensor:
    """Random integers with the shape of ``input``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device)


__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "Size",
]  # fmt: skip
