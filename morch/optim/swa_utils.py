"""``morch.optim.swa_utils``: weight averaging (SWA, EMA) as ``torch.optim.swa_utils``.

``AveragedModel`` keeps a copy of a model whose parameters are a running average of the model's;
``SWALR`` anneals the learning rate to a constant for the averaging phase; ``update_bn``
recomputes BatchNorm statistics for the averaged weights.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable

import numpy as np

from morch.autograd import grad_mode
from morch.nn.module import Module
from morch.optim.lr_scheduler import LRScheduler
from morch.optim.optimizer import Optimizer
from morch.tensor import Tensor, _wrap

__all__ = [
    "AveragedModel",
    "SWALR",
    "update_bn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
]


def get_swa_avg_fn() -> Callable:
    """The equal-weight running average: ``averaged + (current - averaged) / (num_averaged + 1)``."""

    def swa_update(averaged: Tensor, current: Tensor, num_averaged) -> Tensor:
        return averaged + (current - averaged) / (float(num_averaged) + 1)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """The exponential moving average: ``decay * averaged + (1 - decay) * current``.

    Args:
        decay: the weight of the running average.
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(averaged: Tensor, current: Tensor, num_averaged) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema_update


def _in_place(avg_fn: Callable) -> Callable:
    def multi(averaged: list, current: list, num_averaged) -> None:
        for a, c in zip(averaged, current):
            a.copy_(avg_fn(a, c, num_averaged))

    return multi


def get_swa_multi_avg_fn() -> Callable:
    """``get_swa_avg_fn`` applied in place to lists of tensors."""
    return _in_place(get_swa_avg_fn())


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """``get_ema_avg_fn`` applied in place to lists of tensors.

    Args:
        decay: the weight of the running average.
    """
    return _in_place(get_ema_avg_fn(decay))


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and buffers, with ``use_buffers``) are averaged by
    ``update_parameters``: equal weights by default (SWA), or ``avg_fn`` / ``multi_avg_fn``.

    Args:
        model: the model to average.
        device: 'cpu' or None.
        avg_fn: ``avg_fn(averaged, current, num_averaged)`` returning the new average of one tensor.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, num_averaged)`` updating in place.
        use_buffers: average the buffers too (else they stay those of the copy).
    """

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:  # fmt: skip
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", _wrap(np.zeros((), np.int64)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters into the average (the first call copies them).

        Args:
            model: the model being trained.
        """
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        count = int(self.n_averaged.item())
        with grad_mode.no_grad():
            averaged = [p.detach() for p in mine]
            current = [p.detach() for p in theirs]
            if count == 0:
                for a, c in zip(averaged, current):
                    a.copy_(c)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            else:
                fn = self.avg_fn or get_swa_avg_fn()
                for a, c in zip(averaged, current):
                    if a.is_floating_point():
                        a.copy_(fn(a, c, self.n_averaged))
                    else:
                        a.copy_(c)
        if not self.use_buffers:  # the averaged model's buffers follow the model's
            for b_avg, b in zip(self.module.buffers(), model.buffers()):
                with grad_mode.no_grad():
                    b_avg.copy_(b.detach())
        self.n_averaged._data[...] = count + 1


def update_bn(loader: Iterable, model: Module, device=None) -> None:
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``
    (cumulative averages, in training mode), then restore the modules' momenta and mode.

    Args:
        loader: batches (a tensor, or a list/tuple whose first item is the input).
        model: the model.
        device: 'cpu' or None.
    """
    from morch.nn.normalization import _BatchNorm

    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with grad_mode.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` steps (cosine or
    linear), then keep it there, as ``torch.optim.swa_utils.SWALR``.

    Args:
        optimizer: the optimizer.
        swa_lr: the final learning rate (a number, or one per group).
        anneal_epochs: steps of annealing (0: jump at once).
        anneal_strategy: 'cos' or 'linear'.
        last_epoch: index of the last epoch (-1 starts afresh).
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:  # fmt: skip
        lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(optimizer.param_groups)
        if len(lrs) != len(optimizer.param_groups):
            raise ValueError(
                f"swa_lr must have the same length as optimizer.param_groups: swa_lr has {len(lrs)}, "
                f"optimizer.param_groups has {len(optimizer.param_groups)}"
            )
        for lr, group in zip(lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs, self.anneal_strategy = anneal_epochs, anneal_strategy
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

    @staticmethod
    def _initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self._anneal(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        prev = [self._initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        alpha = self._anneal(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev)]
