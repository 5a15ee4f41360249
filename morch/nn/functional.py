"""``morch.nn.functional``: the functions behind the layers (activations, convolution, pooling,
normalisation, dropout, embeddings, losses), as ``torch.nn.functional``.

Functions that only call one op are plain; the others read shapes or values in Python and are
``@deferrable``, so static graphs record them as one node. Names this module does not define
are looked up among plugin ops registered for ``nn.functional``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from morch import dtypes, random
from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.functional import linear, sigmoid, tanh
from morch.nn._util import InputError, InputTypeError, check_reduction, legacy_reduction, ntuple, shape_str, who
from morch.ops import nn as N
from morch.ops.index import ConstantPad
from morch.tensor import Tensor, _wrap

__all__ = [
    # activations
    "relu", "relu_", "relu6", "hardtanh", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "sigmoid", "tanh",
    "logsigmoid", "softsign", "tanhshrink", "hardsigmoid", "hardswish", "threshold", "glu", "prelu", "softmax",
    "log_softmax", "softmin",
    # linear, convolution, pooling
    "linear", "bilinear", "conv1d", "conv2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "pad",
    # normalisation, dropout, embeddings
    "batch_norm", "layer_norm", "group_norm", "normalize", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "embedding", "one_hot", "cosine_similarity", "pairwise_distance",
    # losses
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div",
]  # fmt: skip


def _float_dtype(t: Tensor) -> bool:
    a = t._data
    return (a.dtype if a is not None else t.sym_dtype).kind == "f"


def _const(arr: np.ndarray) -> Tensor:
    return _wrap(arr)


# ====================================================================== activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise.

    Args:
        input: any tensor.
        inplace: overwrite ``input`` with the result.
    """
    return input.relu_() if inplace else _mf.relu(input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``.

    Args:
        input: the tensor to overwrite with max(input, 0).
    """
    return input.relu_()


def _maybe_inplace(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    return input._update(out) if inplace else out


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """input clamped to [min_val, max_val].

    Args:
        input: any tensor.
        min_val: lower bound.
        max_val: upper bound.
        inplace: overwrite ``input``.
    """
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return _maybe_inplace(input, _mf.clamp(input, min_val, max_val), inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6).

    Args:
        input: any tensor.
        inplace: overwrite ``input``.
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, else negative_slope * input.

    Args:
        input: any tensor.
        negative_slope: the slope for negative inputs.
        inplace: overwrite ``input``.
    """
    return _maybe_inplace(input, N.LeakyRelu.apply(_mf._float_tensor(input), negative_slope=negative_slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input) - 1).

    Args:
        input: any tensor.
        alpha: the negative saturation value.
        inplace: overwrite ``input``.
    """
    return _maybe_inplace(input, N.Elu.apply(_mf._float_tensor(input), alpha=alpha), inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).

    Args:
        input: any tensor.
        inplace: overwrite ``input``.
    """
    out = N.Elu.apply(_mf._float_tensor(input), alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    return _maybe_inplace(input, out, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Args:
        input: any tensor.
        alpha: the CELU alpha (not 0).
        inplace: overwrite ``input``.
    """
    if alpha == 0:
        raise ValueError("ZeroDivisionError: alpha cannot be 0 for CELU")
    out = N.Elu.apply(_mf._float_tensor(input) / alpha, alpha=1.0, scale=alpha)
    return _maybe_inplace(input, out, inplace)


_SQRT_HALF = 1 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: x * Phi(x), exactly (erf) or with the tanh approximation.

    Args:
        input: any tensor.
        approximate: 'none' (exact) or 'tanh'.
    """
    x = _mf._float_tensor(input)
    if approximate == "none":
        return x * (_mf.erf(x * _SQRT_HALF) + 1.0) * 0.5
    if approximate == "tanh":
        return x * (_mf.tanh((x + x * x * x * 0.044715) * _SQRT_2_OVER_PI) + 1.0) * 0.5
    raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish).

    Args:
        input: any tensor.
        inplace: overwrite ``input``.
    """
    x = _mf._float_tensor(input)
    return _maybe_inplace(input, x * _mf.sigmoid(x), inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)), stable for large |input|.

    Args:
        input: any tensor.
    """
    return N.LogSigmoid.apply(_mf._float_tensor(input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|).

    Args:
        input: any tensor.
    """
    return input / (_mf.abs(input) + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x).

    Args:
        input: any tensor.
    """
    return input - _mf.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6.

    Args:
        input: any tensor.
        inplace: overwrite ``input``.
    """
    return _maybe_inplace(input, _mf.clamp(input + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6.

    Args:
        input: any tensor.
        inplace: overwrite ``input``.
    """
    return _maybe_inplace(input, input * (_mf.clamp(input + 3.0, 0.0, 6.0) / 6.0), inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, else value.

    Args:
        input: any tensor.
        threshold: the threshold.
        value: the replacement.
        inplace: overwrite ``input``.
    """
    return _maybe_inplace(input, _mf.where(input > threshold, input, value), inplace)


@deferrable
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b) where a, b are the halves of ``input`` along ``dim``.

    Args:
        input: a tensor whose size along ``dim`` is even.
        dim: the dimension to split.
    """
    if input.shape[dim] % 2:
        raise InputError(f"glu: Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = _mf.chunk(input, 2, dim)
    return a * _mf.sigmoid(b)


@deferrable
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where positive, else weight * input; ``weight`` has one entry or one per channel (dim 1).

    Args:
        input: a tensor.
        weight: the learnable slopes.
    """
    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise InputError(
                f"prelu: weight has {weight.numel()} entries but the input (shape {shape_str(input)}) has "
                f"{input.shape[1] if input.ndim > 1 else 1} channels in dim 1"
            )
        w = weight.reshape((-1,) + (1,) * (input.ndim - 2))
    return _mf.where(input > 0, input, w * input)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.

    Args:
        input: any tensor.
        dim: the dimension that sums to one (PyTorch's deprecated implicit choice when None).
        dtype: cast the input to this dtype first.
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _mf.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably.

    Args:
        input: any tensor.
        dim: the dimension to normalise (PyTorch's deprecated implicit choice when None).
        dtype: cast the input to this dtype first.
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _mf.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input) along ``dim``.

    Args:
        input: any tensor.
        dim: the dimension that sums to one.
        dtype: cast the input to this dtype first.
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return _mf.softmax(-input, dim, dtype)


# ====================================================================== linear and convolution
@deferrable
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = input1 @ weight[k] @ input2 + bias[k].

    Args:
        input1: (..., in1).
        input2: (..., in2).
        weight: (out, in1, in2).
        bias: (out,) or None.
    """
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise InputError(
            f"bilinear: weight of shape {shape_str(weight)} does not fit inputs of shapes {shape_str(input1)} "
            f"and {shape_str(input2)} (expected weight (out, {input1.shape[-1]}, {input2.shape[-1]}))"
        )
    # (..., 1, 1, in1) @ (out, in1, in2) -> (..., out, 1, in2), then the inner product with input2
    left = _mf.matmul(input1.unsqueeze(-2).unsqueeze(-2), weight).squeeze(-2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def _conv_padding(padding, kernel, stride, dilation, nd: int, name: str) -> tuple:
    """Padding as (before, after) per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    p = ntuple(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise ValueError(f"{name}: negative padding is not supported, got {p}")
    return tuple((v, v) for v in p)


def _check_conv_input(x: Tensor, weight: Tensor, bias, groups: int, nd: int, name, transposed=False) -> None:
    a, w = x._data, weight._data
    spatial = "(L)" if nd == 1 else "(H, W)"
    if w.ndim != nd + 2:
        raise InputError(f"{who(name)}: weight must be {nd + 2}-D (out_channels, in_channels/groups, *kernel), "
                         f"got shape {tuple(w.shape)}")  # fmt: skip
    if groups <= 0:
        raise ValueError(f"{who(name)}: non-positive groups is not supported, got groups={groups}")
    cin = w.shape[1] * groups
    dims = ", ".join(["N", str(cin)] + (["L"] if nd == 1 else ["H", "W"]))
    unbatched = ", ".join([str(cin)] + (["L"] if nd == 1 else ["H", "W"]))
    if a.ndim not in (nd + 1, nd + 2) or a.shape[-nd - 1] != cin:
        hint = ""
        if a.ndim == nd + 1:
            hint = (
                f" (a {nd + 1}-D input is one unbatched sample with {a.shape[0]} channels; for a batch of "
                f"{cin}-channel samples add the channel dimension, e.g. x.unsqueeze(1))"
            )
        raise InputError(
            f"{who(name)}: expected input of shape ({dims}) or ({unbatched}) (spatial size {spatial}), "
            f"got shape {tuple(a.shape)}{hint}"
        )
    if w.shape[0] % groups:
        raise InputError(f"{who(name)}: out_channels ({w.shape[0]}) must be divisible by groups ({groups})")
    if a.dtype != w.dtype:
        raise InputTypeError(
            f"{who(name)}: input dtype {dtypes.from_numpy(a.dtype)} does not match the weight dtype "
            f"{dtypes.from_numpy(w.dtype)} (convert the input, e.g. x.float(), or the module, e.g. .double())"
        )
    if bias is not None and tuple(bias.shape) != (w.shape[0],):
        raise InputError(f"{who(name)}: bias must have shape ({w.shape[0]},), got {shape_str(bias)}")


@deferrable
def _conv(input, weight, bias, stride, padding, dilation, groups, nd: int, name) -> Tensor:
    """The convolution of conv1d / conv2d (and their layers): the fused Conv2d op for groups=1
    (im2col and one GEMM per chunk of images), Im2Row and one GEMM per group otherwise."""
    _check_conv_input(input, weight, bias, groups, nd, name)
    fname = f"conv{nd}d"
    kernel = tuple(weight.shape[2:])
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    if min(stride) <= 0 or min(dilation) <= 0:
        raise ValueError(f"{who(name)}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    pads = _conv_padding(padding, kernel, stride, dilation, nd, fname)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    w = weight
    if nd == 1:  # a 1-d convolution is a 2-d one of height 1
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    n, c, h, wd = x.shape
    o, kh, kw = w.shape[0], kernel[0], kernel[1]
    pad4 = pads[0] + pads[1]
    oh, ow = N._conv_geometry(h, wd, kernel, stride, pad4, dilation)
    if oh <= 0 or ow <= 0:
        raise InputError(
            f"{who(name)}: input of spatial size {tuple(input.shape[-nd:])} (padded by {pads}) is smaller than the "
            f"kernel {tuple(weight.shape[2:])} with dilation {dilation[-nd:]}"
        )
    if groups == 1:  # one fused op: im2row and one GEMM, output channels-last in memory
        args = ((n, c, h, wd), kernel, stride, pad4, dilation)
        out = N.Conv2d.apply(x, w, args=args) if bias is None else N.Conv2d.apply(x, w, bias, args=args)
    else:  # grouped: im2row, then one product per group as a batched matmul
        rows = N.Im2Row.apply(x, kernel_size=kernel, stride=stride, padding=pad4, dilation=dilation)
        cg, og = c // groups, o // groups
        r = rows.reshape(n * oh * ow, kh * kw, groups, cg).permute(2, 0, 1, 3).reshape(groups, n * oh * ow, -1)
        wg = w.reshape(groups, og, cg, kh, kw).permute(0, 1, 3, 4, 2).reshape(groups, og, -1)
        out = _mf.matmul(r, wg.transpose(1, 2)).permute(1, 0, 2).reshape(n, oh, ow, o)
        if bias is not None:
            out = out + bias
        out = out.permute(0, 3, 1, 2)
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


@deferrable
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:  # fmt: skip
    """1-d convolution (cross-correlation) of (N, C_in, L) or (C_in, L) input.

    Args:
        input: the input.
        weight: (C_out, C_in / groups, k).
        bias: (C_out,) or None.
        stride: step between windows.
        padding: zeros added on both sides: an int, 'valid' (none) or 'same' (output length = input length).
        dilation: spacing of the kernel taps.
        groups: split channels into this many independent groups.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@deferrable
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:  # fmt: skip
    """2-d convolution (cross-correlation) of (N, C_in, H, W) or (C_in, H, W) input.

    Computed as one im2row copy and one matrix product (per group).

    Args:
        input: the input.
        weight: (C_out, C_in / groups, kH, kW).
        bias: (C_out,) or None.
        stride: step between windows (int or pair).
        padding: zeros added on each side (int or pair), 'valid' (none) or 'same' (output size = input size).
        dilation: spacing of the kernel taps (int or pair).
        groups: split channels into this many independent groups.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@deferrable
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding windows: (N, C, H, W) -> (N, C*kH*kW, L), L the number of windows.

    Args:
        input: a 4-D (or unbatched 3-D) tensor.
        kernel_size: window size (int or pair).
        dilation: spacing of the window taps.
        padding: zeros added on each side.
        stride: step between windows.
    """
    if input.ndim not in (3, 4):
        raise InputError(f"unfold: expected a 3-D or 4-D input (N, C, H, W), got shape {shape_str(input)}")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    out = N.Im2Col.apply(x, kernel_size=ntuple(kernel_size, 2, "kernel_size"), dilation=ntuple(dilation, 2, "dilation"),
                         padding=ntuple(padding, 2, "padding"), stride=ntuple(stride, 2, "stride"))  # fmt: skip
    return out.squeeze(0) if input.ndim == 3 else out


@deferrable
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding windows back into an image, the adjoint of ``unfold``: (N, C*kH*kW, L) -> (N, C, H, W).

    Args:
        input: (N, C*kH*kW, L) or unbatched (C*kH*kW, L).
        output_size: (H, W) of the result.
        kernel_size: window size.
        dilation: spacing of the window taps.
        padding: padding that unfold would have added.
        stride: step between windows.
    """
    if input.ndim not in (2, 3):
        raise InputError(f"fold: expected a 2-D or 3-D input (N, C*kH*kW, L), got shape {shape_str(input)}")
    k, d = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    p, s = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    h, w = ntuple(output_size, 2, "output_size")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    n, ckk, length = x.shape
    blocks = N.conv_out_size(h, k[0], s[0], p[0], d[0]) * N.conv_out_size(w, k[1], s[1], p[1], d[1])
    if ckk % (k[0] * k[1]) or length != blocks:
        raise InputError(
            f"fold: expected input of shape (N, C*{k[0]}*{k[1]}, {blocks}) for output_size {(h, w)}, kernel {k}, "
            f"dilation {d}, padding {p}, stride {s}; got {tuple(input.shape)}"
        )
    out = N.Col2Im.apply(x, args=((n, ckk // (k[0] * k[1]), h, w), k, d, p, s))
    return out.squeeze(0) if input.ndim == 2 else out


# ====================================================================== pooling
def _pool_args(kernel_size, stride, padding, dilation, nd: int):
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else ntuple(stride, nd, "stride")
    return k, s, ntuple(padding, nd, "padding"), ntuple(dilation, nd, "dilation")


def _check_pool_input(input: Tensor, nd: int, name) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        dims = "(N, C, L) or (C, L)" if nd == 1 else "(N, C, H, W) or (C, H, W)"
        raise InputError(f"{who(name)}: expected input of shape {dims}, got shape {shape_str(input)}")


@deferrable
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd: int, name):
    _check_pool_input(input, nd, name)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, nd)
    x = input
    if nd == 1:
        x, k, s, p, d = x.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, (1,) + d
    geo = N.PoolGeometry(tuple(x.shape), k, s, p, d, ceil_mode, who(name))
    out = N.MaxPool2d.apply(x, geometry=geo)
    if return_indices:
        xa = x._data
        idx = _wrap(geo.flat_indices(geo.argmax(geo.padded(xa, N._lowest(xa.dtype)), out._data)))
    if nd == 1:
        out = out.squeeze(-2)
    if not return_indices:
        return out
    return out, (idx.squeeze(-2) if nd == 1 else idx)


@deferrable
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):  # fmt: skip
    """The maximum over each (dilated) window of the last two dims.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        padding: implicit -inf padding on each side (at most half the kernel).
        dilation: spacing of the window taps.
        ceil_mode: round the output size up, so windows may run past the bottom/right edge.
        return_indices: also return, for each output, the flat index (y * W + x) of its maximum.
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


@deferrable
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):  # fmt: skip
    """The maximum over each window of the last dim of (N, C, L) or (C, L) input.

    Args:
        input: the input.
        kernel_size: window size.
        stride: step between windows (defaults to kernel_size).
        padding: implicit -inf padding on each side.
        dilation: spacing of the window taps.
        ceil_mode: round the output size up.
        return_indices: also return the index of each maximum.
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def _avg_divisor(geo, count_include_pad: bool, divisor_override, dtype) -> np.ndarray:
    """PyTorch's divisors: windows are clipped to the padded input; without count_include_pad, to the input."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)
    per_dim = []
    for size, k, s, p, o in zip(geo.shape[-2:], geo.kernel, geo.stride, geo.padding, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        per_dim.append(end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0))
    return (per_dim[0][:, None] * per_dim[1][None, :]).astype(dtype)


@deferrable
def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, name):
    _check_pool_input(input, nd, name)
    if not _float_dtype(input):
        raise InputTypeError(f"{who(name)}: expected a floating-point input, got {input.dtype}")
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, nd)
    x = input
    if nd == 1:
        x, k, s, p = x.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{who(name)}: divisor must be not zero")
    geo = N.PoolGeometry(tuple(x.shape), k, s, p, (1, 1), ceil_mode, who(name))
    div = _avg_divisor(geo, count_include_pad, divisor_override, x._data.dtype)
    out = N.AvgPool2d.apply(x, geometry=geo, divisor=div)
    return out.squeeze(-2) if nd == 1 else out


@deferrable
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:  # fmt: skip
    """The mean over each window of the last two dims.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: window size (int or pair).
        stride: step between windows (defaults to kernel_size).
        padding: implicit zero padding on each side (at most half the kernel).
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the divisor.
        divisor_override: divide by this instead of the window size.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")  # fmt: skip


@deferrable
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:  # fmt: skip
    """The mean over each window of the last dim of (N, C, L) or (C, L) input.

    Args:
        input: the input.
        kernel_size: window size.
        stride: step between windows (defaults to kernel_size).
        padding: implicit zero padding on each side.
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the divisor.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def _adaptive_size(output_size, spatial: tuple, nd: int) -> tuple:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise ValueError(f"output_size must have {nd} entries, got {output_size!r}")
        sizes = output_size
    else:
        sizes = (output_size,) * nd
    out = tuple(int(s) if s is not None else spatial[i] for i, s in enumerate(sizes))
    if min(out) <= 0:
        raise ValueError(f"output_size must be positive, got {output_size!r}")
    return out


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages input positions floor(i*size/out) .. ceil((i+1)*size/out)-1."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):  # out rows of a small constant matrix, not a loop over the data
        a, b = (i * size) // out, -(-(i + 1) * size // out)
        m[i, a:b] = 1.0 / (b - a)
    return m


@deferrable
def _adaptive_avg(input, output_size, nd: int, name) -> Tensor:
    _check_pool_input(input, nd, name)
    spatial = tuple(input.shape[-nd:])
    out = _adaptive_size(output_size, spatial, nd)
    if all(o == 1 for o in out):
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    if all(s % o == 0 for s, o in zip(spatial, out)):
        k = tuple(s // o for s, o in zip(spatial, out))
        return (avg_pool1d if nd == 1 else avg_pool2d)(input, k)
    # uneven windows: averaging matrices, x @ Pw.T along the width and Ph @ x along the height
    dt = input._data.dtype
    y = _mf.matmul(input, _const(_adaptive_matrix(spatial[-1], out[-1], dt).T))
    if nd == 2:
        y = _mf.matmul(_const(_adaptive_matrix(spatial[0], out[0], dt)), y)
    return y


@deferrable
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (H_out, W_out); window i spans floor(i*H/H_out) to ceil((i+1)*H/H_out).

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (None keeps that input size).
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


@deferrable
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) input to a fixed output length.

    Args:
        input: the input.
        output_size: the output length.
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


@deferrable
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size, with adaptive_avg_pool2d's windows.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (None keeps that input size).
        return_indices: also return the flat index of each maximum (only when the input size is a
            multiple of the output size).
    """
    _check_pool_input(input, 2, "adaptive_max_pool2d")
    spatial = tuple(input.shape[-2:])
    out = _adaptive_size(output_size, spatial, 2)
    if all(s % o == 0 for s, o in zip(spatial, out)):
        k = tuple(s // o for s, o in zip(spatial, out))
        return max_pool2d(input, k, return_indices=return_indices)
    if return_indices:
        raise NotImplementedError(
            "adaptive_max_pool2d: return_indices is only supported when the input size is a multiple of output_size"
        )
    # windows of unequal length, each padded to the longest by repeating its last index (max is unchanged)
    idx = []
    for size, o in zip(spatial, out):
        starts = (np.arange(o) * size) // o
        ends = -(-(np.arange(1, o + 1) * size) // o)
        kmax = int((ends - starts).max())
        idx.append(np.minimum(starts[:, None] + np.arange(kmax), ends[:, None] - 1))
    ih, iw = idx[0][:, :, None, None], idx[1][None, None, :, :]
    return _mf.index(input, (Ellipsis, _const(ih), _const(iw))).amax((-3, -1))


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


@deferrable
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad`` = (left, right) of the last dim, then of the one before, and so on.

    Args:
        input: any tensor.
        pad: an even-length sequence of ints (negative values crop, in constant mode).
        mode: 'constant', 'reflect' (mirror without the edge), 'replicate' (repeat the edge) or 'circular' (wrap).
        value: the fill value of constant padding (default 0).
    """
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise ValueError("Padding length must be divisible by 2")
    k = len(pads) // 2
    if k > input.ndim:
        raise ValueError(
            f"Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pads)} and input of dimension {input.ndim}"
        )
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unsupported padding mode {mode!r} (expected one of {_PAD_MODES})")
    widths = {input.ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(k)}
    if mode == "constant":
        x = input
        if any(lo < 0 or hi < 0 for lo, hi in widths.values()):  # negative padding crops
            key = tuple(
                slice(max(-widths[d][0], 0), x.shape[d] - max(-widths[d][1], 0)) if d in widths else slice(None)
                for d in range(x.ndim)
            )
            x = x[key]
        full = tuple((max(widths.get(d, (0, 0))[0], 0), max(widths.get(d, (0, 0))[1], 0)) for d in range(x.ndim))
        if not any(lo or hi for lo, hi in full):
            return x
        return ConstantPad.apply(x, widths=full, value=0.0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if k > 3 or input.ndim not in (k + 1, k + 2):  # PyTorch's rule: the padded dims follow (N,) C
        raise NotImplementedError(
            f"pad: Padding size {len(pads)} is not supported for {input.ndim}D input tensor; {mode} padding of "
            f"the last k dims (k = 1, 2, 3) needs a (k+1)D or (k+2)D input, got shape {shape_str(input)}"
        )
    x = input
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    for d, (lo, hi) in widths.items():
        size = x.shape[d]
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: negative padding is only supported in constant mode, got {tuple(pads)}")
        if mode == "reflect" and (lo >= size or hi >= size):
            raise InputError(
                f"pad: Padding size should be less than the corresponding input dimension, but got: padding "
                f"({lo}, {hi}) at dimension {d} of input {shape_str(input)}"
            )
        if mode == "circular" and (lo > size or hi > size):
            raise InputError(
                f"pad: Padding value causes wrapping around more than once: padding ({lo}, {hi}) at dimension {d} "
                f"of input {shape_str(input)}"
            )
        if lo or hi:
            src = np.pad(np.arange(size), (lo, hi), mode=np_mode)
            x = _mf.index_select(x, d, _const(src))
    return x


# ====================================================================== normalisation
@deferrable
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise each channel (dim 1) over the batch and spatial dims, then scale and shift.

    In training, batch statistics are used and running_mean / running_var (if given) are updated
    in place: new = (1 - momentum) * old + momentum * batch value (the unbiased variance).
    Otherwise the running statistics are used.

    Args:
        input: (N, C) or (N, C, *).
        running_mean: (C,) tensor or None.
        running_var: (C,) tensor or None.
        weight: (C,) scale or None.
        bias: (C,) shift or None.
        training: use batch statistics (and update the running ones).
        momentum: the running-average factor.
        eps: added to the variance for stability.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, "batch_norm")


@deferrable
def _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps, name, expected=None):
    if x.ndim < 2:
        raise InputError(f"{who(name)}: expected input of shape (N, C) or (N, C, *), got shape {shape_str(x)}")
    c = x.shape[1]
    for what, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise InputError(
                f"{who(name)}: {what} has {t.numel()} elements but the input (shape {shape_str(x)}) has {c} "
                "channels in dim 1"
            )
    if not _float_dtype(x):
        raise InputTypeError(f"{who(name)}: expected a floating-point input, got {x.dtype}")
    dims = (0,) + tuple(range(2, x.ndim))
    wshape = (1, c) + (1,) * (x.ndim - 2)
    affine = _affine(weight, bias, c, x)
    if training:
        if x.numel() // c <= 1:
            raise InputError(f"{who(name)}: Expected more than 1 value per channel when training, got input size "
                             f"{x.shape}")  # fmt: skip
        running = None
        if running_mean is not None and running_var is not None:
            running = (running_mean._data, running_var._data, momentum)
            running_mean._version += 1
            running_var._version += 1
        return N.Normalize.apply(x, *affine, dims=dims, wshape=wshape, eps=eps, running=running)
    if running_mean is None or running_var is None:
        raise InputError(f"{who(name)}: running_mean and running_var must be given when training=False")
    dt = x._data.dtype
    stats = (running_mean._data.reshape(wshape).astype(dt, copy=False),
             running_var._data.reshape(wshape).astype(dt, copy=False))  # fmt: skip
    return N.Normalize.apply(x, *affine, dims=dims, wshape=wshape, eps=eps, stats=stats)


def _affine(weight, bias, shape, x) -> tuple:
    if weight is None and bias is None:
        return ()
    if weight is None:
        weight = _wrap(np.ones(shape, dtype=x._data.dtype))
    return (weight,) if bias is None else (weight, bias)


@deferrable
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise over the last dims (``normalized_shape``) of each sample, then scale and shift.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalise over (int or tuple).
        weight: scale of shape normalized_shape, or None.
        bias: shift of shape normalized_shape, or None.
        eps: added to the variance for stability.
    """
    return _layer_norm(input, normalized_shape, weight, bias, eps, "layer_norm")


@deferrable
def _layer_norm(x, normalized_shape, weight, bias, eps, name) -> Tensor:
    ns = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != ns:
        raise InputError(f"{who(name)}: Given normalized_shape={list(ns)}, expected input with shape "
                         f"[*, {', '.join(map(str, ns))}], but got input of size {list(x.shape)}")  # fmt: skip
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise InputError(f"{who(name)}: {what} must have shape {ns}, got {shape_str(t)}")
    if not _float_dtype(x):
        raise InputTypeError(f"{who(name)}: expected a floating-point input, got {x.dtype}")
    dims = tuple(range(x.ndim - k, x.ndim))
    return N.Normalize.apply(x, *_affine(weight, bias, ns, x), dims=dims, wshape=ns, eps=eps)


@deferrable
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise each group of channels of each sample, then scale and shift per channel.

    Args:
        input: (N, C, *).
        num_groups: number of groups; must divide C.
        weight: (C,) scale or None.
        bias: (C,) shift or None.
        eps: added to the variance for stability.
    """
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise InputError(f"group_norm: expected input (N, C, *) with C divisible by num_groups={num_groups}, "
                         f"got shape {shape_str(input)}")  # fmt: skip
    n, c = input.shape[:2]
    y = N.Normalize.apply(input.reshape(n, num_groups, -1), dims=(2,), wshape=(1, num_groups, 1), eps=eps)
    y = y.reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


@deferrable
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``.

    Args:
        input: any tensor.
        p: the norm's exponent.
        dim: the dimension to normalise.
        eps: lower bound of the norm.
        out: not supported (must be None).
    """
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported by morch")
    return input / _mf.norm(input, p, dim, keepdim=True).clamp(min=eps)


@deferrable
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / sqrt(max(|x1|^2 |x2|^2, eps^2)) along ``dim`` (inputs broadcast).

    Args:
        x1: a tensor.
        x2: a tensor broadcastable with x1.
        dim: the dimension of the vectors.
        eps: lower bound of the norm product.
    """
    dot = (x1 * x2).sum(dim)
    sq = (x1 * x1).sum(dim) * (x2 * x2).sum(dim)
    return dot / sq.clamp(min=eps * eps).sqrt()


@deferrable
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim.

    Args:
        x1: (N, D) or (D,).
        x2: broadcastable with x1.
        p: the norm's exponent.
        eps: added to the difference to avoid a zero norm.
        keepdim: keep the reduced dim.
    """
    return _mf.norm(x1 - x2 + eps, p, -1, keepdim)


# ====================================================================== dropout
def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(shape: tuple, p: float, dtype) -> np.ndarray:
    """Keep-mask scaled by 1/(1-p), drawn from morch's default generator."""
    if p == 1.0:
        return np.zeros(shape, dtype=dtype)
    u = random._gen(None).random(shape, dtype=np.float32 if dtype == np.float32 else np.float64)
    return (u >= p) * dtype.type(1.0 / (1.0 - p))


@deferrable
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training).

    Args:
        input: any tensor.
        p: the probability of zeroing an element.
        training: apply dropout (False returns the input unchanged).
        inplace: overwrite ``input``.
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    out = input * _const(_dropout_mask(tuple(input.shape), p, input._data.dtype))
    return _maybe_inplace(input, out, inplace)


def _feature_dropout(input, p, training, inplace, nd: int, name: str) -> Tensor:
    _check_p(p)
    if input.ndim not in (nd + 1, nd + 2):
        raise InputError(f"{name}: Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
                         f"but got input of size: {list(input.shape)}")  # fmt: skip
    if not training or p == 0.0:
        return input
    lead = input.ndim - nd  # (N, C) or (C,): one draw per channel map
    shape = tuple(input.shape[:lead]) + (1,) * nd
    out = input * _const(_dropout_mask(shape, p, input._data.dtype))
    return _maybe_inplace(input, out, inplace)


@deferrable
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p, scaling the rest by 1/(1-p).

    Args:
        input: the input.
        p: the probability of zeroing a channel.
        training: apply dropout.
        inplace: overwrite ``input``.
    """
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


@deferrable
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) or (C, H, W) input with probability p.

    Args:
        input: the input.
        p: the probability of zeroing a channel.
        training: apply dropout.
        inplace: overwrite ``input``.
    """
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


@deferrable
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p.

    Args:
        input: the input.
        p: the probability of zeroing a channel.
        training: apply dropout.
        inplace: overwrite ``input``.
    """
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


# ====================================================================== embeddings
@deferrable
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:  # fmt: skip
    """Rows of ``weight`` at the integer indices ``input``: output shape input.shape + (embedding_dim,).

    Args:
        input: integer indices.
        weight: (num_embeddings, embedding_dim) table.
        padding_idx: this row gets no gradient.
        max_norm: rows looked up are first renormalised in place to at most this norm.
        norm_type: the p of the max_norm norm.
        scale_grad_by_freq: divide each row's gradient by its count in the batch.
        sparse: accepted for compatibility; morch's gradient is always dense.
    """
    return _embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, "embedding")


@deferrable
def _embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, name) -> Tensor:
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise InputTypeError(f"{who(name)}: expected integer indices (int64 or int32), got {input.dtype}; "
                             "convert them with .long()")  # fmt: skip
    if weight.ndim != 2:
        raise InputError(f"{who(name)}: weight must be 2-D (num_embeddings, embedding_dim), got {shape_str(weight)}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{who(name)}: index out of range in self: index {bad} with {num} embeddings")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{who(name)}: Padding_idx must be within num_embeddings")
        padding_idx %= num
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        w[rows] *= scale[:, None]
        weight._version += 1
    return N.Embedding.apply(weight, input, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


@deferrable
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(…, num_classes) int64 tensor with a 1 at each index of ``tensor``.

    Args:
        tensor: integer class indices.
        num_classes: the number of classes (-1: one more than the largest index).
    """
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise InputTypeError(f"one_hot is only applicable to index tensor of an integer dtype, got {tensor.dtype}")
    if a.size and a.min() < 0:
        raise InputError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    elif a.size and a.max() >= num_classes:
        raise InputError(f"one_hot: Class values must be smaller than num_classes ({num_classes}), got {a.max()}")
    return _wrap((a[..., None] == np.arange(num_classes)).astype(np.int64))


# ====================================================================== losses
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{name}: Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=4,
        )


