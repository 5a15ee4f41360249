"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc, dtypes
from morch.optim.optimizer import Optimizer, check_implementation_flags, check_nonnegative
from morch.tensor import _wrap


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD``.

    Per step t, with ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``:
    ``p *= 1 - lambd * eta``, ``p -= eta * g``; the running average ``ax`` becomes ``p`` while
    ``mu == 1``, else ``ax += mu * (p - ax)``; then ``eta = lr / (1 + lambd * lr * t)**alpha`` and
    ``mu = 1 / max(1, t - t0)`` (averaging starts after ``t0`` steps). The averaged parameters are
    in ``optimizer.state[p]['ax']``; as in torch they are not copied into the parameters.
    ``eta`` and ``mu`` are 0-d tensors of the default float dtype, as in torch.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        lambd: decay term.
        alpha: power of the eta update.
        t0: the step at which averaging starts.
        weight_decay: L2 penalty coefficient.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
        differentiable: only False is supported.
        capturable: accepted for compatibility (CPU only: no effect).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_implementation_flags(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_nonnegative(group, "lr")
        check_nonnegative(group, "weight_decay")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            for p, a, d, st in self._params_with_grad(group):
                if not st:
                    st["step"] = self._new_step()
                    st["eta"] = _wrap(np.array(lr, dtypes.default_float()))
                    st["mu"] = _wrap(np.ones((), dtypes.default_float()))
                    st["ax"] = _wrap(_alloc.zeros_like(a))
                t = self._count_step(st)
                d = self._decayed_grad(group, a, d)
                eta_arr, mu_arr = st["eta"]._data, st["mu"]._data
                eta, mu = float(eta_arr), float(mu_arr)
                a *= 1 - lambd * eta
                s = self._scratch(a, 1)
                np.multiply(d, eta, out=s)
                a -= s
                ax = st["ax"]._data
                if mu != 1:
                    np.subtract(a, ax, out=s)
                    s *= mu
                    ax += s
                else:
                    np.copyto(ax, a)
                # stored in the state's own dtype (rounded as torch rounds them)
                eta_arr[...] = lr / ((1 + lambd * lr * t) ** alpha)
                mu_arr[...] = 1 / max(1, t - t0)
                p._version += 1
        return loss
