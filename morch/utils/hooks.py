"""RemovableHandle: what every ``register_*_hook`` returns (modules, optimizers)."""

from __future__ import annotations

import itertools


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook.

    Args:
        hooks: the dict the hook was stored in, under this handle's ``id``.
        extra: dicts or sets that may also hold the ``id`` (a hook's options), cleared with it.
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict, extra: tuple = ()):
        self.hooks, self.extra = hooks, extra
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)
        for d in self.extra:
            if isinstance(d, set):
                d.discard(self.id)
            else:
                d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(hooks: dict, hook, prepend: bool = False, extra: tuple = ()) -> RemovableHandle:
    """Store ``hook`` in ``hooks`` (first when ``prepend``) and return its handle.

    Args:
        hooks: the ordered dict of hooks.
        hook: the callable.
        prepend: run it before the hooks already there.
        extra: dicts or sets the handle also clears (the hook's options).
    """
    handle = RemovableHandle(hooks, extra)
    hooks[handle.id] = hook
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks.update([items[-1]] + items[:-1])
    return handle
