"""Identity, Linear and Bilinear layers."""

from __future__ import annotations

import math

import numpy as np

from morch import _alloc, dtypes
from morch.nn import functional as F
from morch.nn import init
from morch.nn._util import InputError, InputTypeError
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.ops.nn import Linear as _LinearOp
from morch.tensor import Tensor, _wrap


def _empty(*shape, dtype=None) -> np.ndarray:
    """Storage for a new parameter, on a cache line (see ``morch._alloc``)."""
    nd = dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_float()
    return _alloc.empty(shape, nd)


def _check_device(device) -> None:
    if device is not None:
        from morch.tensor import device as _device

        _device(device)


def _not_a_tensor(layer: Module, x) -> TypeError:
    return TypeError(f"{layer._one_line()}: expected a morch Tensor as input, got {type(x).__name__}")


def check_float_input(layer: Module, x: np.ndarray, w: np.ndarray) -> None:
    """Layers with weights need the input in the weight's dtype, as in PyTorch (no silent promotion)."""
    if x.dtype != w.dtype:
        raise InputTypeError(
            f"{layer._one_line()}: expected input of dtype {dtypes.from_numpy(w.dtype)} (the dtype of the weight), "
            f"got {dtypes.from_numpy(x.dtype)}; convert the input (x.float()) or the module (.double())"
        )


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); any constructor arguments are ignored."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x @ weight.T + bias, applied to the last dimension of the input.

    weight (out_features, in_features) and bias (out_features,) are initialised as in PyTorch:
    U(-1/sqrt(in_features), 1/sqrt(in_features)).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias.
        device: 'cpu' or None.
        dtype: dtype of the parameters (the default float dtype when None).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        _check_device(device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_wrap(_empty(out_features, in_features, dtype=dtype)))
        if bias:
            self.bias = Parameter(_wrap(_empty(out_features, dtype=dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from PyTorch's default distributions."""
        # kaiming_uniform_ with a = sqrt(5) gives bound 1/sqrt(fan_in), PyTorch's long-standing default
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        w = self.weight
        try:
            x = input._data
        except AttributeError:
            raise _not_a_tensor(self, input) from None
        if x is not None and (x.ndim == 0 or x.shape[-1] != self.in_features or x.dtype != w._data.dtype):
            self._bad_input(x, w._data)
        b = self.bias
        return _LinearOp.apply(input, w) if b is None else _LinearOp.apply(input, w, b)

    def _bad_input(self, x: np.ndarray, w: np.ndarray) -> None:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise InputError(
                f"{self._one_line()}: expected input with last dimension {self.in_features}, got shape {tuple(x.shape)}"
            )
        check_float_input(self, x, w)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1 @ weight[k] @ x2 + bias[k] for each output feature k.

    Args:
        in1_features: size of the first input's last dim.
        in2_features: size of the second input's last dim.
        out_features: size of the output's last dim.
        bias: learn an additive bias.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_device(device)
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(_wrap(_empty(out_features, in1_features, in2_features, dtype=dtype)))
        if bias:
            self.bias = Parameter(_wrap(_empty(out_features, dtype=dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight and bias."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")  # fmt: skip
