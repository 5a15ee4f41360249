"""The one registry of op classes. Core ops and plugin ops are registered the same way."""

from __future__ import annotations

import re

from morch.autograd.function import Function

_ops: dict[str, type] = {}


class RegistryError(ValueError):
    """An op could not be registered (bad class, or a name that is already taken)."""


def default_name(cls: type) -> str:
    """``LogSoftmax`` -> ``log_softmax``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()


def register(cls: type | None = None, *, name: str | None = None, provider: str = "morch"):
    """Register an op class under ``name`` (default: its class name in snake_case).

    Usable as ``register(Cls)`` or as a decorator ``@register(name="x")``. A name that is
    already registered is an error naming both providers.
    """

    def do(cls):
        if not (isinstance(cls, type) and issubclass(cls, Function)):
            raise RegistryError(f"{provider}: {cls!r} is not a subclass of morch.autograd.Function")
        for method in ("forward", "backward"):
            if getattr(cls, method) is getattr(Function, method):
                raise RegistryError(f"{provider}: op class {cls.__name__} does not define {method}()")
        key = name or cls.__dict__.get("op_name") or default_name(cls)
        if not key.isidentifier():
            raise RegistryError(f"{provider}: op name {key!r} is not a valid Python identifier")
        old = _ops.get(key)
        if old is not None and old is not cls:
            raise RegistryError(
                f"op name {key!r} is registered twice: by {getattr(old, 'provider', '?')} "
                f"({old.__module__}.{old.__qualname__}) and by {provider} ({cls.__module__}.{cls.__qualname__})"
            )
        cls.provider = provider
        cls.op_name = key
        _ops[key] = cls
        return cls

    return do if cls is None else do(cls)


def unregister(name: str) -> None:
    """Remove an op (tests use it to leave the registry as they found it)."""
    _ops.pop(name, None)


def get(name: str) -> type | None:
    return _ops.get(name)


def names(provider: str | None = None) -> list[str]:
    return sorted(k for k, c in _ops.items() if provider is None or c.provider == provider)
