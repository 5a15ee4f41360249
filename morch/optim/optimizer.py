"""Optimizer: the base class of every optimizer (param groups, per-parameter state, state dicts).

Subclasses implement ``step`` with in-place numpy arithmetic on ``p._data``, ``p.grad._data`` and
the arrays of their state tensors: a training step then costs what the numpy arithmetic costs,
with no autograd dispatch per parameter. ``_scratch`` hands out reusable work arrays so a step
allocates nothing once it has run.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from morch import _alloc
from morch.autograd.grad_mode import enable_grad
from morch.tensor import Tensor, _wrap
from morch.utils.hooks import RemovableHandle, add_hook


class _RequiredParameter:
    """Singleton marking a hyperparameter that every param group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _check_number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")


def check_nonnegative(group: dict, key: str) -> None:
    """Raise ``ValueError("Invalid <key> value: v")`` (torch's wording) unless ``group[key]`` is a number >= 0."""
    value = group[key]
    if value is required:
        return
    _check_number(key, value)
    if not value >= 0.0:  # also refuses nan
        if key == "lr":
            raise ValueError(f"Invalid learning rate: {value}")
        if key == "eps":
            raise ValueError(f"Invalid epsilon value: {value}")
        raise ValueError(f"Invalid {key} value: {value}")


def check_implementation_flags(foreach=None, fused=None, differentiable: bool = False) -> None:
    """Accept torch's implementation switches: morch has one numpy implementation for all of them."""
    if differentiable:
        raise NotImplementedError(
            "differentiable=True is not supported: morch optimizers update parameters outside autograd"
        )
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _as_lr(value):
    # a one-element tensor lr is accepted and kept as a Python float (morch has no tensor-lr path)
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return float(value.item())
    return value


# step hooks of every optimizer (register_optimizer_step_pre_hook / _post_hook), by handle id
_HOOK_DICTS = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)


def _outermost(fn, around):
    """``fn`` with ``around(self, call, *args)`` wrapped round the outermost call only: a subclass's
    ``state_dict`` that calls ``super().state_dict()`` runs the hooks once."""

    @functools.wraps(fn)
    def wrapper(self, *args):
        if self.__dict__.get("_in_state_hooks"):
            return fn(self, *args)
        self._in_state_hooks = True
        try:
            return around(self, fn, *args)
        finally:
            self._in_state_hooks = False

    wrapper._state_hooks = True
    return wrapper


def _state_dict_around(self, state_dict):
    for hook in list(self._optimizer_state_dict_pre_hooks.values()):
        hook(self)
    result = state_dict(self)
    for hook in list(self._optimizer_state_dict_post_hooks.values()):
        replaced = hook(self, result)
        if replaced is not None:
            result = replaced
    return result


def _load_around(self, load_state_dict, state_dict):
    for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
        replaced = hook(self, state_dict)
        if replaced is not None:
            state_dict = replaced
    load_state_dict(self, state_dict)
    for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
        hook(self)


def _with_state_dict_hooks(fn):
    return _outermost(fn, _state_dict_around)


def _with_load_hooks(fn):
    return _outermost(fn, _load_around)


