"""(being written)"""

from __future__ import annotations

__all__: list[str] = []  # layer classes, exported from morch.nn
FUNCTIONS: list[str] = []  # functions, exported from morch.nn.functional
