"""``replicate``, ``scatter``, ``scatter_kwargs``, ``gather`` and ``parallel_apply``: PyTorch's building
blocks of ``DataParallel``, for one CPU. The data still splits into one piece per listed device and the
pieces' results still join, so code that uses these functions directly runs unchanged; the "devices" only
count the pieces (morch has one CPU, and nothing moves)."""

from __future__ import annotations

import copy
import warnings

from morch.nn.module import Module
from morch.tensor import Tensor

__all__ = ["replicate", "scatter", "scatter_kwargs", "gather", "parallel_apply"]


def _check_cpu(name: str, devices) -> None:
    """Only CPU-like devices (None, "cpu", morch.device("cpu")) are allowed where modules would be placed."""
    for d in devices:
        if d is not None and str(d) != "cpu":
            raise RuntimeError(f"{name}: morch has no GPUs; devices must be 'cpu' or None, got {d!r}")


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def replicate(network: Module, devices, detach: bool = False) -> list[Module]:
    """One deep copy of ``network`` per device.

    Args:
        network: the module to copy.
        devices: a list of CPU-like devices (None, "cpu", morch.device("cpu")).
        detach: accepted (the copies are independent modules either way; in PyTorch, without detach the
            replicas' parameters stay in the original's autograd graph).
    """
    devices = list(devices)
    _check_cpu("replicate", devices)
    return [copy.deepcopy(network) for _ in devices]


def scatter(inputs, target_gpus, dim: int = 0):
    """Split ``inputs`` into ``len(target_gpus)`` pieces: tensors into ``chunk``s along ``dim``, tuples,
    lists, named tuples and dicts element-wise (one container per piece), anything else repeated.

    A tensor gives a tuple of chunks; a container gives a list of containers. Like ``chunk``, a tensor
    too short to split ``len(target_gpus)`` ways gives fewer pieces, and a container then has as many
    pieces as its shortest split.

    Args:
        inputs: a tensor or a (nested) container of them.
        target_gpus: the devices; only their number matters.
        dim: the dimension to split tensors along.
    """
    n = len(target_gpus)

    def split(obj):
        if isinstance(obj, Tensor):
            return obj.chunk(n, dim)
        if isinstance(obj, (tuple, list, dict)) and len(obj) > 0:
            values = list(obj.values()) if isinstance(obj, dict) else list(obj)
            pieces = list(zip(*(split(v) for v in values)))
            if isinstance(obj, dict):
                return [type(obj)(zip(obj.keys(), p)) for p in pieces]
            if _is_namedtuple(obj):
                return [type(obj)(*p) for p in pieces]
            return [list(p) for p in pieces] if isinstance(obj, list) else pieces
        return [obj] * n

    return split(inputs)


def scatter_kwargs(inputs: tuple, kwargs: dict | None, target_gpus, dim: int = 0) -> tuple[tuple, tuple]:
    """``scatter`` of positional and keyword inputs, padded to the same number of pieces with ``()`` / ``{}``.

    Args:
        inputs: the positional inputs (a tuple).
        kwargs: the keyword inputs, or None.
        target_gpus: the devices; only their number matters.
        dim: the dimension to split tensors along.
    """
    args = list(scatter(inputs, target_gpus, dim)) if inputs else []
    kws = list(scatter(kwargs, target_gpus, dim)) if kwargs else []
    args += [() for _ in range(len(kws) - len(args))]
    kws += [{} for _ in range(len(args) - len(kws))]
    return tuple(args), tuple(kws)


def _cat(tensors: list, dim: int) -> Tensor:
    from morch import functional as F

    if all(t.ndim == 0 for t in tensors):
        warnings.warn(
            f"gather: all pieces are scalars, so they are stacked into a vector instead of joined along dim {dim}",
            UserWarning,
            stacklevel=4,
        )
        return F.stack(list(tensors))
    return F.cat(list(tensors), dim)


def gather(outputs, target_device, dim: int = 0):
    """Join per-device results: tensors concatenated along ``dim`` (0-d tensors stacked into a vector,
    with a warning), dicts key by key, tuples/lists/named tuples element by element; None stays None.

    Args:
        outputs: a sequence of results, one per device, all of the same structure.
        target_device: accepted (the result stays on the CPU).
        dim: the dimension to join tensors along.
    """

    def join(items):
        first = items[0]
        if isinstance(first, Tensor):
            return _cat(items, dim)
        if first is None:
            return None
        if isinstance(first, dict):
            if any(len(d) != len(first) for d in items):
                raise ValueError("gather: All dicts must have the same number of keys")
            return type(first)((k, join([d[k] for d in items])) for k in first)
        if any(len(o) != len(first) for o in items):
            raise ValueError(f"gather: outputs have different lengths {[len(o) for o in items]}")
        joined = (join(list(group)) for group in zip(*items))
        return type(first)(*joined) if _is_namedtuple(first) else type(first)(joined)

    return join(list(outputs))


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None) -> list:
    """``[modules[i](*inputs[i], **kwargs_tup[i]) ...]``, run one after another (morch has one CPU).

    Args:
        modules: the modules (e.g. from ``replicate``).
        inputs: one input per module: a tuple/list of positional inputs, or a single input.
        kwargs_tup: one dict of keyword inputs per module, or None.
        devices: None, or one CPU-like device per module.
    """
    modules, inputs = list(modules), list(inputs)
    if len(modules) != len(inputs):
        raise ValueError(f"parallel_apply: got {len(modules)} modules but {len(inputs)} inputs")
    kwargs_tup = list(kwargs_tup) if kwargs_tup is not None else [{}] * len(modules)
    if len(kwargs_tup) != len(modules):
        raise ValueError(f"parallel_apply: got {len(modules)} modules but {len(kwargs_tup)} kwargs")
    if devices is not None:
        devices = list(devices)
        if len(devices) != len(modules):
            raise ValueError(f"parallel_apply: got {len(modules)} modules but {len(devices)} devices")
        _check_cpu("parallel_apply", devices)
    results = []
    for module, inp, kw in zip(modules, inputs, kwargs_tup):
        args = tuple(inp) if isinstance(inp, (tuple, list)) else (inp,)
        results.append(module(*args, **(kw or {})))
    return results
