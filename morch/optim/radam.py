"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from morch.optim.adam import _init_moments, check_adam_group
from morch.optim.optimizer import Optimizer, check_implementation_flags


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    Per step t, with ``g`` the gradient (negated if ``maximize``; plus ``weight_decay * p``, or
    with ``decoupled_weight_decay`` ``p *= 1 - lr * weight_decay`` first):
    ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g**2``, ``m_hat = m / (1 - beta1**t)``;
    with ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``:
    if ``rho_t > 5``, ``p -= lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)`` with the
    rectification ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``;
    otherwise ``p -= lr * m_hat`` (plain momentum while the variance estimate is unreliable).

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay coefficient (L2 penalty, or decoupled).
        decoupled_weight_decay: decay the weights directly (as AdamW) instead of adding an L2 term.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        capturable: accepted for compatibility (CPU only: no effect).
        differentiable: only False is supported.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
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
            rho_inf = 2 / (1 - beta2) - 1
            for p, a, d, st in self._params_with_grad(group, _init_moments):
                t = self._count_step(st)
                d = self._decayed_grad(group, a, d, group["decoupled_weight_decay"])
                s = self._update_moments(st, a, d, beta1, beta2)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                bias_correction1 = 1 - beta1**t
                bias_correction2 = 1 - beta2**t
                rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
                np.divide(m, bias_correction1, out=s)
                s *= lr
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    denom = self._scratch(a, 2)
                    np.sqrt(v, out=denom)
                    denom += eps
                    np.divide(math.sqrt(bias_correction2), denom, out=denom)
                    s *= denom
                    s *= rect
                a -= s
                p._version += 1
        return loss
