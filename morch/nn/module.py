"""Module: the base class of layers and models, with PyTorch's attribute registration of
parameters, buffers and submodules, state dicts, train/eval mode, hooks and a nested repr."""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from morch import _alloc, dtypes
from morch.autograd import grad_mode
from morch.nn import _backward_hooks as _bh
from morch.nn.parameter import Buffer, Parameter
from morch.tensor import Tensor, _wrap, device
from morch.utils.hooks import RemovableHandle, add_hook


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _check_name(kind: str, name, module: Module) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


def _tensor_type_name(value) -> str:
    if isinstance(value, Tensor):
        return value.type()
    return type(value).__name__


# every hook registry of a module, and its empty value
_HOOK_ATTRS = (
    ("_forward_hooks", {}),
    ("_forward_pre_hooks", {}),
    ("_forward_hooks_with_kwargs", set()),
    ("_forward_hooks_always_called", set()),
    ("_forward_pre_hooks_with_kwargs", set()),
    ("_backward_hooks", {}),
    ("_backward_pre_hooks", {}),
    ("_state_dict_pre_hooks", {}),
    ("_state_dict_hooks", {}),
    ("_load_state_dict_pre_hooks", {}),
    ("_load_state_dict_post_hooks", {}),
)


class Module:
    """Base class for all layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters (``Parameter``), submodules and
    buffers (``register_buffer``) as attributes, and define ``forward``; calling the module runs
    ``forward`` (and any hooks). The rest follows ``torch.nn.Module``.
    """

    training: bool
    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: Module.__init__ takes none "
                "(call super().__init__() without arguments)"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        for key, default in _HOOK_ATTRS:
            d[key] = type(default)()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ---------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), got {result!r}"
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if (self._backward_hooks or self._backward_pre_hooks) and grad_mode._enabled:
            state = _bh.HookState(self, len(args))
            if self._backward_hooks:
                args = tuple(_bh.wire(list(args), state, "input"))
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._forward_hooks_always_called:
                    try:
                        self._run_forward_hook(key, hook, args, kwargs, None)
                    except Exception:  # the forward's own error is the one to report
                        pass
            raise
        for key, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(key, hook, args, kwargs, out)
            if result is not None:
                out = result
        if state is not None:
            out = self._wire_outputs(out, state)
        return out

    def _run_forward_hook(self, key, hook, args, kwargs, out):
        if key in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, out)
        return hook(self, args, out)

    @staticmethod
    def _wire_outputs(out, state):
        if isinstance(out, Tensor):
            return _bh.wire([out], state, "output")[0]
        if isinstance(out, (tuple, list)):
            wired = _bh.wire(list(out), state, "output")
            return type(out)(wired) if type(out) in (tuple, list) else type(out)(*wired)
        return out

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a returned value replaces the arguments.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
            with_kwargs: call ``hook(module, args, kwargs)`` instead, which returns None or a
                tuple ``(args, kwargs)`` replacing both.
        """
        handle = self._add_hook(self._forward_pre_hooks, hook, prepend, (self._forward_pre_hooks_with_kwargs,))
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:  # fmt: skip
        """Call ``hook(module, args, output)`` after each forward; a returned value replaces the output.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
            with_kwargs: call ``hook(module, args, kwargs, output)`` instead.
            always_call: also call it (with output None) when forward raises.
        """
        extra = (self._forward_hooks_with_kwargs, self._forward_hooks_always_called)
        handle = self._add_hook(self._forward_hooks, hook, prepend, extra)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs are known,
        before they flow into the module; a returned tuple replaces ``grad_output``.

        ``grad_output`` has one entry per output tensor (None for an output that got no gradient).
        Set up when the module is called: calls made before registering are not hooked.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients of the module's inputs
        are known; a returned tuple replaces ``grad_input``.

        ``grad_input`` has one entry per positional argument (None where it is not a tensor that
        needs a gradient); if no input needs one, the hook runs when ``grad_output`` is known.
        As in PyTorch, the module's tensor inputs and outputs are then seen through an identity
        node (here one copy of them per call), and only calls made after registering are hooked.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """Deprecated in PyTorch; morch gives it the behaviour of ``register_full_backward_hook``
        (PyTorch's old form saw only the last op's gradients).

        Args:
            hook: the callable.
        """
        return self.register_full_backward_hook(hook)

    @staticmethod
    def _add_hook(hooks: dict, hook: Callable, prepend: bool, extra: tuple = ()) -> RemovableHandle:
        return add_hook(hooks, hook, prepend, extra)

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before this module writes its entries in ``state_dict``.

        Args:
            hook: the callable.
        """
        return add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after this module (and its
        children) wrote their entries; the hook may change ``state_dict`` in place.

        Args:
            hook: the callable (it must return None).
        """
        return add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its entries (it may rename keys
        in ``state_dict``, a copy of what was passed in).

        Args:
            hook: the callable.
        """
        return add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loaded everything and
        before it checks the keys: clearing ``incompatible_keys.missing_keys`` (or
        ``unexpected_keys``) in place forgives them.

        Args:
            hook: the callable (it must return None).
        """
        return add_hook(self._load_state_dict_post_hooks, hook)

    # ---------------------------------------------------------------- attribute registration
    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters, buffers and submodules live in dicts
        d = self.__dict__
        if "_parameters" in d:
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, "_buffers", "_modules")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_tensor_type_name(value)}' as parameter '{name}' "
                    "(morch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, "_parameters", "_buffers")
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_tensor_type_name(value)}' as child module '{name}' "
                                "(morch.nn.Module or None expected)")  # fmt: skip
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            if params is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._remove_from(name, d, "_parameters", "_modules")
            self.register_buffer(name, value, value.persistent)
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(morch.Tensor or None expected)")  # fmt: skip
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _remove_from(self, name: str, d: dict, *dict_names: str) -> None:
        d.pop(name, None)
        for dn in dict_names:
            d[dn].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for dn in ("_parameters", "_buffers", "_modules"):
            if name in d.get(dn, ()):
                del d[dn][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(k for k in keys if not k[0].isdigit()))

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for key, default in _HOOK_ATTRS:
            self.__dict__.setdefault(key, type(default)())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter (running statistics, masks).

        Args:
            name: the attribute name.
            tensor: the buffer (or None, which is skipped by ``buffers()`` and ``state_dict()``).
            persistent: whether the buffer is part of ``state_dict()``.
        """
        d = self.__dict__
        if "_buffers" not in d:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self)
        if hasattr(self, name) and name not in d["_buffers"]:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(morch Tensor or None required)")  # fmt: skip
        if isinstance(tensor, Buffer):
            tensor = _wrap(tensor._data)
        d["_buffers"][name] = tensor
        if persistent:
            d["_non_persistent_buffers_set"].discard(name)
        else:
            d["_non_persistent_buffers_set"].add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a placeholder that ``parameters()`` skips).

        Args:
            name: the attribute name.
            param: a Parameter or None.
        """
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self)
        if hasattr(self, name) and name not in d["_parameters"]:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            d["_parameters"][name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_tensor_type_name(param)}' object to parameter '{name}' "
                            "(morch.nn.Parameter or None required)")  # fmt: skip
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                "explicitly. To express '{name}' as a function of another Tensor, compute the value in the "
                "forward() method."
            )
        d["_parameters"][name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as the attribute ``name``.

        Args:
            name: the attribute name.
            module: the child (or None).
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name, self)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` ('' is the module itself).

        Args:
            target: e.g. ``"features.0"``.
        """
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _owner(self, target: str) -> tuple[Module, str]:
        """The submodule holding the attribute at dotted path ``target``, and the attribute's name."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        return mod, name

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``"fc.weight"``).

        Args:
            target: the dotted path.
        """
        mod, name = self._owner(target)
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``).

        Args:
            target: the dotted path.
        """
        mod, name = self._owner(target)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # ---------------------------------------------------------------- iteration
    def _named_members(self, get_members, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and (if ``recurse``) of all submodules, each once.

        Args:
            recurse: include submodules' parameters.
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, parameter) pairs, as ``parameters()``.

        Args:
            prefix: prepended to every name.
            recurse: include submodules' parameters.
            remove_duplicate: yield a parameter shared by several modules only once.
        """
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module and (if ``recurse``) of all submodules.

        Args:
            recurse: include submodules' buffers.
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, buffer) pairs, as ``buffers()``.

        Args:
            prefix: prepended to every name.
            recurse: include submodules' buffers.
            remove_duplicate: yield a shared buffer only once.
        """
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct submodule, each module once."""
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, depth first, each once."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module ('' or ``prefix``) and every submodule.

        Args:
            memo: ids of modules already yielded (used by the recursion).
            prefix: prepended to every name.
            remove_duplicate: yield a module reachable by several paths only once.
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    # ---------------------------------------------------------------- modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode for this module and all submodules.

        Args:
            mode: True for training, False for evaluation.
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)`` (dropout off, batch norm uses running statistics)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (to freeze or unfreeze the module).

        Args:
            requires_grad: the new value.
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Args:
            set_to_none: set ``.grad`` to None (the default) instead of filling it with zeros.
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g = p.grad = g.detach()
                g.requires_grad_(False)
                g.zero_()

    # ---------------------------------------------------------------- conversion
    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module; returns self.

        Args:
            fn: a function of one module, e.g. an initialiser.
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Convert every parameter, gradient and buffer with ``fn``; parameters keep their identity."""
        for m in self.children():
            m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            new = fn(p)._data
            p._data = new if new is p._data else _alloc.copy(new)  # a new array: on a cache line, as at creation
            if p.grad is not None:
                p.grad = _wrap(fn(p.grad)._data)
        for k, b in self._buffers.items():
            if b is not None:
                self._buffers[k] = fn(b)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Cast floating-point parameters and buffers to a dtype: ``to(morch.float64)``, ``to('cpu')``,
        ``to(device, dtype)``, ``to(tensor)``; morch runs on the CPU only.

        Args:
            args: a dtype, a device, or a tensor whose dtype is used.
            kwargs: ``dtype=``, ``device=``, ``non_blocking=`` (ignored), ``memory_format=`` (ignored).
        """
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                dev = a
            elif isinstance(a, bool):  # to(device, dtype, non_blocking)
                continue
            elif a is not None:
                dtype = a
        if dev is not None:
            device(dev)
        if dtype is None:
            return self
        nd = dtypes.to_numpy(dtype)
        if nd.kind != "f":
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtypes.from_numpy(nd)}"
            )
        return self._cast(nd)

    def _cast(self, nd) -> Module:
        return self._apply(lambda t: _wrap(t._data.astype(nd)) if t._data.dtype.kind == "f" else t)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self._cast(np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64."""
        return self._cast(np.float64)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16."""
        return self._cast(np.float16)

    def type(self, dst_type) -> Module:
        """Cast all parameters and buffers to ``dst_type``.

        Args:
            dst_type: the dtype.
        """
        nd = dtypes.to_numpy(dst_type)
        return self._apply(lambda t: _wrap(t._data.astype(nd)))

    def cpu(self) -> Module:
        """The module itself (morch runs on the CPU)."""
        return self

    def cuda(self, device=None) -> Module:
        """Refused: morch runs on the CPU only.

        Args:
            device: ignored.
        """
        raise RuntimeError("morch runs on the CPU only; CUDA is not available")

    def share_memory(self) -> Module:
        """A no-op kept for compatibility (morch tensors live in one process)."""
        return self

    # ---------------------------------------------------------------- state dict
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> dict:
        """An ordered dict of every parameter and persistent buffer by dotted name.

        The tensors are detached but share memory with the module (save or copy them to keep a snapshot).

        Args:
            destination: a dict to fill (a new OrderedDict by default).
            prefix: prepended to every key.
            keep_vars: return the parameters themselves instead of detached tensors.
        """
        if args:  # the positional form state_dict(destination, prefix, keep_vars) of old PyTorch
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][len(args) :])[:3]
        if destination is None:
            destination = OrderedDict()
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in list(self._state_dict_hooks.values()):
            if hook(self, destination, prefix, {}) is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _load_from_state_dict(self, state_dict: Mapping, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list,
                              assign: bool = False) -> None:  # fmt: skip
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items()) if v is not None}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            if isinstance(value, np.ndarray):
                value = _wrap(value)
            if not isinstance(value, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected morch.Tensor or Tensor-like object '
                    f"from checkpoint but received {type(value)}"
                )
                continue
            if tuple(value.shape) != tuple(target.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                    f"the shape in current model is {target.shape}."
                )
                continue
            try:
                if assign:
                    if name in self._parameters:
                        new = Parameter(_wrap(value._data), requires_grad=target.requires_grad)
                        self._parameters[name] = new
                    else:
                        self._buffers[name] = value
                else:
                    with grad_mode.no_grad():
                        target.copy_(value)
            except Exception as e:  # noqa: BLE001 - reported with the key, as PyTorch does
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are {target.shape} '
                    f"and whose dimensions in the checkpoint are {value.shape}, an exception occurred : {e.args}."
                )
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                first = key[len(prefix) :].split(".", 1)[0]
                if first not in self._modules and first not in local:
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module (in place, under no_grad).

        Shape mismatches are always errors; with ``strict`` missing and unexpected keys are too.
        Every problem is listed in one RuntimeError that names the keys and shapes.

        Args:
            state_dict: a mapping from dotted names to tensors, as ``state_dict()`` returns.
            strict: require the keys to match exactly.
            assign: replace the module's tensors by the given ones instead of copying into them.

        Returns:
            A named tuple (missing_keys, unexpected_keys).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        state_dict = OrderedDict(state_dict)  # a copy that modules' _load_from_state_dict may amend
        missing: list = []
        unexpected: list = []
        errors: list = []

        def load(module: Module, prefix: str) -> None:
            for hook in list(module._load_state_dict_pre_hooks.values()):
                hook(module, state_dict, prefix, {}, strict, missing, unexpected, errors)
            module._load_from_state_dict(state_dict, prefix, {}, True, missing, unexpected, errors, assign)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self, "")
        incompatible = _IncompatibleKeys(missing, unexpected)
        for module in self.modules():
            for hook in list(module._load_state_dict_post_hooks.values()):
                if hook(module, incompatible) is not None:
                    raise RuntimeError("load_state_dict post-hook must return None")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------- printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line (layers override it)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def _one_line(self) -> str:
        """``Linear(in_features=2, out_features=3, bias=True)``: how error messages name the layer."""
        return f"{self._get_name()}({self.extra_repr()})"