def _weighted(loss: Tensor, weight, reduction: str, input: Tensor, name: str, by_weight: bool = True) -> Tensor:
    # PyTorch's 'mean' of a weighted loss divides by the summed weights, except huber_loss's (a plain mean)
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{name}: Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _loss_args(size_average, reduce, reduction):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    return reduction


@deferrable
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """Mean squared error (input - target)^2, reduced.

    Args:
        input: predictions.
        target: targets of the same shape.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        weight: per-element weights ('mean' then divides by their sum).
    """
    reduction = _loss_args(size_average, reduce, reduction)
    _check_same_size(input, target, "mse_loss")
    d = input - target
    return _weighted(d * d, weight, reduction, d, "mse_loss")


@deferrable
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """Mean absolute error |input - target|, reduced.

    Args:
        input: predictions.
        target: targets of the same shape.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        weight: per-element weights ('mean' then divides by their sum).
    """
    reduction = _loss_args(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    d = input - target
    return _weighted(_mf.abs(d), weight, reduction, d, "l1_loss")


@deferrable
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:  # fmt: skip
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target), reduced.

    Args:
        input: predictions.
        target: targets of the same shape.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        beta: where the loss changes from quadratic to linear (0 gives the L1 loss).
    """
    reduction = _loss_args(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError("smooth_l1_loss does not support negative values for beta.")
    _check_same_size(input, target, "smooth_l1_loss")
    d = input - target
    ad = _mf.abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(_mf.where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


@deferrable
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target), reduced.

    Args:
        input: predictions.
        target: targets of the same shape.
        reduction: 'mean', 'sum' or 'none'.
        delta: where the loss changes from quadratic to linear (positive).
        weight: per-element weights (multiplying the loss before the reduction).
    """
    check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    _check_same_size(input, target, "huber_loss")
    d = input - target
    ad = _mf.abs(d)
    loss = _mf.where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted(loss, weight, reduction, d, "huber_loss", by_weight=False)


