"""``morch.utils.tensorboard.SummaryWriter``: TensorBoard event files with numpy and the standard
library only (no ``tensorboard`` or ``protobuf`` package needed to write them)."""

from morch.utils.tensorboard.writer import FileWriter, SummaryWriter

__all__ = ["SummaryWriter", "FileWriter"]
