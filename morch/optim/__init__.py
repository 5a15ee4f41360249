"""Optimizers and learning-rate schedulers (``morch.optim``), as ``torch.optim``."""

from morch.optim import lr_scheduler
from morch.optim.adadelta import Adadelta
from morch.optim.adagrad import Adagrad
from morch.optim.adam import Adam
from morch.optim.adamw import AdamW
from morch.optim.optimizer import Optimizer
from morch.optim.rmsprop import RMSprop
from morch.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "RMSprop", "lr_scheduler"]