_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``, before the
    optimizer's own pre hooks; it may return ``(new_args, new_kwargs)`` to replace the arguments.

    Args:
        hook: the callable.
    """
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``, after the optimizer's own post hooks.

    Args:
        hook: the callable.
    """
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` so step hooks run around it (``args`` starts with the optimizer, as in PyTorch).
    A ``step`` that calls its parent class's ``step`` runs the hooks once, around the outer call."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        pre, post = self._optimizer_step_pre_hooks, self._optimizer_step_post_hooks
        if self._in_step or not (pre or post or _global_step_pre_hooks or _global_step_post_hooks):
            return step(*args, **kwargs)
        for hook in [*_global_step_pre_hooks.values(), *pre.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"optimizer step pre hook {hook!r} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result!r}"
                    )
                args, kwargs = result
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in [*post.values(), *_global_step_post_hooks.values()]:
            hook(self, args, kwargs)
        return out

    wrapper._step_hooks = True
    return wrapper


class Optimizer:
    """Base class of optimizers, as ``torch.optim.Optimizer``.

    Holds ``param_groups`` (a list of dicts, each with ``'params'`` and its hyperparameters) and
    ``state`` (a dict from parameter tensor to that parameter's state dict). Subclasses pass
    their default hyperparameters and implement ``step`` and ``_validate``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts with a
            ``'params'`` entry and per-group options that override ``defaults``.
        defaults: the default hyperparameters of every group.
    """

    _in_step = False  # inside a hooked step (so a parent class's step called from it runs no hooks again)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_step_hooks", False):
            cls.step = _with_step_hooks(step)
        for name, wrap in (("state_dict", _with_state_dict_hooks), ("load_state_dict", _with_load_hooks)):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "_state_hooks", False):
                setattr(cls, name, wrap(fn))

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if "lr" in defaults:
            defaults["lr"] = _as_lr(defaults["lr"])
        self._validate(defaults)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_arrays: dict = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---------------------------------------------------------------- hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step`` (``args`` starts with the
        optimizer); it may return ``(new_args, new_kwargs)`` to replace the arguments.

        Args:
            hook: the callable.
        """
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``.

        Args:
            hook: the callable.
        """
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` before ``state_dict`` builds the dict.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on the finished dict; a returned dict replaces it.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before loading; a returned dict is loaded instead.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` after loading.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---------------------------------------------------------------- subclass interface
    def _validate(self, group: dict[str, Any]) -> None:
        """Check one group's hyperparameters (the defaults, then every added group) with clear errors."""

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__}.step is not implemented")

    # ---------------------------------------------------------------- helpers for subclasses
    @staticmethod
    def _run_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _grad_array(p: Tensor) -> np.ndarray | None:
        """The gradient array of ``p`` (None to skip ``p``), checked against ``p``'s shape."""
        g = p.grad
        if g is None:
            return None
        try:
            d = g._data
        except AttributeError:
            raise TypeError(f"optimizer step: a parameter's .grad must be a Tensor, got {type(g).__name__}") from None
        if d.shape != p._data.shape:
            raise RuntimeError(
                f"optimizer step: gradient of shape {tuple(d.shape)} does not match its parameter "
                f"of shape {tuple(p._data.shape)}"
            )
        return d

    def _scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A work array shaped like ``like`` (contents undefined), reused across parameters and steps."""
        key = (like.dtype, slot)
        buf = self._scratch_arrays.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = self._scratch_arrays[key] = _alloc.empty((n,), like.dtype)
        if like.flags.f_contiguous and not like.flags.c_contiguous:  # column-major weights (nn.Linear)
            return buf[:n].reshape(like.shape[::-1]).T
        return buf[:n].reshape(like.shape)

    def _effective_grad(self, a: np.ndarray, d: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
        """``(-d if maximize else d) + weight_decay * a`` in a scratch array (or ``d`` itself if unchanged)."""
        if weight_decay != 0:
            s = self._scratch(a, 0)
            np.multiply(a, weight_decay, out=s)
            if maximize:
                s -= d
            else:
                s += d
            return s
        if maximize:
            return np.negative(d, out=self._scratch(a, 0))
        return d

    @staticmethod
    def _new_step() -> Tensor:
        from morch import dtypes

        # as torch: the step count is a 0-d float tensor of the default float dtype
        return _wrap(np.zeros((), dtypes.default_float()))

    def _params_with_grad(self, group: dict, init=None):
        """``(p, p's array, its gradient array, its state)`` for each parameter of ``group`` that has
        a gradient; ``init(state, array)`` fills the state of a parameter seen for the first time."""
        state = self.state
        for p in group["params"]:
            d = self._grad_array(p)
            if d is None:
                continue
            st = state[p]
            if not st and init is not None:
                init(st, p._data)
            yield p, p._data, d, st

    @staticmethod
    def _count_step(st: dict) -> float:
        """Add one to the state's step count; return the new count."""
        step = st["step"]._data
        step += 1
        return float(step)

    def _decayed_grad(self, group: dict, a: np.ndarray, d: np.ndarray, decoupled: bool = False) -> np.ndarray:
        """The gradient with the group's weight decay and ``maximize``: L2 decay adds
        ``weight_decay * a`` to it; decoupled decay (AdamW's) shrinks ``a`` by ``lr * weight_decay``."""
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if decoupled:
            if weight_decay != 0:
                a *= 1 - group["lr"] * weight_decay
            return self._effective_grad(a, d, 0, maximize)
        return self._effective_grad(a, d, weight_decay, maximize)

    def _update_moments(self, st: dict, a: np.ndarray, d: np.ndarray, beta1: float, beta2: float | None = None):
        """Adam's moving averages, in place: ``exp_avg += (1 - beta1) * (d - exp_avg)`` (torch's lerp)
        and, given beta2, ``exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * d * d``. Returns the
        scratch array used (slot 1), free for the caller."""
        m, s = st["exp_avg"]._data, self._scratch(a, 1)
        np.subtract(d, m, out=s)
        s *= 1 - beta1
        m += s
        if beta2 is not None:
            v = st["exp_avg_sq"]._data
            v *= beta2
            np.multiply(d, d, out=s)
            s *= 1 - beta2
            v += s
        return s

    # ---------------------------------------------------------------- public API
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: set ``.grad`` to None (the default) instead of filling it with zeros;
                a parameter whose grad is None is skipped by ``step``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data.fill(0)
                    g._version += 1

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones are taken from ``defaults``).

        Args:
            param_group: a dict with ``'params'`` (a tensor, or an iterable of tensors or of
                ``(name, tensor)`` pairs) and optional hyperparameters.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.grad_fn is not None and not p.retains_grad:
                raise ValueError("can't optimize a non-leaf Tensor")
            if p._data is None:
                raise ValueError("can't optimize a symbolic tensor (a static-graph placeholder)")
        group["params"] = params
        if "lr" in group:
            group["lr"] = _as_lr(group["lr"])
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        self._validate(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error",
                stacklevel=3,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as torch lays it out.

        ``{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index, ...]}]}``:
        parameters are numbered in the order of the groups; the state tensors are the optimizer's
        own (not copies), as in torch, so copy or save the dict before stepping again if needed.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from ``state_dict()`` (of an optimizer over parameters of the same shapes).

        Hyperparameters and state are copied in (floating state tensors are cast to their
        parameter's dtype, as in torch); the dict passed in is not aliased, so stepping does not
        modify it.

        Args:
            state_dict: the optimizer state, as returned by ``state_dict``.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state dict must be a dict with 'state' and 'param_groups' entries")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                f"than the optimizer ({len(groups)})"
            )
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group ({i}, of {len(sg['params'])} parameters) "
                    f"that doesn't match the size of optimizer's group ({len(g['params'])} parameters)"
                )
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for p, k in zip(g["params"], sg["params"]):
                id_map[k] = p
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            p = id_map.get(k)
            if p is None:
                state[k] = _copy_value(v, None, None)
                continue
            if not isinstance(v, dict):
                raise ValueError(f"state of parameter {k} must be a dict, got {type(v).__name__}")
            state[p] = {name: _copy_value(val, p, name, k) for name, val in v.items()}
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = {key: _copy_value(val, None, None) for key, val in sg.items() if key != "params"}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            self._validate(ng)
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._scratch_arrays = {}
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _copy_value(value, param: Tensor | None, name, index=None):
    """Deep copy of a state value; tensors become new tensors (floating ones in ``param``'s dtype)."""
    if isinstance(value, Tensor):
        arr = value._data
        if param is not None and name != "step":
            if arr.ndim and arr.shape != param._data.shape:
                raise ValueError(
                    f"loaded optimizer state {name!r} of parameter {index} has shape {tuple(arr.shape)}, "
                    f"but the parameter has shape {tuple(param._data.shape)}"
                )
            if arr.dtype.kind == "f" and param._data.dtype.kind == "f":
                # the parameter's layout, so updates run in one memory order; 0-d state (ASGD's eta) stays 0-d
                out = _alloc.empty_like(param._data) if arr.ndim else np.empty((), param._data.dtype)
                out[...] = arr
                return _wrap(out)
        return _wrap(np.array(arr))
    if isinstance(value, dict):
        items = ((k, _copy_value(v, param, k, index)) for k, v in value.items())
        return OrderedDict(items) if isinstance(value, OrderedDict) else dict(items)
    if isinstance(value, list):
        return [_copy_value(v, param, name, index) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_copy_value(v, param, name, index) for v in value)
    return value


# the base class's own state_dict / load_state_dict run the hooks too (subclasses' are wrapped as they are defined)
Optimizer.state_dict = _with_state_dict_hooks(Optimizer.state_dict)
Optimizer.load_state_dict = _with_load_hooks(Optimizer.load_state_dict)
