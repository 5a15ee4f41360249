"""The hooks a morch plugin can implement (pluggy project name ``morch``).

A plugin is a module (or any object) whose functions are marked with ``morch.plugins.hookimpl``
and named like the specifications below. It is found through the ``morch`` entry-point group,
or registered directly with ``morch.plugins.register_plugin``.
"""

from __future__ import annotations

from typing import Protocol

import pluggy

hookspec = pluggy.HookspecMarker("morch")


class RegisterOp(Protocol):
    """The ``register`` callback handed to ``register_ops``."""

    def __call__(self, op: type, name: str | None = None, *, functional: bool = False, method: bool = False) -> type:
        """Register one op class.

        Args:
            op: a subclass of ``morch.autograd.Function`` defining ``forward`` and ``backward``.
            name: the public name; by default the class name in snake_case (``SoftPlus`` -> ``soft_plus``).
            functional: also expose the op as ``morch.nn.functional.<name>``.
            method: also expose the op as a Tensor method (``x.<name>(...)``; the tensor is the first input).

        Returns:
            The op class, unchanged, so ``register`` can also be used as a decorator.
        """
        ...


@hookspec
def register_ops(register: RegisterOp) -> None:
    """Register the plugin's ops by calling ``register(OpClass, ...)`` once per op.

    Every registered op becomes ``morch.<name>(...)``; see ``RegisterOp`` for the options. An op
    whose name is already taken (by morch or by another plugin) is refused with a warning that
    names both; the plugin's other ops are still registered. If this hook raises, none of the
    plugin's ops are registered.

    Args:
        register: the callback to call once per op class.
    """
