"""The one registry of op classes. Core ops and plugin ops are registered the same way."""

from __future__ import annotations

import keyword
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
    already registered is an error naming both providers; so is registering one class for two
    providers. Plugins do not call this directly: the ``register`` callback their
    ``register_ops`` hook receives calls it with the plugin's name as provider.

    Args:
        cls: a subclass of ``morch.autograd.Function`` defining ``forward`` and ``backward``.
        name: the op name; defaults to ``cls.op_name`` if the class sets it, else the class name in snake_case.
        provider: who registers it: ``"morch"`` for core ops, the plugin's name for plugin ops.
    """

    def do(cls):
        if not (isinstance(cls, type) and issubclass(cls, Function)):
            raise RegistryError(f"{provider}: {cls!r} is not a subclass of morch.autograd.Function")
        for method in ("forward", "backward"):
            if getattr(cls, method) is getattr(Function, method):
                raise RegistryError(f"{provider}: op class {cls.__name__} does not define {method}()")
        key = name or cls.__dict__.get("op_name") or default_name(cls)
        if not key.isidentifier() or keyword.iskeyword(key) or key.startswith("_"):
            raise RegistryError(
                f"{provider}: op name {key!r} is not a public Python identifier (letters, digits and _, "
                "not starting with _, not a keyword)"
            )
        owner = cls.__dict__.get("provider")
        if owner is not None and owner != provider:
            # the class's provider and op_name would be overwritten, and errors would blame the wrong package
            raise RegistryError(
                f"{provider}: op class {cls.__module__}.{cls.__qualname__} is already registered as "
                f"{cls.__dict__.get('op_name')!r} by {owner}; register a subclass of it instead"
            )
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
    """Remove an op (tests use it to leave the registry as they found it).

    Args:
        name: the op name; unknown names are ignored.
    """
    cls = _ops.pop(name, None)
    if cls is not None and all(c is not cls for c in _ops.values()):
        for attr in ("provider", "op_name"):
            if attr in cls.__dict__:
                delattr(cls, attr)


def get(name: str) -> type | None:
    """The op class registered as ``name``, or None.

    Args:
        name: the op name.
    """
    return _ops.get(name)


def names(provider: str | None = None) -> list[str]:
    """The registered op names, sorted.

    Args:
        provider: only the ops of this provider (``"morch"`` for the core, else a plugin name).
    """
    return sorted(k for k, c in _ops.items() if provider is None or c.provider == provider)


def snapshot() -> dict[str, tuple[type, str]]:
    """The registry's contents, for ``restore`` (tests use the pair to leave the registry as they found it)."""
    return {k: (c, c.provider) for k, c in _ops.items()}


def restore(state: dict[str, tuple[type, str]]) -> None:
    """Make the registry hold exactly what ``snapshot`` returned.

    Args:
        state: a value returned by ``snapshot``.
    """
    for key in [k for k in _ops if k not in state or _ops[k] is not state[k][0]]:
        unregister(key)
    for key, (cls, provider) in state.items():
        _ops[key] = cls
        cls.provider, cls.op_name = provider, key