def _bce_shape(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise InputError(f"{name}: Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")  # fmt: skip


@deferrable
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """-(t log p + (1 - t) log(1 - p)) for probabilities p = input in [0, 1] (logs clamped at -100).

    Args:
        input: probabilities.
        target: targets in [0, 1] of the same shape.
        weight: rescales each element's loss (broadcast against input).
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = _loss_args(size_average, reduce, reduction)
    _bce_shape(input, target, "binary_cross_entropy")
    x, t = _mf._pair(input, target)
    loss = N.BinaryCrossEntropy.apply(x, t)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@deferrable
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """Binary cross entropy of sigmoid(input), computed stably from the logits:
    (1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)).

    Args:
        input: logits.
        target: targets in [0, 1] of the same shape.
        weight: rescales each element's loss (broadcast against input).
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: weight of the positive term, per class (broadcast along the last dim).
    """
    reduction = _loss_args(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise InputError(f"binary_cross_entropy_with_logits: Target size ({target.shape}) must be the same as "
                         f"input size ({input.shape})")  # fmt: skip
    x, t = _mf._pair(input, target)
    ls = logsigmoid(x)
    if pos_weight is None:
        loss = (1 - t) * x - ls
    else:
        loss = (1 - t) * x - (1 + (pos_weight - 1) * t) * ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@deferrable
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:  # fmt: skip
    """Kullback-Leibler divergence terms t (log t - input), for log-probabilities ``input``.

    Args:
        input: log-probabilities.
        target: probabilities (or log-probabilities with log_target=True).
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'batchmean' (sum / batch size: the true KL divergence), 'sum', 'mean' (over every element)
            or 'none'.
        log_target: the target is given as log-probabilities.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, ("mean", "sum", "none", "batchmean"))
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=3,
        )
    if log_target:
        loss = _mf.exp(target) * (target - input)
    else:
        pos = target > 0
        loss = _mf.where(pos, target * (_mf.log(_mf.where(pos, target, 1.0)) - input), 0.0)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def _check_targets(input: Tensor, target: Tensor, name: str, cdim: int) -> None:
    t = target._data
    if t.dtype.kind not in "iu":
        raise InputTypeError(f"{name}: expected integer class indices (int64) as target, got {target.dtype}; "
                             "use .long(), or float class probabilities of the input's shape")  # fmt: skip
    expected = tuple(input.shape[:cdim]) + tuple(input.shape[cdim + 1 :])
    if tuple(t.shape) != expected:
        if input.ndim == 2 and t.ndim == 1:
            raise InputError(f"{name}: Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({t.shape[0]}).")  # fmt: skip
        raise InputError(f"{name}: Expected target size {list(expected)}, got {list(t.shape)} "
                         f"(input shape {list(input.shape)})")  # fmt: skip


