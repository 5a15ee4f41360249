"""``morch.nn.utils.parametrize``: a module's tensor computed from other parameters on each access.

After ``register_parametrization(module, "weight", p)``, the original tensor lives in
``module.parametrizations.weight.original`` and ``module.weight`` is ``p(original)``, recomputed
whenever it is read (or once per ``cached()`` block). As in PyTorch, the module's class is swapped
for a subclass with a property of that name, so reading and assigning go through it, and the
state dict keys become ``parametrizations.weight.original`` (``original0``, ``original1`` ... when
``right_inverse`` returns several tensors).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from morch.autograd import grad_mode
from morch.nn.container import ModuleDict, ModuleList
from morch.nn.module import Module
from morch.nn.parameter import Parameter
from morch.tensor import Tensor

__all__ = [
    "register_parametrization",
    "remove_parametrizations",
    "is_parametrized",
    "cached",
    "type_before_parametrizations",
    "transfer_parametrizations_and_params",
    "ParametrizationList",
]

_cache: dict | None = None  # (module id, name) -> tensor while a cached() block is open


@contextlib.contextmanager
def cached():
    """Compute each parametrized tensor once inside the block (e.g. a recurrent net's weight used
    at every step), instead of at every access."""
    global _cache
    outer = _cache is not None
    if not outer:
        _cache = {}
    try:
        yield
    finally:
        if not outer:
            _cache = None


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original tensor(s) they start from.

    Args:
        modules: the parametrizations.
        original: the tensor being parametrized.
        unsafe: skip the consistency checks of shapes and dtypes.
    """

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        with grad_mode.no_grad():
            new = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.dtype != original.dtype):
                raise ValueError(
                    f"When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}"
                )
            self.original = _as_parameter(new, original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(
                        f"'right_inverse' must return a Tensor or a Sequence of tensors. Got {type(t).__name__}"
                    )
                setattr(self, f"original{i}", _as_parameter(t, original))
        if not unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original.dtype or tuple(z.shape) != tuple(original.shape):
                raise ValueError(
                    "Registering a parametrization may not change the shape or dtype of the tensor, unless "
                    f"`unsafe` flag is enabled.\nunparametrized dtype: {original.dtype}\nunparametrized shape: "
                    f"{tuple(original.shape)}\nparametrized dtype: {z.dtype}\nparametrized shape: {tuple(z.shape)}"
                )

    def originals(self) -> tuple:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value: Tensor) -> None:
        """Set the original tensor(s) so that the parametrized value becomes ``value``."""
        with grad_mode.no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                self.original.copy_(value)
            else:
                for original, v in zip(self.originals(), value):
                    original.copy_(v)

    def forward(self) -> Tensor:
        x = self[0](*self.originals())
        for module in list(self)[1:]:
            x = module(x)
        return x


def _as_parameter(new: Tensor, original: Tensor) -> Tensor:
    if isinstance(original, Parameter):
        return Parameter(new.detach().clone(), requires_grad=original.requires_grad)
    return new.detach().clone()


def _inject_property(module: Module, name: str) -> None:
    def getter(self):
        if _cache is not None:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = self.parametrizations[name]()
            return _cache[key]
        return self.parametrizations[name]()

    def setter(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(module.__class__, name, property(getter, setter))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` applied to the original tensor.

    Registering a second parametrization on the same tensor applies it after the first. The
    parametrization is a Module whose ``forward`` maps the original to the value; an optional
    ``right_inverse`` maps a value back (used at registration and when the tensor is assigned).

    Args:
        module: the module holding the parameter or buffer.
        tensor_name: its name.
        parametrization: the parametrization module.
        unsafe: allow a parametrization that changes the tensor's shape or dtype.
    """
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = plist()
            z = parametrization(y)
            if not isinstance(z, Tensor) or z.dtype != y.dtype or tuple(z.shape) != tuple(y.shape):
                raise ValueError(
                    "Registering a parametrization may not change the shape or dtype of the tensor, unless "
                    "`unsafe` flag is enabled."
                )
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name "
            f"'{tensor_name}'"
        )
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    module._parameters.pop(tensor_name, None)
    module._buffers.pop(tensor_name, None)
    if not is_parametrized(module):
        cls = module.__class__
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"_original_class": cls})
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    _inject_property(module, tensor_name)
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given).

    Args:
        module: the module.
        tensor_name: a tensor name, or None for any.
    """
    plists = module._modules.get("parametrizations")
    if plists is None or not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations swapped it."""
    return module.__class__._original_class if is_parametrized(module) else type(module)


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Remove the parametrizations of ``tensor_name``, leaving a plain parameter: its current
    parametrized value (``leave_parametrized``) or the original tensor.

    Args:
        module: the module.
        tensor_name: the parametrized tensor's name.
        leave_parametrized: keep the parametrized value rather than the original.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with grad_mode.no_grad():
            value = getattr(module, tensor_name)
        new = (
            Parameter(value.detach().clone(), requires_grad=True)
            if plist.is_tensor and isinstance(plist.original, Parameter)
            else value.detach().clone()
        )
    else:
        if not plist.is_tensor:
            raise ValueError(
                "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms "
                "of a sequence of tensors."
            )
        new = plist.original
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(new, Parameter):
        module.register_parameter(tensor_name, new)
    else:
        module.register_buffer(tensor_name, new)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = module.__class__._original_class
    return module


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Give ``to_module`` the parametrizations of ``from_module`` (all, or those of ``tensor_name``),
    with copies of their original tensors.

    Args:
        from_module: the parametrized module.
        to_module: the module to parametrize.
        tensor_name: one tensor's name, or None for all.
    """
    if not is_parametrized(from_module):
        return to_module
    names = [tensor_name] if tensor_name is not None else list(from_module.parametrizations.keys())
    for name in names:
        plist = from_module.parametrizations[name]
        if not hasattr(to_module, name) or name not in to_module._parameters:
            to_module.register_parameter(name, Parameter(getattr(from_module, name).detach().clone()))
        for p in plist:
            register_parametrization(to_module, name, p, unsafe=True)
        with grad_mode.no_grad():
            for src, dst in zip(plist.originals(), to_module.parametrizations[name].originals()):
                dst.copy_(src)
    return to_module
