"""Loss modules: thin wrappers over the loss functions of morch.nn.functional; the margin, embedding
and likelihood losses (and their functions, which morch.nn.functional re-exports) are defined here."""

from __future__ import annotations

import math

import numpy as np

from morch import functional as _mf
from morch.autograd.function import deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, InputTypeError, check_reduction, legacy_reduction
from morch.nn.module import Module
from morch.tensor import Tensor, _wrap


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


# ---------------------------------------------------------------------- margin, embedding and likelihood losses
# Composites of differentiable morch ops, so their gradients (of any order) need no op of their own.
def _check_sizes(name: str, **tensors: Tensor) -> None:
    shapes = {k: tuple(t.shape) for k, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        sizes = ", ".join(f"{k}: {list(s)}" for k, s in shapes.items())
        raise InputError(f"{name}: All input tensors should have same dimension but got sizes: {sizes}")


@deferrable
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """max(0, -target * (input1 - input2) + margin): input1 should rank above input2 where target is 1,
    below where it is -1.

    Args:
        input1: scores.
        input2: scores of the same shape.
        target: 1 or -1 per element, of the same shape.
        margin: the required gap.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    _check_sizes("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return F._reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


@deferrable
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    """input where target is 1, max(0, margin - input) where target is -1 (input typically a distance).

    Args:
        input: any shape.
        target: 1 or -1, of the same shape.
        margin: the margin for dissimilar pairs.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    # as PyTorch: other target values get both terms
    loss = _mf.where(target != 1, (margin - input).clamp(min=0), 0.0) + _mf.where(target != -1, input, 0.0)
    return F._reduce(loss, reduction)


@deferrable
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), a smooth two-class hinge, computed stably.

    Args:
        input: scores.
        target: 1 or -1, of the same shape.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    F._check_same_size(input, target, "soft_margin_loss")
    return F._reduce(-F.logsigmoid(target * input), reduction)


