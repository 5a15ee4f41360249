"""``morch.nn.utils.prune``: zero out weights with a mask, as ``torch.nn.utils.prune``.

Pruning ``name`` moves the parameter to ``<name>_orig``, adds a buffer ``<name>_mask`` and
recomputes ``<name> = <name>_orig * <name>_mask`` before each forward (a forward pre-hook), so
gradients reach only the kept weights. Pruning the same tensor again combines the masks (a new
method prunes among the weights still kept); ``remove`` makes the pruning permanent.
"""

from __future__ import annotations

import numpy as np

from morch.autograd import grad_mode
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor, _wrap

__all__ = [
    "identity",
    "random_unstructured",
    "l1_unstructured",
    "random_structured",
    "ln_structured",
    "global_unstructured",
    "custom_from_mask",
    "remove",
    "is_pruned",
    "L1Unstructured",
    "RandomUnstructured",
]


def _amount_count(amount, n: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")
    if isinstance(amount, float):
        if not 0.0 <= amount <= 1.0:
            raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")
        return int(round(amount * n))
    if amount < 0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")
    if amount > n:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={n}")
    return amount


def _rng():
    from morch.random import default_generator

    return default_generator._rng


class _Hook:
    """The forward pre-hook that recomputes the pruned tensor."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, module: Module, args) -> None:
        orig, mask = getattr(module, self.name + "_orig"), getattr(module, self.name + "_mask")
        object.__setattr__(module, self.name, orig * mask)


def _apply_mask(module: Module, name: str, new_mask: np.ndarray) -> Module:
    """Combine ``new_mask`` (chosen among the still-kept entries) into the module's mask."""
    hooks = module.__dict__.setdefault("_prune_hooks", {})
    if name in hooks:
        mask = getattr(module, name + "_mask")
        mask._data[...] = mask._data * new_mask
        mask._version += 1
    else:
        param = module._parameters.pop(name, None)
        if not isinstance(param, Parameter):
            raise AttributeError(f"Parameter '{name}' of module {type(module).__name__} has to be pruned")
        module.register_parameter(name + "_orig", param)
        module.register_buffer(name + "_mask", _wrap(new_mask.astype(param._data.dtype)))
        hooks[name] = module.register_forward_pre_hook(_Hook(name))
    with grad_mode.enable_grad():
        _Hook(name)(module, ())
    return module


def _kept(module: Module, name: str) -> np.ndarray:
    hooks = module.__dict__.get("_prune_hooks", {})
    if name in hooks:
        return getattr(module, name + "_mask")._data != 0
    return np.ones(getattr(module, name).shape, dtype=bool)


def _values(module: Module, name: str) -> np.ndarray:
    hooks = module.__dict__.get("_prune_hooks", {})
    return (getattr(module, name + "_orig") if name in hooks else getattr(module, name))._data


def _unstructured_mask(scores: np.ndarray, kept: np.ndarray, amount) -> np.ndarray:
    """Zero the ``amount`` lowest-scoring entries among those still kept."""
    candidates = np.flatnonzero(kept.reshape(-1))
    k = _amount_count(amount, candidates.size)
    mask = np.ones(kept.size)
    if k:
        order = np.argsort(scores.reshape(-1)[candidates], kind="stable")[:k]
        mask[candidates[order]] = 0
    return mask.reshape(kept.shape)


def identity(module: Module, name: str) -> Module:
    """Set up pruning on ``name`` with a mask of ones (nothing removed yet).

    Args:
        module: the module.
        name: the parameter's name.
    """
    return _apply_mask(module, name, np.ones(getattr(module, name).shape))


def random_unstructured(module: Module, name: str, amount) -> Module:
    """Zero ``amount`` (a fraction or a count) randomly chosen entries among those still kept.

    Args:
        module: the module.
        name: the parameter's name.
        amount: a fraction in [0, 1] or a number of entries.
    """
    kept = _kept(module, name)
    return _apply_mask(module, name, _unstructured_mask(_rng().random(kept.shape), kept, amount))


def l1_unstructured(module: Module, name: str, amount, importance_scores: Tensor | None = None) -> Module:
    """Zero the ``amount`` entries of smallest magnitude (or importance score) among those still kept.

    Args:
        module: the module.
        name: the parameter's name.
        amount: a fraction in [0, 1] or a number of entries.
        importance_scores: scores to rank by instead of |weight|.
    """
    scores = np.abs(_values(module, name) if importance_scores is None else importance_scores._data)
    return _apply_mask(module, name, _unstructured_mask(scores, _kept(module, name), amount))


def _structured(module: Module, name: str, amount, dim: int, scores: np.ndarray) -> Module:
    values = _values(module, name)
    d = dim % values.ndim
    kept = _kept(module, name)
    k = _amount_count(amount, values.shape[d])
    mask = np.ones(values.shape)
    if k:
        drop = np.argsort(scores, kind="stable")[:k]
        index = [slice(None)] * values.ndim
        index[d] = drop
        mask[tuple(index)] = 0
    return _apply_mask(module, name, mask * kept)


def random_structured(module: Module, name: str, amount, dim: int) -> Module:
    """Zero ``amount`` randomly chosen whole slices along ``dim`` (e.g. output channels).

    Args:
        module: the module.
        name: the parameter's name.
        amount: a fraction in [0, 1] or a number of slices.
        dim: the dimension whose slices are pruned.
    """
    n = _values(module, name).shape[dim]
    return _structured(module, name, amount, dim, _rng().random(n))


def ln_structured(module: Module, name: str, amount, n, dim: int, importance_scores: Tensor | None = None) -> Module:
    """Zero the ``amount`` slices along ``dim`` of smallest L-``n`` norm.

    Args:
        module: the module.
        name: the parameter's name.
        amount: a fraction in [0, 1] or a number of slices.
        n: the order of the norm (1, 2, ..., or inf).
        dim: the dimension whose slices are pruned.
        importance_scores: values to take the norms of instead of the weight.
    """
    values = _values(module, name) if importance_scores is None else importance_scores._data
    d = dim % values.ndim
    moved = np.moveaxis(values, d, 0).reshape(values.shape[d], -1)
    scores = np.linalg.norm(moved, ord=n, axis=1)
    return _structured(module, name, amount, dim, scores)


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the lowest-scoring entries across all the given (module, name) pairs together.

    Args:
        parameters: an iterable of (module, name) pairs.
        pruning_method: ``L1Unstructured`` or ``RandomUnstructured``.
        importance_scores: a dict from (module, name) to score tensors.
        kwargs: ``amount``.
    """
    pairs = list(parameters)
    amount = kwargs.pop("amount")
    flat_scores, flat_kept = [], []
    for module, name in pairs:
        if pruning_method is RandomUnstructured:
            s = _rng().random(getattr(module, name).shape)
        else:
            given = (importance_scores or {}).get((module, name))
            s = np.abs(_values(module, name) if given is None else given._data)
        flat_scores.append(s.reshape(-1))
        flat_kept.append(_kept(module, name).reshape(-1))
    mask = _unstructured_mask(np.concatenate(flat_scores), np.concatenate(flat_kept), amount)
    start = 0
    for module, name in pairs:
        shape = getattr(module, name).shape
        size = int(np.prod(shape))
        _apply_mask(module, name, mask[start : start + size].reshape(shape))
        start += size


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune with a given mask (zeros are removed).

    Args:
        module: the module.
        name: the parameter's name.
        mask: a tensor of the parameter's shape.
    """
    return _apply_mask(module, name, np.asarray(mask._data, dtype=float))


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``name`` permanent: ``name`` becomes a parameter holding the masked values.

    Args:
        module: the module.
        name: the parameter's name.
    """
    hooks = module.__dict__.get("_prune_hooks", {})
    if name not in hooks:
        raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")
    hooks.pop(name).remove()
    orig = module._parameters.pop(name + "_orig")
    mask = module._buffers.pop(name + "_mask")
    module.__dict__.pop(name, None)
    with grad_mode.no_grad():
        orig._data[...] = orig._data * mask._data
    module.register_parameter(name, orig)
    return module


def is_pruned(module: Module) -> bool:
    """Whether any submodule of ``module`` has a pruned parameter.

    Args:
        module: the module.
    """
    return any(m.__dict__.get("_prune_hooks") for m in module.modules())


class L1Unstructured:
    """The method ``global_unstructured`` uses to rank by magnitude."""


class RandomUnstructured:
    """The method ``global_unstructured`` uses to rank at random."""
