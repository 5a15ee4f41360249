"""Memory formats and layouts: ``morch.channels_last`` and friends, ``morch.strided``.

Every morch tensor is a strided numpy array; a memory format only decides the order of its
elements in memory (channels last: N, H, W, C), which numpy and morch's ops accept as is.
"""

from __future__ import annotations


class memory_format:
    """A memory format (``contiguous_format``, ``channels_last``, ``channels_last_3d``, ``preserve_format``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"morch.{self.name}"


class layout:
    """A tensor layout: morch has only ``strided``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"morch.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")

# the order of a tensor's dimensions in memory, outermost first, for each channels-last format
ORDERS = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}
