"""``morch.nn.utils.stateless``: call a module with some parameters and buffers replaced."""

from morch.func import functional_call

__all__ = ["functional_call"]
