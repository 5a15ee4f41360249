"""Adagrad."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    Per step t, with ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``:
    ``sum += g**2`` and ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``. The state
    of every parameter is created at construction (``sum`` filled with
    ``initial_accumulator_value``), as in torch; a group added later uses its own
    ``initial_accumulator_value`` where torch would use the constructor's.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        lr_decay: learning rate decay per step.
        weight_decay: L2 penalty coefficient.
        initial_accumulator_value: starting value of the sum of squared gradients.
        eps: added to the denominator for numerical stability.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
        fused: accepted for compatibility; morch has a single implementation.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        check_nonnegative(group, "lr_decay")
        check_nonnegative(group, "weight_decay")
        check_nonnegative(group, "initial_accumulator_value")
        check_nonnegative(group, "eps")

    def _init_state(self, p, group: dict) -> dict:
        st = self.state[p]
        st["step"] = self._new_step()
        st["sum"] = _wrap(np.full_like(p._data, group["initial_accumulator_value"]))
        return st

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                d = self._grad_array(p)
                if d is None:
                    continue
                a = p._data
                st = state[p] or self._init_state(p, group)
                step_arr = st["step"]._data
                step_arr += 1
                clr = lr / (1 + (float(step_arr) - 1) * lr_decay)
                d = self._effective_grad(a, d, weight_decay, maximize)
                acc = st["sum"]._data
                s = self._scratch(a, 1)
                np.multiply(d, d, out=s)
                acc += s
                np.sqrt(acc, out=s)
                s += eps
                np.divide(d, s, out=s)
                s *= clr
                a -= s
                p._version += 1
        return loss