@deferrable
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Binary cross entropy of sigmoid(input) against 0/1 targets per class, averaged over the classes (last dim).

    Args:
        input: (N, C) or (C,) logits.
        target: 0 or 1 per class, of the same shape.
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none' (one loss per sample).
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise InputError(f"multilabel_soft_margin_loss: target shape {list(target.shape)} must match the input "
                         f"shape {list(input.shape)}")  # fmt: skip
    loss = -(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return F._reduce(loss.sum(-1) / input.shape[-1], reduction)


@deferrable
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1 (cosines of rows).

    Args:
        input1: (N, D) or (D,).
        input2: the same shape.
        target: (N,) or () of 1 or -1.
        margin: in [-1, 1]; dissimilar pairs are penalised above it.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    name = "cosine_embedding_loss"
    if target.ndim > 1:
        raise InputError(f"{name}: 0D or 1D target tensor expected, multi-target not supported, got target of "
                         f"shape {list(target.shape)}")  # fmt: skip
    if input1.ndim != target.ndim + 1 or tuple(input1.shape) != tuple(input2.shape):
        raise InputError(f"{name}: {target.ndim}D target tensor expects two {target.ndim + 1}D inputs of the "
                         f"same shape, got {list(input1.shape)} and {list(input2.shape)}")  # fmt: skip
    if target.ndim == 1 and target.shape[0] != input1.shape[0]:
        raise InputError(f"{name}: target of shape {list(target.shape)} does not match the batch size "
                         f"{input1.shape[0]} of inputs {list(input1.shape)}")  # fmt: skip
    d = target.ndim  # the feature dim
    eps = 1e-12  # PyTorch's: keeps zero vectors finite
    cos = (input1 * input2).sum(d) / (((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)).sqrt()
    loss = _mf.where(target == 1, 1 - cos, 0.0) + _mf.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return F._reduce(loss, reduction)


@deferrable
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Multi-class hinge: sum over classes j != y of max(0, margin - x[y] + x[j])^p, divided by C.

    Args:
        input: (N, C) or (C,) scores.
        target: (N,) or () class indices.
        p: 1 or 2.
        margin: the required gap between the true class's score and the others.
        weight: (C,) class weights (of the true class), or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    name = "multi_margin_loss"
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 supported, got p={p}")
    if input.ndim not in (1, 2):
        raise InputError(f"{name}: expected input of shape (N, C) or (C,), got {list(input.shape)}")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    n, c = x.shape
    t = target._data
    if t.dtype.kind not in "iu":
        raise InputTypeError(f"{name}: expected integer class indices (int64) as target, got {target.dtype}")
    if t.size != n or t.ndim != input.ndim - 1:
        raise InputError(f"{name}: target tensor should be 1-D with size equal to the number of input samples "
                         f"(batch size). Expected target size [{n}], but got {list(target.shape)}. Input has "
                         f"shape {list(input.shape)}.")  # fmt: skip
    t = t.reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"{name}: target out of range: classes must be in [0, {c}), got {t.min()}..{t.max()}")
    true = _mf.gather(x, 1, _wrap(t.reshape(n, 1)))
    z = (x - true + margin).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        if tuple(weight.shape) != (c,):
            raise InputError(f"{name}: weight must have shape ({c},), got {list(weight.shape)}")
        z = z * weight[_wrap(t)].reshape(n, 1)
    others = _wrap(np.arange(c) != t[:, None])  # the true class adds no term
    loss = _mf.where(others, z, 0.0).sum(1) / c
    return F._reduce(loss.reshape(target.shape), reduction)


@deferrable
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:  # fmt: skip
    """max(0, d(anchor, positive) - d(anchor, negative) + margin) with d the p-norm distance (pairwise_distance).

    Args:
        anchor: (N, D) or (D,).
        positive: like anchor.
        negative: like anchor.
        margin: the required gap (positive).
        p: the norm's exponent.
        eps: added to differences (see pairwise_distance).
        swap: use min(d(anchor, negative), d(positive, negative)) as the negative distance.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise InputError(f"triplet_margin_loss: The anchor, positive, and negative tensors are expected to have the "
                         f"same number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
                         f"and negative {negative.ndim}D inputs")  # fmt: skip
    d_pos = F.pairwise_distance(anchor, positive, p, eps)
    d_neg = F.pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _mf.minimum(d_neg, F.pairwise_distance(positive, negative, p, eps))
    return F._reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


@deferrable
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of a Poisson target: exp(input) - target * input for a log-rate input,
    else input - target * log(input + eps).

    Args:
        input: the expectation (its log with log_input).
        target: counts, of the same shape.
        log_input: the input is the log of the rate.
        full: add the Stirling approximation of log(target!) (for targets above 1).
        size_average: deprecated (use reduction).
        eps: keeps log finite when log_input is False.
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    loss = _mf.exp(input) - target * input if log_input else input - target * _mf.log(input + eps)
    if full:
        big = target > 1
        t = _mf.where(big, target, 2.0)  # log never sees 0 or 1, so their (masked) gradients stay finite
        stirling = t * _mf.log(t) - t + 0.5 * _mf.log(t * (2 * math.pi))
        loss = loss + _mf.where(big, stirling, 0.0)
    return F._reduce(loss, reduction)


@deferrable
def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of a Gaussian target: 0.5 * (log(var) + (input - target)^2 / var).

    ``var`` is clamped at eps for stability, the gradient passing through the clamp unchanged (as
    PyTorch's no-grad clamp).

    Args:
        input: the expectation.
        target: samples, of the same shape.
        var: the variance: a float, the input's shape, or the input's shape with one dim of size 1
            (or without the last dim): one shared variance along it.
        full: add the constant 0.5 * log(2 pi).
        eps: the lower bound of var.
        reduction: 'mean', 'sum' or 'none'.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = _wrap(np.full(tuple(input.shape), var, dtype=input._data.dtype))
    elif var._data.size and (var._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (var.ndim == input.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: {list(var.shape)} for input "
                             f"{list(input.shape)}")  # fmt: skip
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    v = var._data
    var = var + _wrap(np.maximum(v, eps).astype(v.dtype) - v)  # the clamp as a constant shift
    d = input - target
    loss = (_mf.log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return F._reduce(loss, reduction)


for _f in (margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
           cosine_embedding_loss, triplet_margin_loss, poisson_nll_loss):  # fmt: skip
    _f.replayable = True  # they read only shapes (multi_margin_loss and gaussian_nll_loss read values)


class MarginRankingLoss(_Loss):
    """max(0, -target * (input1 - input2) + margin) (see margin_ranking_loss).

    Args:
        margin: the required gap.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """input where target is 1, max(0, margin - input) where it is -1 (see hinge_embedding_loss).

    Args:
        margin: the margin for dissimilar pairs.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-target * input)) for targets of 1 or -1.

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class binary cross entropy of logits against 0/1 targets, averaged over the classes.

    Args:
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for similar pairs (target 1), max(0, cos - margin) for dissimilar ones (-1).

    Args:
        margin: in [-1, 1].
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss of scores (N, C) against class indices (see multi_margin_loss).

    Args:
        p: 1 or 2.
        margin: the required gap.
        weight: (C,) class weights, or None.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be a 1D tensor, got shape {list(weight.shape)}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                 reduction=self.reduction)  # fmt: skip


class TripletMarginLoss(_Loss):
    """max(0, d(anchor, positive) - d(anchor, negative) + margin) with the p-norm distance.

    Args:
        margin: the required gap (positive).
        p: the norm's exponent.
        eps: added to differences (see pairwise_distance).
        swap: use the smaller of d(anchor, negative) and d(positive, negative).
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                   swap=self.swap, reduction=self.reduction)  # fmt: skip


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of Poisson-distributed targets (see poisson_nll_loss).

    Args:
        log_input: the input is the log of the rate.
        full: add the Stirling term for log(target!).
        size_average: deprecated (use reduction).
        eps: keeps log finite when log_input is False.
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                reduction=self.reduction)  # fmt: skip


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of Gaussian targets with predicted mean and variance (see gaussian_nll_loss).

    Args:
        full: add the constant 0.5 * log(2 pi).
        eps: the lower bound of the variance.
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)
