"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``: the momentum
    buffer starts as ``g`` and then becomes ``momentum * buf + (1 - dampening) * g``; the update
    direction is ``buf`` (or ``g + momentum * buf`` with ``nesterov``), and ``p -= lr * direction``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        momentum: momentum factor.
        dampening: dampening for momentum.
        weight_decay: L2 penalty coefficient.
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: maximize the objective instead of minimizing it.
        foreach: accepted for compatibility; morch has a single implementation.
        differentiable: only False is supported.
        fused: accepted for compatibility; morch has a single implementation.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        check_nonnegative(group, "momentum")
        check_nonnegative(group, "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                d = self._grad_array(p)
                if d is None:
                    continue
                a = p._data
                d = self._effective_grad(a, d, weight_decay, maximize)
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        b = _alloc.empty_like(a)  # the parameter's layout, on a cache line
                        np.copyto(b, d)
                        st["momentum_buffer"] = _wrap(b)
                    else:
                        b = buf._data
                        b *= momentum
                        if dampening != 0:
                            s = self._scratch(a, 1)
                            np.multiply(d, 1 - dampening, out=s)
                            b += s
                        else:
                            b += d
                    if nesterov:
                        s = self._scratch(a, 1)
                        np.multiply(b, momentum, out=s)
                        s += d
                        d = s
                    else:
                        d = b
                s = self._scratch(a, 0)
                np.multiply(d, lr, out=s)
                a -= s
                p._version += 1
        return loss
