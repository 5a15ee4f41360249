"""Loss modules: thin wrappers over the loss functions of morch.nn.functional."""

from __future__ import annotations

from morch.nn import functional as F
from morch.nn._util import check_reduction, legacy_reduction
from morch.nn.module import Module
from morch.tensor import Tensor


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits (N, C[, d1, ...]) against class indices or class probabilities.

    Combines log_softmax over the class dim and nll_loss; stable for large logits.

    Args:
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        ignore_index: class-index targets of this value contribute nothing.
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: in [0, 1]: mix the target with the uniform distribution by this amount.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        check_reduction(self.reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)  # fmt: skip


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C[, d1, ...]) for class indices.

    Args:
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        ignore_index: targets of this value contribute nothing.
        reduce: deprecated (use reduction).
        reduction: 'mean' (weighted mean), 'sum' or 'none'.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        check_reduction(self.reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (input - target)^2.

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target|.

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for |input - target| < beta, linear beyond.

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        beta: the switch point (0 gives the L1 loss).
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 for |d| < delta, delta (|d| - 0.5 delta) beyond (d = input - target).

    Args:
        reduction: 'mean', 'sum' or 'none'.
        delta: the switch point.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities in [0, 1] (logs clamped at -100).

    Args:
        weight: rescales each element's loss, or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of sigmoid(logits), computed stably from the logits.

    Args:
        weight: rescales each element's loss, or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: weight of positive examples, per class (broadcast along the last dim).
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)  # fmt: skip


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``.

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'batchmean' (the true KL divergence), 'mean', 'sum' or 'none'.
        log_target: the target is given as log-probabilities.
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim``.

    Args:
        dim: the dimension of the vectors.
        eps: lower bound of the norm product.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p along the last dim.

    Args:
        p: the norm's exponent.
        eps: added to the difference.
        keepdim: keep the reduced dim.
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
