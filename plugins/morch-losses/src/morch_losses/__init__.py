"""Pseudo-Huber and sigmoid focal losses for morch, as op classes registered by a plugin (see ``plugin.py``)."""

from morch_losses.ops import PseudoHuberLoss, SigmoidFocalLoss

__version__ = "0.1.0"
__all__ = ["PseudoHuberLoss", "SigmoidFocalLoss"]
