"""Gradient clipping: by total norm (clip_grad_norm_) and by value (clip_grad_value_)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from morch.tensor import Tensor, _wrap


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors: Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:  # fmt: skip
    """The norm of all ``tensors`` together, as if concatenated into one vector.

    Args:
        tensors: the tensors (typically gradients).
        norm_type: p of the p-norm; ``inf`` for the max norm.
        error_if_nonfinite: raise if the norm is nan or inf.
        foreach: ignored (kept for compatibility).
    """
    arrays = [t._data for t in ([tensors] if isinstance(tensors, Tensor) else tensors)]
    if not arrays:
        return _wrap(np.asarray(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    dtype = np.result_type(*arrays)
    if math.isinf(norm_type):
        total = max(float(np.abs(a).max()) if a.size else 0.0 for a in arrays)
    else:
        total = sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrays) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return _wrap(np.asarray(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:  # fmt: skip
    """Scale the gradients of ``parameters`` in place so that their total norm is at most ``max_norm``.

    The coefficient is max_norm / (total_norm + 1e-6), applied only when it is below 1.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm; ``inf`` for the max norm.
        error_if_nonfinite: raise if the total norm is nan or inf.
        foreach: ignored (kept for compatibility).

    Returns:
        The total norm before clipping (a 0-d tensor).
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    _scale(grads, max_norm, total)
    return total


def _scale(grads: list, max_norm: float, total) -> None:
    coef = float(max_norm) / (float(total._data if isinstance(total, Tensor) else total) + 1e-6)
    if coef < 1:
        for g in grads:
            g._data *= g._data.dtype.type(coef)
            g._version += 1


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1, given a total
    norm computed beforehand (``get_total_norm``), as ``clip_grad_norm_`` does in one call.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is scaled.
        max_norm: the largest allowed total norm.
        total_norm: the total norm of the gradients.
        foreach: ignored (kept for compatibility).
    """
    _scale(_grads(parameters), max_norm, total_norm)


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:  # fmt: skip
    """Deprecated spelling of ``clip_grad_norm_`` (warns, as PyTorch does)."""
    import warnings

    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` in place to [-clip_value, clip_value].

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the bound.
        foreach: ignored (kept for compatibility).
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version += 1
