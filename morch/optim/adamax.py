"""Adamax: Adam with the infinity norm of past gradients in place of their second moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.adam import check_adam_group
from morch.optim.optimizer import Optimizer, check_implementation_flags
from morch.tensor import _wrap


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    Per step t, with ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``:
    ``m = beta1 m + (1 - beta1) g``, ``u = max(beta2 u, |g| + eps)`` and
    ``p -= lr / (1 - beta1**t) * m / u``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        betas: decay rates of the running average of the gradient and of the infinity norm.
        eps: added to ``|g|`` for numerical stability.
        weight_decay: L2 penalty coefficient.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
        capturable: accepted for compatibility (CPU only: no effect).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_adam_group(group)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            for p, a, d, st in self._params_with_grad(group, _init):
                t = self._count_step(st)
                d = self._decayed_grad(group, a, d)
                s = self._update_moments(st, a, d, beta1)
                m, u = st["exp_avg"]._data, st["exp_inf"]._data
                np.abs(d, out=s)
                s += eps
                u *= beta2
                np.maximum(u, s, out=u)
                # (scale * m) / u, in torch's addcdiv order, so float32 results round alike
                np.multiply(m, lr / (1 - beta1**t), out=s)
                s /= u
                a -= s
                p._version += 1
        return loss


def _init(st: dict, a: np.ndarray) -> None:
    st["step"] = Optimizer._new_step()
    st["exp_avg"] = _wrap(_alloc.zeros_like(a))
    st["exp_inf"] = _wrap(_alloc.zeros_like(a))
