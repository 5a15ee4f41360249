"""Elementwise ops. Backward formulas use morch ops, so they can be differentiated again."""

from __future__ import annotations

import math

import numpy as np

from morch import functional as F
from morch.autograd import grad_mode
from morch.autograd.function import Function, op_error
from morch.tensor import _wrap


def _need(fn: Function, i: int) -> bool:
    return fn.needs_input_grad[i]


# ------------------------------------------------------------------ arithmetic
class Add(Function):
    unread_inputs = (0, 1)
    symbol = "+"

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    unread_inputs = (0, 1)
    symbol = "-"

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if _need(self, 1) else None)


class Mul(Function):
    symbol = "*"

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return (g * b if _need(self, 0) else None), (g * a if _need(self, 1) else None)


class Div(Function):
    symbol = "/"

    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.inputs
        ga = g / b
        return (ga if _need(self, 0) else None), (-ga * a / b if _need(self, 1) else None)


class Neg(Function):
    unread_inputs = (0,)

    def forward(self, a):
        if a.dtype == np.bool_:
            raise op_error(
                TypeError, "Negation, the `-` operator, on a bool tensor is not supported; use `~` or logical_not()"
            )
        return -a

    def backward(self, g):
        return -g


class Pow(Function):
    """a ** b for two tensors."""

    symbol = "**"

    def forward(self, a, b):
        self.out = a**b
        return self.out

    def backward(self, g):
        a, b = self.inputs
        ga = gb = None
        if _need(self, 0):
            # b * a**(b-1) is taken as 0 where b == 0, also at a == 0 (where a**(b-1) is inf), as PyTorch does
            ga = F.where(b == 0, 0.0, g * b * a ** (b - 1))
        if _need(self, 1):
            # d/db a**b = a**b log a: 0 where a == 0 (PyTorch's limit), nan where a < 0
            gb = g * self.output() * F.where(a == 0, 1.0, a).log()
        return ga, gb


class PowScalar(Function):
    """a ** p with a Python number p (the common case: x**2, x**0.5)."""

    symbol = "**"

    def forward(self, a, exponent):
        self.exponent = exponent
        return a**exponent

    def backward(self, g):
        p = self.exponent
        (a,) = self.inputs
        if p == 0:
            return g * 0
        return g * p * a ** (p - 1) if p != 1 else g


class RPowScalar(Function):
    """p ** a with a Python number p (2 ** x)."""

    unread_inputs = (0,)

    def forward(self, a, base):
        self.base = base
        self.out = np.power(np.asarray(base, a.dtype), a)
        return self.out

    def backward(self, g):
        if self.base > 0:
            return g * self.output() * math.log(self.base)
        return g * (0.0 if self.base == 0 else math.nan)  # PyTorch's values: log of a base <= 0 is undefined


