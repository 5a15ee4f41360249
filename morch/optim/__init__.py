"""Optimizers and learning-rate schedulers (``morch.optim``), as ``torch.optim``."""

from morch.optim import lr_scheduler, swa_utils
from morch.optim._stateless import swap_in_optimizer_params_and_state
from morch.optim.adadelta import Adadelta
from morch.optim.adafactor import Adafactor
from morch.optim.adagrad import Adagrad
from morch.optim.adam import Adam
from morch.optim.adamax import Adamax
from morch.optim.adamw import AdamW
from morch.optim.asgd import ASGD
from morch.optim.lbfgs import LBFGS
from morch.optim.muon import Muon
from morch.optim.nadam import NAdam
from morch.optim.optimizer import Optimizer
from morch.optim.radam import RAdam
from morch.optim.rmsprop import RMSprop
from morch.optim.rprop import Rprop
from morch.optim.sgd import SGD
from morch.optim.sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adagrad",
    "RMSprop",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "ASGD",
    "LBFGS",
    "Adafactor",
    "Muon",
    "SparseAdam",
    "swap_in_optimizer_params_and_state",
    "lr_scheduler",
    "swa_utils",
]
