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
    """Like ``tensor`` but shares memory with a numpy array or tensor when no conversion is needed.

    Args:
        data: the values (a tensor is returned as is, or cast differentiably when dtype differs).
        dtype: the dtype; defaults as in ``tensor``.
        device: only 'cpu' is accepted.
    """
    if isinstance(data, Tensor):
        if device is not None:
            globals()["device"](device)
        return data if dtype is None else data.to(dtype)
    return _finish(_from_data(data, dtype), False, device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes to one show in the other).

    Args:
        ndarray: a numpy array of a dtype morch supports; it keeps its dtype.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy(ndarray.dtype)
    return _wrap(ndarray)


def _dt(dtype, default=None) -> np.dtype:
    return dtypes.to_numpy(dtype) if dtype is not None else (default or dtypes.default_float())


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    Args:
        size: the shape, as ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(morch.Size([2, 3]))``.
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return _finish(np.zeros(_size_arg(size), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    Args:
        size: the shape (as for ``zeros``).
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return _finish(np.ones(_size_arg(size), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size whose values are unspecified (whatever the memory held).

    Args:
        size: the shape (as for ``zeros``).
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return _finish(np.empty(_size_arg(size), _dt(dtype)), requires_grad, device)


def _fill_dtype(value) -> np.dtype:
    if isinstance(value, (builtins.bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return dtypes.default_float()
    raise TypeError(f"full(): fill_value must be a number, not {type(value).__name__}")


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with one value.

    Args:
        size: the shape, a sequence of ints.
        fill_value: the value; its type decides the default dtype (bool, int64, or the default float).
        dtype: the dtype, overriding the one fill_value implies.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    nd = _dt(dtype, _fill_dtype(fill_value))
    return _finish(np.full(_size_arg((size,)), fill_value, nd), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start up to, not including, end, ``step`` apart: ``arange(5)``, ``arange(0, 1, 0.25)``.

    Args:
        start: the first value (0 when only one bound is given).
        end: the bound, not included.
        step: the difference between neighbours (not zero, with the sign of end - start).
        dtype: int64 when start, end and step are integers, else the default float dtype.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise ValueError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise ValueError(
            f"arange: upper bound {vals[1]} and lower bound {vals[0]} inconsistent with step sign {vals[2]}"
        )
    integral = all(isinstance(v, numbers.Integral) for v in vals)
    default = np.dtype(np.int64) if integral else dtypes.default_float()
    arr = np.arange(*vals, dtype=np.int64 if integral else np.float64)
    return _finish(arr.astype(_dt(dtype, default)), requires_grad, device)


def _check_steps(op: str, steps) -> int:
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"{op}: number of steps must be a non-negative integer, got {steps!r}")
    return int(steps)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included.

    Args:
        start: the first value.
        end: the last value.
        steps: how many values.
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    arr = np.linspace(start, end, _check_steps("linspace", steps))
    return _finish(arr.astype(_dt(dtype)), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    """``steps`` values from base**start to base**end, evenly spaced in the exponent.

    Args:
        start: the first exponent.
        end: the last exponent.
        steps: how many values.
        base: the base of the powers.
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    arr = np.logspace(start, end, _check_steps("logspace", steps), base=base)
    return _finish(arr.astype(_dt(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A matrix with ones on the diagonal and zeros elsewhere.

    Args:
        n: the number of rows.
        m: the number of columns (n when omitted).
        dtype: defaults to the default float dtype (float32).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise ValueError(f"eye: {name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def _float_dt(op: str, dtype) -> np.dtype:
    nd = _dt(dtype)
    if nd.kind != "f":
        raise TypeError(f"{op}: expected a floating point dtype, got {dtypes.from_numpy(nd)}")
    return nd


def rand(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Random numbers drawn uniformly from [0, 1).

    Args:
        size: the shape (as for ``zeros``).
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
        dtype: a floating point dtype; defaults to float32.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    nd = _float_dt("rand", dtype)
    return _finish(_gen(generator).random(_size_arg(size)).astype(nd), requires_grad, device)


def randn(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Random numbers from the standard normal distribution.

    Args:
        size: the shape (as for ``zeros``).
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
        dtype: a floating point dtype; defaults to float32.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    nd = _float_dt("randn", dtype)
    return _finish(_gen(generator).standard_normal(_size_arg(size)).astype(nd), requires_grad, device)


def randint(low, high=None, size=None, *, generator: Generator | None = None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Random integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    Args:
        low: the smallest value (0 in the two-argument form).
        high: one above the largest value.
        size: the shape, a sequence of ints.
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
        dtype: defaults to int64.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd (float dtypes only).
    """
    if size is None:
        if high is None:
            raise TypeError(
                "randint() missing required argument 'size' (use randint(high, size) or randint(low, high, size))"
            )
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint() missing required argument 'high'")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    arr = _gen(generator).integers(low, high, _size_arg((size,)))
    return _finish(arr.astype(_dt(dtype, np.dtype(np.int64))), requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0, 1, ..., n - 1.

    Args:
        n: how many values.
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
        dtype: defaults to int64.
        device: only 'cpu' is accepted.
    """
    return _finish(_gen(generator).permutation(n).astype(_dt(dtype, np.dtype(np.int64))), False, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None) -> Tensor:
    """Normal random numbers with the given mean and standard deviation.

    Args:
        mean: a number or a tensor of means.
        std: a number or a tensor of standard deviations (broadcast against mean).
        size: the shape when mean and std are numbers.
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
    """
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size_arg((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal: std must be non-negative")
    nd = next((t._data.dtype for t in (mean, std) if isinstance(t, Tensor)), dtypes.default_float())
    return _wrap(_gen(generator).normal(m, s, shape).astype(nd))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise), or with probability ``p`` when given, else 0.

    Args:
        input: the probabilities, in [0, 1].
        p: one probability for every element instead.
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
    """
    probs = input._data if p is None else np.full(input._data.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    return _wrap((_gen(generator).random(input._data.shape) < probs).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:  # fmt: skip
    """Indices of categories sampled with probabilities proportional to the rows of ``input``.

    Args:
        input: non-negative weights, one row (1-D) or one row per distribution (2-D).
        num_samples: how many samples per row.
        replacement: draw with replacement; without it num_samples may not exceed the categories.
        generator: the source of randomness (the default generator, seeded by ``manual_seed``).
    """
    p = np.atleast_2d(input._data).astype(np.float64)
    if not replacement and num_samples > p.shape[1]:
        raise ValueError(f"multinomial: cannot sample {num_samples} > {p.shape[1]} categories without replacement")
    if np.any(p < 0) or np.any(p.sum(1) <= 0):
        raise ValueError("multinomial: weights must be non-negative with a positive sum in every row")
    rng = _gen(generator)
    rows = [rng.choice(p.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in p]
    out = np.stack(rows).astype(np.int64)
    return _wrap(out if input._data.ndim == 2 else out[0])


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        dtype: the dtype instead of input's.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return zeros(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        dtype: the dtype instead of input's.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return ones(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the shape (and, unless given, the dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        dtype: the dtype instead of input's.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return empty(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape (and, unless given, the dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        fill_value: the value.
        dtype: the dtype instead of input's.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1) with the shape (and dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        dtype: the dtype instead of input's (floating point).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return rand(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers with the shape (and dtype) of ``input``.

    Args:
        input: the tensor whose shape and dtype to copy.
        dtype: the dtype instead of input's (floating point).
        device: only 'cpu' is accepted.
        requires_grad: record operations on the tensor for autograd.
    """
    return randn(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low, high=None, *, dtype=None, device=None) -> Tensor:
    """Random integers in [low, high) with the shape (and dtype) of ``input``: ``randint_like(t, high)`` too.

    Args:
        input: the tensor whose shape and dtype to copy.
        low: the smallest value (0 when high is omitted; then this is high).
        high: one above the largest value.
        dtype: the dtype instead of input's.
        device: only 'cpu' is accepted.
    """
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device)


__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "Size",
]  # fmt: skip
