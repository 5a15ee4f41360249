"""PyTorch's remaining elementwise and math names: inverse hyperbolic functions, bit shifts, gcd/lcm,
ldexp/frexp/nextafter, aliases, dtype queries, ``gradient``, window functions, constants, the
top-level in-place functions (``morch.abs_(t)`` ...) and the Tensor methods of all of these.

``morch/__init__.py`` star-imports this module; importing it also binds the Tensor methods.
"""

from __future__ import annotations

import builtins
import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from morch import creation, dtypes, linalg
from morch import functional as F
from morch.dtypes import uint16, uint32, uint64
from morch.functional import _check_ndim, _float_tensor, _np_dtype, _pair, _plus_scaled, _scaled, _tensor, _unary
from morch.ops import math_more as MM
from morch.ops.util import norm_dim
from morch.tensor import Tensor, _bind_in_place_variants, bind_missing

_bool, _int = builtins.bool, builtins.int

# ------------------------------------------------------------------ constants
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan
newaxis = None

# ------------------------------------------------------------------ inverse hyperbolic functions
asinh = arcsinh = _unary(MM.Asinh)
acosh = arccosh = _unary(MM.Acosh)
atanh = arctanh = _unary(MM.Atanh)


# ------------------------------------------------------------------ integer ops (no gradients)
def _integer_pair(name: str, input, other) -> tuple[Tensor, Tensor]:
    """Both operands promoted to one integer dtype; bool and float operands are refused, as in PyTorch."""
    a, b = _pair(input, other)
    nd = _np_dtype(a)
    if nd.kind not in "iu":
        raise NotImplementedError(f"{name}: only integer tensors are supported, got {dtypes.from_numpy(nd)}")
    return a, b