# ------------------------------------------------------------------ unary math
class Exp(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return g * self.output()


class Log(Function):
    def forward(self, a):
        return np.log(a)

    def backward(self, g):
        return g / self.inputs[0]


class Log1p(Function):
    def forward(self, a):
        return np.log1p(a)

    def backward(self, g):
        return g / (self.inputs[0] + 1)


class Expm1(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, g):
        return g * (self.output() + 1)


class Sqrt(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        return g / (self.output() * 2)


class Abs(Function):
    def forward(self, a):
        return np.abs(a)

    def backward(self, g):
        return g * self.inputs[0].sign()


class Sin(Function):
    def forward(self, a):
        return np.sin(a)

    def backward(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    def forward(self, a):
        return np.cos(a)

    def backward(self, g):
        return -g * self.inputs[0].sin()


class Asin(Function):
    def forward(self, a):
        return np.arcsin(a)

    def backward(self, g):
        (a,) = self.inputs
        return g / (1 - a * a).sqrt()


class Acos(Function):
    def forward(self, a):
        return np.arccos(a)

    def backward(self, g):
        (a,) = self.inputs
        return -g / (1 - a * a).sqrt()


class Atan(Function):
    def forward(self, a):
        return np.arctan(a)

    def backward(self, g):
        (a,) = self.inputs
        return g / (a * a + 1)


class Sinh(Function):
    def forward(self, a):
        return np.sinh(a)

    def backward(self, g):
        return g * self.inputs[0].cosh()


class Cosh(Function):
    def forward(self, a):
        return np.cosh(a)

    def backward(self, g):
        return g * self.inputs[0].sinh()


class Atan2(Function):
    """The angle of the point (other, input): ``atan2(input, other)``."""

    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, g):
        a, b = self.inputs
        r2 = a * a + b * b
        return (g * b / r2 if _need(self, 0) else None), (-g * a / r2 if _need(self, 1) else None)


class Tan(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.out = np.tan(a)
        return self.out

    def backward(self, g):
        y = self.output()
        return g * (y * y + 1)


class Tanh(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        y = self.output()
        return g * (1 - y * y)


class Sigmoid(Function):
    unread_inputs = (0,)

    def forward(self, a):
        # exp of a non-positive number only: no overflow warnings for large |a|
        e = np.exp(-np.abs(a))
        self.out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        y = self.output()
        return g * y * (1 - y)


class Relu(Function):
    unread_inputs = (0,)

    def forward(self, a):
        self.mask = a > 0
        return np.maximum(a, a.dtype.type(0))  # np.where is several times slower; NaN propagates as in PyTorch

    def backward(self, g):
        if not grad_mode._enabled:  # first order: no node to record
            return _wrap(g._data * self.mask)
        # the mask is piecewise constant, so using it as a constant is exact for higher orders too;
        # Mul directly: numpy multiplies by a bool array without first casting it to a float copy
        return Mul.apply(g, _wrap(self.mask))


class Erf(Function):
    _erf = np.frompyfunc(math.erf, 1, 1)

    def forward(self, a):
        return np.asarray(self._erf(a), dtype=a.dtype)  # a 0-d input gives a Python float

    def backward(self, g):
        (a,) = self.inputs
        return g * (2 / math.sqrt(math.pi)) * (-(a * a)).exp()


class _Piecewise(Function):
    """Ops whose derivative is zero almost everywhere (sign, floor, ...): PyTorch gives zero gradients."""

    unread_inputs = (0,)
    np_fn = None

    def forward(self, a):
        return type(self).np_fn(a)

    def backward(self, g):
        return g * 0


class Sign(_Piecewise):
    np_fn = staticmethod(np.sign)


class Floor(_Piecewise):
    np_fn = staticmethod(np.floor)


class Ceil(_Piecewise):
    np_fn = staticmethod(np.ceil)


class Round(_Piecewise):
    np_fn = staticmethod(np.round)


class Trunc(_Piecewise):
    np_fn = staticmethod(np.trunc)


# ------------------------------------------------------------------ two-input selections
class Maximum(Function):
    unread_inputs = (0, 1)

    def forward(self, a, b):
        # ties share the gradient equally, as in PyTorch
        self.wa = (a > b) + (a == b) * np.asarray(0.5, dtype=np.result_type(a, b))
        return np.maximum(a, b)

    def backward(self, g):
        w = _wrap(self.wa)
        return g * w, g * (1 - w)


class Minimum(Function):
    unread_inputs = (0, 1)

    def forward(self, a, b):
        self.wa = (a < b) + (a == b) * np.asarray(0.5, dtype=np.result_type(a, b))
        return np.minimum(a, b)

    def backward(self, g):
        w = _wrap(self.wa)
        return g * w, g * (1 - w)


class Clamp(Function):
    unread_inputs = (0,)

    def forward(self, a, min=None, max=None):  # noqa: A002
        lo = -np.inf if min is None else min
        hi = np.inf if max is None else max
        self.mask = (a >= lo) & (a <= hi)
        return np.clip(a, min, max).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * _wrap(self.mask)


class Where(Function):
    unread_inputs = (1, 2)

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        c = self.inputs[0]
        ga = F.where(c, g, 0.0) if _need(self, 1) else None
        gb = F.where(c, 0.0, g) if _need(self, 2) else None
        return None, ga, gb


class Cast(Function):
    """Change dtype; the gradient is cast back."""

    unread_inputs = (0,)

    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.type(self.in_dtype)


class Clone(Function):
    unread_inputs = (0,)

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


# ------------------------------------------------------------------ results without gradients
class _NoGrad(Function):
    """Ops whose outputs are not differentiable (bool or integer results)."""

    np_fn = None

    def forward(self, *arrays):
        return type(self).np_fn(*arrays)

    def backward(self, g):
        return (None,) * len(self.inputs)


def _no_grad_op(name: str, np_fn, symbol: str | None = None) -> type:
    return type(name, (_NoGrad,), {"np_fn": staticmethod(np_fn), "symbol": symbol, "__module__": __name__})


Eq = _no_grad_op("Eq", np.equal, "==")
Ne = _no_grad_op("Ne", np.not_equal, "!=")
Lt = _no_grad_op("Lt", np.less, "<")
Le = _no_grad_op("Le", np.less_equal, "<=")
Gt = _no_grad_op("Gt", np.greater, ">")
Ge = _no_grad_op("Ge", np.greater_equal, ">=")
LogicalNot = _no_grad_op("LogicalNot", np.logical_not)
LogicalAnd = _no_grad_op("LogicalAnd", np.logical_and)
LogicalOr = _no_grad_op("LogicalOr", np.logical_or)
LogicalXor = _no_grad_op("LogicalXor", np.logical_xor)
BitwiseNot = _no_grad_op("BitwiseNot", np.invert, "~")
BitwiseAnd = _no_grad_op("BitwiseAnd", np.bitwise_and, "&")
BitwiseOr = _no_grad_op("BitwiseOr", np.bitwise_or, "|")
BitwiseXor = _no_grad_op("BitwiseXor", np.bitwise_xor, "^")
Isnan = _no_grad_op("Isnan", np.isnan)
Isinf = _no_grad_op("Isinf", np.isinf)
Isfinite = _no_grad_op("Isfinite", np.isfinite)


def _check_integer_divisor(b: np.ndarray, op: str) -> None:
    # numpy quietly gives 0 for an integer division by zero; PyTorch raises
    if b.dtype.kind in "iub" and not b.all():
        raise ZeroDivisionError(f"{op}: integer division by zero")


class FloorDivide(_NoGrad):
    """Division rounded down, for integer tensors (float tensors use Div and floor, which has a gradient)."""

    symbol = "//"

    def forward(self, a, b):
        _check_integer_divisor(b, "floor_divide")
        return np.floor_divide(a, b)


class TruncDivide(_NoGrad):
    """Division rounded towards zero, for integer tensors, computed exactly in integers."""

    def forward(self, a, b):
        _check_integer_divisor(b, "div(rounding_mode='trunc')")
        q = np.floor_divide(a, b)
        return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


class Remainder(Function):
    """Python-style modulo (sign of the divisor), as ``torch.remainder``."""

    symbol = "%"

    def forward(self, a, b):
        _check_integer_divisor(b, "remainder")
        return np.mod(a, b)

    def backward(self, g):
        a, b = self.inputs
        return g, (-g * (a / b).floor() if _need(self, 1) else None)


class Fmod(Function):
    """C-style modulo (sign of the dividend), as ``torch.fmod``."""

    def forward(self, a, b):
        _check_integer_divisor(b, "fmod")
        return np.fmod(a, b)

    def backward(self, g):
        a, b = self.inputs
        return g, (-g * (a / b).trunc() if _need(self, 1) else None)


OPS = [
    Add, Sub, Mul, Div, Neg, Pow, PowScalar, RPowScalar, Exp, Log, Log1p, Expm1, Sqrt, Abs, Sin, Cos, Tan, Tanh,
    Asin, Acos, Atan, Sinh, Cosh, Atan2,
    Sigmoid, Relu, Erf, Sign, Floor, Ceil, Round, Trunc, Maximum, Minimum, Clamp, Where, Cast, Clone, Eq, Ne, Lt,
    Le, Gt, Ge, LogicalNot, LogicalAnd, LogicalOr, LogicalXor, BitwiseNot, BitwiseAnd, BitwiseOr, BitwiseXor,
    Isnan, Isinf, Isfinite, FloorDivide, TruncDivide, Remainder, Fmod,
]  # fmt: skip
