"""More elementwise ops: inverse hyperbolic functions, ldexp and frexp's exponent, bit shifts, gcd/lcm,
nextafter and the infinity tests. Backward formulas use morch ops, so they can be differentiated again."""

from __future__ import annotations

import numpy as np

from morch.autograd.function import Function
from morch.ops.elementwise import _need, _no_grad_op


class Asinh(Function):
    def forward(self, a):
        return np.arcsinh(a)

    def backward(self, g):
        (a,) = self.inputs
        return g * (a * a + 1).rsqrt()


class Acosh(Function):
    def forward(self, a):
        with np.errstate(invalid="ignore"):  # NaN below 1, as PyTorch, without numpy's warning
            return np.arccosh(a)

    def backward(self, g):
        (a,) = self.inputs
        return g * (a * a - 1).rsqrt()


class Atanh(Function):
    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):  # +-inf at +-1, NaN beyond, as PyTorch
            return np.arctanh(a)

    def backward(self, g):
        (a,) = self.inputs
        return g / (1 - a * a)


class Ldexp(Function):
    """a * 2**b for an integer tensor b, exact (no rounding of 2**b); differentiable in a only."""

    unread_inputs = (0,)

    def forward(self, a, b):
        # exponents beyond +-2**14 already give 0 or inf for every float: clipping keeps them in int32
        with np.errstate(over="ignore"):  # inf, as PyTorch, without numpy's warning
            return np.ldexp(a, np.clip(b, -(2**14), 2**14).astype(np.int32))

    def backward(self, g):
        return Ldexp.apply(g, self.inputs[1]), None


class Nextafter(Function):
    """The next float after a towards b. PyTorch's gradient: 1 for a (the step is below rounding), 0 for b."""

    unread_inputs = (0, 1)

    def forward(self, a, b):
        return np.nextafter(a, b)

    def backward(self, g):
        return g, (g * 0 if _need(self, 1) else None)


def _frexp_exponent(a: np.ndarray) -> np.ndarray:
    return np.frexp(a)[1].astype(np.int32, copy=False)


def _shift_ok(b: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the shift count is in [0, bits), and the counts with the others replaced by 0."""
    ok = (b >= 0) & (b < bits)
    return ok, np.where(ok, b, 0).astype(b.dtype, copy=False)


def _left_shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # as PyTorch: bits shifted out are lost, and a count < 0 or >= the bit width gives 0
    ok, counts = _shift_ok(b, a.dtype.itemsize * 8)
    return np.where(ok, np.left_shift(a, counts), 0).astype(a.dtype, copy=False)


def _right_shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # as PyTorch: a count < 0 or >= the bit width leaves only the sign (-1 or 0)
    bits = a.dtype.itemsize * 8
    ok, counts = _shift_ok(b, bits)
    fill = np.right_shift(a, bits - 1) if a.dtype.kind == "i" else 0
    return np.where(ok, np.right_shift(a, counts), fill).astype(a.dtype, copy=False)


def _isposinf(a: np.ndarray) -> np.ndarray:
    return np.isposinf(a) if a.dtype.kind == "f" else np.zeros(a.shape, np.bool_)


def _isneginf(a: np.ndarray) -> np.ndarray:
    return np.isneginf(a) if a.dtype.kind == "f" else np.zeros(a.shape, np.bool_)


def _isreal(a: np.ndarray) -> np.ndarray:
    return np.ones(a.shape, np.bool_)  # morch has no complex dtypes


def _op(name: str, np_fn, symbol: str | None = None) -> type:
    cls = _no_grad_op(name, np_fn, symbol)
    cls.__module__ = __name__
    return cls


FrexpExponent = _op("FrexpExponent", _frexp_exponent)
BitwiseLeftShift = _op("BitwiseLeftShift", _left_shift, "<<")
BitwiseRightShift = _op("BitwiseRightShift", _right_shift, ">>")
Gcd = _op("Gcd", np.gcd)
Lcm = _op("Lcm", np.lcm)
Isposinf = _op("Isposinf", _isposinf)
Isneginf = _op("Isneginf", _isneginf)
Isreal = _op("Isreal", _isreal)

OPS = [
    Asinh, Acosh, Atanh, Ldexp, FrexpExponent, BitwiseLeftShift, BitwiseRightShift, Gcd, Lcm, Nextafter,
    Isposinf, Isneginf, Isreal,
]  # fmt: skip
