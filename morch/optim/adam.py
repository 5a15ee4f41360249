"""Adam, with AMSGrad, maximize, L2 or decoupled weight decay."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


def check_betas(group: dict) -> None:
    """Raise a clear error unless ``group['betas']`` is a pair of numbers in [0, 1)."""
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if isinstance(b, bool) or not isinstance(b, (int, float)):
            raise TypeError(f"beta parameter at index {i} must be a real number, got {type(b).__name__}")
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def check_adam_group(group: dict) -> None:
    """The checks every Adam-family optimizer makes, in torch's order: lr, eps, betas, weight_decay."""
    check_nonnegative(group, "lr")
    check_nonnegative(group, "eps")
    check_betas(group)
    check_nonnegative(group, "weight_decay")


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    Per step t, with ``g`` the gradient (negated if ``maximize``; plus ``weight_decay * p`` unless
    the decay is decoupled, in which case ``p *= 1 - lr * weight_decay`` first):
    ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g**2`` (``v_max = max(v_max, v)``
    with ``amsgrad``, used in place of v), and
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay coefficient (L2 penalty, or decoupled as in AdamW).
        amsgrad: use the maximum of past squared-gradient averages (AMSGrad).
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        capturable: accepted for compatibility (CPU only: no effect).
        differentiable: only False is supported.
        fused: accepted for compatibility; morch has a single implementation.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding an L2 term.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
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
            lr, eps, amsgrad = group["lr"], group["eps"], group["amsgrad"]
            beta1, beta2 = group["betas"]
            for p, a, d, st in self._params_with_grad(group, _init_moments):
                t = self._count_step(st)
                d = self._decayed_grad(group, a, d, group["decoupled_weight_decay"])
                s = self._update_moments(st, a, d, beta1, beta2)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                if amsgrad:
                    if "max_exp_avg_sq" not in st:  # also when amsgrad is switched on after the state was made
                        st["max_exp_avg_sq"] = _wrap(_alloc.zeros_like(a))
                    vmax = st["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                step_size = lr / (1 - beta1**t)
                np.sqrt(v, out=s)
                s /= math.sqrt(1 - beta2**t)
                s += eps
                np.divide(m, s, out=s)
                s *= step_size
                a -= s
                p._version += 1
        return loss


def _init_moments(st: dict, a: np.ndarray) -> None:
    """Adam-family state: the step count and zeroed moving averages of the gradient and its square."""
    st["step"] = Optimizer._new_step()
    st["exp_avg"] = _wrap(_alloc.zeros_like(a))
    st["exp_avg_sq"] = _wrap(_alloc.zeros_like(a))
