"""RemovableHandle: what every ``register_*_hook`` returns (modules, optimizers)."""

from __future__ import annotations

import itertools


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook.

    Args:
        hooks: the dict the hook was stored in, under this handle's ``id``.
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
