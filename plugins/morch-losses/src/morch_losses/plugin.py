"""The entry point morch loads (``[project.entry-points.morch]`` in pyproject.toml)."""

from morch.plugins import hookimpl

from morch_losses.ops import HuberLoss, SigmoidFocalLoss


@hookimpl
def register_ops(register):
    register(HuberLoss, functional=True)  # morch.huber_loss, morch.nn.functional.huber_loss
    register(SigmoidFocalLoss, functional=True)
