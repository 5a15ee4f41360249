"""``morch.distributed``: morch trains in one process, so the package reports itself unavailable;
scripts that check ``is_available()`` / ``is_initialized()`` take their single-process path."""

from __future__ import annotations

__all__ = ["is_available", "is_initialized", "init_process_group", "get_rank", "get_world_size"]


def is_available() -> bool:
    """False: morch has no distributed backend."""
    return False


def is_initialized() -> bool:
    """False: there is never a process group."""
    return False


def _refuse(name: str):
    raise RuntimeError(f"morch.distributed.{name}: morch has no distributed backend (is_available() is False)")


def init_process_group(*args, **kwargs) -> None:
    """Refused: morch has no distributed backend."""
    _refuse("init_process_group")


def get_rank(group=None) -> int:
    """Refused without a process group, as in PyTorch."""
    _refuse("get_rank")


def get_world_size(group=None) -> int:
    """Refused without a process group, as in PyTorch."""
    _refuse("get_world_size")
