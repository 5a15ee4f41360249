"""``morch.nn.grad``: the gradients of a convolution with respect to its input and to its weight,
as ``torch.nn.grad``.

A convolution is linear in its input and in its weight, so each gradient is the backward of one
convolution with a zero stand-in for the missing argument: the conv code of morch.nn.functional
and its backward, nothing of its own. The results are differentiable again when ``weight``,
``input`` or ``grad_output`` require grad (and grad mode is on).
"""

from __future__ import annotations

import numpy as np

from morch.autograd import grad_mode
from morch.autograd.engine import grad as _grad
from morch.nn import functional as F
from morch.nn._util import InputError
from morch.tensor import Tensor, _wrap

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _conv_backward(nd: int, which: str, x: Tensor, w: Tensor, grad_output: Tensor, stride, padding, dilation, groups):
    """The gradient of conv{nd}d(x, w) for ``grad_output`` with respect to x or w (``which``)."""
    name = f"conv{nd}d_{which}"
    if grad_output.ndim != nd + 2:
        raise InputError(f"{name}: expected grad_output of shape (N, C_out, {nd} spatial sizes), "
                         f"got {list(grad_output.shape)}")  # fmt: skip
    wanted = grad_mode.is_grad_enabled() and any(t.requires_grad for t in (x, w, grad_output))
    target = x if which == "input" else w
    with grad_mode.enable_grad():
        target = target.detach().requires_grad_() if not target.requires_grad else target
        args = (target, w) if which == "input" else (x, target)
        out = getattr(F, f"conv{nd}d")(*args, None, stride, padding, dilation, groups)
        if tuple(out.shape) != tuple(grad_output.shape):
            raise InputError(f"{name}: grad_output has shape {list(grad_output.shape)}, but the convolution gives "
                             f"outputs of shape {list(out.shape)}")  # fmt: skip
        (g,) = _grad(out, target, grad_output, create_graph=wanted)
    return g


def _zeros(size, like: Tensor, name: str) -> Tensor:
    shape = tuple(int(s) for s in size)
    if not shape:
        raise InputError(f"{name}: expected a non-empty size, got {size!r}")
    return _wrap(np.zeros(shape, dtype=like._data.dtype))


def _input_grad(nd: int):
    def fn(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
        x = _zeros(input_size, weight, f"conv{nd}d_input")
        return _conv_backward(nd, "input", x, weight, grad_output, stride, padding, dilation, groups)

    fn.__name__ = fn.__qualname__ = f"conv{nd}d_input"
    fn.__doc__ = f"""The gradient of conv{nd}d with respect to its input.

    Args:
        input_size: the shape of the input, (N, C_in, {nd} spatial sizes).
        weight: the convolution's weight (C_out, C_in / groups, {nd} kernel sizes).
        grad_output: the gradient of the convolution's output.
        stride, padding, dilation, groups: as conv{nd}d.
    """
    return fn


def _weight_grad(nd: int):
    def fn(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
        w = _zeros(weight_size, input, f"conv{nd}d_weight")
        return _conv_backward(nd, "weight", input, w, grad_output, stride, padding, dilation, groups)

    fn.__name__ = fn.__qualname__ = f"conv{nd}d_weight"
    fn.__doc__ = f"""The gradient of conv{nd}d with respect to its weight.

    Args:
        input: the convolution's input (N, C_in, {nd} spatial sizes).
        weight_size: the shape of the weight, (C_out, C_in / groups, {nd} kernel sizes).
        grad_output: the gradient of the convolution's output.
        stride, padding, dilation, groups: as conv{nd}d.
    """
    return fn


conv1d_input, conv2d_input, conv3d_input = (_input_grad(nd) for nd in (1, 2, 3))
conv1d_weight, conv2d_weight, conv3d_weight = (_weight_grad(nd) for nd in (1, 2, 3))
