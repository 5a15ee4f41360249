"""``morch.nn.utils.fusion``: fold an eval-mode BatchNorm into the preceding convolution or
linear layer (one layer computing the same function at inference)."""

from __future__ import annotations

import copy

from morch.autograd import grad_mode
from morch.nn.parameter import Parameter
from morch.tensor import Tensor

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _bn_scale(bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None) -> Tensor:
    scale = (bn_rv + bn_eps).rsqrt()
    return scale if bn_w is None else scale * bn_w


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w: Tensor | None, bn_b: Tensor | None, transpose: bool = False) -> tuple:  # fmt: skip
    """The weight and bias of one convolution computing conv followed by an eval-mode BatchNorm.

    Args:
        conv_w: the convolution's weight.
        conv_b: its bias, or None.
        bn_rm: the BatchNorm's running mean.
        bn_rv: its running variance.
        bn_eps: its eps.
        bn_w: its weight (gamma), or None.
        bn_b: its bias (beta), or None.
        transpose: the convolution is transposed (output channels in dim 1 of the weight).
    """
    with grad_mode.no_grad():
        scale = _bn_scale(bn_rv, bn_eps, bn_w)
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1
        weight = conv_w * scale.reshape(*shape)
        bias = conv_b if conv_b is not None else bn_rm * 0
        bias = (bias - bn_rm) * scale + (bn_b if bn_b is not None else bn_rm * 0)
    return Parameter(weight, conv_w.requires_grad), Parameter(bias, conv_w.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` that includes the eval-mode BatchNorm ``bn`` (both must be in eval mode).

    Args:
        conv: a convolution layer.
        bn: the BatchNorm that follows it.
        transpose: the convolution is transposed.
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)  # fmt: skip
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                           bn_w: Tensor, bn_b: Tensor) -> tuple:  # fmt: skip
    """The weight and bias of one linear layer computing linear followed by an eval-mode BatchNorm1d.

    Args:
        linear_w: the linear layer's weight.
        linear_b: its bias, or None.
        bn_rm: the BatchNorm's running mean.
        bn_rv: its running variance.
        bn_eps: its eps.
        bn_w: its weight (gamma).
        bn_b: its bias (beta).
    """
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` that includes the eval-mode BatchNorm1d ``bn``.

    Args:
        linear: a Linear layer.
        bn: the BatchNorm1d that follows it.
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)  # fmt: skip
    return fused
