"""Softplus, Mish and Swish for morch, as op classes registered by a plugin (see ``plugin.py``)."""

from morch_activations.ops import Mish, Softplus, Swish

__version__ = "0.1.0"
__all__ = ["Mish", "Softplus", "Swish"]
