"""Rprop: resilient backpropagation, per-element step sizes driven by the sign of the gradient."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class Rprop(Optimizer):
    """Rprop, as ``torch.optim.Rprop``.

    Every element has its own step size, starting at ``lr``. With ``g`` the gradient (negated
    if ``maximize``) and ``g_prev`` the previous step's: where ``g * g_prev > 0`` the step size
    is multiplied by ``etaplus``, where it is ``< 0`` by ``etaminus`` (and ``g`` is taken as 0
    for this step, so the next step does not shrink it again); the step size is clamped to
    ``step_sizes`` and ``p -= sign(g) * step_size``. The gradient's magnitude is not used.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: the initial step size of every element.
        etas: ``(etaminus, etaplus)``, the multiplicative decrease and increase factors.
        step_sizes: ``(min, max)``, the bounds of the step sizes.
        capturable: accepted for compatibility (CPU only: no effect).
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        for key in ("etas", "step_sizes"):
            value = group[key]
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"{key} must be a pair, got {value!r}")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p, a, d, st in self._params_with_grad(group):
                if not st:
                    st["step"] = self._new_step()
                    st["prev"] = _wrap(_alloc.zeros_like(a))
                    size = _alloc.empty_like(a)
                    size.fill(group["lr"])
                    st["step_size"] = _wrap(size)
                st["step"]._data += 1
                d = self._effective_grad(a, d, 0, maximize)
                prev, size = st["prev"]._data, st["step_size"]._data
                s = self._scratch(a, 1)
                np.multiply(d, prev, out=s)
                # masks on the sign, not on the product's value: a nan product keeps a nan factor, as in torch
                np.sign(s, out=s)
                flipped = s < 0
                s[s > 0] = etaplus
                s[flipped] = etaminus
                s[s == 0] = 1
                size *= s
                np.clip(size, step_size_min, step_size_max, out=size)
                np.copyto(prev, d)
                prev[flipped] = 0
                np.sign(prev, out=s)
                s *= size
                a -= s
                p._version += 1
        return loss
