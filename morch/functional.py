"""The lowercase tensor functions (``morch.add``, ``morch.sum`` ...). Tensor methods and operators
call these; each turns its arguments into tensors of the right dtype and applies one op class,
or composes a few. Shape-dependent work happens inside op forwards, so the same calls also build
static graphs, where shapes are only known at run time."""

from __future__ import annotations

import builtins
import functools
import math
import warnings
from collections import namedtuple

import numpy as np

from morch import dtypes
from morch.autograd.function import deferrable
from morch.ops import elementwise as E
from morch.ops import extra as X
from morch.ops import index as I
from morch.ops import matmul as M
from morch.ops import nn as N
from morch.ops import reduce as R
from morch.ops import shape as S
from morch.ops import special as SP
from morch.ops.util import norm_dim
from morch.tensor import Tensor, _view, _wrap

_bool, _int, _float = builtins.bool, builtins.int, builtins.float


def _return_type(name: str) -> type:
    """A (values, indices) named tuple that prints as PyTorch's ``torch.return_types.<name>``."""
    cls = namedtuple(name, ["values", "indices"])
    cls.__repr__ = lambda self: f"morch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
    cls.__module__ = "morch.return_types"
    return cls


_max_type, _min_type, _sort_type, _topk_type, _median_type, _nanmedian_type = (
    _return_type(n) for n in ("max", "min", "sort", "topk", "median", "nanmedian")
)


# ------------------------------------------------------------------ argument conversion and promotion
def _np_dtype(t: Tensor) -> np.dtype:
    a = t._data
    return a.dtype if a is not None else t.sym_dtype


def _is_0d(t: Tensor) -> _bool:
    a = t._data
    return a.ndim == 0 if a is not None else t.sym_ndim == 0


def _tensor(x, dtype: np.dtype | None = None) -> Tensor:
    """Any array-like as a Tensor (Python data gets PyTorch's default dtypes)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x if dtype is None else x.astype(dtype, copy=False))
    if isinstance(x, (_bool, _int, _float, np.generic)):
        return _wrap(np.asarray(x, dtype=dtype or _scalar_dtype(x)))
    from morch.creation import tensor

    return tensor(x, dtype=dtype and dtypes.from_numpy(dtype))


def _scalar_dtype(x) -> np.dtype:
    if isinstance(x, np.generic):
        return x.dtype
    if isinstance(x, _bool):
        return np.dtype(np.bool_)
    if isinstance(x, _int):
        return np.dtype(np.int64)
    if isinstance(x, _float):
        return dtypes.default_float()
    raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def _cast(t: Tensor, nd: np.dtype) -> Tensor:
    return t if _np_dtype(t) == nd else E.Cast.apply(t, dtype=nd)


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of the dtype PyTorch's promotion rules give."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = _np_dtype(a), _np_dtype(b)
            if da == db:
                return a, b
            nd = dtypes.promote_types(da, _is_0d(a), db, _is_0d(b))
            return _cast(a, nd), _cast(b, nd)
        if isinstance(b, np.ndarray):
            return _pair(a, _wrap(b))
        nd = dtypes.promote_scalar(_np_dtype(a), b)
        return _cast(a, nd), _scalar(b, nd)
    if isinstance(b, Tensor):
        if isinstance(a, np.ndarray):
            return _pair(_wrap(a), b)
        nd = dtypes.promote_scalar(_np_dtype(b), a)
        return _scalar(a, nd), _cast(b, nd)
    return _pair(_tensor(a), b)


_scalars: dict = {}


def _scalar(s, nd: np.dtype) -> Tensor:
    """A read-only 0-d tensor holding the number ``s`` in dtype ``nd``, shared between ops.

    ``x * 0.5`` in a loop would otherwise make a new constant tensor every time: more work, and
    more objects for Python's garbage collector, which dominates long chains of small ops.
    """
    key = (type(s), s, nd) if s != 0 else (type(s), s, nd, str(s))  # keeps -0.0 apart from 0.0
    t = _scalars.get(key)
    if t is None:
        arr = np.asarray(s, dtype=nd)
        arr.flags.writeable = False
        t = _wrap(arr)
        if len(_scalars) >= 4096:
            _scalars.clear()
        _scalars[key] = t
    return t


def _is_bool(x) -> _bool:
    if isinstance(x, Tensor):
        return _np_dtype(x) == np.bool_
    return isinstance(x, (_bool, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype == np.bool_)


def _float_tensor(x) -> Tensor:
    """Inputs of ops with float results (exp, sqrt ...): integers become the default float dtype."""
    t = _tensor(x)
    return t if _np_dtype(t).kind == "f" else _cast(t, dtypes.default_float())


def _to_dtype(t: Tensor, dtype) -> Tensor:
    """A copy of ``t`` in ``dtype`` (``t`` itself when it already has that dtype).

    Args:
        t: the tensor.
        dtype: the dtype.
    """
    return _cast(t, dtypes.to_numpy(dtype))


def _as_tensor_like(x, like: Tensor) -> Tensor:
    """``x`` itself if it is a tensor, else ``x`` as a tensor of ``like``'s dtype.

    Args:
        x: the value.
        like: the tensor whose dtype to use.
    """
    return _tensor(x) if isinstance(x, Tensor) else _tensor(x, _np_dtype(like))


def _unary(cls):
    def f(input):  # noqa: A002 - PyTorch's argument name
        return cls.apply(_float_tensor(input))

    f.__name__ = f.__qualname__ = cls.__name__.lower()
    f.__doc__ = (
        f"Elementwise {f.__name__} (integer inputs are computed in the default float dtype).\n\n"
        "    Args:\n        input: the input tensor (numbers and array-likes are made tensors).\n    "
    )
    return f


# ------------------------------------------------------------------ arithmetic
def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcasting as numpy does.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
        alpha: the multiplier of other.
    """
    if alpha != 1:
        other = mul(other, alpha)
    return E.Add.apply(*_pair(input, other))


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
        alpha: the multiplier of other.
    """
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor or value is not supported. "
            "To invert a mask use `~` or logical_not(); for two masks use `^` or logical_xor()"
        )
    if alpha != 1:
        other = mul(other, alpha)
    return E.Sub.apply(*_pair(input, other))


subtract = sub


def mul(input, other) -> Tensor:
    """input * other.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.Mul.apply(*_pair(input, other))


multiply = mul


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor' rounds the result.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
        rounding_mode: None for true division, 'trunc' to round towards zero, 'floor' to round down.
    """
    a, b = _pair(input, other)
    if rounding_mode is None:
        if _np_dtype(a).kind != "f":
            a, b = _cast(a, dtypes.default_float()), _cast(b, dtypes.default_float())
        return E.Div.apply(a, b)
    if rounding_mode == "floor":
        return E.FloorDivide.apply(a, b) if _np_dtype(a).kind != "f" else E.Div.apply(a, b).floor()
    if rounding_mode == "trunc":
        return E.TruncDivide.apply(a, b) if _np_dtype(a).kind != "f" else E.Div.apply(a, b).trunc()
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")


divide = true_divide = div


def floor_divide(input, other) -> Tensor:
    """Division rounded down.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return div(input, other, rounding_mode="floor")