def _integer_op(cls, name: str, summary: str):
    def f(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return cls.apply(*_integer_pair(name, input, other))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (
        f"{summary}, for integer tensors (bool and float tensors are refused).\n\n    Args:\n"
        "        input: the input tensor (numbers and array-likes are made tensors).\n"
        "        other: the other operand: a tensor, a number or a numpy array, broadcast against input.\n    "
    )
    return f


_BAD_COUNT = "a count < 0 or >= the bit width gives"
bitwise_left_shift = _integer_op(
    MM.BitwiseLeftShift, "bitwise_left_shift", f"input << other (bits shifted out are lost; {_BAD_COUNT} 0)"
)
bitwise_right_shift = _integer_op(
    MM.BitwiseRightShift, "bitwise_right_shift", f"input >> other, keeping the sign ({_BAD_COUNT} -1 or 0)"
)
gcd = _integer_op(MM.Gcd, "gcd", "The greatest common divisor, non-negative (gcd(0, 0) is 0)")
lcm = _integer_op(MM.Lcm, "lcm", "The least common multiple, non-negative")


# ------------------------------------------------------------------ floating point representation
_frexp_type = namedtuple("frexp", ["mantissa", "exponent"], module="morch.return_types")
_frexp_type.__repr__ = lambda self: (
    f"morch.return_types.frexp(\nmantissa={self.mantissa!r},\nexponent={self.exponent!r})"
)


def ldexp(input, other) -> Tensor:  # noqa: A002
    """input * 2**other; exact for an integer ``other``. Integer inputs give the default float dtype.

    Differentiable in input (and in other when other is a float tensor).

    Args:
        input: the input tensor (numbers and array-likes are made tensors).
        other: the exponents: a tensor or a number, broadcast against input.
    """
    x, ex = _float_tensor(input), _tensor(other)
    if _np_dtype(ex).kind in "biu":
        return MM.Ldexp.apply(x, ex)
    return F.mul(x, F.pow(2.0, ex))


def frexp(input):  # noqa: A002
    """Split a float tensor into mantissas in [0.5, 1) (in magnitude) and int32 exponents: input = m * 2**e.

    Zeros, infinities and NaNs give the value itself as mantissa and exponent 0. The mantissa is
    differentiable in input.

    Args:
        input: a floating point tensor.
    """
    t = _tensor(input)
    if _np_dtype(t).kind != "f":
        raise RuntimeError(f"frexp: only floating point tensors are supported, got {dtypes.from_numpy(_np_dtype(t))}")
    exponent = MM.FrexpExponent.apply(t)
    return _frexp_type(MM.Ldexp.apply(t, F.neg(exponent)), exponent)


def nextafter(input, other) -> Tensor:  # noqa: A002
    """The next floating point value after input in the direction of other.

    The gradient is PyTorch's: 1 for input, 0 for other.

    Args:
        input: a floating point tensor.
        other: the direction: a tensor or a number, broadcast against input.
    """
    a, b = _pair(input, other)
    if _np_dtype(a).kind != "f":
        raise NotImplementedError(
            f"nextafter: only floating point tensors are supported, got {dtypes.from_numpy(_np_dtype(a))}"
        )
    return MM.Nextafter.apply(a, b)


# ------------------------------------------------------------------ tests of values and tensors
def _elementwise_test(cls, summary: str):
    def f(input) -> Tensor:  # noqa: A002
        return cls.apply(_tensor(input))

    f.__name__ = f.__qualname__ = cls.__name__.lower()
    f.__doc__ = f"{summary}, as a bool tensor.\n\n    Args:\n        input: the input tensor.\n    "
    return f


isposinf = _elementwise_test(MM.Isposinf, "Where input is +inf")
isneginf = _elementwise_test(MM.Isneginf, "Where input is -inf")
isreal = _elementwise_test(MM.Isreal, "Where input is real: everywhere, as morch has no complex dtypes")


def is_signed(input) -> _bool:  # noqa: A002
    """Whether input's dtype is signed (floats and signed integers; not bool or unsigned integers)."""
    return _tensor(input).dtype.is_signed


def is_complex(input) -> _bool:  # noqa: A002
    """Always False: morch has no complex dtypes."""
    return False


def is_same_size(input, other) -> _bool:  # noqa: A002
    """Whether the two tensors have the same shape."""
    return tuple(_tensor(input).shape) == tuple(_tensor(other).shape)


def is_nonzero(input) -> _bool:  # noqa: A002
    """The truth of a one-element tensor (RuntimeError for other sizes), as ``Tensor.is_nonzero``."""
    return _tensor(input).is_nonzero()


# ------------------------------------------------------------------ aliases and small composites
fix = F.trunc
row_stack = F.vstack
trapz = F.trapezoid
ger = F.outer


def positive(input) -> Tensor:  # noqa: A002
    """input itself (``+input``); refused for bool tensors, as in PyTorch.

    Args:
        input: the input tensor.
    """
    t = _tensor(input)
    if _np_dtype(t) == np.bool_:
        raise RuntimeError("positive: the `+` operator, on a bool tensor is not supported")
    return t


def rsub(input, other, *, alpha=1) -> Tensor:  # noqa: A002
    """other - alpha * input (sub with the operands swapped).

    Args:
        input: the tensor subtracted.
        other: the tensor or number subtracted from.
        alpha: the multiplier of input.
    """
    return F.sub(other, input, alpha=alpha)


def ravel(input) -> Tensor:  # noqa: A002
    """input flattened to 1-D (a view when its memory allows).

    Args:
        input: the input tensor.
    """
    return F.reshape(input, (-1,))


def vdot(input, other) -> Tensor:  # noqa: A002
    """The dot product of two 1-D tensors of one dtype (no promotion; real tensors need no conjugate).

    Args:
        input: the first 1-D tensor.
        other: the second 1-D tensor, of input's dtype.
    """
    a, b = _tensor(input), _tensor(other)
    _check_ndim("vdot", a, 1, "1st argument")
    _check_ndim("vdot", b, 1, "2nd argument")
    if _np_dtype(a) != _np_dtype(b):
        raise RuntimeError(f"vdot: expected both vectors to have the same dtype, but found {a.dtype} and {b.dtype}")
    return F.dot(a, b)


def chain_matmul(*matrices) -> Tensor:
    """The product of a chain of 2-D tensors; deprecated, as in PyTorch, for ``linalg.multi_dot``.

    Args:
        matrices: one or more 2-D tensors.
    """
    warnings.warn(
        "chain_matmul is deprecated (as in PyTorch); use morch.linalg.multi_dot, which takes a list of two or "
        "more tensors",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise RuntimeError("chain_matmul(): expected one or more matrices")
    ts = [_tensor(m) for m in matrices]
    for i, t in enumerate(ts):
        _check_ndim("chain_matmul", t, 2, f"matrix {i}")
    return ts[0].clone() if len(ts) == 1 else linalg.multi_dot(ts)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2).

    Args:
        input: the tensor added (broadcast to the outer product's shape).
        vec1: the first 1-D tensor.
        vec2: the second 1-D tensor.
        beta: the multiplier of input (0 ignores input, also its NaNs).
        alpha: the multiplier of the outer product.
    """
    v1, v2 = _tensor(vec1), _tensor(vec2)
    _check_ndim("addr", v1, 1, "vec1")
    _check_ndim("addr", v2, 1, "vec2")
    return _plus_scaled(input, beta, _scaled(F.outer(v1, v2), alpha))


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory: _bool = False,
                  requires_grad: _bool = False) -> Tensor:  # fmt: skip
    """A 0-d tensor holding the number s, of the default float dtype unless ``dtype`` is given.

    Args:
        s: the number (or a one-element tensor).
        dtype: the dtype (default: the default float dtype, also for ints and bools).
        layout: only the strided layout exists.
        device: only 'cpu' is accepted.
        pin_memory: accepted and ignored.
        requires_grad: record operations on the tensor for autograd.
    """
    if isinstance(s, Tensor):
        s = s.item()
    return creation.full((), s, dtype=dtype or dtypes.get_default_dtype(), device=device, requires_grad=requires_grad)


# ------------------------------------------------------------------ gradient (finite differences)
def _weighted_sum(pairs) -> Tensor:
    """sum(c * p) over (c, p) pairs, leaving out terms whose coefficient is the number 0."""
    terms = [p * c for c, p in pairs if isinstance(c, Tensor) or c != 0]
    return terms[0] if len(terms) == 1 else builtins.sum(terms[1:], terms[0])


def _three_point(f, h, i0: _int, count: _int, where: str) -> Tensor:
    """Second-order derivative estimates at ``count`` points from samples i0, i0+1, i0+2 on (numpy's
    formulas for uneven steps; ``h(i, n)`` gives the n steps from sample i). ``where``: which of the
    three samples each estimate is at: 'first', 'middle' or 'last'."""
    d1, d2 = h(i0, count), h(i0 + 1, count)
    s = d1 + d2
    if where == "middle":
        coefs = (-d2 / (d1 * s), (d2 - d1) / (d1 * d2), d1 / (d2 * s))
    elif where == "first":
        coefs = (-(2 * d1 + d2) / (d1 * s), s / (d1 * d2), -d1 / (d2 * s))
    else:
        coefs = (d2 / (d1 * s), -s / (d1 * d2), (2 * d2 + d1) / (d2 * s))
    return _weighted_sum(zip(coefs, (f(i0, count), f(i0 + 1, count), f(i0 + 2, count))))


def _steps(t: Tensor, d: _int, spacing, n: _int):
    """``h(i, count)``: the steps between samples i..i+count along d (numbers, or tensors broadcasting along d)."""
    if not isinstance(spacing, Tensor):
        if not isinstance(spacing, numbers.Number):
            raise TypeError(f"gradient: spacing must hold numbers or 1-D tensors, got {type(spacing).__name__}")
        return lambda i, count: spacing
    if spacing.ndim != 1 or spacing.shape[0] != n:
        raise RuntimeError(
            f"gradient: a tensor in spacing holds the coordinates along its dimension, so it must be 1-D of "
            f"length {n} (dimension {d}), got shape {list(spacing.shape)}"
        )
    shape = [1] * t.ndim
    shape[d] = n - 1
    steps = F.diff(_float_tensor(spacing)).reshape(shape)
    return lambda i, count: F.narrow(steps, d, i, count)


def _gradient_along(t: Tensor, d: _int, spacing, edge_order: _int) -> Tensor:
    n = t.shape[d]
    if n < edge_order + 1:
        raise RuntimeError(
            f"gradient: each dimension needs at least edge_order + 1 = {edge_order + 1} samples, dimension {d} has {n}"
        )
    h = _steps(t, d, spacing, n)

    def f(i, count):
        return F.narrow(t, d, i, count)

    if edge_order == 1:
        first = (f(1, 1) - f(0, 1)) / h(0, 1)
        last = (f(n - 1, 1) - f(n - 2, 1)) / h(n - 2, 1)
    else:
        first, last = _three_point(f, h, 0, 1, "first"), _three_point(f, h, n - 3, 1, "last")
    parts = [first, _three_point(f, h, 0, n - 2, "middle"), last] if n > 2 else [first, last]
    return F.cat(parts, d)


def gradient(input, *, spacing=1, dim=None, edge_order: _int = 1) -> tuple:  # noqa: A002
    """Estimates of the derivatives of input along each dimension by central differences (one-sided
    of first or second order at the ends), as ``numpy.gradient``; differentiable.

    Args:
        input: the samples (integers give the default float dtype).
        spacing: the sample spacing: a number for every dimension, or a list with one entry per
            dimension in dim, each a number (even spacing) or a 1-D tensor of the sample coordinates.
        dim: a dimension or a list of them (default: all).
        edge_order: 1 or 2, the order of accuracy at the ends.
    """
    t = _float_tensor(input)
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: only edge_order=1 and edge_order=2 are supported, got {edge_order}")
    dims = range(t.ndim) if dim is None else [dim] if isinstance(dim, _int) else dim
    dims = [norm_dim(d, t.ndim, "gradient") for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"gradient: spacing must be a number or a list with one entry per dimension ({len(dims)}), "
                f"got a list of length {len(spacing)}"
            )
    else:
        spacing = [spacing] * len(dims)
    return tuple(_gradient_along(t, d, s, edge_order) for d, s in zip(dims, spacing))


# ------------------------------------------------------------------ window functions
def _window(name: str, window_length: _int, periodic: _bool, dtype, device, requires_grad: _bool, values) -> Tensor:
    """A window of ``values(k, m)`` for k = 0..m (m = window_length - 1, or window_length when periodic,
    dropping the last sample), computed in float64 and cast to dtype."""
    nd = creation._float_dt(name, dtype)
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length <= 1:
        arr = np.ones(window_length)
    else:
        m = window_length if periodic else window_length - 1
        arr = values(np.arange(window_length, dtype=np.float64), m)
    return creation._finish(arr.astype(nd), requires_grad, device)


def _cosine_sum(*coefs):
    """``k, m -> sum_j (-1)**j coefs[j] cos(2 pi j k / m)``: the generalised cosine windows."""
    return lambda k, m: builtins.sum((-1) ** j * c * np.cos(2 * np.pi * j * k / m) for j, c in enumerate(coefs))


_WINDOW_ARGS = """
    Args:
        window_length: the number of samples.
        periodic: for spectral analysis (one period of a periodic window: the symmetric window of
            window_length + 1 samples without its last); False gives the symmetric window.{extra}
        dtype: a floating point dtype (default: the default float dtype).
        layout: only the strided layout exists.
        device: only 'cpu' is accepted.
        requires_grad: record operations on the result for autograd.
    """


def hann_window(window_length: _int, periodic: _bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: _bool = False) -> Tensor:  # fmt: skip
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(0.5, 0.5))


def hamming_window(window_length: _int, periodic: _bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: _bool = False) -> Tensor:  # fmt: skip
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(alpha, beta))


def blackman_window(window_length: _int, periodic: _bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: _bool = False) -> Tensor:  # fmt: skip
    w = _cosine_sum(0.42, 0.5, 0.08)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, w)


def bartlett_window(window_length: _int, periodic: _bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: _bool = False) -> Tensor:  # fmt: skip
    w = lambda k, m: 1 - np.abs(2 * k / m - 1)  # noqa: E731
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, w)


def kaiser_window(window_length: _int, periodic: _bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: _bool = False) -> Tensor:  # fmt: skip
    w = lambda k, m: np.i0(beta * np.sqrt(np.maximum(1 - (2 * k / m - 1) ** 2, 0))) / np.i0(beta)  # noqa: E731
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, w)


for _fn, _summary, _extra in (
    (hann_window, "The Hann window, 0.5 - 0.5 cos(2 pi k / m)", ""),
    (hamming_window, "The Hamming window, alpha - beta cos(2 pi k / m)",
     "\n        alpha: the constant term.\n        beta: the cosine's coefficient."),
    (blackman_window, "The Blackman window, 0.42 - 0.5 cos(2 pi k / m) + 0.08 cos(4 pi k / m)", ""),
    (bartlett_window, "The Bartlett (triangular) window, 1 - |2k / m - 1|", ""),
    (kaiser_window, "The Kaiser window, I0(beta sqrt(1 - (2k / m - 1)**2)) / I0(beta)",
     "\n        beta: the shape parameter (larger: narrower)."),
):  # fmt: skip
    _fn.__doc__ = f"{_summary}, k = 0 .. window_length - 1.\n" + _WINDOW_ARGS.format(extra=_extra)


# ------------------------------------------------------------------ Tensor methods and operators
def _bind_methods() -> None:
    existing = (
        "absolute multiply divide subtract greater greater_equal less less_equal not_equal swapdims isclose "
        "bitwise_and bitwise_or bitwise_xor bitwise_not"
    )
    methods = {name: getattr(F, name) for name in existing.split()}
    methods.update(bernoulli=creation.bernoulli, multinomial=creation.multinomial)
    new = (
        "asinh acosh atanh arcsinh arccosh arctanh bitwise_left_shift bitwise_right_shift gcd lcm ldexp frexp "
        "nextafter positive fix ravel vdot ger addr isposinf isneginf isreal is_signed is_complex is_same_size"
    )
    methods.update({name: globals()[name] for name in new.split()})
    bind_missing(methods)
    # the in-place twins (asinh_, gcd_, multiply_ ...): tensor.py's list names them, binding those whose
    # op exists; it ran before these methods existed, so run it again
    _bind_in_place_variants()
    if not hasattr(Tensor, "swapdims_"):
        Tensor.swapdims_ = Tensor.swapaxes_
    operators = {
        "__lshift__": bitwise_left_shift,
        "__rlshift__": lambda self, other: bitwise_left_shift(other, self),
        "__ilshift__": lambda self, other: self.bitwise_left_shift_(other),
        "__rshift__": bitwise_right_shift,
        "__rrshift__": lambda self, other: bitwise_right_shift(other, self),
        "__irshift__": lambda self, other: self.bitwise_right_shift_(other),
    }
    for name, fn in operators.items():
        if name not in vars(Tensor):
            setattr(Tensor, name, fn)


_bind_methods()


# ------------------------------------------------------------------ top-level in-place functions
def _top_level_in_place(name: str):
    def f(input, *args, **kwargs) -> Tensor:  # noqa: A002
        return getattr(input, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``input.{name}(...)``: the in-place ``{name[:-1]}``, writing into input and returning it."
    return f


# every math ``torch.<name>_`` function; each exists here when morch has ``Tensor.<name>_``
_IN_PLACE = (
    "abs acos acosh addmv arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil clamp clamp_max "
    "clamp_min clip cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac gcd i0 lcm ldexp log log10 log1p log2 "
    "logit nan_to_num neg negative rad2deg reciprocal round rsqrt sigmoid sin sinc sinh sqrt square tan tanh trunc "
    "xlogy"
)
_in_place_names = [n + "_" for n in _IN_PLACE.split() if hasattr(Tensor, n + "_")]
globals().update({n: _top_level_in_place(n) for n in _in_place_names})

__all__: list[str] = [
    "pi", "e", "inf", "nan", "newaxis", "uint16", "uint32", "uint64",
    "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
    "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "ldexp", "frexp", "nextafter",
    "isposinf", "isneginf", "isreal", "is_signed", "is_complex", "is_same_size", "is_nonzero",
    "fix", "row_stack", "trapz", "ger", "positive", "rsub", "ravel", "vdot", "chain_matmul", "addr", "scalar_tensor",
    "gradient", "hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window",
    *_in_place_names,
]  # fmt: skip
