"""The entry point morch loads (``[project.entry-points.morch]`` in pyproject.toml)."""

from morch.plugins import hookimpl

from morch_losses.ops import PseudoHuberLoss, SigmoidFocalLoss


@hookimpl
def register_ops(register):
    register(PseudoHuberLoss, functional=True)  # morch.pseudo_huber_loss, morch.nn.functional.pseudo_huber_loss
    register(SigmoidFocalLoss, functional=True)
