"""Adadelta."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``:
    ``v = rho v + (1 - rho) g**2``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) delta**2`` and ``p -= lr * delta``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: coefficient that scales delta before it is applied.
        rho: decay rate of the running averages of squared gradients and squared updates.
        eps: added inside the square roots for numerical stability.
        weight_decay: L2 penalty coefficient.
        foreach: accepted for compatibility; morch has a single implementation.
        capturable: accepted for compatibility (CPU only: no effect).
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        check_nonnegative(group, "rho")
        if group["rho"] > 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")
        check_nonnegative(group, "eps")
        check_nonnegative(group, "weight_decay")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p, a, d, st in self._params_with_grad(group):
                if not st:
                    st["step"] = self._new_step()
                    st["square_avg"] = _wrap(_alloc.zeros_like(a))
                    st["acc_delta"] = _wrap(_alloc.zeros_like(a))
                st["step"]._data += 1
                d = self._decayed_grad(group, a, d)
                v = st["square_avg"]._data
                u = st["acc_delta"]._data
                std = self._scratch(a, 1)
                delta = self._scratch(a, 2)
                v *= rho
                np.multiply(d, d, out=std)
                std *= 1 - rho
                v += std
                np.add(v, eps, out=std)
                np.sqrt(std, out=std)
                np.add(u, eps, out=delta)
                np.sqrt(delta, out=delta)
                delta /= std
                delta *= d
                u *= rho
                np.multiply(delta, delta, out=std)
                std *= 1 - rho
                u += std
                delta *= lr
                a -= delta
                p._version += 1
        return loss
