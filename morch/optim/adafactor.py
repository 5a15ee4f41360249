"""Adafactor: Adam-like steps with factored second moments (rows and columns) for matrices."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim._numerics import lerp_
from morch.optim.optimizer import Optimizer, _check_number, check_implementation_flags
from morch.tensor import _wrap

# state entries whose shape is not the parameter's (the row and column factors)
_FACTORS = ("row_var", "col_var")


def _check_at_least(group: dict, key: str, low: float, what: str) -> None:
    value = group[key]
    _check_number(key, value)
    if not value >= low:  # also refuses nan
        raise ValueError(f"{what} should be >= {low:g} but is: {value}")


def _factor_shape(shape: tuple, axis: int) -> tuple:
    out = list(shape)
    out[axis] = 1
    return tuple(out)


def _mean_square(d: np.ndarray, axis: int) -> np.ndarray:
    """The mean of ``d**2`` along ``axis`` (kept), as torch forms it: the norm, squared, over the length."""
    norm = np.sqrt(np.sum(d * d, axis=axis, keepdims=True))
    return norm * norm / d.shape[axis]


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.vdot(a, a).real)) / math.sqrt(a.size) if a.size else 0.0


class Adafactor(Optimizer):
    """Adafactor, as ``torch.optim.Adafactor`` (torch's variant of Shazeer and Stern's algorithm).

    Per step t, with ``G`` the gradient (negated if ``maximize``) and ``w = t ** beta2_decay``:
    ``rho = min(lr, 1 / sqrt(t))`` and ``alpha = max(eps2, RMS(p)) * rho``; the parameter first
    decays, ``p *= 1 - lr * weight_decay``. For a parameter of two or more dimensions the row and
    column means of ``G**2`` are averaged into ``row_var`` and ``col_var`` (``var += w * (mean - var)``)
    and ``V = row_var col_var / max(mean(row_var), eps1)``; a vector or scalar keeps a full
    ``variance`` of ``G**2`` instead. Then ``U = G / sqrt(max(V, eps1**2))`` and
    ``p -= alpha * U / max(1, RMS(U) / d)``.

    Args:
        params: tensors to optimize, or dicts defining parameter groups.
        lr: learning rate: the cap of the relative step size rho, and the weight decay's factor.
        beta2_decay: exponent of the step count giving the averaging weight (<= 0).
        eps: ``(eps1, eps2)``: eps1 floors the variance estimate (None: the dtype's machine
            epsilon); eps2 floors the parameter scale RMS(p).
        d: clipping threshold of the update's RMS (>= 1).
        weight_decay: decoupled weight decay coefficient.
        foreach: accepted for compatibility; morch has a single implementation.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_implementation_flags(foreach)
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": tuple(eps) if isinstance(eps, list) else eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        # torch's checks and wording, in its order
        _check_at_least(group, "lr", 0.0, "Learning rate")
        beta2_decay = group["beta2_decay"]
        _check_number("beta2_decay", beta2_decay)
        if not beta2_decay <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        eps = group["eps"]
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ValueError(f"eps must be a pair (eps1, eps2), got {eps!r}")
        for i, value in enumerate(eps):
            if i == 0 and value is None:
                continue
            _check_number(f"eps[{i}]", value)
            if not value >= 0.0:
                raise ValueError(f"epsilon{i + 1} should be >= 0 but is: {value}")
        _check_at_least(group, "d", 1.0, "Clipping threshold d")
        _check_at_least(group, "weight_decay", 0.0, "weight_decay")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, decay, wd, clip = group["lr"], group["beta2_decay"], group["weight_decay"], group["d"]
            eps1, eps2 = group["eps"]
            for p, a, g, st in self._params_with_grad(group, _init_state):
                if a.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                if group["maximize"]:
                    g = np.negative(g, out=self._scratch(a, 0))
                e1 = np.finfo(a.dtype).eps if eps1 is None else eps1
                t = self._count_step(st)
                weight = t**decay
                alpha = max(eps2, _rms(a)) * min(lr, 1 / t**0.5)
                if wd != 0:
                    a *= 1 - lr * wd
                u = self._scratch(a, 1)
                if a.ndim > 1:
                    row, col = st["row_var"]._data, st["col_var"]._data
                    lerp_(row, _mean_square(g, -1), weight)
                    lerp_(col, _mean_square(g, -2), weight)
                    np.multiply(row, col, out=u)
                    u /= np.maximum(row.mean(axis=-2, keepdims=True), e1)
                else:
                    lerp_(st["variance"]._data, g * g, weight)
                    np.copyto(u, st["variance"]._data)
                np.maximum(u, e1 * e1, out=u)
                np.sqrt(u, out=u)
                np.divide(g, u, out=u)
                u *= alpha / max(1.0, _rms(u) / clip)
                a -= u
                p._version += 1
        return loss

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state dict from ``state_dict()`` (of an Adafactor over parameters of the same shapes).

        Args:
            state_dict: the optimizer state, as returned by ``state_dict``.
        """
        # the row and column factors are not shaped like their parameter: the base class loads the rest
        state = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(state, dict):
            return super().load_state_dict(state_dict)
        factors, rest = {}, {}
        for k, v in state.items():
            if isinstance(v, dict):
                factors[k] = {n: v[n] for n in _FACTORS if n in v}
                v = {n: x for n, x in v.items() if n not in _FACTORS}
            rest[k] = v
        super().load_state_dict({**state_dict, "state": rest})
        id_map = {}
        for g, sg in zip(self.param_groups, state_dict["param_groups"]):
            id_map.update(zip(sg["params"], g["params"]))
        for k, entries in factors.items():
            p = id_map.get(k)
            for name, value in entries.items():
                self.state[k if p is None else p][name] = _load_factor(value, p, name, k)


def _load_factor(value, p, name: str, index):
    arr = np.array(value._data if hasattr(value, "_data") else value)
    if p is None:
        return _wrap(arr)
    a = p._data
    if a.ndim < 2:
        raise ValueError(f"loaded optimizer state {name!r} of parameter {index}: a parameter of shape "
                         f"{tuple(a.shape)} has no factored second moment")  # fmt: skip
    want = _factor_shape(a.shape, -1 if name == "row_var" else -2)
    if arr.shape != want:
        raise ValueError(
            f"loaded optimizer state {name!r} of parameter {index} has shape {tuple(arr.shape)}, but a parameter "
            f"of shape {tuple(a.shape)} needs {want}"
        )
    return _wrap(arr.astype(a.dtype) if arr.dtype.kind == "f" and a.dtype.kind == "f" else arr)


def _init_state(st: dict, a: np.ndarray) -> None:
    """The step count and zeroed second-moment estimates: row and column factors for a matrix, else a full one."""
    st["step"] = Optimizer._new_step()
    if a.ndim > 1:
        st["row_var"] = _wrap(np.zeros(_factor_shape(a.shape, -1), a.dtype))
        st["col_var"] = _wrap(np.zeros(_factor_shape(a.shape, -2), a.dtype))
    else:
        st["variance"] = _wrap(_alloc.zeros_like(a))