def _class_weight(weight, c: int, dtype, name: str):
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != c:
        raise InputError(f"{name}: weight tensor should be defined either for all {c} classes or no classes but "
                         f"got weight tensor of shape: {list(weight.shape)}")  # fmt: skip
    return weight._data.astype(dtype, copy=False)


@deferrable
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood: -weight[t] * input[t] for log-probabilities ``input`` and class indices t.

    Args:
        input: (N, C), (C,) or (N, C, d1, ...) log-probabilities.
        target: (N,), () or (N, d1, ...) class indices.
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        ignore_index: targets with this value contribute nothing (and are not counted by 'mean').
        reduce: deprecated (use reduction).
        reduction: 'mean' (weighted mean), 'sum' or 'none'.
    """
    reduction = _loss_args(size_average, reduce, reduction)
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


@deferrable
def _nll(input, target, weight, ignore_index, reduction, name, fused: bool = False) -> Tensor:
    if input.ndim < 1:
        raise InputError(f"{name}: input must have at least one dimension (classes), got a 0-d tensor")
    cdim = 0 if input.ndim == 1 else 1
    _check_targets(input, target, name, cdim)
    c = input.shape[cdim]
    w = _class_weight(weight, c, input._data.dtype, name)
    if input.ndim == 1:
        x2, t = input.unsqueeze(0), target.reshape(1)
    elif input.ndim == 2:
        x2, t = input, target
    else:  # (N, C, d1, ...): classes last, then one row per position
        x2 = _classes_last(input)
        t = target.reshape(-1)
    if not _float_dtype(x2):
        raise InputTypeError(f"{name}: expected floating-point input, got {input.dtype}")
    op = N.CrossEntropy if fused else N.NllLoss  # fused: log_softmax over the classes, then NLL
    out = op.apply(x2, t, weight=w, ignore_index=ignore_index, reduction=reduction)
    if reduction == "none":
        return out.reshape(target.shape)
    return out


def _classes_last(x: Tensor) -> Tensor:
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, x.shape[1])


@deferrable
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    """Cross entropy between softmax(input) over dim 1 (dim 0 for 1-D input) and the target.

    ``target`` is either class indices (integer, the input's shape without the class dim) or class
    probabilities (float, the input's shape).

    Args:
        input: (N, C), (C,) or (N, C, d1, ...) unnormalised logits.
        target: class indices or class probabilities.
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        ignore_index: with class indices, targets of this value contribute nothing.
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: in [0, 1]: mix the target with the uniform distribution by this amount.
    """
    reduction = _loss_args(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise InputError("cross_entropy: input must have at least one dimension (classes), got a 0-d tensor")
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    if label_smoothing == 0.0 and target._data.dtype.kind in "iu":  # the usual case: one fused op
        return _nll(input, target, weight, ignore_index, reduction, "cross_entropy", fused=True)
    logp = _mf.log_softmax(input, cdim)
    if target._data.dtype.kind == "f":
        return _cross_entropy_probs(logp, target, weight, ignore_index, reduction, label_smoothing, cdim, c)
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0.0:
        return nll
    # label smoothing: (1 - eps) * nll + eps / C * (the loss against the uniform distribution)
    bshape = [1] * input.ndim
    bshape[cdim] = c
    terms = logp if weight is None else logp * weight.reshape(bshape)
    keep = target != ignore_index
    smooth = _mf.where(keep, -terms.sum(cdim), 0.0)
    if reduction == "mean":
        if weight is None:
            denom = keep.sum()
        else:
            t = target._data
            denom = _wrap(np.asarray(weight._data[t[t != ignore_index]].sum(), dtype=logp._data.dtype))
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)


def _cross_entropy_probs(logp, target, weight, ignore_index, reduction, label_smoothing, cdim, c) -> Tensor:
    if tuple(target.shape) != tuple(logp.shape):
        raise InputError(f"cross_entropy: a float (class probability) target must have the input's shape "
                         f"{list(logp.shape)}, got {list(target.shape)}")  # fmt: skip
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index is not supported for floating point target")
    t = target
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / c
    terms = logp * t
    if weight is not None:
        bshape = [1] * logp.ndim
        bshape[cdim] = c
        terms = terms * weight.reshape(bshape)
    if reduction == "none":
        return -terms.sum(cdim)
    total = -terms.sum()
    return total / (logp.numel() // c) if reduction == "mean" else total


# ====================================================================== plugin ops
def __getattr__(name: str):
    # ops that plugins register with functional=True appear here (morch's own names come first)
    if name.startswith("__"):
        raise AttributeError(name)
    from morch import plugins

    try:
        fn = plugins.op_function(name, namespace="nn.functional")
    except TypeError:  # an older plugins module without namespaces
        fn = plugins.op_function(name)
    if fn is None:
        raise AttributeError(f"module 'morch.nn.functional' has no attribute {name!r}")
    return fn


# Composites that change no state and whose Python code reads only shapes (never values): a static
# graph may replay the ops they applied instead of calling them again (morch.static). Others
# (dropout, batch_norm, embedding with max_norm, one_hot without num_classes) are always re-run.
for _f in (glu, prelu, bilinear, conv1d, conv2d, unfold, fold, max_pool1d, max_pool2d, avg_pool1d, avg_pool2d,
           adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d, pad, layer_norm, group_norm, normalize,
           cosine_similarity, pairwise_distance, mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
           binary_cross_entropy_with_logits, kl_div, nll_loss, cross_entropy):  # fmt: skip
    _f.replayable = True


# ====================================================================== transposed convolution
def _check_conv_transpose_input(x: Tensor, weight: Tensor, bias, groups: int, nd: int, name) -> None:
    a, w = x._data, weight._data
    if w.ndim != nd + 2:
        raise InputError(f"{who(name)}: weight must be {nd + 2}-D (in_channels, out_channels/groups, *kernel), "
                         f"got shape {tuple(w.shape)}")  # fmt: skip
    if groups <= 0:
        raise ValueError(f"{who(name)}: non-positive groups is not supported, got groups={groups}")
    if w.shape[0] % groups:
        raise InputError(
            f"{who(name)}: in_channels ({w.shape[0]}, weight dim 0) must be divisible by groups ({groups})"
        )
    cin, spatial = w.shape[0], ["L"] if nd == 1 else ["H", "W"]
    if a.ndim not in (nd + 1, nd + 2) or a.shape[-nd - 1] != cin:
        raise InputError(
            f"{who(name)}: expected input of shape ({', '.join(['N', str(cin)] + spatial)}) or "
            f"({', '.join([str(cin)] + spatial)}) for weight of shape {tuple(w.shape)}, got shape {tuple(a.shape)}"
        )
    if a.dtype != w.dtype:
        raise InputTypeError(
            f"{who(name)}: input dtype {dtypes.from_numpy(a.dtype)} does not match the weight dtype "
            f"{dtypes.from_numpy(w.dtype)} (convert the input, e.g. x.float(), or the module, e.g. .double())"
        )
    cout = w.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise InputError(f"{who(name)}: bias must have shape ({cout},) (out_channels), got {shape_str(bias)}")


def _transposed_geometry(input, kernel, stride, padding, output_padding, dilation, nd: int, name) -> tuple:
    """Checked (stride, padding, output_padding, dilation) as nd-tuples and the output's spatial size
    (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1."""
    if isinstance(padding, str):
        raise TypeError(f"{who(name)}: padding must be an int or a tuple of {nd} ints, got {padding!r}")
    s, p = ntuple(stride, nd, "stride"), ntuple(padding, nd, "padding")
    op, d = ntuple(output_padding, nd, "output_padding"), ntuple(dilation, nd, "dilation")
    if min(s + d) <= 0:
        raise InputError(f"{who(name)}: stride and dilation must be positive, got stride={s}, dilation={d}")
    if min(p + op) < 0:
        raise InputError(f"{who(name)}: negative padding is not supported, got padding={p}, output_padding={op}")
    if any(o >= si and o >= di for o, si, di in zip(op, s, d)):
        raise InputError(
            f"{who(name)}: output_padding must be smaller than either stride or dilation, got output_padding={op}, "
            f"stride={s}, dilation={d}"
        )
    spatial = tuple(input.shape[-nd:])
    size = tuple(
        (i - 1) * si - 2 * pi + di * (k - 1) + oi + 1 for i, si, pi, di, k, oi in zip(spatial, s, p, d, kernel, op)
    )
    if min(size) <= 0:
        raise InputError(
            f"{who(name)}: input of spatial size {spatial} with kernel {tuple(kernel)}, stride {s}, padding {p}, "
            f"dilation {d} and output_padding {op} gives an empty output {size}"
        )
    return s, p, op, d, size


@deferrable
def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name) -> Tensor:
    """The transposed convolution of conv_transpose1d / 2d (and their layers): the gradient of a
    convolution with respect to its input (the Conv2dInputGrad op), one op per group."""
    _check_conv_transpose_input(input, weight, bias, groups, nd, name)
    kernel = tuple(weight.shape[2:])
    stride, padding, output_padding, dilation, size = _transposed_geometry(
        input, kernel, stride, padding, output_padding, dilation, nd, name
    )
    size = list(size)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    w = weight
    if nd == 1:  # a 1-d transposed convolution is a 2-d one of height 1
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        padding, size = (0,) + padding, [1] + size
    # x is read as the gradient of a convolution of an (N, C_out / groups, *size) input; when
    # output_padding >= stride (allowed below the dilation) that convolution has more output pixels
    # than x, and the missing ones are zeros
    pad4 = (padding[0], padding[0], padding[1], padding[1])
    oh, ow = N._conv_geometry(size[0], size[1], kernel, stride, pad4, dilation)
    if (oh, ow) != tuple(x.shape[2:]):
        x = pad(x, (0, ow - x.shape[3], 0, oh - x.shape[2]))
    args = ((x.shape[0], w.shape[1], size[0], size[1]), kernel, stride, pad4, dilation)
    if groups == 1:
        out = N.Conv2dInputGrad.apply(x, w, args=args)
    else:
        parts = zip(x.chunk(groups, 1), w.chunk(groups, 0))
        out = _mf.cat([N.Conv2dInputGrad.apply(xg, wg, args=args) for xg, wg in parts], 1)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1)
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


@deferrable
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:  # fmt: skip
    """1-d transposed convolution of (N, C_in, L) or (C_in, L) input: the gradient of conv1d with
    respect to its input, of length (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.

    Args:
        input: the input.
        weight: (C_in, C_out / groups, k).
        bias: (C_out,) or None.
        stride: the stride of the convolution this is the gradient of.
        padding: that convolution's padding (an int; cut from both ends of the output).
        output_padding: extra length added at the end of the output (smaller than stride or dilation).
        groups: split channels into this many independent groups.
        dilation: spacing of the kernel taps.
    """
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d"
    )


@deferrable
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:  # fmt: skip
    """2-d transposed convolution ("deconvolution") of (N, C_in, H, W) or (C_in, H, W) input: the
    gradient of conv2d with respect to its input; H_out = (H - 1) * stride - 2 * padding +
    dilation * (kH - 1) + output_padding + 1, and likewise W_out.

    Args:
        input: the input.
        weight: (C_in, C_out / groups, kH, kW).
        bias: (C_out,) or None.
        stride: the stride of the convolution this is the gradient of (int or pair).
        padding: that convolution's padding (int or pair; cut from both sides of the output).
        output_padding: extra rows and columns added at the bottom and right of the output (int or
            pair, smaller than stride or dilation).
        groups: split channels into this many independent groups.
        dilation: spacing of the kernel taps (int or pair).
    """
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d"
    )


__all__ += ["conv_transpose1d", "conv_transpose2d"]
conv_transpose1d.replayable = conv_transpose2d.replayable = True


from morch.nn.upsampling import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402

__all__ += ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

from morch.nn.attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]

# functions defined next to their layers (shuffles, normalisation, pooling, alpha dropout, losses)
from morch.nn.dropout import alpha_dropout, feature_alpha_dropout  # noqa: E402
from morch.nn.fold import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402
from morch.nn.loss import (  # noqa: E402
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from morch.nn.normalization import instance_norm, local_response_norm, rms_norm  # noqa: E402
from morch.nn.pooling import adaptive_max_pool1d, lp_pool1d, lp_pool2d  # noqa: E402

__all__ += [
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "instance_norm", "rms_norm", "local_response_norm",
    "adaptive_max_pool1d", "lp_pool1d", "lp_pool2d", "alpha_dropout", "feature_alpha_dropout",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "cosine_embedding_loss", "multi_margin_loss", "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
]  # fmt: skip


# ------------------------------------------------------------------ more activations, in-place forms, pooling helpers
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0.

    Args:
        input: the input.
        lambd: the threshold.
    """
    return _mf.where(_mf.abs(input) > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0.

    Args:
        input: the input.
        lambd: the threshold (>= 0).
    """
    if lambd < 0:
        raise ValueError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _mf.where(input > lambd, input - lambd, _mf.where(input < -lambd, input + lambd, 0.0))


@deferrable
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:  # fmt: skip
    """Randomized leaky ReLU: negative inputs scaled by a slope drawn from U(lower, upper) per
    element when training, by (lower + upper) / 2 otherwise.

    Args:
        input: the input.
        lower: the smallest slope.
        upper: the largest slope.
        training: draw random slopes.
        inplace: overwrite the input.
    """
    if training:
        slope = _wrap(random.default_generator._rng.uniform(lower, upper, tuple(input.shape)).astype(input._data.dtype))
    else:
        slope = (lower + upper) / 2
    out = _mf.where(input >= 0, input, input * slope)
    return _maybe_inplace(input, out, inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place ``rrelu``.

    Args:
        input: the tensor to overwrite.
        lower: the smallest slope.
        upper: the largest slope.
        training: draw random slopes.
    """
    return rrelu(input, lower, upper, training, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return globals()["threshold"](input, threshold, value, inplace=True)


@deferrable
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A sample from the Gumbel-softmax distribution: softmax((logits + Gumbel noise) / tau); with
    ``hard``, the one-hot of its argmax, with the soft sample's gradient (straight-through).

    Args:
        logits: unnormalised log-probabilities.
        tau: the temperature (> 0).
        hard: return one-hot vectors.
        eps: unused (PyTorch's deprecated argument).
        dim: the dimension of the categories.
    """
    u = random.default_generator._rng.random(tuple(logits.shape))
    gumbels = _wrap(-np.log(-np.log(np.clip(u, 1e-20, 1.0)) + 1e-20).astype(logits._data.dtype))
    soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    index = soft.argmax(dim, keepdim=True)
    hard_y = _wrap(np.zeros(tuple(soft.shape), soft._data.dtype)).scatter(dim, index, 1.0)
    return hard_y - soft.detach() + soft


@deferrable
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between every pair of rows of an (N, M) input, the upper triangle of
    the distance matrix row by row: N (N - 1) / 2 values.

    Args:
        input: an (N, M) tensor.
        p: the order of the norm.
    """
    if input.ndim != 2:
        raise ValueError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return _mf.norm(input[_wrap(i)] - input[_wrap(j)], p, dim=1)


@deferrable
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):  # fmt: skip
    """``max_pool1d(..., return_indices=True)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@deferrable
def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):  # fmt: skip
    """``max_pool2d(..., return_indices=True)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@deferrable
def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return adaptive_max_pool1d(input, output_size, True)


@deferrable
def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return adaptive_max_pool2d(input, output_size, True)


def _max_unpool(input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size, nd: int, name: str):
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else ntuple(stride, nd, "stride")
    p = ntuple(padding, nd, "padding")
    spatial = tuple(input.shape[-nd:])
    default = tuple((n - 1) * st - 2 * pd + kk for n, st, pd, kk in zip(spatial, s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"{name}: output_size must have {nd} elements, got {tuple(output_size)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"{name}: expected indices of shape {tuple(input.shape)}, got {tuple(indices.shape)}")
    lead = tuple(input.shape[:-nd])
    total = int(np.prod(size))
    flat_in = input.reshape(*lead, -1)
    flat_idx = indices.reshape(*lead, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= total):
        raise ValueError(f"{name}: found an invalid max index {int(flat_idx.max())} (output size {size})")
    out = _wrap(np.zeros(lead + (total,), dtype=input._data.dtype)).scatter(-1, flat_idx, flat_in)
    return out.reshape(*lead, *size)


@deferrable
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: each value written back at its recorded index, zeros elsewhere.

    Args:
        input: the pooled values (N, C, L) or (C, L).
        indices: max_pool1d's indices.
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
        output_size: the size to restore (default from the other arguments).
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


@deferrable
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value written back at its recorded index, zeros elsewhere.

    Args:
        input: the pooled values (N, C, H, W) or (C, H, W).
        indices: max_pool2d's indices.
        kernel_size: the pooling kernel size.
        stride: the pooling stride (default kernel_size).
        padding: the pooling padding.
        output_size: the size to restore (default from the other arguments).
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


__all__ += [
    "hardshrink", "softshrink", "rrelu", "rrelu_", "elu_", "celu_", "selu_", "leaky_relu_", "hardtanh_", "threshold_",
    "gumbel_softmax", "pdist", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "max_unpool1d", "max_unpool2d",
]  # fmt: skip


# ------------------------------------------------------------------ spatial transformers: affine_grid, grid_sample
@deferrable
def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of (x, y) coordinates in [-1, 1] that the affine maps
    ``theta`` (N, 2, 3) give for an output of ``size`` (N, C, H, W); for ``grid_sample``.

    Args:
        theta: (N, 2, 3) affine matrices.
        size: the output size (N, C, H, W).
        align_corners: whether -1 and 1 are the centres of the corner pixels (default False).
    """
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D sizes (N, C, H, W) in morch, got size {tuple(size)}")
    n, _, h, w = (int(v) for v in size)
    if tuple(theta.shape) != (n, 2, 3):
        raise ValueError(
            f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {tuple(size)}. Got {tuple(theta.shape)}."
        )
    corners = bool(align_corners)

    def axis(k):
        if k <= 1:
            return np.zeros(k)
        lin = np.linspace(-1, 1, k)
        return lin if corners else lin * (k - 1) / k

    xs, ys = np.meshgrid(axis(w), axis(h))
    base = np.stack([xs, ys, np.ones_like(xs)], -1).reshape(1, h * w, 3).astype(theta._data.dtype)
    grid = _wrap(base) @ theta.transpose(1, 2)  # (N, H*W, 2)
    return grid.reshape(n, h, w, 2)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _clip(x: Tensor, hi: float) -> Tensor:
    """x limited to [0, hi], with no gradient on or beyond the ends (as PyTorch's grid_sample)."""
    inside = (x > 0) & (x < hi)
    return _mf.where(inside, x, _mf.clamp(x, 0, hi).detach())


def _reflect(x: Tensor, lo: float, hi: float) -> Tensor:
    """Reflect coordinates into [lo, hi] (repeatedly, as far as they go)."""
    span = hi - lo
    if span <= 0:
        return x * 0 + lo
    d = _mf.abs(x - lo)
    flips = _mf.floor(d / span).detach()
    extra = d - flips * span
    even = _wrap((flips._data % 2) == 0)
    return _mf.where(even, extra + lo, span - extra + lo)


@deferrable
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:  # fmt: skip
    """Sample input (N, C, H, W) at the (x, y) positions of grid (N, Ho, Wo, 2), in [-1, 1]
    coordinates, giving (N, C, Ho, Wo); differentiable in input and (bilinear) in grid.

    Args:
        input: the image batch (4-d; morch has no 5-d form).
        grid: the sampling positions, x then y.
        mode: 'bilinear' or 'nearest' ('bicubic' is not in morch).
        padding_mode: 'zeros', 'border' or 'reflection' for positions outside.
        align_corners: whether -1 and 1 are the centres of the corner pixels (default False).
    """
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(f"grid_sample: mode {mode!r} is not supported by morch (use 'bilinear' or 'nearest')")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ValueError(
            f"grid_sample: expected 4-D input (N, C, H, W) and grid (N, Ho, Wo, 2) with the same N, got "
            f"{tuple(input.shape)} and {tuple(grid.shape)}"
        )
    corners = bool(align_corners)
    n, c, h, w = input.shape
    x = _unnormalize(grid[..., 0], w, corners)
    y = _unnormalize(grid[..., 1], h, corners)
    if padding_mode == "border":
        x, y = _clip(x, w - 1), _clip(y, h - 1)
    elif padding_mode == "reflection":
        if corners:
            x, y = _reflect(x, 0, w - 1), _reflect(y, 0, h - 1)
        else:
            x, y = _reflect(x, -0.5, w - 0.5), _reflect(y, -0.5, h - 0.5)
        x, y = _clip(x, w - 1), _clip(y, h - 1)
    flat = input.reshape(n, c, h * w)
    batch = np.arange(n)[:, None, None]

    def pick(ix: np.ndarray, iy: np.ndarray) -> tuple:
        """Values at integer positions (N, Ho, Wo) -> (N, C, Ho, Wo), and where they are inside."""
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        pos = np.where(inside, np.clip(iy, 0, h - 1) * w + np.clip(ix, 0, w - 1), 0)
        vals = flat[_wrap(np.broadcast_to(batch, pos.shape)), :, _wrap(pos)]  # (N, Ho, Wo, C)
        return vals.permute(0, 3, 1, 2), _wrap(inside[:, None].astype(input._data.dtype))

    if mode == "nearest":
        ix = np.rint(x._data).astype(np.int64)  # round half to even, as PyTorch
        iy = np.rint(y._data).astype(np.int64)
        vals, inside = pick(ix, iy)
        return vals * inside
    x0 = np.floor(x._data).astype(np.int64)
    y0 = np.floor(y._data).astype(np.int64)
    fx = (x - _wrap(x0.astype(x._data.dtype))).unsqueeze(1)
    fy = (y - _wrap(y0.astype(y._data.dtype))).unsqueeze(1)
    out = None
    for dx, dy, wgt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        vals, inside = pick(x0 + dx, y0 + dy)
        term = vals * (wgt * inside)
        out = term if out is None else out + term
    return out


__all__ += ["affine_grid", "grid_sample"]


# ------------------------------------------------------------------ embedding bags
_BAG_MODES = ("sum", "mean", "max")


@deferrable
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:  # fmt: skip
    """The sum, mean or max of each bag of embedding rows, without a padded batch: bags are the
    rows of a 2-d ``input``, or the pieces of a 1-d ``input`` starting at ``offsets``. Entries equal
    to ``padding_idx`` are left out (an empty bag gives zeros).

    Args:
        input: integer indices, (B, N) or 1-d with offsets.
        weight: the (num_embeddings, dim) table.
        offsets: for 1-d input, where each bag starts.
        max_norm: rows looked up are renormalised in place to at most this norm.
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by its count.
        mode: 'sum', 'mean' or 'max'.
        sparse: accepted (morch's gradient is dense).
        per_sample_weights: a weight per index (mode 'sum' only), shaped like input.
        include_last_offset: offsets has one more entry, the end of the last bag.
        padding_idx: an index that does not count.
    """
    if mode not in _BAG_MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                "sequences."
            )
        bags = idx.shape[0]
        bag_of = np.repeat(np.arange(bags), idx.shape[1])
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets._data.astype(np.int64)
        if starts.ndim != 1:
            raise ValueError(f"offsets has to be a 1D Tensor, got {starts.ndim}-d")
        if starts.size and starts[0] != 0:
            raise ValueError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                             f"position 0. However, got {starts[0]}")  # fmt: skip
        if include_last_offset:
            starts = starts[:-1]
        bags = starts.shape[0]
        bag_of = np.searchsorted(starts, np.arange(idx.shape[0]), side="right") - 1
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    flat = idx.reshape(-1)
    if padding_idx is not None:
        padding_idx %= weight.shape[0]
    keep = np.ones(flat.shape[0], dtype=bool) if padding_idx is None else flat != padding_idx
    rows = embedding(_wrap(flat[keep]), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[_wrap(np.flatnonzero(keep))].unsqueeze(1)
    bag = _wrap(bag_of[keep])
    dim = weight.shape[1]
    zeros = _wrap(np.zeros((bags, dim), dtype=weight._data.dtype))
    if mode == "max":
        return zeros.scatter_reduce(0, bag.unsqueeze(1).expand(-1, dim), rows, "amax", include_self=False)
    total = zeros.index_add(0, bag, rows)
    if mode == "sum":
        return total
    counts = np.bincount(bag_of[keep], minlength=bags).astype(weight._data.dtype)
    return total / _wrap(np.maximum(counts, 1)).unsqueeze(1)


__all__ += ["embedding_bag"]


# ------------------------------------------------------------------ 3-d convolution and pooling (composites of ops)
def _windows3d(x: Tensor, kernel, stride, dilation, name: str) -> tuple:
    """Every kernel offset's strided view of x (N, C, D, H, W), stacked: (N, C, K, oD, oH, oW)."""
    spatial = tuple(x.shape[2:])
    out = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation))
    if min(out) <= 0:
        raise InputError(
            f"{who(name)}: kernel {tuple(kernel)} (dilation {tuple(dilation)}) is larger than the padded input "
            f"{spatial}"
        )
    views = []
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            for c in range(kernel[2]):
                starts = (a * dilation[0], b * dilation[1], c * dilation[2])
                key = (slice(None), slice(None)) + tuple(
                    slice(st, st + s * (o - 1) + 1, s) for st, s, o in zip(starts, stride, out)
                )
                views.append(x[key])
    return _mf.stack(views, 2), out


_SHAPES = {2: ("(C, H, W)", "(N, C, H, W)"), 3: ("(C, D, H, W)", "(N, C, D, H, W)")}


def _batched(input: Tensor, nd: int, name) -> tuple:
    """(input with a batch dim, whether it had none), for (C, *spatial) or (N, C, *spatial) input."""
    if input.ndim not in (nd + 1, nd + 2):
        one, many = _SHAPES[nd]
        raise InputError(f"{who(name)}: expected {nd + 1}-D {one} or {nd + 2}-D {many} input, got {shape_str(input)}")
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def _unbatched(t: Tensor, unbatched: bool) -> Tensor:
    return t.squeeze(0) if unbatched else t


@deferrable
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:  # fmt: skip
    """3-d convolution of (N, C_in, D, H, W) input with (C_out, C_in / groups, kD, kH, kW) weights.

    Built from strided views and one einsum per group (differentiable to any order; memory grows
    with the kernel volume), not a dedicated kernel.

    Args:
        input: (N, C_in, D, H, W) or unbatched (C_in, D, H, W).
        weight: the kernels.
        bias: (C_out,) or None.
        stride: step between windows (int or triple).
        padding: zeros on each side (int or triple), 'valid' or 'same'.
        dilation: spacing of the kernel taps (int or triple).
        groups: independent channel groups.
    """
    x, unbatched = _batched(input, 3, "conv3d")
    if weight.ndim != 5:
        raise InputError(
            f"conv3d: weight must be 5-D (out_channels, in_channels/groups, kD, kH, kW), got {shape_str(weight)}"
        )
    out_c, cin_g = weight.shape[0], weight.shape[1]
    if groups <= 0 or out_c % groups or x.shape[1] != cin_g * groups:
        raise InputError(
            f"conv3d: input with {x.shape[1]} channels does not fit weight {tuple(weight.shape)} with groups={groups}"
        )
    kernel = tuple(weight.shape[2:])
    s, d = ntuple(stride, 3, "stride"), ntuple(dilation, 3, "dilation")
    pads = _conv_padding(padding, kernel, s, d, 3, "conv3d")
    if any(p for pair in pads for p in pair):
        x = pad(x, [v for pair in reversed(pads) for v in pair])
    cols, _ = _windows3d(x, kernel, s, d, "conv3d")
    k = kernel[0] * kernel[1] * kernel[2]
    outs = []
    per = out_c // groups
    for g in range(groups):
        part = cols[:, g * cin_g : (g + 1) * cin_g] if groups > 1 else cols
        wg = weight[g * per : (g + 1) * per] if groups > 1 else weight
        outs.append(_mf.einsum("nckdhw,ock->nodhw", part, wg.reshape(per, cin_g, k)))
    out = outs[0] if groups == 1 else _mf.cat(outs, 1)
    if bias is not None:
        out = out + bias.reshape(1, out_c, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


@deferrable
def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:  # fmt: skip
    """The maximum over each 3-d window of (N, C, D, H, W) input. Tied maxima share the gradient
    (PyTorch gives it to the first); with ``ceil_mode`` or ``return_indices`` the call goes to
    ``max_pool3d_with_indices`` (morch/nn/threed.py), which picks the first maximum as PyTorch does.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        kernel_size: the window (int or triple).
        stride: the step (default kernel_size).
        padding: -inf padding on each side (at most half the kernel).
        dilation: spacing of the window taps.
        ceil_mode: round the output size up (the last window may run past the input).
        return_indices: also return the flat index (d * H * W + h * W + w) of each maximum.
    """
    if ceil_mode or return_indices:
        from morch.nn.threed import max_pool3d_with_indices

        out = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
        return out if return_indices else out[0]
    x, unbatched = _batched(input, 3, "max_pool3d")
    k = ntuple(kernel_size, 3, "kernel_size")
    s = k if stride is None else ntuple(stride, 3, "stride")
    p, d = ntuple(padding, 3, "padding"), ntuple(dilation, 3, "dilation")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(
            f"max_pool3d: pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k}"
        )
    if any(p):
        x = pad(x, [v for pi in reversed(p) for v in (pi, pi)], value=-math.inf)
    cols, _ = _windows3d(x, k, s, d, "max_pool3d")
    out = _mf.amax(cols, 2)
    return out.squeeze(0) if unbatched else out


@deferrable
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:  # fmt: skip
    """The mean over each 3-d window of (N, C, D, H, W) input (``ceil_mode`` is not in morch).

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        kernel_size: the window (int or triple).
        stride: the step (default kernel_size).
        padding: zero padding on each side (at most half the kernel).
        ceil_mode: must be False.
        count_include_pad: count the padded zeros in the mean.
        divisor_override: divide by this instead of the window size.
    """
    if ceil_mode:
        raise NotImplementedError("avg_pool3d: ceil_mode is not supported by morch")
    x, unbatched = _batched(input, 3, "avg_pool3d")
    k = ntuple(kernel_size, 3, "kernel_size")
    s = k if stride is None else ntuple(stride, 3, "stride")
    p = ntuple(padding, 3, "padding")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(f"avg_pool3d: pad should be at most half of kernel size, but got pad={p}, kernel_size={k}")
    widths = [v for pi in reversed(p) for v in (pi, pi)]
    xp = pad(x, widths) if any(p) else x
    cols, _ = _windows3d(xp, k, s, (1, 1, 1), "avg_pool3d")
    total = _mf.sum(cols, 2)
    if divisor_override is not None:
        out = total / divisor_override
    elif count_include_pad or not any(p):
        out = total / (k[0] * k[1] * k[2])
    else:
        ones = pad(_wrap(np.ones((1, 1) + tuple(x.shape[2:]), x._data.dtype)), widths)
        counts, _ = _windows3d(ones, k, s, (1, 1, 1), "avg_pool3d")
        out = total / _mf.sum(counts, 2)
    return out.squeeze(0) if unbatched else out


__all__ += ["conv3d", "max_pool3d", "avg_pool3d"]


# layer families in their own files (3-d layers; more activations and losses): their functions
from morch.nn import more as _more  # noqa: E402
from morch.nn import threed as _threed  # noqa: E402

for _m in (_threed, _more):
    globals().update({_n: getattr(_m, _n) for _n in _m.FUNCTIONS})
    __all__ += list(_m.FUNCTIONS)
