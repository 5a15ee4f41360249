"""NAdam: Adam with Nesterov momentum (and a momentum schedule)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc, dtypes
from morch.optim.adam import check_adam_group
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    Per step t, with ``g`` the gradient (negated if ``maximize``; plus ``weight_decay * p``, or
    with ``decoupled_weight_decay`` ``p *= 1 - lr * weight_decay`` first): the momentum schedule
    ``mu_t = beta1 (1 - 0.5 * 0.96**(t * momentum_decay))`` and its running product
    ``P_t = mu_1 ... mu_t``; ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g**2``,
    ``denom = sqrt(v / (1 - beta2**t)) + eps`` and
    ``p -= lr (1 - mu_t) / (1 - P_t) * g / denom + lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / denom``.
    As in torch, ``mu_product`` is kept as a 0-d tensor of the default float dtype.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay coefficient (L2 penalty, or decoupled).
        momentum_decay: the rate at which the momentum schedule approaches ``beta1``.
        decoupled_weight_decay: decay the weights directly (as AdamW) instead of adding an L2 term.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        capturable: accepted for compatibility (CPU only: no effect).
        differentiable: only False is supported.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_adam_group(group)
        check_nonnegative(group, "momentum_decay")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            momentum_decay = group["momentum_decay"]
            for p, a, d, st in self._params_with_grad(group, _init):
                t = self._count_step(st)
                d = self._decayed_grad(group, a, d, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
                # the product is rounded to its own (default float) dtype every step, as in torch
                mu_product_arr = st["mu_product"]._data
                mu_product_arr *= mu
                mu_product = float(mu_product_arr)
                s = self._update_moments(st, a, d, beta1, beta2)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                denom = self._scratch(a, 2)
                np.divide(v, 1 - beta2**t, out=denom)
                np.sqrt(denom, out=denom)
                denom += eps
                # (scale * x) / denom, in torch's addcdiv order, so float32 results round alike
                np.multiply(d, lr * (1.0 - mu) / (1.0 - mu_product), out=s)
                s /= denom
                a -= s
                np.multiply(m, lr * mu_next / (1.0 - mu_product * mu_next), out=s)
                s /= denom
                a -= s
                p._version += 1
        return loss


def _init(st: dict, a: np.ndarray) -> None:
    st["step"] = Optimizer._new_step()
    st["mu_product"] = _wrap(np.ones((), dtypes.default_float()))  # torch's state order: step, mu_product, moments
    st["exp_avg"] = _wrap(_alloc.zeros_like(a))
    st["exp_avg_sq"] = _wrap(_alloc.zeros_like(a))
