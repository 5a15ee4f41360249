"""RMSprop, with momentum and the centered variant."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``:
    ``v = alpha v + (1 - alpha) g**2``; the denominator is ``sqrt(v) + eps``, or with ``centered``
    ``sqrt(v - mean_g**2) + eps`` where ``mean_g = alpha mean_g + (1 - alpha) g``. Then
    ``p -= lr * g / denominator``, or with momentum ``buf = momentum buf + g / denominator``
    and ``p -= lr * buf``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        alpha: smoothing constant of the running average of squared gradients.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty coefficient.
        momentum: momentum factor.
        centered: normalize by an estimate of the gradient's variance instead of its second moment.
        capturable: accepted for compatibility (CPU only: no effect).
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        check_nonnegative(group, "eps")
        check_nonnegative(group, "momentum")
        check_nonnegative(group, "weight_decay")
        check_nonnegative(group, "alpha")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p, a, d, st in self._params_with_grad(group):
                if not st:
                    st["step"] = self._new_step()
                    st["square_avg"] = _wrap(_alloc.zeros_like(a))
                    if momentum > 0:
                        st["momentum_buffer"] = _wrap(_alloc.zeros_like(a))
                    if centered:
                        st["grad_avg"] = _wrap(_alloc.zeros_like(a))
                st["step"]._data += 1
                d = self._decayed_grad(group, a, d)
                v = st["square_avg"]._data
                avg = self._scratch(a, 1)
                v *= alpha
                np.multiply(d, d, out=avg)
                avg *= 1 - alpha
                v += avg
                if centered:
                    ga = st["grad_avg"]._data
                    np.subtract(d, ga, out=avg)
                    avg *= 1 - alpha
                    ga += avg
                    np.multiply(ga, ga, out=avg)
                    np.subtract(v, avg, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(v, out=avg)
                avg += eps
                if momentum > 0:
                    buf = st["momentum_buffer"]._data
                    buf *= momentum
                    np.divide(d, avg, out=avg)
                    buf += avg
                    np.multiply(buf, lr, out=avg)
                else:
                    np.divide(d, avg, out=avg)
                    avg *= lr
                a -= avg
                p._version += 1
        return loss
