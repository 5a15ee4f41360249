"""Utilities: ``morch.utils.data`` (datasets, loaders) and ``morch.utils.checkpoint``."""

from morch.utils import checkpoint as checkpoint
