"""SparseAdam: Adam that moves only the rows of a parameter that received a gradient."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim.adam import check_betas
from morch.optim.optimizer import Optimizer, _check_number
from morch.tensor import _wrap


def _check_positive(group: dict, key: str, what: str) -> None:
    value = group[key]
    _check_number(key, value)
    if not value > 0.0:
        raise ValueError(f"Invalid {what}: {value}")


def gradient_rows(d: np.ndarray) -> np.ndarray:
    """The indices along dimension 0 where ``d`` has a non-zero (or NaN) entry: the rows a sparse
    gradient would hold (every element of a 0-d or 1-d gradient is a row).

    Args:
        d: the dense gradient.
    """
    if d.ndim == 0:
        return np.flatnonzero(d.reshape(1))
    return np.flatnonzero(np.any(d.reshape(d.shape[0], -1) != 0, axis=1))


class SparseAdam(Optimizer):
    """SparseAdam, as ``torch.optim.SparseAdam``, for dense gradients (morch has no sparse tensors).

    The gradient's *rows* (its slices along dimension 0, e.g. an embedding's looked-up rows) that
    hold a non-zero value play the part of torch's sparse gradient entries: only those rows of
    the moving averages and of the parameter change, with Adam's formulas and the step size
    ``lr * sqrt(1 - beta2**t) / (1 - beta1**t)``, where the per-parameter step count t (a Python
    int, as in torch) grows on every step the parameter has a gradient. torch refuses dense
    gradients; morch accepts them. A row whose gradient is exactly zero is left alone, where
    torch would still decay its moments if the sparse gradient listed it.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate (> 0).
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability (> 0).
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        groups = self.param_groups
        complex_params = [
            [i, j] for i, g in enumerate(groups) for j, p in enumerate(g["params"]) if p._data.dtype.kind == "c"
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support complex parameters"
            )

    def _validate(self, group: dict) -> None:
        _check_positive(group, "lr", "learning rate")
        _check_positive(group, "eps", "epsilon value")
        check_betas(group)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            for p, a, d, st in self._params_with_grad(group, _init_state):
                st["step"] += 1
                rows = gradient_rows(d)
                if not rows.size:
                    continue
                flat = a.reshape(1) if a.ndim == 0 else a  # a view, so row updates land in the parameter
                g = d.reshape(1)[rows] if d.ndim == 0 else d[rows]
                if group["maximize"]:
                    g = -g
                m, v = (st[k]._data for k in ("exp_avg", "exp_avg_sq"))
                m, v = (x.reshape(1) if x.ndim == 0 else x for x in (m, v))
                m[rows] += (g - m[rows]) * (1 - beta1)
                v[rows] += (g * g - v[rows]) * (1 - beta2)
                t = st["step"]
                step_size = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                flat[rows] += -step_size * (m[rows] / (np.sqrt(v[rows]) + eps))
                p._version += 1
        return loss


def _init_state(st: dict, a: np.ndarray) -> None:
    """SparseAdam's state: a Python int step count and zeroed moving averages."""
    st["step"] = 0
    st["exp_avg"] = _wrap(_alloc.zeros_like(a))
    st["exp_avg_sq"] = _wrap(_alloc.zeros_like(a))
