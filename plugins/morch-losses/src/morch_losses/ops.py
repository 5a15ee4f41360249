"""Loss ops with two tensor inputs and several parameters.

``PseudoHuberLoss`` writes its backward with morch ops, so it can be differentiated twice.
``SigmoidFocalLoss`` writes its backward with numpy (one fused formula) and says so with
``differentiable = False``: first derivatives work everywhere, and asking for a second one
raises an error naming the op and the plugin.
"""

from __future__ import annotations

import morch
import numpy as np
from morch.autograd import Function

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _unreduce(grad, reduction: str, count: int):
    """The gradient of each element of the unreduced loss, from the gradient of the reduced one."""
    return grad / count if reduction == "mean" else grad


class PseudoHuberLoss(Function):
    """pseudo_huber_loss(input, target, *, delta=1.0, reduction="mean").

    Elementwise ``delta**2 * (sqrt(1 + (d / delta)**2) - 1)`` with ``d = input - target``
    (broadcast), then averaged, summed or kept: quadratic for small ``|d|``, linear with slope
    ``delta`` for large ones, like the Huber loss (``torch.nn.functional.huber_loss``) but smooth,
    so it is differentiable any number of times. The backward is written with morch ops, so
    second derivatives work.

    Args:
        input: the predictions.
        target: the targets (may require grad too).
        delta: the scale at which the loss turns from quadratic to linear; must be positive.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """

    def forward(self, input, target, *, delta=1.0, reduction="mean"):  # noqa: A002 - torch's argument name
        _check_reduction("pseudo_huber_loss", reduction)
        if not delta > 0:
            raise ValueError(f"pseudo_huber_loss: delta must be positive, got {delta}")
        self.delta, self.reduction = delta, reduction
        r2 = ((input - target) / delta) ** 2
        loss = delta * delta * r2 / (np.sqrt(1 + r2) + 1)  # = delta**2 (sqrt(1 + r2) - 1), without cancellation
        self.count = loss.size
        return _reduce(loss, reduction)

    def backward(self, grad):
        x, t = self.inputs
        d = x - t
        # d loss / d input = d / sqrt(1 + (d / delta)**2), between -delta and delta
        g = _unreduce(grad, self.reduction, self.count) * d / (1 + (d / self.delta) ** 2).sqrt()
        need_x, need_t = self.needs_input_grad
        return (g if need_x else None), (-g if need_t else None)


class SigmoidFocalLoss(Function):
    """sigmoid_focal_loss(inputs, targets, *, alpha=0.25, gamma=2.0, reduction="none").

    The focal loss of Lin et al. (2017) on logits, as ``torchvision.ops.sigmoid_focal_loss``:
    binary cross-entropy with logits, scaled by ``(1 - p_t) ** gamma`` and, when ``alpha >= 0``,
    by ``alpha_t``. Targets are probabilities in [0, 1] and may require grad. Its backward is
    numpy, so it is differentiable once only (``differentiable = False``).

    Args:
        inputs: the logits.
        targets: the target probabilities, broadcastable with ``inputs``.
        alpha: the weight of the positive class in (0, 1), or negative for no weighting.
        gamma: the focusing exponent, >= 0 (0 gives plain binary cross-entropy).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
    """

    differentiable = False

    def forward(self, inputs, targets, *, alpha=0.25, gamma=2.0, reduction="none"):
        _check_reduction("sigmoid_focal_loss", reduction)
        if gamma < 0:
            raise ValueError(f"sigmoid_focal_loss: gamma must be >= 0, got {gamma}")
        x, t = np.broadcast_arrays(inputs, targets)
        p = 0.5 * (1.0 + np.tanh(0.5 * x))  # sigmoid without overflow
        ce = np.logaddexp(0, x) - x * t  # binary cross-entropy with logits
        q = 1 - (p * t + (1 - p) * (1 - t))  # 1 - p_t
        loss = ce * q**gamma
        w = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else 1.0
        # keep what backward needs: the arrays, not the input tensors
        self.saved = (x, t, p, ce, q, w)
        self.alpha, self.gamma, self.reduction, self.count = alpha, gamma, reduction, loss.size
        return _reduce(loss * w, reduction)

    def backward(self, grad):
        x, t, p, ce, q, w = self.saved
        gamma = self.gamma
        g = _unreduce(grad.detach().numpy(), self.reduction, self.count)
        qg = q**gamma
        dqg = np.zeros_like(q)  # d(q**gamma)/dq = gamma * q**(gamma - 1), taken as 0 where q == 0
        np.power(q, gamma - 1, out=dqg, where=q > 0)
        dqg *= gamma
        dq_dx = -(2 * t - 1) * p * (1 - p)
        dq_dt = 1 - 2 * p
        gx = w * ((p - t) * qg + ce * dqg * dq_dx)
        gt = w * (-x * qg + ce * dqg * dq_dt)
        if self.alpha >= 0:
            gt = gt + (2 * self.alpha - 1) * ce * qg
        need_x, need_t = self.needs_input_grad
        return (
            morch.from_numpy(g * gx) if need_x else None,
            morch.from_numpy(g * gt) if need_t else None,
        )
