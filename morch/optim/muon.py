"""Muon: momentum whose update is orthogonalised by a Newton-Schulz iteration (2-d parameters only)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from morch import _alloc
from morch.optim._numerics import lerp_, round_bf16
from morch.optim.optimizer import Optimizer, _check_number
from morch.tensor import _wrap

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5
_ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def zeropower_via_newtonschulz(g: np.ndarray, ns_coefficients: tuple, ns_steps: int, eps: float) -> np.ndarray:
    """An approximately orthogonal matrix with ``g``'s singular vectors: ``ns_steps`` rounds of the quintic
    ``X <- a X + (b A + c A @ A) @ X`` with ``A = X @ X.T``, from ``X = g / max(||g||, eps)``.

    As in torch, the iteration runs in bfloat16: every product is computed in float32 and rounded
    to bfloat16 (numpy has no bfloat16 dtype); the result is float32 holding bfloat16 values.

    Args:
        g: a 2-d array.
        ns_coefficients: ``(a, b, c)``.
        ns_steps: the number of rounds (< 100).
        eps: the floor of the norm ``g`` is divided by.
    """
    a, b, c = ns_coefficients
    x = round_bf16(g)
    wide = g.shape[0] > g.shape[1]
    if wide:
        x = x.T
    norm = round_bf16(np.sqrt(np.sum(np.square(x), dtype=np.float32)))
    x = round_bf16(x / max(norm, round_bf16(np.float32(eps))))
    for _ in range(ns_steps):
        gram = round_bf16(x @ x.T)
        poly = round_bf16(b * gram + c * (gram @ gram))
        x = round_bf16(a * x + poly @ x)
    return x.T if wide else x


def adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    """The learning rate scaled for a matrix of ``shape`` (A, B): ``sqrt(max(1, A / B))`` for ``'original'``
    (and None), ``0.2 sqrt(max(A, B))`` for ``'match_rms_adamw'``.

    Args:
        lr: the group's learning rate.
        adjust_lr_fn: None, ``'original'`` or ``'match_rms_adamw'``.
        shape: the parameter's shape.
    """
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1, rows / cols))


class Muon(Optimizer):
    """Muon, as ``torch.optim.Muon``: for the 2-d weights of hidden layers (optimize biases, embeddings
    and other parameters with another optimizer, such as AdamW).

    Per step, with ``g`` the gradient: ``B += (1 - momentum) (g - B)``; the update direction is
    ``g + momentum (B - g)`` with ``nesterov``, else ``B``; it is orthogonalised by
    ``ns_steps`` Newton-Schulz rounds (see ``zeropower_via_newtonschulz``, bfloat16 as in torch);
    then ``p *= 1 - lr * weight_decay`` and ``p -= adjust_lr(lr) * update``.

    Args:
        params: 2-d tensors to optimize, or dicts defining parameter groups.
        lr: learning rate.
        weight_decay: decoupled weight decay coefficient.
        momentum: momentum factor.
        nesterov: use Nesterov momentum.
        ns_coefficients: the coefficients ``(a, b, c)`` of the Newton-Schulz quintic.
        eps: floor of the norm the direction is divided by before the iteration.
        ns_steps: the number of Newton-Schulz rounds (< 100).
        adjust_lr_fn: None or ``'original'`` (scale lr by ``sqrt(max(1, A / B))``) or
            ``'match_rms_adamw'`` (by ``0.2 sqrt(max(A, B))``), for a parameter of shape (A, B).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        # torch's checks and wording in its order, then the ones torch makes only when stepping
        for key, what in (("lr", "Learning rate"), ("momentum", "momentum"), ("weight_decay", "weight decay")):
            _check_number(key, group[key])
            if not group[key] >= 0.0:
                raise ValueError(f"{what} should be >= 0 but is: {group[key]}")
        if group["adjust_lr_fn"] not in _ADJUST_LR_FNS:
            raise ValueError(f"Adjust learning rate function {group['adjust_lr_fn']} is not supported")
        if group["ns_steps"] >= 100:
            raise ValueError("Number of steps must be less than 100 for computational efficiency")
        if len(group["ns_coefficients"]) != 3:
            raise ValueError("Coefficients must be a tuple of exactly 3 values")
        for p in group.get("params", ()):
            if p.ndim != 2:
                raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}")

    def step(self, closure: Callable | None = None):
        """Perform one optimization step.

        Args:
            closure: a function that re-evaluates the model and returns the loss.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            for p, a, g, st in self._params_with_grad(group, _init_state):
                if a.dtype.kind == "c":
                    raise RuntimeError("Muon does not support complex parameters")
                buf = lerp_(st["momentum_buffer"]._data, g, 1 - momentum)
                direction = lerp_(np.array(g), buf, momentum) if group["nesterov"] else buf
                ns = group["ns_coefficients"], group["ns_steps"], group["eps"]
                update = zeropower_via_newtonschulz(direction, *ns)
                a *= 1 - lr * group["weight_decay"]
                s = self._scratch(a, 0)
                np.multiply(update.astype(a.dtype), adjust_lr(lr, group["adjust_lr_fn"], a.shape), out=s)
                a -= s
                p._version += 1
        return loss


def _init_state(st: dict, a: np.ndarray) -> None:
    """Muon's state: a zeroed momentum buffer (no step count, as in torch)."""
    st["momentum_buffer"] = _wrap(_alloc.zeros_like(a))
