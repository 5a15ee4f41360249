"""Activation layers: thin modules over the functions of morch.nn.functional."""

from __future__ import annotations

import numpy as np

from morch import dtypes
from morch.nn import functional as F
from morch.nn._util import InputError, shape_str
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _wrap


def _inplace_str(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """max(x, 0) elementwise.

    Args:
        inplace: overwrite the input.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class Hardtanh(Module):
    """x clamped to [min_val, max_val].

    Args:
        min_val: lower bound.
        max_val: upper bound.
        inplace: overwrite the input.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_str(self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6).

    Args:
        inplace: overwrite the input.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class LeakyReLU(Module):
    """x where positive, else negative_slope * x.

    Args:
        negative_slope: slope for negative inputs.
        inplace: overwrite the input.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + _inplace_str(self.inplace)


class ELU(Module):
    """x where positive, else alpha * (exp(x) - 1).

    Args:
        alpha: the negative saturation value.
        inplace: overwrite the input.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_str(self.inplace)


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Args:
        alpha: the CELU alpha.
        inplace: overwrite the input.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class SELU(Module):
    """scale * elu(x, alpha) with the self-normalising constants.

    Args:
        inplace: overwrite the input.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class GELU(Module):
    """x * Phi(x) (Gaussian error linear unit), exact or with the tanh approximation.

    Args:
        approximate: 'none' or 'tanh'.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x).

    Args:
        inplace: overwrite the input.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class _Stateless(Module):
    _fn = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class Sigmoid(_Stateless):
    """1 / (1 + exp(-x))."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """tanh(x)."""

    _fn = staticmethod(F.tanh)


class LogSigmoid(_Stateless):
    """log(sigmoid(x)), computed stably."""

    _fn = staticmethod(F.logsigmoid)


class Softsign(_Stateless):
    """x / (1 + |x|)."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """x - tanh(x)."""

    _fn = staticmethod(F.tanhshrink)


class Hardsigmoid(SiLU):
    """relu6(x + 3) / 6.

    Args:
        inplace: overwrite the input.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Hardswish(SiLU):
    """x * relu6(x + 3) / 6.

    Args:
        inplace: overwrite the input.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Threshold(Module):
    """x where x > threshold, else value.

    Args:
        threshold: the threshold.
        value: the replacement.
        inplace: overwrite the input.
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace_str(self.inplace)


class GLU(Module):
    """a * sigmoid(b), a and b the halves of the input along ``dim``.

    Args:
        dim: the dimension to split.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """x where positive, else a * x with a learned slope a (one, or one per channel).

    Args:
        num_parameters: 1, or the number of channels (dim 1 of the input).
        init: initial slope.
        device: 'cpu' or None.
        dtype: dtype of the parameter.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
        self.weight = Parameter(_wrap(np.full(num_parameters, init, dtype=nd)))

    def reset_parameters(self) -> None:
        """Every slope back to ``init``."""
        self.weight._data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``.

    Args:
        dim: the dimension that sums to one.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably.

    Args:
        dim: the dimension to normalise.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


class Softmin(Softmax):
    """softmax(-x) along ``dim``.

    Args:
        dim: the dimension that sums to one.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)


class Softmax2d(Module):
    """Softmax over the channels (dim -3) at every position of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        if input._data is not None and input.ndim not in (3, 4):
            raise InputError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead "
                             f"(shape {shape_str(input)})")  # fmt: skip
        return F.softmax(input, -3)


class Hardshrink(Module):
    """x where |x| > lambd, else 0.

    Args:
        lambd: the threshold.
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0.

    Args:
        lambd: the threshold (>= 0).
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class RReLU(Module):
    """Randomized leaky ReLU: in training, negative inputs are scaled by slopes drawn from
    U(lower, upper); in eval mode by (lower + upper) / 2.

    Args:
        lower: the smallest slope.
        upper: the largest slope.
        inplace: overwrite the input.
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + _inplace_str(self.inplace)