def remainder(input, other) -> Tensor:
    """Modulo with the sign of the divisor (Python's %).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.Remainder.apply(*_pair(input, other))


def fmod(input, other) -> Tensor:
    """Modulo with the sign of the dividend (C's fmod).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.Fmod.apply(*_pair(input, other))


def neg(input) -> Tensor:
    """-input.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Neg.apply(_tensor(input))


negative = neg


def pow(input, exponent) -> Tensor:  # noqa: A001
    """input ** exponent; either side may be a Python number.

    Args:
        input: the base: a tensor or a number.
        exponent: the exponent: a tensor or a number.
    """
    if isinstance(input, Tensor) and isinstance(exponent, (_int, _float)) and not isinstance(exponent, _bool):
        if _np_dtype(input).kind != "f" and (isinstance(exponent, _float) or exponent < 0):
            if isinstance(exponent, _int):
                raise ValueError("Integers to negative integer powers are not allowed.")
            input = _cast(input, dtypes.default_float())
        return E.PowScalar.apply(input, exponent=exponent)
    if isinstance(input, (_int, _float)) and isinstance(exponent, Tensor):
        e = exponent if _np_dtype(exponent).kind == "f" or isinstance(input, _int) else _float_tensor(exponent)
        return E.RPowScalar.apply(e, base=input)
    return E.Pow.apply(*_pair(input, exponent))


exp = _unary(E.Exp)
log = _unary(E.Log)
log1p = _unary(E.Log1p)
expm1 = _unary(E.Expm1)
sqrt = _unary(E.Sqrt)
sin = _unary(E.Sin)
cos = _unary(E.Cos)
tan = _unary(E.Tan)
tanh = _unary(E.Tanh)
sigmoid = _unary(E.Sigmoid)
erf = _unary(E.Erf)
asin = arcsin = _unary(E.Asin)
acos = arccos = _unary(E.Acos)
atan = arctan = _unary(E.Atan)
sinh = _unary(E.Sinh)
cosh = _unary(E.Cosh)


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input) in radians, in (-pi, pi]; integers are computed in floats.

    Args:
        input: the y coordinates (numbers and array-likes are made tensors).
        other: the x coordinates: a tensor, a number or a numpy array, broadcast against input.
    """
    a, b = _pair(input, other)
    if _np_dtype(a).kind != "f":
        a, b = _cast(a, dtypes.default_float()), _cast(b, dtypes.default_float())
    return E.Atan2.apply(a, b)


arctan2 = atan2


def exp2(input) -> Tensor:
    """2 ** input.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return pow(2.0, _float_tensor(input))


def log2(input) -> Tensor:
    """Base-2 logarithm.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return log(input) / math.log(2)


def log10(input) -> Tensor:
    """Base-10 logarithm.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return log(input) / math.log(10)


def rsqrt(input) -> Tensor:
    """1 / sqrt(input).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return 1 / sqrt(input)


def reciprocal(input) -> Tensor:
    """1 / input.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return div(1.0, _float_tensor(input))


def square(input) -> Tensor:
    """input * input.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return pow(input, 2)


def abs(input) -> Tensor:  # noqa: A001
    """|input|.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Abs.apply(_tensor(input))


absolute = abs


def relu(input) -> Tensor:
    """max(input, 0).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Relu.apply(_tensor(input))


def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element (zero gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Sign.apply(_tensor(input))


def floor(input) -> Tensor:
    """Round down (zero gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Floor.apply(_tensor(input))


def ceil(input) -> Tensor:
    """Round up (zero gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Ceil.apply(_tensor(input))


def round(input, *, decimals: _int = 0) -> Tensor:  # noqa: A001
    """Round half to even, as PyTorch (zero gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        decimals: the number of decimal places to keep.
    """
    if decimals:
        scale = 10.0**decimals
        return E.Round.apply(_tensor(input) * scale) / scale
    return E.Round.apply(_tensor(input))


def trunc(input) -> Tensor:
    """Round towards zero (zero gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Trunc.apply(_tensor(input))


def frac(input) -> Tensor:
    """input - trunc(input).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    t = _tensor(input)
    return t - trunc(t)


def maximum(input, other) -> Tensor:
    """Elementwise max of two tensors (ties share the gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.Maximum.apply(*_pair(input, other))


def minimum(input, other) -> Tensor:
    """Elementwise min of two tensors (ties share the gradient).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.Minimum.apply(*_pair(input, other))


def clamp(input, min=None, max=None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; bounds may be numbers or tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        min: the lower bound, a number or a tensor (None for no lower bound).
        max: the upper bound, a number or a tensor (None for no upper bound).
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    t = _tensor(input)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is not None:
            t = maximum(t, min)
        if max is not None:
            t = minimum(t, max)
        return t
    if (isinstance(min, _float) or isinstance(max, _float)) and _np_dtype(t).kind != "f":
        t = _cast(t, dtypes.default_float())
    return E.Clamp.apply(t, min=min, max=max)


clip = clamp


def where(condition, input=None, other=None) -> Tensor:
    """Pick from input where condition is true, else from other; ``where(cond)`` is ``nonzero(as_tuple=True)``.

    Args:
        condition: a bool tensor: where true take input, else other (all three broadcast together).
        input: the values where condition is true (a tensor or a number).
        other: the values where condition is false (a tensor or a number).
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    c = _tensor(condition)
    if _np_dtype(c) != np.bool_:
        raise TypeError(f"where expected condition to be a bool tensor, but got a tensor of dtype {c.dtype}")
    a, b = _pair(input, other)
    return E.Where.apply(c, a, b)


# ------------------------------------------------------------------ comparisons and logic (no gradients)
def _compare(cls):
    def f(input, other) -> Tensor:
        return cls.apply(*_pair(input, other))

    f.__name__ = f.__qualname__ = cls.__name__.lower()
    f.__doc__ = (
        f"Elementwise {cls.symbol or f.__name__}, as a bool tensor.\n\n    Args:\n"
        "        input: the input tensor (numbers and array-likes are made tensors).\n"
        "        other: the other operand: a tensor, a number or a numpy array, broadcast against input.\n    "
    )
    return f


eq, ne, lt, le, gt, ge = (_compare(c) for c in (E.Eq, E.Ne, E.Lt, E.Le, E.Gt, E.Ge))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and, logical_or, logical_xor = (_compare(c) for c in (E.LogicalAnd, E.LogicalOr, E.LogicalXor))


def _check_bitwise(t: Tensor) -> Tensor:
    if _np_dtype(t).kind == "f":
        raise TypeError(f"bitwise operations need bool or integer tensors, got {dtypes.from_numpy(_np_dtype(t))}")
    return t


def bitwise_and(input, other) -> Tensor:
    """Elementwise & of bool or integer tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.BitwiseAnd.apply(*map(_check_bitwise, _pair(input, other)))


def bitwise_or(input, other) -> Tensor:
    """Elementwise | of bool or integer tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.BitwiseOr.apply(*map(_check_bitwise, _pair(input, other)))


def bitwise_xor(input, other) -> Tensor:
    """Elementwise ^ of bool or integer tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the other operand: a tensor, a number or a numpy array, broadcast against input.
    """
    return E.BitwiseXor.apply(*map(_check_bitwise, _pair(input, other)))


def bitwise_not(input) -> Tensor:
    """~input for bool or integer tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.BitwiseNot.apply(_check_bitwise(_tensor(input)))


def logical_not(input) -> Tensor:
    """Elementwise not, as a bool tensor.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.LogicalNot.apply(_tensor(input))


def isnan(input) -> Tensor:
    """Where input is NaN.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Isnan.apply(_tensor(input))


def isinf(input) -> Tensor:
    """Where input is +-inf.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Isinf.apply(_tensor(input))


def isfinite(input) -> Tensor:
    """Where input is neither inf nor NaN.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Isfinite.apply(_tensor(input))


def equal(input, other) -> _bool:
    """True if both tensors have the same shape and elements.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor to compare with.
    """
    a, b = _tensor(input), _tensor(other)
    return a._data.shape == b._data.shape and _bool(np.array_equal(a._data, b._data))


@deferrable
def isclose(input, other, rtol: _float = 1e-5, atol: _float = 1e-8, equal_nan: _bool = False) -> Tensor:
    """Where |input - other| <= atol + rtol * |other|.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor to compare with.
        rtol: the relative tolerance.
        atol: the absolute tolerance.
        equal_nan: count NaNs in the same place as equal.
    """
    a, b = _pair(input, other)
    return _wrap(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: _float = 1e-5, atol: _float = 1e-8, equal_nan: _bool = False) -> _bool:
    """True if every element is close (see isclose).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor to compare with.
        rtol: the relative tolerance.
        atol: the absolute tolerance.
        equal_nan: count NaNs in the same place as equal.
    """
    return _bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# ------------------------------------------------------------------ reductions
def sum(input, dim=None, keepdim: _bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or None for all); bool and integer sums are int64.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
        dtype: the dtype to sum in and return (default: input's, int64 for bool and integers).
    """
    t = _tensor(input)
    return R.Sum.apply(t, dim=dim, keepdim=keepdim, dtype=None if dtype is None else dtypes.to_numpy(dtype))


def prod(input, dim: _int | None = None, keepdim: _bool = False, *, dtype=None) -> Tensor:
    """The product of the elements over ``dim`` (of all when None); bool and integer products are int64.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None multiplies all elements.
        keepdim: keep the reduced dimension, with size 1.
        dtype: the dtype to multiply in and return.
    """
    if dim is not None and not isinstance(dim, (_int, np.integer)):
        raise TypeError(f"prod(): dim must be an int or None, got {type(dim).__name__}")
    t = _tensor(input)
    return R.Prod.apply(t, dim=dim, keepdim=keepdim, dtype=None if dtype is None else dtypes.to_numpy(dtype))


def mean(input, dim=None, keepdim: _bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim``; the input must be floating point (or give ``dtype``).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
        dtype: cast input to this dtype first (needed for integer inputs).
    """
    t = _tensor(input)
    if dtype is not None:
        t = _to_dtype(t, dtype)
    return R.Mean.apply(t, dim=dim, keepdim=keepdim)


def _minmax(input, dim, keepdim, other, amax_cls, arg_cls, binary, result_type):
    t = _tensor(input)
    if isinstance(dim, Tensor):
        return binary(t, dim)
    if other is not None:
        return binary(t, other)
    if dim is None:
        return amax_cls.apply(t)
    idx = arg_cls.apply(t, dim=dim, keepdim=True)
    values = gather(t, dim, idx)
    if not keepdim:
        values, idx = squeeze(values, dim), squeeze(idx, dim)
    return result_type(values, idx)


def max(input, dim=None, keepdim: _bool = False, *, other=None):  # noqa: A001
    """Without ``dim``: the largest element. With ``dim``: (values, indices). With a tensor: ``maximum``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None for the largest element of all; a tensor compares elementwise.
        keepdim: keep each reduced dimension, with size 1.
        other: a tensor to compare with elementwise instead (as ``maximum``).
    """
    return _minmax(input, dim, keepdim, other, R.Amax, R.Argmax, maximum, _max_type)


def min(input, dim=None, keepdim: _bool = False, *, other=None):  # noqa: A001
    """Without ``dim``: the smallest element. With ``dim``: (values, indices). With a tensor: ``minimum``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None for the smallest element of all; a tensor compares elementwise.
        keepdim: keep each reduced dimension, with size 1.
        other: a tensor to compare with elementwise instead (as ``minimum``).
    """
    return _minmax(input, dim, keepdim, other, R.Amin, R.Argmin, minimum, _min_type)


def amax(input, dim=(), keepdim: _bool = False) -> Tensor:
    """Max over ``dim`` (all dims by default); ties share the gradient.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.Amax.apply(_tensor(input), dim=dim, keepdim=keepdim)


def amin(input, dim=(), keepdim: _bool = False) -> Tensor:
    """Min over ``dim`` (all dims by default); ties share the gradient.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.Amin.apply(_tensor(input), dim=dim, keepdim=keepdim)


def argmax(input, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
    """Index of the largest element (of the flattened input when ``dim`` is None).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None gives the index into the flattened tensor.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.Argmax.apply(_tensor(input), dim=dim, keepdim=keepdim)


def argmin(input, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
    """Index of the smallest element (of the flattened input when ``dim`` is None).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None gives the index into the flattened tensor.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.Argmin.apply(_tensor(input), dim=dim, keepdim=keepdim)


def _correction(unbiased, correction) -> _int:
    if correction is not None:
        return correction
    if isinstance(unbiased, _bool):
        return 1 if unbiased else 0
    return 1


def var(input, dim=None, unbiased=True, keepdim: _bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim``; ``correction=1`` (the default, Bessel's) divides by n - 1.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        unbiased: divide by n - 1 (Bessel's correction) when True, by n when False.
        keepdim: keep each reduced dimension, with size 1.
        correction: subtract this from n in the divisor; overrides unbiased.
    """
    if not isinstance(unbiased, _bool) and unbiased is not None and dim is None:
        dim, unbiased = unbiased, True  # var(x, 1) passes dim positionally
    return R.Var.apply(_float_tensor(input), dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim)


def _sqrt_zero_grad_at_zero(x: Tensor) -> Tensor:
    """sqrt, with gradient 0 rather than nan where x == 0 (as PyTorch's norm and std give)."""
    zero = x == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, x)))


def std(input, dim=None, unbiased=True, keepdim: _bool = False, *, correction=None) -> Tensor:
    """Standard deviation over ``dim`` (sqrt of ``var``); its gradient is 0 where it is 0.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        unbiased: divide by n - 1 (Bessel's correction) when True, by n when False.
        keepdim: keep each reduced dimension, with size 1.
        correction: subtract this from n in the divisor; overrides unbiased.
    """
    return _sqrt_zero_grad_at_zero(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=True, keepdim: _bool = False, *, correction=None):
    """(var, mean) over ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        unbiased: divide by n - 1 (Bessel's correction) when True, by n when False.
        keepdim: keep each reduced dimension, with size 1.
        correction: subtract this from n in the divisor; overrides unbiased.
    """
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=True, keepdim: _bool = False, *, correction=None):
    """(std, mean) over ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        unbiased: divide by n - 1 (Bessel's correction) when True, by n when False.
        keepdim: keep each reduced dimension, with size 1.
        correction: subtract this from n in the divisor; overrides unbiased.
    """
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def logsumexp(input, dim, keepdim: _bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, computed without overflow.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.LogSumExp.apply(_float_tensor(input), dim=dim, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim: _bool = False) -> Tensor:
    """The p-norm over ``dim`` ('fro' and 2: Euclidean; 1; inf; any positive p).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        p: the order: 'fro' or 2 (Euclidean), 1, inf, -inf, 0 (count of nonzeros), or any positive number.
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    t = _float_tensor(input)
    if p in ("fro", 2):
        return _sqrt_zero_grad_at_zero(sum(t * t, dim, keepdim))
    if p == 1:
        return sum(abs(t), dim, keepdim)
    if p in (math.inf, "inf"):
        return amax(abs(t), () if dim is None else dim, keepdim)
    if p in (-math.inf, "-inf"):
        return amin(abs(t), () if dim is None else dim, keepdim)
    if p == 0:
        return sum(ne(t, 0), dim, keepdim).type(t.dtype)
    s = sum(pow(abs(t), p), dim, keepdim)
    zero = s == 0  # the gradient there is 0, as in PyTorch, not the nan of 0 ** (1/p - 1) * 0
    return where(zero, 0.0, pow(where(zero, 1.0, s), 1.0 / p))


def cumsum(input, dim: _int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to sum along.
        dtype: cast input to this dtype first.
    """
    t = _tensor(input)
    if dtype is not None:
        t = _to_dtype(t, dtype)
    return R.Cumsum.apply(t, dim=dim)


def cumprod(input, dim: _int, *, dtype=None) -> Tensor:
    """Running product along ``dim`` (its gradient is exact also where the input has zeros).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to multiply along.
        dtype: cast input to this dtype first.
    """
    t = _tensor(input)
    if dtype is not None:
        t = _to_dtype(t, dtype)
    return R.Cumprod.apply(t, dim=dim)


def all(input, dim=None, keepdim: _bool = False) -> Tensor:  # noqa: A001
    """True where every element (over ``dim``) is nonzero.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.All.apply(_tensor(input), dim=dim, keepdim=keepdim)


def any(input, dim=None, keepdim: _bool = False) -> Tensor:  # noqa: A001
    """True where some element (over ``dim``) is nonzero.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to reduce; None reduces all.
        keepdim: keep each reduced dimension, with size 1.
    """
    return R.Any.apply(_tensor(input), dim=dim, keepdim=keepdim)


def count_nonzero(input, dim=None) -> Tensor:
    """Number of nonzero elements over ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to count over; None counts all.
    """
    return sum(ne(input, 0), dim)


# ------------------------------------------------------------------ shapes
def _shape_arg(shape) -> tuple:
    if isinstance(shape, (_int, np.integer)):
        return (_int(shape),)
    return tuple(_int(s) for s in shape)


def reshape(input, shape) -> Tensor:
    """Same data in a new shape (one dimension may be -1).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        shape: the new shape; one entry may be -1, inferred from the others.
    """
    t = _tensor(input)
    return _view(S.Reshape.apply(t, shape=_shape_arg(shape)), t)


def view(input, shape) -> Tensor:
    """Same data in a new shape, sharing memory; refused when that needs a copy (use ``reshape``), as in PyTorch.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        shape: the new shape; one entry may be -1, inferred from the others.
    """
    t = _tensor(input)
    out = reshape(t, shape)
    if out._data is not None and out._base is None and out._data.size > 1:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (shape {tuple(t.shape)} is not "
            f"contiguous): use .reshape({list(_shape_arg(shape))}) instead"
        )
    return out


@deferrable
def reshape_as(input, other: Tensor) -> Tensor:
    """Reshape to ``other``'s shape.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor whose shape to take.
    """
    return reshape(input, other.shape)


@deferrable
def view_as(input, other: Tensor) -> Tensor:
    """``view`` with ``other``'s shape.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor whose shape to take.
    """
    return view(input, other.shape)


def flatten(input, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        start_dim: the first dimension to merge.
        end_dim: the last dimension to merge.
    """
    t = _tensor(input)
    return _view(S.Flatten.apply(t, start_dim=start_dim, end_dim=end_dim), t)


@deferrable
def unflatten(input, dim: _int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to split.
        sizes: the sizes to split dim into; one may be -1.
    """
    t = _tensor(input)
    shape = list(t.shape)
    d = dim % len(shape)
    return reshape(t, shape[:d] + list(sizes) + shape[d + 1 :])


def squeeze(input, dim=None) -> Tensor:
    """Drop dimensions of size 1 (only ``dim`` when given).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension, or tuple of dimensions, to drop if of size 1 (None: all of size 1).
    """
    t = _tensor(input)
    return _view(S.Squeeze.apply(t, dim=dim), t)


def unsqueeze(input, dim: _int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: where the new dimension goes (negative counts from the end of the result).
    """
    t = _tensor(input)
    return _view(S.Unsqueeze.apply(t, dim=dim), t)


def transpose(input, dim0: _int, dim1: _int) -> Tensor:
    """Swap two dimensions.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim0: one dimension to swap.
        dim1: the other dimension to swap.
    """
    t = _tensor(input)
    return _view(S.Transpose.apply(t, dim0=dim0, dim1=dim1), t)


swapaxes = swapdims = transpose


def t(input) -> Tensor:
    """Transpose a tensor of at most 2 dimensions.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    x = _tensor(input)
    if x._data is not None and x._data.ndim > 2:
        raise ValueError(f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D")
    return transpose(x, 0, -1)


def permute(input, dims) -> Tensor:
    """Reorder dimensions (``dims=None`` reverses them, as ``Tensor.T``).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dims: the new order of the dimensions.
    """
    t = _tensor(input)
    return _view(S.Permute.apply(t, dims=None if dims is None else _shape_arg(dims)), t)


def expand(input, sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a size).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        sizes: the target shape; -1 keeps the size of that dimension.
    """
    t = _tensor(input)
    return _view(S.Expand.apply(t, shape=_shape_arg(sizes)), t)


@deferrable
def expand_as(input, other: Tensor) -> Tensor:
    """Broadcast to ``other``'s shape.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the tensor whose shape to take.
    """
    return expand(input, other.shape)


broadcast_to = expand


def broadcast_tensors(*tensors) -> tuple:
    """Broadcast all tensors to one shape.

    Args:
        tensors: the tensors, as separate arguments.
    """
    shape = np.broadcast_shapes(*(_tensor(t).shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def contiguous(input, memory_format=None) -> Tensor:
    """The tensor itself if its memory is already in the given order (row-major by default), else
    a copy in that order (gradient flows through).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        memory_format: ``morch.contiguous_format`` (default), ``channels_last`` (4-d: N, H, W, C in
            memory) or ``channels_last_3d`` (5-d); ``preserve_format`` keeps the tensor's order.
    """
    from morch import _layout

    t = _tensor(input)
    if t._data is None or memory_format is _layout.preserve_format:
        return t
    order = _layout.ORDERS.get(memory_format)
    if order is None:
        return t if t._data.flags.c_contiguous else E.Clone.apply(t)
    if t._data.ndim != len(order):
        raise RuntimeError(f"required rank {len(order)} tensor to use {memory_format!r} format, got {t._data.ndim}-d")
    if t._data.transpose(order).flags.c_contiguous:
        return t
    out = E.Clone.apply(t)
    out._data = np.ascontiguousarray(t._data.transpose(order)).transpose(np.argsort(order))  # same values, new order
    return out


def clone(input) -> Tensor:
    """A copy with its own memory (gradient flows through).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
    """
    return E.Clone.apply(_tensor(input))


def repeat(input, repeats) -> Tensor:
    """Tile the tensor ``repeats`` times along each dimension (``Tensor.repeat``).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        repeats: the number of copies along each dimension (extra leading entries add dimensions).
    """
    return S.Repeat.apply(_tensor(input), repeats=_shape_arg(repeats))


@deferrable
def tile(input, dims) -> Tensor:
    """As ``repeat``, padding ``dims`` with ones on the left.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dims: the number of copies along each dimension (missing leading entries are 1).
    """
    t = _tensor(input)
    dims = _shape_arg(dims)
    return repeat(t, (1,) * (t.ndim - len(dims)) + dims)


def flip(input, dims) -> Tensor:
    """Reverse the order of elements along ``dims``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dims: the dimensions to reverse.
    """
    return S.Flip.apply(_tensor(input), dims=_shape_arg(dims))


@deferrable
def roll(input, shifts, dims=None) -> Tensor:
    """Rotate elements along ``dims`` (the flattened tensor when None).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        shifts: how far to roll, one entry per dimension in dims.
        dims: the dimensions to roll along; None rolls the flattened tensor.
    """
    t = _tensor(input)
    if dims is None:
        return reshape(roll(flatten(t), shifts, 0), t.shape)
    return S.Roll.apply(t, shifts=_shape_arg(shifts), dims=_shape_arg(dims))


def _along(dim: _int, item) -> tuple:
    """An index that applies ``item`` to dimension ``dim`` only, without knowing the rank."""
    if dim >= 0:
        return (slice(None),) * dim + (item,)
    return (Ellipsis, item) + (slice(None),) * (-dim - 1)


@deferrable
def narrow(input, dim: _int, start: _int, length: _int) -> Tensor:
    """The slice start:start+length of dimension ``dim`` (a negative start counts from the end).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to slice.
        start: the first position (negative counts from the end).
        length: the number of positions.
    """
    t = _tensor(input)
    if start < 0:
        start += t.shape[dim]
    return index(t, _along(dim, slice(start, start + length)))


def select(input, dim: _int, index: _int) -> Tensor:
    """The slice at ``index`` of dimension ``dim``, which is removed.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: the position to take.
    """
    return _getitem(input, _along(dim, index))


def cat(tensors, dim: _int = 0) -> Tensor:
    """Join tensors along an existing dimension.

    Args:
        tensors: a sequence of tensors.
        dim: the dimension to join along.
    """
    ts = [_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    nd = _np_dtype(ts[0])
    for t in ts[1:]:
        nd = dtypes.promote_types(nd, False, _np_dtype(t), False)
    return S.Cat.apply(*(_cast(t, nd) for t in ts), dim=dim)


concat = concatenate = cat


def stack(tensors, dim: _int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension.

    Args:
        tensors: a sequence of tensors.
        dim: where the new dimension goes.
    """
    ts = [_tensor(t) for t in tensors]
    shapes = {t._data.shape for t in ts if t._data is not None}
    if len(shapes) > 1:
        raise ValueError(f"stack expects each tensor to be equal size, but got shapes {sorted(shapes)}")
    return cat([unsqueeze(t, dim) for t in ts], dim)


@deferrable
def hstack(tensors) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors).

    Args:
        tensors: a sequence of tensors.
    """
    ts = [_tensor(t) for t in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@deferrable
def vstack(tensors) -> Tensor:
    """Concatenate along dim 0, promoting 1-D tensors to rows.

    Args:
        tensors: a sequence of tensors.
    """
    return cat([_tensor(t).reshape(1, -1) if _tensor(t).ndim == 1 else _tensor(t) for t in tensors], 0)


def split(tensor, split_size_or_sections, dim: _int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes.

    Args:
        tensor: the tensor to split.
        split_size_or_sections: the size of every piece (the last may be smaller), or a list of sizes summing to the
            dimension's size.
        dim: the dimension to split.
    """
    t = _tensor(tensor)
    n = t.shape[dim]
    if isinstance(split_size_or_sections, (_int, np.integer)):
        size = _int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split expects split_size be positive, got {size}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [_int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(f"split_with_sizes expects split_sizes to sum exactly to {n} (dim {dim}), got {sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(t, dim, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks: _int, dim: _int = 0) -> tuple:
    """Split into ``chunks`` pieces of (nearly) equal size.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        chunks: the number of pieces.
        dim: the dimension to split.
    """
    t = _tensor(input)
    if chunks <= 0:
        raise ValueError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = t.shape[dim]
    return split(t, builtins.max(1, -(-n // chunks)), dim)


def unbind(input, dim: _int = 0) -> tuple:
    """All slices along ``dim``, with that dimension removed.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to remove.
    """
    t = _tensor(input)
    return tuple(select(t, dim, i) for i in range(t.shape[dim]))


# ------------------------------------------------------------------ indexing
def _index_part(k, tensors: list):
    if isinstance(k, Tensor):
        if _np_dtype(k).kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got {k.dtype}")
        tensors.append(k)
        return I.Slot(len(tensors) - 1)
    if isinstance(k, (list, np.ndarray)) or (isinstance(k, tuple) and not k):
        arr = np.asarray([] if isinstance(k, tuple) else k)
        if arr.dtype.kind not in "iub":
            if arr.size == 0:
                arr = arr.astype(np.int64)
            else:
                raise IndexError(
                    "only integers, slices, None, Ellipsis, and integer or boolean arrays are valid indices, "
                    f"got {arr.dtype}"
                )
        return arr
    if k is None or k is Ellipsis or isinstance(k, (slice, _int, np.integer)):
        return k
    raise IndexError(
        "only integers, slices, None, Ellipsis, and integer or boolean tensors are valid indices "
        f"(got {type(k).__name__})"
    )


def _key(key) -> tuple[tuple, list]:
    if not isinstance(key, tuple):
        key = (key,)
    tensors: list = []
    template = tuple(_index_part(k, tensors) for k in key)
    return template, tensors


def index(input, key) -> Tensor:
    """``input[key]`` with PyTorch's (numpy's) indexing rules; tensors in ``key`` index too.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        key: an index as in ``input[key]``: ints, slices, None, Ellipsis, integer or bool tensors, arrays or lists, or a
            tuple of them.
    """
    template, tensors = _key(key)
    t = _tensor(input)
    return _view(I.Index.apply(t, *tensors, key=template), t)


_getitem = index  # for functions whose PyTorch argument named ``index`` hides this one


def index_put(input, key, value, accumulate: _bool = False) -> Tensor:
    """A copy of input with ``value`` written (or added) at ``key``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        key: an index as in ``input[key]``: ints, slices, None, Ellipsis, integer or bool tensors, arrays or lists, or a
            tuple of them.
        value: the values to write, broadcast to the selected elements.
        accumulate: add value at key instead of overwriting (repeated positions add up).
    """
    t = _tensor(input)
    template, tensors = _key(key)
    return I.IndexPut.apply(t, _as_tensor_like(value, t).type(t.dtype), *tensors, key=template, accumulate=accumulate)


def _unwrap_index(key):
    """The key with tensors replaced by their arrays, for direct numpy indexing.

    Args:
        key: an index as for ``index``.
    """
    template, tensors = _key(key)
    return I.fill_key(template, [t._data for t in tensors])


def index_select(input, dim: _int, index) -> Tensor:
    """The entries of ``index`` (a 1-D integer tensor) along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: a 1-D integer tensor of positions.
    """
    return _getitem(input, _along(dim, _tensor(index)))


def gather(input, dim: _int, index) -> Tensor:
    """out[i][j] = input[i][index[i][j]] for dim=1 (and likewise for other dims).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: an integer tensor with as many dimensions as input; the result has its shape.
    """
    return I.Gather.apply(_tensor(input), _tensor(index), dim=dim)


def scatter_add(input, dim: _int, index, src) -> Tensor:
    """A copy of input with ``src`` added at ``index`` along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: an integer tensor of positions along dim.
        src: the values to add (only the part the index covers is used).
    """
    t = _tensor(input)
    return I.ScatterAdd.apply(t, _tensor(index), _as_tensor_like(src, t), dim=dim)


def scatter(input, dim: _int, index, src=None, *, value=None, reduce: str | None = None) -> Tensor:
    """A copy of input with ``src`` (or the number ``value``) written at ``index`` along ``dim``:
    for dim=0, ``out[index[i][j]][j] = src[i][j]``. Where an index repeats, the last write wins
    (PyTorch leaves that order unspecified). Gradients: input's is zero where something was
    written, src's is the output gradient read at the index.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: an integer tensor with input's number of dimensions; positions along dim in
            [0, input.shape[dim]); no larger than src, nor than input outside dim.
        src: the values to write (only the part the index covers is used; input's dtype), or a number.
        value: a number to write everywhere the index points (instead of src).
        reduce: None, or 'add' / 'multiply' to combine with the values already there (every
            repeated index counts). As in PyTorch, this form with a tensor src is deprecated
            (it warns): use ``scatter_reduce`` with 'sum' / 'prod'. Unlike PyTorch, morch
            differentiates it.
    """
    t = _tensor(input)
    if (src is None) == (value is None):
        raise TypeError("scatter(): give exactly one of src (a tensor) and value (a number)")
    idx = _tensor(index)
    is_value = src is None or not isinstance(src, Tensor)
    if is_value:
        fill = value if src is None else src
        if isinstance(fill, (Tensor, np.ndarray, list, tuple)) or fill is None:
            raise TypeError(f"scatter(): value must be a number, got {type(fill).__name__}")
        src = _wrap(np.asarray(fill, dtype=_np_dtype(t)))
    if reduce is None:
        return I.Scatter.apply(t, idx, src, dim=dim, value=is_value)
    if reduce not in ("add", "multiply"):
        raise ValueError(f"scatter(): reduce argument must be either 'add' or 'multiply', got {reduce!r}")
    if not is_value:
        warnings.warn(
            "The reduce argument of scatter with a tensor src is deprecated in PyTorch; use "
            f"scatter_reduce(..., reduce={'sum' if reduce == 'add' else 'prod'!r}) instead",
            UserWarning,
            stacklevel=2,
        )
    op = "sum" if reduce == "add" else "prod"
    return I.ScatterReduce.apply(t, idx, src, dim=dim, reduce=op, value=is_value, name="scatter")


def scatter_reduce(input, dim: _int, index, src, reduce: str, *, include_self: _bool = True) -> Tensor:
    """A copy of input where each position that ``index`` points to (along ``dim``) becomes the
    reduction of the ``src`` values sent there, and of its own value if ``include_self``; the
    other positions keep their value. For dim=0, ``src[i][j]`` goes to ``out[index[i][j]][j]``.

    Repeated indices all take part, in any order (the result does not depend on it). Integer
    'mean' rounds down, as in PyTorch. Gradients (all reductions, also when values are zero, and
    differentiable again): 'sum'/'mean' pass the gradient (over the count) to every value that
    took part, 'amax'/'amin' share it between the values equal to the result, 'prod' gives each
    value the product of the others. Without include_self, the input's gradient is zero where
    something was written.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: an integer tensor with input's number of dimensions; positions along dim in
            [0, input.shape[dim]); no larger than src, nor than input outside dim.
        src: the values to reduce (input's dtype; only the part the index covers is used).
        reduce: 'sum', 'prod', 'mean', 'amax' or 'amin'.
        include_self: also reduce the input's own values at the positions written.
    """
    t = _tensor(input)
    idx = _tensor(index)
    return I.ScatterReduce.apply(t, idx, _as_tensor_like(src, t), dim=dim, reduce=reduce, include_self=include_self)


def index_add(input, dim: _int, index, source, *, alpha=1) -> Tensor:
    """A copy of input with ``alpha * source`` added at positions ``index`` along ``dim`` (repeats add up).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to index.
        index: a 1-D integer tensor of positions along dim.
        source: the values: input's shape with dim of length len(index).
        alpha: the multiplier of source.
    """
    t = _tensor(input)
    src = _as_tensor_like(source, t)
    return index_put(t, _along(dim, _tensor(index)), src if alpha == 1 else src * alpha, accumulate=True)


def diagonal(input, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
    """The diagonal of dims (dim1, dim2), as a new last dimension.

    Args:
        input: a tensor of at least 2 dimensions.
        offset: which diagonal: 0 the main one, positive above it, negative below.
        dim1: the first dimension of the matrices.
        dim2: the second dimension of the matrices.
    """
    t = _tensor(input)
    return _view(I.Diagonal.apply(t, offset=offset, dim1=dim1, dim2=dim2), t)


@deferrable
def diag(input, diagonal: _int = 0) -> Tensor:
    """A 1-D tensor made the ``diagonal`` of a square matrix, or the ``diagonal`` of a matrix as a 1-D tensor.

    Args:
        input: a 1-D or a 2-D tensor.
        diagonal: which diagonal: 0 the main one, positive above it, negative below.
    """
    t = _tensor(input)
    if t.ndim == 1:
        n = t.shape[0] + builtins.abs(diagonal)
        return I.DiagonalGrad.apply(t, args=(diagonal, 0, 1), shape=(n, n))
    if t.ndim != 2:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got {t.ndim}-D")
    return clone(globals()["diagonal"](t, diagonal))


def trace(input) -> Tensor:
    """The sum of the main diagonal of a matrix.

    Args:
        input: a 2-D tensor.
    """
    t = _tensor(input)
    if t._data is not None and t._data.ndim != 2:
        raise ValueError(f"trace: expected a matrix, got a {t._data.ndim}-D tensor")
    return sum(diagonal(t))


def masked_fill(input, mask, value) -> Tensor:
    """input with ``value`` where mask is true.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        mask: a bool tensor, broadcast against input.
        value: the value: a number or a 0-d tensor.
    """
    t, m = _tensor(input), _tensor(mask)
    if _np_dtype(m) != np.bool_:
        raise TypeError(f"masked_fill only supports bool masks, but got a mask of dtype {m.dtype}")
    v = value if isinstance(value, Tensor) else _wrap(np.asarray(value, dtype=_np_dtype(t)))
    if v._data is not None and v._data.ndim != 0:
        raise ValueError(
            f"masked_fill only supports a 0-dimensional value tensor, but got one of shape {tuple(v.shape)}"
        )
    return where(m, _cast(v, _np_dtype(t)), t)


@deferrable
def masked_select(input, mask) -> Tensor:
    """The elements where mask is true, as a 1-D tensor.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        mask: a bool tensor, broadcast against input.
    """
    t = _tensor(input)
    m = _tensor(mask)
    if m.shape != t.shape:
        t, m = broadcast_tensors(t, m)
    return index(t, m)


def nonzero(input, *, as_tuple: _bool = False):
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D tensors.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        as_tuple: return one 1-D tensor of indices per dimension instead of one (n, ndim) tensor.
    """
    if not as_tuple:
        return _nonzero(input)
    a = _tensor(input)._data
    if a.ndim == 0:  # numpy refuses 0-d input; PyTorch treats it as one element
        return (_wrap(np.arange(_int(a != 0), dtype=np.int64)),)
    return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(a))


@deferrable
def _nonzero(input) -> Tensor:
    a = _tensor(input)._data
    if a.ndim == 0:
        return _wrap(np.zeros((_int(a != 0), 0), np.int64))
    return _wrap(np.stack(np.nonzero(a), axis=1).astype(np.int64))


@deferrable
def argsort(input, dim: _int = -1, descending: _bool = False, stable: _bool = False) -> Tensor:
    """Indices that sort ``input`` along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to sort along.
        descending: order from largest to smallest.
        stable: keep equal elements in their order (morch always does).
    """
    a = _tensor(input)._data
    idx = np.argsort(-a if descending and a.dtype.kind != "b" else a, axis=dim, kind="stable")
    if descending and a.dtype.kind == "b":
        idx = np.argsort(~a, axis=dim, kind="stable")
    return _wrap(idx.astype(np.int64))


def sort(input, dim: _int = -1, descending: _bool = False, stable: _bool = False):
    """(values, indices) of ``input`` sorted along ``dim``; values carry gradients.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to sort along.
        descending: order from largest to smallest.
        stable: keep equal elements in their order (morch always does).
    """
    t = _tensor(input)
    idx = argsort(t, dim, descending, stable)
    return _sort_type(gather(t, dim, idx), idx)


@deferrable
def _median_index(input, dim: _int, skip_nan: _bool) -> Tensor:
    """The position (keepdim=True) along ``dim`` of each slice's median: the lower middle value
    (of the values that are not NaN, for nanmedian; else the first NaN of a slice with one)."""
    name = "nanmedian" if skip_nan else "median"
    a = _tensor(input)._data
    if a.ndim == 0:
        norm_dim(dim, 1, name)  # a 0-d tensor has dims 0 and -1, as in PyTorch
        return _wrap(np.zeros((), np.int64))
    d = norm_dim(dim, a.ndim, name)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size (input shape {tuple(a.shape)})")
    order = np.argsort(a, axis=d, kind="stable")  # NaN sorts last
    nan = np.isnan(a) if a.dtype.kind == "f" else None
    if skip_nan and nan is not None:  # the lower middle of the values that are not NaN
        pos = np.maximum((~nan).sum(axis=d, keepdims=True) - 1, 0) // 2
    else:
        pos = np.full([1 if i == d else s for i, s in enumerate(a.shape)], (n - 1) // 2)
    idx = np.take_along_axis(order, pos, axis=d)
    if not skip_nan and nan is not None and nan.any():  # a slice with NaN has median NaN, at its first NaN
        has = nan.any(axis=d, keepdims=True)
        idx = np.where(has, nan.argmax(axis=d, keepdims=True), idx)
    return _wrap(idx.astype(np.int64))


@deferrable
def _median_all(input, skip_nan: _bool) -> Tensor:
    t = _tensor(input)
    if t.numel() == 0:  # nan for an empty input, as PyTorch (for integers: the smallest value, what nan becomes)
        a = t._data
        fill = np.nan if a.dtype.kind == "f" else np.iinfo(a.dtype).min if a.dtype.kind in "iu" else 0
        return _wrap(np.full((), fill, dtype=a.dtype))
    flat = t.reshape(-1)
    return gather(flat, 0, _median_index(flat, 0, skip_nan)).reshape(())


def _median(input, dim, keepdim: _bool, skip_nan: _bool):
    t = _tensor(input)
    if dim is None:
        return _median_all(t, skip_nan)
    indices = _median_index(t, dim, skip_nan)
    values = gather(t, dim, indices)
    if not keepdim:
        values, indices = squeeze(values, dim), squeeze(indices, dim)
    return (_nanmedian_type if skip_nan else _median_type)(values, indices)


def median(input, dim: _int | None = None, keepdim: _bool = False):
    """Without ``dim``: the median of all elements (the lower of the two middle values for an even
    count; NaN if any element is NaN). With ``dim``: (values, indices) along it. The gradient goes
    to the selected element. Which of several equal elements is returned is not specified (as in PyTorch).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None for the median of all elements.
        keepdim: keep the reduced dimension, with size 1.
    """
    return _median(input, dim, keepdim, False)


def nanmedian(input, dim: _int | None = None, keepdim: _bool = False):
    """``median`` that ignores NaN (NaN only where every value is NaN).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to reduce; None for the median of all elements.
        keepdim: keep the reduced dimension, with size 1.
    """
    return _median(input, dim, keepdim, True)


def topk(input, k: _int, dim: _int = -1, largest: _bool = True, sorted: _bool = True):  # noqa: A002
    """(values, indices) of the k largest (or smallest) entries along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        k: how many entries to take.
        dim: the dimension to search along.
        largest: take the largest entries (else the smallest).
        sorted: return them in sorted order (morch always does).
    """
    t = _tensor(input)
    if t._data is not None and k > t._data.shape[dim]:  # a static graph's tensor has no shape yet
        raise ValueError(f"topk: k ({k}) is larger than dimension {dim} of size {t._data.shape[dim]}")
    idx = narrow(argsort(t, dim, descending=largest, stable=True), dim, 0, k)
    return _topk_type(gather(t, dim, idx), idx)


@deferrable
def diff(input, n: _int = 1, dim: _int = -1, prepend=None, append=None) -> Tensor:
    """Differences of neighbours along ``dim``, ``n`` times (for bool input, ``!=`` of neighbours).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        n: how many times to take differences.
        dim: the dimension to take differences along.
        prepend: a tensor put before input along ``dim`` first (same number of dimensions).
        append: a tensor put after input along ``dim`` first (same number of dimensions).
    """
    t = _tensor(input)
    if t.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if prepend is not None or append is not None:
        extra = [_tensor(x) for x in (prepend, append) if x is not None]
        if builtins.any(x.ndim != t.ndim for x in extra):
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts = [x for x in (prepend, t, append) if x is not None]
        t = cat([_tensor(x) for x in parts], dim)
    for _ in range(n):
        size = t.shape[dim]
        if size == 0:
            break
        hi, lo = narrow(t, dim, 1, size - 1), narrow(t, dim, 0, size - 1)
        t = ne(hi, lo) if _np_dtype(t) == np.bool_ else hi - lo
    return t


# ------------------------------------------------------------------ products
def matmul(input, other) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dimensions.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the second operand.
    """
    a, b = _pair(input, other)
    return M.MatMul.apply(a, b)


def _check_ndim(name: str, t: Tensor, nd: _int, which: str) -> None:
    if t._data is not None and t._data.ndim != nd:
        raise ValueError(f"{name}: {which} must be a {nd}D tensor, got {t._data.ndim}D (shape {list(t.shape)})")


def mm(input, mat2) -> Tensor:
    """Product of two matrices.

    Args:
        input: the first matrix.
        mat2: the second operand.
    """
    a, b = _pair(input, mat2)
    _check_ndim("mm", a, 2, "self")
    _check_ndim("mm", b, 2, "mat2")
    return M.MatMul.apply(a, b)


def bmm(input, mat2) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors.

    Args:
        input: the first batch of matrices.
        mat2: the second operand.
    """
    a, b = _pair(input, mat2)
    _check_ndim("bmm", a, 3, "batch1")
    _check_ndim("bmm", b, 3, "batch2")
    return M.MatMul.apply(a, b)


def dot(input, other) -> Tensor:
    """Inner product of two 1-D tensors.

    Args:
        input: the first 1-D tensor.
        other: the second 1-D tensor.
    """
    a, b = _pair(input, other)
    _check_ndim("dot", a, 1, "1st argument")
    _check_ndim("dot", b, 1, "2nd argument")
    return M.MatMul.apply(a, b)


def mv(input, vec) -> Tensor:
    """Matrix-vector product.

    Args:
        input: the matrix.
        vec: the vector.
    """
    a, b = _pair(input, vec)
    _check_ndim("mv", a, 2, "matrix")
    _check_ndim("mv", b, 1, "vector")
    return M.MatMul.apply(a, b)


def outer(input, vec2) -> Tensor:
    """Outer product of two 1-D tensors.

    Args:
        input: the first 1-D tensor.
        vec2: the second vector.
    """
    return mul(unsqueeze(input, 1), vec2)


def linear(input, weight, bias=None) -> Tensor:
    """input @ weight.T + bias, as one op.

    Args:
        input: the input, with in_features in its last dimension.
        weight: the (out_features, in_features) weight.
        bias: the (out_features,) bias, or None.
    """
    x, w = _pair(input, weight)
    if bias is None:
        return N.Linear.apply(x, w)
    return N.Linear.apply(x, w, _cast(_tensor(bias), _np_dtype(w)))


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products of the operands' elements over named dimensions: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Args:
        equation: one subscript letter per dimension of each operand, comma-separated, and optionally
            ``->`` and the output's subscripts (else: the letters used once, in alphabetical order);
            ``...`` stands for broadcast dimensions.
        operands: the tensors, as separate arguments or one list.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    ts = [_tensor(t) for t in operands]
    nd = _np_dtype(ts[0]) if ts else dtypes.default_float()
    for t in ts[1:]:
        nd = dtypes.promote_types(nd, False, _np_dtype(t), False)
    return M.Einsum.apply(*(_cast(t, nd) for t in ts), equation=equation)


@deferrable
def movedim(input, source, destination) -> Tensor:
    """The tensor with dimensions ``source`` moved to positions ``destination``, the others keeping their order.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        source: a dimension or a sequence of dimensions to move.
        destination: where each of them goes.
    """
    t = _tensor(input)
    src, dst = _shape_arg(source), _shape_arg(destination)
    n = t.ndim
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {list(src)} and destination {list(dst)} must have the same length")
    src = tuple(d % n if -n <= d < n else _bad_dim("movedim", d, n) for d in src)
    dst = tuple(d % n if -n <= d < n else _bad_dim("movedim", d, n) for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dimension in source {list(src)} or destination {list(dst)}")
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src))
    return permute(t, [placed[i] if i in placed else next(rest) for i in range(n)])


moveaxis = movedim


def _bad_dim(op: str, d: _int, n: _int):
    raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")


def tril(input, diagonal: _int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (on and below ``diagonal``); the rest is zero.

    Args:
        input: a tensor of at least 2 dimensions.
        diagonal: which diagonal bounds the triangle: 0 the main one, positive above it, negative below.
    """
    return S.Tril.apply(_tensor(input), diagonal=diagonal)


def triu(input, diagonal: _int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (on and above ``diagonal``); the rest is zero.

    Args:
        input: a tensor of at least 2 dimensions.
        diagonal: which diagonal bounds the triangle: 0 the main one, positive above it, negative below.
    """
    return S.Triu.apply(_tensor(input), diagonal=diagonal)


def softmax(input, dim: _int, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension whose entries sum to one.
        dtype: cast input to this dtype first.
    """
    t = _float_tensor(input) if dtype is None else _to_dtype(input, dtype)
    return N.Softmax.apply(t, dim=dim)


def log_softmax(input, dim: _int, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably.

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        dim: the dimension to normalise along.
        dtype: cast input to this dtype first.
    """
    t = _float_tensor(input) if dtype is None else _to_dtype(input, dtype)
    return N.LogSoftmax.apply(t, dim=dim)


# ------------------------------------------------------------------ pairwise distances
@deferrable
def cdist(x1, x2, p: _float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between every row of x1 and of x2, batched: (..., P, M), (..., R, M) -> (..., P, R).

    Computed from all pairwise differences (P * R * M memory), so morch never takes PyTorch's
    faster but less exact matrix-product route for p = 2; ``compute_mode`` is accepted and ignored.
    Where two rows coincide the gradient is 0, as in PyTorch.

    Args:
        x1: a (..., P, M) floating-point tensor.
        x2: a (..., R, M) tensor; the batch dimensions broadcast.
        p: the order, 0 <= p <= inf (0 counts the differing coordinates).
        compute_mode: accepted for PyTorch compatibility.
    """
    a, b = _pair(x1, x2)
    for name, t in (("X1", a), ("X2", b)):
        if t.ndim < 2:
            raise ValueError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
        if _np_dtype(t).kind != "f":
            raise TypeError(f"cdist only supports floating-point dtypes, {name} got: {_np_dtype(t)}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if p < 0:
        raise ValueError(f"cdist only supports non-negative p values, got {p}")
    diff = unsqueeze(a, -2) - unsqueeze(b, -3)
    if p == 0:  # a count has no gradient; keep the result in the graph so backward gives zeros, as PyTorch does
        return norm(diff, 0, -1) + sum(diff, -1) * 0.0
    return norm(diff, p, -1)


# ------------------------------------------------------------------ fused arithmetic (BLAS-style), from existing ops
def _scaled(t: Tensor, k) -> Tensor:
    return t if k == 1 else t * k


def _plus_scaled(input, beta, prod: Tensor) -> Tensor:
    """``beta * input + prod``; beta 0 ignores input entirely (NaN and inf too), as PyTorch."""
    return prod if beta == 0 else _scaled(_tensor(input), beta) + prod


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` (input broadcasts to the product's shape).

    Args:
        input: the tensor added.
        mat1: an (n, m) matrix.
        mat2: an (m, p) matrix.
        beta: input's factor (0 ignores input, NaNs included, as PyTorch).
        alpha: the product's factor.
    """
    return _plus_scaled(input, beta, _scaled(mm(mat1, mat2), alpha))


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Args:
        input: the vector added.
        mat: an (n, m) matrix.
        vec: an (m,) vector.
        beta: input's factor.
        alpha: the product's factor.
    """
    return _plus_scaled(input, beta, _scaled(mv(mat, vec), alpha))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices.

    Args:
        input: the tensor added.
        batch1: (b, n, m) matrices.
        batch2: (b, m, p) matrices.
        beta: input's factor.
        alpha: the products' factor.
    """
    return _plus_scaled(input, beta, _scaled(bmm(batch1, batch2), alpha))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    Args:
        input: the tensor added.
        batch1: (b, n, m) matrices.
        batch2: (b, m, p) matrices.
        beta: input's factor.
        alpha: the summed products' factor.
    """
    return _plus_scaled(input, beta, _scaled(sum(bmm(batch1, batch2), 0), alpha))


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``.

    Args:
        input: the tensor added to.
        tensor1: the first factor.
        tensor2: the second factor.
        value: the product's factor.
    """
    return _tensor(input) + _scaled(_tensor(tensor1) * tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``.

    Args:
        input: the tensor added to.
        tensor1: the numerator.
        tensor2: the denominator.
        value: the quotient's factor.
    """
    return _tensor(input) + _scaled(_tensor(tensor1) / tensor2, value)


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``; weight is a number or a tensor.

    Args:
        input: the start.
        end: the end.
        weight: the interpolation weight.
    """
    t = _tensor(input)
    return t + weight * (_tensor(end) - t)


def logaddexp(input, other) -> Tensor:
    """``log(exp(input) + exp(other))`` without overflow.

    Args:
        input: the first tensor.
        other: the second tensor.
    """
    a, b = _pair(_float_tensor(input), other)
    m = maximum(a, b)  # its gradient cancels out: the shift only keeps exp from overflowing
    m = where(isfinite(m), m, 0.0)  # both -inf (or an inf): no shift, the result follows from exp
    total = exp(a - m) + exp(b - m)
    empty = total == 0  # both -inf: -inf, without taking log(0)
    return where(empty, -math.inf, log(where(empty, 1.0, total)) + m)


def logaddexp2(input, other) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow.

    Args:
        input: the first tensor.
        other: the second tensor.
    """
    return logaddexp(_float_tensor(input) * math.log(2), _float_tensor(other) * math.log(2)) / math.log(2)


def hypot(input, other) -> Tensor:
    """``sqrt(input**2 + other**2)`` elementwise.

    Args:
        input: the first leg.
        other: the second leg.
    """
    a, b = _pair(_float_tensor(input), other)
    return sqrt(a * a + b * b)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, and 0 where input is 0 (unless other is NaN), as PyTorch.

    Args:
        input: the factor (a tensor or a number).
        other: the argument of the log (a tensor or a number).
    """
    a, b = _pair(input, other)
    a, b = _float_tensor(a), _float_tensor(b)
    zero = (a == 0) & ~isnan(b)
    return where(zero, 0.0, a * log(where(zero, 1.0, b)))


def logit(input, eps: _float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with p clamped to [eps, 1 - eps] when eps is given.

    Args:
        input: probabilities.
        eps: the clamp, or None for none (0 and 1 give -inf and inf).
    """
    p = _float_tensor(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return log(p / (1 - p))


def clamp_min(input, min) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``.

    Args:
        input: the input.
        min: the lower bound (a number or a tensor).
    """
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``.

    Args:
        input: the input.
        max: the upper bound (a number or a tensor).
    """
    return clamp(input, max=max)


def nan_to_num(input, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by numbers (by default 0 and the dtype's largest and smallest
    finite values); the gradient is 1 where the input was finite and 0 where it was replaced.

    Args:
        input: the input.
        nan: the value for NaN.
        posinf: the value for +inf (None: the largest finite value).
        neginf: the value for -inf (None: the smallest finite value).
    """
    t = _tensor(input)
    nd = _np_dtype(t)
    if nd.kind != "f":
        return t.clone()
    info = np.finfo(nd)
    hi = _float(info.max) if posinf is None else posinf
    lo = _float(info.min) if neginf is None else neginf
    out = where(isnan(t), nan, t)
    out = where(out == math.inf, hi, out)
    return where(out == -math.inf, lo, out)


@deferrable
def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of a with the first ``dims`` of b, or the listed ones.

    Args:
        a: the first tensor.
        b: the second tensor.
        dims: a number of dimensions, or a pair of lists of dimensions to contract.
    """
    a, b = _pair(a, b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, _int):
        if dims < 0:
            raise ValueError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, _int) else list(d) for d in dims)
    if len(da) != len(db):
        raise ValueError(f"both dimension lists should have same length, got {da} and {db}")
    da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise ValueError(
                f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} and second has "
                f"size {b.shape[y]} in dim {y}"
            )
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    left = permute(a, free_a + da).reshape(-1, k)
    right = permute(b, db + free_b).reshape(k, -1)
    return (left @ right).reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


@deferrable
def inner(input, other) -> Tensor:
    """The sum of products over the last dimension of both (a scalar times the other for 0-d inputs).

    Args:
        input: the first tensor.
        other: the second tensor.
    """
    a, b = _pair(input, other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


# ------------------------------------------------------------------ building, repeating and indexing helpers
@deferrable
def repeat_interleave(input, repeats=None, dim: _int | None = None, *, output_size: _int | None = None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place; with only an
    integer tensor, ``repeat_interleave(repeats)`` gives each index i repeated repeats[i] times.

    Args:
        input: the input (flattened when dim is None).
        repeats: a number, or a tensor of one count per element along dim.
        dim: the dimension, or None to flatten first.
        output_size: the total length (checked).
    """
    if repeats is None:  # torch.repeat_interleave(counts)
        counts = _tensor(input)
        return _wrap(np.repeat(np.arange(counts.shape[0]), counts._data))
    t = _tensor(input)
    if dim is None:
        t, dim = t.reshape(-1), 0
    d = norm_dim(dim, t.ndim, "repeat_interleave")
    n = t.shape[d]
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.ndim > 1 or (reps.ndim == 1 and reps.shape[0] not in (1, n)):
        raise ValueError(
            f"repeat_interleave: repeats must have the same size as input along dim ({n}), got {reps.shape}"
        )
    if (reps < 0).any():
        raise ValueError("repeat_interleave: repeats can not be negative")
    idx = np.repeat(np.arange(n), np.broadcast_to(reps, (n,)))
    if output_size is not None and output_size != idx.shape[0]:
        raise ValueError(f"repeat_interleave: output_size {output_size} does not match the total {idx.shape[0]}")
    return index_select(t, d, _wrap(idx))


@deferrable
def take_along_dim(input, indices, dim: _int | None = None) -> Tensor:
    """Values picked along ``dim`` at ``indices`` (which broadcast against input), as numpy's
    take_along_axis; with dim None, from the flattened input.

    Args:
        input: the input.
        indices: integer indices.
        dim: the dimension, or None.
    """
    t, idx = _tensor(input), _tensor(indices)
    if dim is None:
        return gather(t.reshape(-1), 0, idx.reshape(-1))
    d = norm_dim(dim, t.ndim, "take_along_dim")
    if idx.ndim != t.ndim:
        raise ValueError(
            f"take_along_dim: input and indices should have the same number of dimensions, but got {t.ndim} "
            f"dimensions for input, and {idx.ndim} dimensions for indices"
        )
    shape_t = [builtins.max(a, b) if i != d else a for i, (a, b) in enumerate(zip(t.shape, idx.shape))]
    shape_i = [builtins.max(a, b) if i != d else b for i, (a, b) in enumerate(zip(t.shape, idx.shape))]
    return gather(t.expand(*shape_t), d, idx.expand(*shape_i))


def tensor_split(input, indices_or_sections, dim: _int = 0) -> tuple:
    """Split into ``n`` nearly equal parts (the first ones one longer), or at the given indices.

    Args:
        input: the input.
        indices_or_sections: a number of parts, or a list/tensor of split indices.
        dim: the dimension.
    """
    t = _tensor(input)
    d = norm_dim(dim, t.ndim, "tensor_split")
    n = t.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist() if ios.ndim else ios.item()
    if isinstance(ios, _int):
        if ios <= 0:
            raise ValueError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        bounds = [i * q + builtins.min(i, r) for i in range(ios + 1)]
    else:
        bounds = [0, *ios, n]
    key = [slice(None)] * t.ndim
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        key[d] = slice(lo, builtins.max(lo, hi))
        parts.append(t[tuple(key)])
    return tuple(parts)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: 'ij' (matrix: grid i varies along dimension i) or 'xy'
    (Cartesian: the first two inputs' dimensions swapped) indexing; PyTorch's default is 'ij'.

    Args:
        tensors: 1-d (or 0-d) tensors, or one list of them.
        indexing: 'ij' or 'xy'.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_tensor(t).reshape(-1) for t in tensors]
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t.shape[0] for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        grids.append(t.reshape(*view).expand(*shape))
    if swap:  # computed on (y, x, ...) with 'ij': hand back in the callers' order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@deferrable
def diag_embed(input, offset: _int = 0, dim1: _int = -2, dim2: _int = -1) -> Tensor:
    """Batches of diagonal matrices: the last dimension of input becomes the ``offset`` diagonal
    of new dimensions ``dim1``, ``dim2``.

    Args:
        input: the diagonals, (..., n).
        offset: which diagonal (0 main, >0 above, <0 below).
        dim1: the output dimension of the rows.
        dim2: the output dimension of the columns.
    """
    t = _tensor(input)
    n = t.shape[-1] + builtins.abs(offset)
    out_ndim = t.ndim + 1
    d1, d2 = norm_dim(dim1, out_ndim, "diag_embed"), norm_dim(dim2, out_ndim, "diag_embed")
    if d1 == d2:
        raise ValueError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = np.arange(t.shape[-1])
    rows, cols = (k, k + offset) if offset >= 0 else (k - offset, k)
    lead = tuple(t.shape[:-1])
    base = _wrap(np.zeros(lead + (n, n), dtype=_np_dtype(t)))
    out = index_put(base, (Ellipsis, _wrap(rows), _wrap(cols)), t)
    order = [i for i in range(out_ndim) if i not in (d1, d2)]
    perm = [0] * out_ndim
    for src, dst in enumerate(order + [d1, d2]):
        perm[dst] = src
    return permute(out, perm)


# ------------------------------------------------------------------ counting, searching and sets (no gradients)
@deferrable
def unique(input, sorted: _bool = True, return_inverse: _bool = False, return_counts: _bool = False,  # noqa: A002
           dim: _int | None = None):  # fmt: skip
    """The distinct values (sorted), optionally with each element's index into them and their counts;
    with ``dim``, the distinct slices along that dimension.

    Args:
        input: the input.
        sorted: accepted (the values are always sorted, as PyTorch's CPU result).
        return_inverse: also return, for each element (slice), the index of its value.
        return_counts: also return how often each value occurs.
        dim: the dimension whose slices are compared, or None for elements.
    """
    a = _tensor(input)._data
    if dim is None:
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        d = norm_dim(dim, a.ndim, "unique")
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = [_wrap(vals)]
    if return_inverse:
        out.append(_wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@deferrable
def unique_consecutive(input, return_inverse: _bool = False, return_counts: _bool = False, dim: _int | None = None):
    """Each run of equal consecutive elements (or slices along ``dim``) reduced to one.

    Args:
        input: the input.
        return_inverse: also return, for each element, the index of its run.
        return_counts: also return the length of each run.
        dim: the dimension, or None for the flattened input.
    """
    a = _tensor(input)._data
    if dim is None:
        flat = a.reshape(-1)
        change = np.empty(flat.shape[0], dtype=bool)
        change[:1] = True
        change[1:] = flat[1:] != flat[:-1]
        vals, shape_inv = flat[change], a.shape
    else:
        d = norm_dim(dim, a.ndim, "unique_consecutive")
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        change = np.empty(moved.shape[0], dtype=bool)
        change[:1] = True
        change[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        vals, shape_inv = np.compress(change, a, axis=d), (a.shape[d],)
    out = [_wrap(vals)]
    if return_inverse:
        out.append(_wrap((np.cumsum(change) - 1).astype(np.int64).reshape(shape_inv)))
    if return_counts:
        starts = np.flatnonzero(change)
        out.append(_wrap(np.diff(np.append(starts, change.shape[0])).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@deferrable
def bincount(input, weights=None, minlength: _int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (or the sums of
    ``weights`` at those positions).

    Args:
        input: 1-d non-negative integers.
        weights: optional weights, one per element.
        minlength: the least length of the result.
    """
    a = _tensor(input)._data
    if a.ndim != 1 or a.dtype.kind not in "iub":
        raise ValueError(f"bincount only supports 1-d non-negative integral inputs, got {a.ndim}-d {a.dtype}")
    if a.size and a.min() < 0:
        raise ValueError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = _tensor(weights)._data
    if w.shape != a.shape:
        raise ValueError(f"weights should be 1-d and have the same length as input, got {w.shape} and {a.shape}")
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _wrap(np.bincount(a, weights=w, minlength=minlength).astype(out_dtype))


@deferrable
def searchsorted(sorted_sequence, input, *, out_int32: _bool = False, right: _bool = False, side: str | None = None,
                 sorter=None) -> Tensor:  # fmt: skip
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` (along its last
    dimension, row by row for batched sequences) to keep it sorted.

    Args:
        sorted_sequence: a sorted 1-d tensor, or (..., M) rows sorted along the last dimension.
        input: the values (a tensor or a number); batched sequences need matching leading dims.
        out_int32: return int32 instead of int64.
        right: return the last suitable position instead of the first.
        side: 'left' or 'right' (overrides right).
        sorter: indices that sort sorted_sequence, if it is not sorted itself.
    """
    seq = _tensor(sorted_sequence)._data
    vals = _tensor(input)._data
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise ValueError("side and right can't be set to opposites, got side of left while right was True")
        right = side == "right"
    if sorter is not None:
        seq = np.take_along_axis(seq, _tensor(sorter)._data, axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise ValueError(
                f"searchsorted: boundaries tensor should have the same leading dimensions as input, got "
                f"{tuple(seq.shape)} and {tuple(vals.shape)}"
            )
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)]).reshape(vals.shape)
    return _wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


@deferrable
def bucketize(input, boundaries, *, out_int32: _bool = False, right: _bool = False) -> Tensor:
    """The bucket of each value given sorted 1-d ``boundaries`` (searchsorted with the arguments swapped).

    Args:
        input: the values.
        boundaries: a sorted 1-d tensor.
        out_int32: return int32 instead of int64.
        right: as searchsorted's right.
    """
    if _tensor(boundaries).ndim != 1:
        raise ValueError(f"boundaries tensor must be 1 dimension, but got dim({_tensor(boundaries).ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@deferrable
def isin(elements, test_elements, *, assume_unique: _bool = False, invert: _bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements``.

    Args:
        elements: a tensor (or a number).
        test_elements: a tensor (or a number).
        assume_unique: accepted (a hint only).
        invert: return the opposite.
    """
    a, b = _tensor(elements)._data, _tensor(test_elements)._data
    return _wrap(np.isin(a, b, invert=invert))


@deferrable
def histc(input, bins: _int = 100, min: _float = 0, max: _float = 0) -> Tensor:  # noqa: A002
    """A histogram of equal-width bins between min and max (the data's range when both are 0);
    values outside are ignored.

    Args:
        input: a floating-point tensor.
        bins: the number of bins.
        min: the lower end.
        max: the upper end.
    """
    a = _tensor(input)._data
    if a.dtype.kind != "f":
        raise TypeError(f"histc: expected a floating-point tensor, got {a.dtype}")
    lo, hi = _float(min), _float(max)
    if lo == hi and a.size:
        lo, hi = _float(a.min()), _float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min {lo} and max {hi}")
    counts, _ = np.histogram(a, bins=bins, range=(lo, hi))
    return _wrap(counts.astype(a.dtype))


def _triangle_indices(row: _int, col: _int, offset: _int, upper: _bool, dtype) -> Tensor:
    r, c = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    nd = np.int64 if dtype is None else dtypes.to_numpy(dtype)
    return _wrap(np.stack([r, c]).astype(nd))


def tril_indices(row: _int, col: _int, offset: _int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a row x col matrix (below diagonal ``offset``).

    Args:
        row: the number of rows.
        col: the number of columns.
        offset: the diagonal (0 main, >0 above, <0 below).
        dtype: the index dtype (int64 by default).
        device: 'cpu' or None.
        layout: accepted.
    """
    return _triangle_indices(row, col, offset, False, dtype)


def triu_indices(row: _int, col: _int, offset: _int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a row x col matrix (from diagonal ``offset``).

    Args:
        row: the number of rows.
        col: the number of columns.
        offset: the diagonal (0 main, >0 above, <0 below).
        dtype: the index dtype (int64 by default).
        device: 'cpu' or None.
        layout: accepted.
    """
    return _triangle_indices(row, col, offset, True, dtype)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (a 1-d tensor for one input).

    Args:
        tensors: 1-d tensors.
    """
    grids = meshgrid(*tensors, indexing="ij")
    if len(grids) == 1:
        return grids[0]
    return stack([g.reshape(-1) for g in grids], 1)


def _promote_all(tensors) -> np.dtype:
    """PyTorch's result dtype of many tensors: the dimensioned ones promote among themselves,
    the 0-d ones too, and a 0-d result only wins from a higher category."""
    groups = [[_np_dtype(t) for t in tensors if _is_0d(t) == zero] for zero in (False, True)]
    dims, zeros = [functools.reduce(lambda x, y: dtypes.promote_types(x, False, y, False), g) if g else None
                   for g in groups]  # fmt: skip
    if dims is None or zeros is None:
        return dims if zeros is None else zeros
    return dtypes.promote_types(dims, False, zeros, True)


@deferrable
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix from 0-, 1- or 2-d tensors (0-d and 1-d ones count as 1 x n blocks).

    Args:
        tensors: the blocks, in order.
    """
    blocks = [_tensor(t) for t in tensors]
    nd = _promote_all(blocks) if blocks else None
    blocks = [b.reshape(1, 1) if b.ndim == 0 else b.reshape(1, -1) if b.ndim == 1 else b for b in blocks]
    for b in blocks:
        if b.ndim != 2:
            raise ValueError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input has {b.ndim}")
    if not blocks:
        return _wrap(np.zeros((0, 0), dtypes.default_float()))
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = _cast(b, nd)
        rows.append(I.ConstantPad.apply(b, widths=((0, 0), (left, width - left - b.shape[1]))))
        left += b.shape[1]
    return cat(rows, 0)


@deferrable
def kron(input, other) -> Tensor:
    """The Kronecker product: every element of input times the whole of other, as blocks.

    Args:
        input: the first tensor.
        other: the second tensor.
    """
    a, b = _pair(input, other)
    nd = builtins.max(a.ndim, b.ndim)
    a = a.reshape(*([1] * (nd - a.ndim)), *a.shape)
    b = b.reshape(*([1] * (nd - b.ndim)), *b.shape)
    ea = a.reshape(*[s for n in a.shape for s in (n, 1)])
    eb = b.reshape(*[s for n in b.shape for s in (1, n)])
    return (ea * eb).reshape(*[x * y for x, y in zip(a.shape, b.shape)])


def sgn(input) -> Tensor:
    """The sign of each element (-1, 0, 1); for real tensors the same as ``sign``.

    Args:
        input: the input.
    """
    return sign(input)


# ------------------------------------------------------------------ special functions (morch/ops/special.py)
lgamma = _unary(SP.Lgamma)
erfinv = _unary(SP.Erfinv)
erfc = _unary(SP.Erfc)


def digamma(input) -> Tensor:
    """The logarithmic derivative of Gamma, psi(x) (-inf at 0, NaN at negative integers, as PyTorch).

    Args:
        input: the input.
    """
    return SP.Polygamma.apply(_float_tensor(input), n=0)


def polygamma(n: _int, input) -> Tensor:
    """The n-th derivative of digamma.

    Args:
        n: the order (>= 0).
        input: the input.
    """
    if not isinstance(n, _int) or n < 0:
        raise ValueError(f"polygamma(n, x) does not support negative n, got {n!r}")
    return SP.Polygamma.apply(_float_tensor(input), n=n)


def mvlgamma(input, p: _int) -> Tensor:
    """The multivariate log-gamma of dimension p: sum_i lgamma(x - i/2) + p(p-1)/4 log(pi).

    Args:
        input: the input (every element must be > (p - 1) / 2).
        p: the dimension.
    """
    t = _float_tensor(input)
    if p < 1:
        raise ValueError(f"p has to be greater than or equal to 1, got {p}")
    if _bool((t <= (p - 1) / 2).any()):
        raise ValueError(f"All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    terms = [lgamma(t - i / 2) for i in range(p)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total + p * (p - 1) / 4 * math.log(math.pi)


# ------------------------------------------------------------------ more reductions and scans
_aminmax_type = namedtuple("aminmax", ["min", "max"])
_cummax_type, _cummin_type, _kthvalue_type = (_return_type(n) for n in ("cummax", "cummin", "kthvalue"))


def nansum(input, dim=None, keepdim: _bool = False, *, dtype=None) -> Tensor:
    """The sum, treating NaN as zero (the gradient there is zero).

    Args:
        input: the input.
        dim: the dimension(s), or None for all.
        keepdim: keep the reduced dimensions.
        dtype: accumulate and return in this dtype.
    """
    t = _tensor(input)
    if _np_dtype(t).kind == "f":
        t = where(isnan(t), 0.0, t)
    if dtype is not None:
        t = _to_dtype(t, dtype)
    return sum(t) if dim is None else sum(t, dim, keepdim)


def nanmean(input, dim=None, keepdim: _bool = False, *, dtype=None) -> Tensor:
    """The mean of the values that are not NaN (NaN where there are none).

    Args:
        input: a floating-point input.
        dim: the dimension(s), or None for all.
        keepdim: keep the reduced dimensions.
        dtype: compute in this dtype.
    """
    t = _tensor(input) if dtype is None else _to_dtype(input, dtype)
    if _np_dtype(t).kind != "f":
        raise TypeError(f"nanmean(): expected input to have floating point dtype but got {t.dtype}")
    count = nansum((~isnan(t)).to(t.dtype), dim, keepdim)
    return nansum(t, dim, keepdim) / count


def aminmax(input, *, dim: _int | None = None, keepdim: _bool = False):
    """``(min, max)`` of all elements or along ``dim``, as a named tuple.

    Args:
        input: the input.
        dim: the dimension, or None for all elements.
        keepdim: keep the reduced dimension.
    """
    if dim is None:
        return _aminmax_type(amin(input), amax(input))
    return _aminmax_type(amin(input, dim, keepdim), amax(input, dim, keepdim))


@deferrable
def _running_arg(input, dim: _int, largest: _bool) -> Tensor:
    """For each position along dim, the index of the running max (min) so far; a later equal
    value takes over, as in PyTorch."""
    a = _tensor(input)._data
    d = norm_dim(dim, a.ndim, "cummax" if largest else "cummin")
    if a.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    moved = np.moveaxis(a, d, -1)
    idx = np.zeros(moved.shape, np.int64)
    best = moved[..., :1].copy() if moved.shape[-1] else moved[..., :0]
    for i in range(1, moved.shape[-1]):
        v = moved[..., i : i + 1]
        take = (v >= best) if largest else (v <= best)
        take |= np.isnan(v)
        take &= ~np.isnan(best)
        best = np.where(take, v, best)
        idx[..., i] = np.where(take[..., 0], i, idx[..., i - 1])
    return _wrap(np.moveaxis(idx, -1, d))


def cummax(input, dim: _int):
    """The running maximum along ``dim`` and where it was reached, ``(values, indices)``.

    Args:
        input: the input.
        dim: the dimension.
    """
    t = _tensor(input)
    idx = _running_arg(t, dim, True)
    return _cummax_type(gather(t, dim, idx) if t.ndim else t.clone(), idx)


def cummin(input, dim: _int):
    """The running minimum along ``dim`` and where it was reached, ``(values, indices)``.

    Args:
        input: the input.
        dim: the dimension.
    """
    t = _tensor(input)
    idx = _running_arg(t, dim, False)
    return _cummin_type(gather(t, dim, idx) if t.ndim else t.clone(), idx)


@deferrable
def logcumsumexp(input, dim: _int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, as a running logaddexp (no overflow or underflow
    however far apart the values are). Differs from PyTorch: the gradient at -inf inputs is 0, not NaN.

    Args:
        input: the input.
        dim: the dimension.
    """
    t = _float_tensor(input)
    if t.ndim == 0:
        return t.clone()
    return X.LogCumSumExp.apply(t, dim=norm_dim(dim, t.ndim, "logcumsumexp"))


def kthvalue(input, k: _int, dim: _int = -1, keepdim: _bool = False):
    """The k-th smallest value along ``dim`` and its index, ``(values, indices)``. Among equal
    values morch reports the one a stable sort puts k-th; PyTorch's choice may differ.

    Args:
        input: the input.
        k: which (1 is the smallest).
        dim: the dimension.
        keepdim: keep the dimension.
    """
    t = _tensor(input)
    n = t.shape[dim] if t.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue(): selected number k out of range for dimension {dim} (k = {k}, size {n})")
    order = sort(t, dim, stable=True).indices if t.ndim else _wrap(np.zeros((), np.int64))
    idx = narrow(order, dim, k - 1, 1) if t.ndim else order
    values = gather(t, dim, idx) if t.ndim else t.clone()
    if not keepdim and t.ndim:
        values, idx = squeeze(values, dim), squeeze(idx, dim)
    return _kthvalue_type(values, idx)


@deferrable
def msort(input) -> Tensor:
    """``sort(input, dim=0).values``.

    Args:
        input: the input.
    """
    t = _tensor(input)
    return t.clone() if t.ndim == 0 else sort(t, 0).values


_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim: _bool, interpolation: str, skip_nan: _bool, name: str) -> Tensor:
    t = _tensor(input)
    if _np_dtype(t).kind != "f":
        raise TypeError(f"{name}() input tensor must be either float or double dtype, got {t.dtype}")
    if interpolation not in _QUANTILE_MODES:
        raise ValueError(f"{name}() interpolation must be one of {', '.join(_QUANTILE_MODES)}. Got {interpolation!r}")
    qt = q if isinstance(q, Tensor) else _tensor(q, _np_dtype(t))
    qa = qt._data
    if qa.ndim > 1:
        raise ValueError(f"{name}() q must be a scalar or 1D tensor, got {qa.ndim}-d")
    if np.any((qa < 0) | (qa > 1)):
        raise ValueError(f"{name}() q values must be in the range [0, 1]")
    if dim is None:
        x, d = t.reshape(-1), 0
    else:
        d = norm_dim(dim, t.ndim, name)
        x = t
    x = movedim(x, d, -1)
    srt = sort(x, -1).values  # NaN sorts last
    n = srt.shape[-1]
    nan = isnan(srt)._data
    count = (n - nan.sum(-1, keepdims=True)) if skip_nan else np.full(srt.shape[:-1] + (1,), n)
    qs = qa.reshape(-1)
    pos = qs.reshape((-1,) + (1,) * srt.ndim) * (np.maximum(count, 1) - 1)  # (Q, ..., 1)
    lo, hi = np.floor(pos), np.ceil(pos)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(pos)  # half to even, as PyTorch
    frac = np.where(hi > lo, pos - lo, 0.0) if interpolation != "midpoint" else np.where(hi > lo, 0.5, 0.0)
    big = srt.unsqueeze(0).expand(qs.shape[0], *srt.shape)
    vlo = gather(big, -1, _wrap(lo.astype(np.int64)))
    vhi = gather(big, -1, _wrap(hi.astype(np.int64)))
    out = vlo + (vhi - vlo) * _wrap(frac.astype(_np_dtype(t)))
    bad = (count == 0) if skip_nan else nan.any(-1, keepdims=True)
    if bad.any():
        out = where(_wrap(np.broadcast_to(bad, out.shape)), math.nan, out)
    out = out.squeeze(-1)  # (Q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape(qs.shape[0], *([1] * t.ndim))
        else:
            out = unsqueeze(out, d + 1)
    if qa.ndim == 0:
        out = out.squeeze(0)
    return out


@deferrable
def quantile(input, q, dim: _int | None = None, keepdim: _bool = False, *, interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of all elements or along ``dim`` (NaN where a slice has a NaN); with a
    1-d q, the quantiles come first in the result.

    Args:
        input: a floating-point input.
        q: a number or 1-d tensor in [0, 1].
        dim: the dimension, or None for all elements.
        keepdim: keep the reduced dimension.
        interpolation: 'linear', 'lower', 'higher', 'midpoint' or 'nearest'.
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@deferrable
def nanquantile(input, q, dim: _int | None = None, keepdim: _bool = False, *, interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaNs (NaN only where a slice is all NaN).

    Args:
        input: a floating-point input.
        q: a number or 1-d tensor in [0, 1].
        dim: the dimension, or None for all elements.
        keepdim: keep the reduced dimension.
        interpolation: 'linear', 'lower', 'higher', 'midpoint' or 'nearest'.
    """
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ------------------------------------------------------------------ more shapes, building and elementwise helpers
def rot90(input, k: _int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second).

    Args:
        input: the input (at least 2-d).
        k: the number of quarter turns (negative turns the other way).
        dims: the two dimensions of the plane.
    """
    t = _tensor(input)
    if len(dims) != 2:
        raise ValueError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if t.ndim < 2:
        raise ValueError(f"expected total dims >= 2, but got total dims = {t.ndim}")
    d0, d1 = (norm_dim(d, t.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise ValueError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(t, (d1,)), d0, d1)
    if k == 2:
        return flip(t, (d0, d1))
    if k == 3:
        return flip(transpose(t, d0, d1), (d1,))
    return t.clone()


def fliplr(input) -> Tensor:
    """Reverse the columns (dimension 1).

    Args:
        input: an input of at least 2 dimensions.
    """
    return flip(input, (1,))


def flipud(input) -> Tensor:
    """Reverse the rows (dimension 0).

    Args:
        input: an input of at least 1 dimension.
    """
    return flip(input, (0,))


def _atleast(n: _int, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(n, tuple(tensors[0])))
    out = []
    for x in tensors:
        t = _tensor(x)
        if t.ndim == 0:
            t = t.reshape(*([1] * n))
        elif t.ndim == 1 and n >= 2:
            t = t.reshape(1, -1, *([1] * (n - 2)))
        elif t.ndim == 2 and n == 3:
            t = unsqueeze(t, -1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    """Each input with at least one dimension (0-d becomes shape (1,)).

    Args:
        tensors: tensors, or one list of them.
    """
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    """Each input with at least two dimensions (a vector becomes a row).

    Args:
        tensors: tensors, or one list of them.
    """
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    """Each input with at least three dimensions ((n,) -> (1, n, 1), (m, n) -> (m, n, 1)).

    Args:
        tensors: tensors, or one list of them.
    """
    return _atleast(3, tensors)


def dstack(tensors) -> Tensor:
    """Concatenate along the third dimension (after making each at least 3-d).

    Args:
        tensors: the tensors.
    """
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors) -> Tensor:
    """Stack as columns: vectors become (n, 1) columns, matrices are joined along dimension 1.

    Args:
        tensors: the tensors.
    """
    cols = []
    for x in tensors:
        t = _tensor(x)
        cols.append(t.reshape(-1, 1) if t.ndim <= 1 else t)
    return cat(cols, 1)


def _split_along(name: str, t: Tensor, indices_or_sections, min_ndim: _int, dim: _int) -> tuple:
    """tensor_split for hsplit/vsplit/dsplit, which need enough dimensions and, given a number of
    parts, a size it divides exactly (as numpy's split)."""
    if t.ndim < min_ndim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a tensor with "
            f"{t.ndim} dimensions!"
        )
    if isinstance(indices_or_sections, _int) and (indices_or_sections == 0 or t.shape[dim] % indices_or_sections != 0):
        raise RuntimeError(
            f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
            f"{t.shape[dim]} is not divisible by the split_size {indices_or_sections}!"
        )
    return tensor_split(t, indices_or_sections, dim)


def hsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 1 (0 for 1-d input).

    Args:
        input: the input.
        indices_or_sections: a number of equal parts, or split indices.
    """
    t = _tensor(input)
    return _split_along("hsplit", t, indices_or_sections, 1, 1 if t.ndim > 1 else 0)


def vsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 0 (input of at least 2 dimensions).

    Args:
        input: the input.
        indices_or_sections: a number of equal parts, or split indices.
    """
    return _split_along("vsplit", _tensor(input), indices_or_sections, 2, 0)


def dsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 2 (input of at least 3 dimensions).

    Args:
        input: the input.
        indices_or_sections: a number of equal parts, or split indices.
    """
    return _split_along("dsplit", _tensor(input), indices_or_sections, 3, 2)


def diagflat(input, offset: _int = 0) -> Tensor:
    """A square matrix with the flattened input on diagonal ``offset``.

    Args:
        input: the values.
        offset: the diagonal (0 main, >0 above, <0 below).
    """
    return diag_embed(_tensor(input).reshape(-1), offset)


def cosine_similarity(x1, x2, dim: _int = 1, eps: _float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along ``dim`` (``nn.functional.cosine_similarity``).

    Args:
        x1: the first input.
        x2: the second input (broadcast with x1).
        dim: the dimension.
        eps: a floor for the norms.
    """
    from morch.nn import functional as NF

    return NF.cosine_similarity(x1, x2, dim, eps)


def dist(input, other, p: _float = 2) -> Tensor:
    """The p-norm of ``input - other``.

    Args:
        input: the first input.
        other: the second input.
        p: the order of the norm.
    """
    a, b = _pair(input, other)
    if _np_dtype(a).kind != "f":
        raise RuntimeError(f"dist: input dtype should be floating point, got {a.dtype}")
    return norm(a - b, p)


@deferrable
def cov(input, *, correction: _int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns).

    Args:
        input: (variables, observations), or one variable as a vector.
        correction: subtracted from the number of observations (1: unbiased).
        fweights: integer frequency weights per observation.
        aweights: observation weights.
    """
    x = _float_tensor(input)
    if x.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim}")
    if x.ndim < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _tensor(fweights).to(x.dtype)
    if aweights is not None:
        a = _tensor(aweights).to(x.dtype)
        w = a if w is None else w * a
    if w is None:
        avg = mean(x, 1, keepdim=True)
        total = _float(n)
        norm_ = total - correction
    else:
        total = sum(w)
        avg = sum(x * w, 1, keepdim=True) / total
        if correction == 0:
            norm_ = total
        elif aweights is None:
            norm_ = total - correction
        else:
            norm_ = total - correction * sum(w * _tensor(aweights).to(x.dtype)) / total
    xc = x - avg
    xw = xc if w is None else xc * w
    c = (xw @ xc.t()) / norm_
    return c.squeeze() if c.shape == (1, 1) else c


def corrcoef(input) -> Tensor:
    """The Pearson correlation matrix of the variables in the rows of ``input``.

    Args:
        input: (variables, observations), or one variable.
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = diagonal(c).sqrt()
    return (c / d.reshape(-1, 1) / d.reshape(1, -1)).clamp(-1, 1)


def _trapezoids(y, x, dx, dim: _int, name: str) -> tuple:
    """The trapezoid areas along dim (one fewer than the samples) and that dimension."""
    t = _float_tensor(y)
    d = norm_dim(dim, t.ndim, name)
    n = t.shape[d]
    m = builtins.max(n - 1, 0)
    pairs = narrow(t, d, 0, m) + narrow(t, d, builtins.min(1, n), m)
    if x is None:
        return pairs * (0.5 * (1.0 if dx is None else dx)), d
    xs = _float_tensor(x)
    steps = diff(xs, dim=-1 if xs.ndim == 1 else d)
    if xs.ndim == 1 and t.ndim > 1:
        shape = [1] * t.ndim
        shape[d] = m
        steps = steps.reshape(*shape)
    return pairs * steps * 0.5, d


@deferrable
def trapezoid(y, x=None, *, dx=None, dim: _int = -1) -> Tensor:
    """The trapezoidal-rule integral of y along ``dim`` (samples at x, or spaced dx, default 1).

    Args:
        y: the values.
        x: the sample points (same length along dim), or None.
        dx: the spacing when x is None.
        dim: the dimension.
    """
    areas, d = _trapezoids(y, x, dx, dim, "trapezoid")
    return sum(areas, d)


@deferrable
def cumulative_trapezoid(y, x=None, *, dx=None, dim: _int = -1) -> Tensor:
    """The running trapezoidal-rule integral of y along ``dim`` (one element shorter).

    Args:
        y: the values.
        x: the sample points, or None.
        dx: the spacing when x is None.
        dim: the dimension.
    """
    areas, d = _trapezoids(y, x, dx, dim, "cumulative_trapezoid")
    return cumsum(areas, d)


def vander(x, N: _int | None = None, increasing: _bool = False) -> Tensor:  # noqa: N803 - PyTorch's name
    """The Vandermonde matrix of a vector: columns x**(N-1), ..., x, 1 (or increasing powers).

    Args:
        x: a 1-d tensor.
        N: the number of columns (default len(x)).
        increasing: powers increasing from the left.
    """
    t = _tensor(x)
    if t.ndim != 1:
        raise ValueError("x must be a one-dimensional tensor.")
    n = t.shape[0] if N is None else N
    if n < 0:
        raise ValueError("N must be non-negative.")
    powers = list(range(n)) if increasing else list(range(n - 1, -1, -1))
    if not powers:
        return _wrap(np.zeros((t.shape[0], 0), _np_dtype(t)))
    return stack([t**p if p else t * 0 + 1 for p in powers], 1)


@deferrable
def signbit(input) -> Tensor:
    """Whether the sign bit is set (True for negative numbers and -0.0).

    Args:
        input: the input.
    """
    return _wrap(np.signbit(_tensor(input)._data))


@deferrable
def copysign(input, other) -> Tensor:
    """|input| with the sign of other (-0.0 counts as negative).

    Args:
        input: the magnitudes.
        other: the signs (a tensor or a number).
    """
    a, b = _pair(_float_tensor(input), other)
    # other gets a zero gradient, as in PyTorch (and no NaN from inf * 0 or nan * 0)
    return where(signbit(b), -abs(a), abs(a)) + where(isfinite(b), b, 0.0) * 0


def deg2rad(input) -> Tensor:
    """Degrees to radians.

    Args:
        input: angles in degrees.
    """
    return _float_tensor(input) * (math.pi / 180)


def rad2deg(input) -> Tensor:
    """Radians to degrees.

    Args:
        input: angles in radians.
    """
    return _float_tensor(input) * (180 / math.pi)


def _ignoring_nan(pick, input, other) -> Tensor:
    a, b = _pair(input, other)
    if _np_dtype(a).kind != "f":
        return pick(a, b)
    # ties go to input, gradient included, as PyTorch (maximum/minimum split them)
    keep_a = isnan(b) | ((a >= b) if pick is maximum else (a <= b))
    return where(keep_a, a, b)


def fmax(input, other) -> Tensor:
    """The elementwise maximum, ignoring NaN where only one side is NaN.

    Args:
        input: the first input.
        other: the second input.
    """
    return _ignoring_nan(maximum, input, other)


def fmin(input, other) -> Tensor:
    """The elementwise minimum, ignoring NaN where only one side is NaN.

    Args:
        input: the first input.
        other: the second input.
    """
    return _ignoring_nan(minimum, input, other)


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64.

    Args:
        input: the base (a tensor or a number).
        exponent: the exponent (a tensor or a number).
    """
    base = _to_dtype(_tensor(input), dtypes.float64)
    exp_ = _to_dtype(exponent, dtypes.float64) if isinstance(exponent, Tensor) else _float(exponent)
    return pow(base, exp_)


def heaviside(input, values) -> Tensor:
    """0 where input < 0, 1 where input > 0, and ``values`` where input == 0.

    Args:
        input: the input.
        values: the values at zero (broadcast).
    """
    a, v = _pair(input, values)
    return where(a == 0, v, (a > 0).to(a.dtype))


def broadcast_shapes(*shapes):
    """The shape that broadcasting these shapes together gives.

    Args:
        shapes: shapes (tuples or ints).
    """
    from morch.tensor import Size

    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, _int) else tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}") from None


@deferrable
def index_fill(input, dim: _int, index, value) -> Tensor:
    """A copy of input with ``value`` written at ``index`` along ``dim``.

    Args:
        input: the input.
        dim: the dimension.
        index: a 1-d integer tensor of positions.
        value: a number or a 0-d tensor.
    """
    t = _tensor(input)
    d = norm_dim(dim, t.ndim, "index_fill") if t.ndim else 0
    idx = _tensor(index).reshape(-1)
    mask = np.zeros(t.shape[d] if t.ndim else 1, dtype=bool)
    mask[idx._data] = True
    shape = [1] * t.ndim
    if t.ndim:
        shape[d] = t.shape[d]
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
        )
    v = _cast(value, _np_dtype(t)) if isinstance(value, Tensor) else _scalar(value, _np_dtype(t))
    return where(_wrap(mask.reshape(shape)), v, t)


def index_copy(input, dim: _int, index, source) -> Tensor:
    """A copy of input with the slices of ``source`` written at ``index`` along ``dim``.

    Args:
        input: the input.
        dim: the dimension.
        index: a 1-d integer tensor, one position per slice of source.
        source: the slices.
    """
    t = _tensor(input)
    d = norm_dim(dim, t.ndim, "index_copy")
    key = (slice(None),) * d + (_tensor(index).reshape(-1),)
    return index_put(t, key, _as_tensor_like(source, t))


def masked_scatter(input, mask, source) -> Tensor:
    """A copy of input where the positions of ``mask`` (broadcast) take the first elements of
    ``source`` in order.

    Args:
        input: the input.
        mask: a bool tensor.
        source: the values (at least as many as mask has True).
    """
    t = _tensor(input)
    m = _tensor(mask)
    if _np_dtype(m) != np.bool_:
        raise TypeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {m.dtype}")
    full = np.broadcast_to(m._data, t.shape)
    k = int(full.sum())
    src = _as_tensor_like(source, t).reshape(-1)
    if src.shape[0] < k:
        raise ValueError(f"masked_scatter: expected source to have at least {k} elements, got {src.shape[0]}")
    return index_put(t, (_wrap(full),), src[:k])


_mode_type = _return_type("mode")


@deferrable
def _mode_index(input, dim: _int) -> Tensor:
    """For each slice along dim, where (keepdim) its mode lies: the smallest most frequent value,
    at its last occurrence, as PyTorch picks."""
    a = _tensor(input)._data
    d = norm_dim(dim, a.ndim, "mode")
    moved = np.moveaxis(a, d, -1)
    n = moved.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = moved.reshape(-1, n)
    out = np.empty(rows.shape[0], np.int64)
    for i, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        out[i] = n - 1 - int(np.argmax(row[::-1] == best))
    return _wrap(np.moveaxis(out.reshape(moved.shape[:-1] + (1,)), -1, d))


def mode(input, dim: _int = -1, keepdim: _bool = False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence, ``(values, indices)``.

    Args:
        input: the input.
        dim: the dimension.
        keepdim: keep the reduced dimension.
    """
    t = _tensor(input)
    if t.ndim == 0:
        return _mode_type(t.clone(), _wrap(np.zeros((), np.int64)))
    idx = _mode_index(t, dim)
    values = gather(t, dim, idx)
    if not keepdim:
        values, idx = squeeze(values, dim), squeeze(idx, dim)
    return _mode_type(values, idx)


# ------------------------------------------------------------------ sinc, i0 (morch/ops/extra.py), combinations, renorm
def sinc(input) -> Tensor:
    """The normalised sinc, sin(pi x) / (pi x), 1 at x = 0 (integer inputs give the default float dtype).

    Its first derivative is 0 at x = 0, as PyTorch's; the second derivative there is 0 too, where
    PyTorch gives NaN.

    Args:
        input: the input.
    """
    return X.Sinc.apply(_float_tensor(input))


def i0(input) -> Tensor:
    """The modified Bessel function of the first kind of order zero, I0(x), elementwise (integer
    inputs give the default float dtype). Its derivative is I1 (``morch.special.i1``). Differs from
    PyTorch: I0(+-inf) is inf, where PyTorch gives NaN.

    Args:
        input: the input.
    """
    return X.I0.apply(_float_tensor(input))


@deferrable
def combinations(input, r: _int = 2, with_replacement: _bool = False) -> Tensor:
    """All length-``r`` combinations of the elements of a 1-d tensor, as rows, in the order of
    ``itertools.combinations`` (or ``combinations_with_replacement``).

    Args:
        input: a 1-d tensor.
        r: the number of elements per combination.
        with_replacement: allow an element to repeat within a combination.
    """
    import itertools

    t = _tensor(input)
    if t.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape {list(t.shape)}")
    if not isinstance(r, _int) or r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(np.empty(0, _np_dtype(t)))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.fromiter(itertools.chain.from_iterable(pick(range(t.shape[0]), r)), np.int64).reshape(-1, r)
    return index_select(t, 0, _wrap(idx.reshape(-1))).reshape(-1, r)


@deferrable
def renorm(input, p: _float, dim: _int, maxnorm: _float) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (by maxnorm / (norm + 1e-7), as PyTorch); the other slices unchanged.

    Args:
        input: a floating-point tensor with at least 2 dimensions.
        p: the norm's power (> 0; ``inf`` for the largest absolute value).
        dim: the dimension whose slices are renormalised.
        maxnorm: the largest norm a slice keeps.
    """
    from morch import linalg

    t = _tensor(input)
    if _np_dtype(t).kind != "f":
        raise RuntimeError(f"renorm: expected a floating point tensor, got {t.dtype}")
    if t.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {t.ndim} dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = norm_dim(dim, t.ndim, "renorm")
    norms = linalg.vector_norm(t, p, dim=tuple(i for i in range(t.ndim) if i != d), keepdim=True)
    return t * where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
