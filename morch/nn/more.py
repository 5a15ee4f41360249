"""More layers and losses of ``torch.nn``: Softplus and Mish, the CTC loss, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss, AdaptiveLogSoftmaxWithLoss, SyncBatchNorm (a BatchNorm in one process),
and the deprecated NLLLoss2d and Container; with their functions and ``nn.factory_kwargs``.

``softplus`` and ``mish`` as functions come from the example activations plugin, not from core
morch (see docs/overview.md); the layers here use private twins of them, so they work without it.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np

from morch import functional as _mf
from morch.autograd.function import Function, deferrable
from morch.nn import functional as F
from morch.nn._util import InputError, InputTypeError, check_reduction, shape_str
from morch.nn.container import ModuleList, Sequential
from morch.nn.linear import Linear
from morch.nn.loss import NLLLoss, _Loss
from morch.nn.module import Module
from morch.nn.normalization import _batch_norm_forward, _BatchNorm, _InstanceNorm
from morch.tensor import Tensor, _wrap

__all__ = [
    "Softplus", "Mish", "CTCLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
    "AdaptiveLogSoftmaxWithLoss", "NLLLoss2d", "SyncBatchNorm", "Container", "factory_kwargs",
]  # fmt: skip
FUNCTIONS: list[str] = ["ctc_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


# ====================================================================== activations
def _softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, and input itself where beta * input > threshold."""
    z = input * beta
    return _mf.where(z > threshold, input, _mf.logaddexp(z, 0.0) / beta)


def _mish(input: Tensor) -> Tensor:
    """input * tanh(softplus(input))."""
    return input * _mf.tanh(_softplus(input, threshold=float("inf")))


class Softplus(Module):
    """softplus(x) = log(1 + exp(beta * x)) / beta, linear where beta * x > threshold.

    Args:
        beta: the sharpness (larger values approach relu).
        threshold: above this value of beta * x the layer returns x.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return _softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Mish(Module):
    """mish(x) = x * tanh(softplus(x)).

    Args:
        inplace: overwrite the input with the result.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F._maybe_inplace(input, _mish(input), self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


# ====================================================================== CTC loss
def _shift(a: np.ndarray, k: int, fill: float = -np.inf) -> np.ndarray:
    """``a`` moved k places along its last axis (right for k > 0, left for k < 0), filled with ``fill``."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


class _CTCLoss(Function):
    """Per-sample CTC negative log-likelihoods (N,) of (T, N, C) log-probabilities.

    ``ext`` holds each target with blanks around and between its labels, (N, 2 * max_len + 1),
    padded with blanks. The forward-backward recursions run in log space in float64; the backward
    is numpy (the gradient is not differentiable again), the exact gradient with respect to
    ``log_probs`` (minus the expected number of times each class is emitted at each step).
    """

    differentiable = False

    def forward(self, log_probs, *, ext, input_lengths, target_lengths, blank, zero_infinity):
        t_max, n = log_probs.shape[:2]
        s = ext.shape[1]
        lp = np.take_along_axis(log_probs.astype(np.float64), ext[None], axis=2)  # (T, N, S)
        valid = np.arange(s)[None] < (2 * target_lengths + 1)[:, None]
        lp = np.where(valid[None], lp, -np.inf)
        skip = np.zeros((n, s), dtype=bool)  # s - 2 -> s: not onto a blank, nor between repeated labels
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        rows = np.arange(n)
        end = 2 * target_lengths
        last = np.maximum(input_lengths - 1, 0)
        with np.errstate(invalid="ignore"):
            alpha = np.full((t_max, n, s), -np.inf)
            alpha[0, :, :2] = lp[0, :, :2]
            for t in range(1, t_max):
                a = alpha[t - 1]
                alpha[t] = np.logaddexp(np.logaddexp(a, _shift(a, 1)), np.where(skip, _shift(a, 2), -np.inf)) + lp[t]
            at_end = alpha[last, rows]
            ll = np.logaddexp(at_end[rows, end], np.where(end > 0, at_end[rows, end - 1], -np.inf))
            ll = np.where(input_lengths > 0, ll, np.where(target_lengths == 0, 0.0, -np.inf))
            beta = np.full((t_max, n, s), -np.inf)
            skip_next = _shift(skip, -2, fill=False)  # s -> s + 2 allowed
            for t in range(t_max - 1, -1, -1):
                b = beta[t + 1] if t + 1 < t_max else np.full((n, s), -np.inf)
                b = np.logaddexp(np.logaddexp(b, _shift(b, -1)), np.where(skip_next, _shift(b, -2), -np.inf)) + lp[t]
                start = input_lengths - 1 == t
                ends = (np.arange(s)[None] >= (end - 1)[:, None]) & (np.arange(s)[None] <= end[:, None])
                b[start] = np.where(ends[start], lp[t][start], -np.inf)
                b[input_lengths - 1 < t] = -np.inf
                beta[t] = b
            occupancy = np.where(np.isfinite(lp), np.exp(alpha + beta - lp - ll[None, :, None]), 0.0)
        grad = np.zeros(log_probs.shape, dtype=np.float64)
        np.add.at(grad, (np.arange(t_max)[:, None, None], rows[None, :, None], ext[None]), -occupancy)
        nll = -ll
        infinite = np.isinf(nll)
        for i in np.flatnonzero(infinite):
            grad[:, i] = 0.0
            grad[: input_lengths[i], i] = 0.0 if zero_infinity else np.nan
        if zero_infinity:
            nll = np.where(infinite, 0.0, nll)
        self.grad = grad.astype(log_probs.dtype)
        return nll.astype(log_probs.dtype)

    def backward(self, grad):
        return _wrap(self.grad * grad._data[None, :, None])


def _lengths(x, name: str) -> np.ndarray:
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        raise InputTypeError(f"ctc_loss: {name} must be integers (a tensor, tuple or list of ints), got {a.dtype}")
    return a.astype(np.int64).reshape(-1)


def _ctc_labels(targets: Tensor, target_lengths: np.ndarray, n: int, batched: bool) -> list:
    """The label sequence of each sample, from padded (N, S) or concatenated 1-d targets."""
    tg = targets._data
    if tg.ndim == 2 or not batched:
        tg = tg.reshape(n, -1) if tg.ndim == 2 or n == 1 else tg
        if tg.shape[0] != n:
            raise InputError(f"ctc_loss: targets of shape {list(targets.shape)} do not have the batch size {n}")
        if target_lengths.size and target_lengths.max() > tg.shape[1]:
            raise InputError(f"ctc_loss: targets of shape {list(targets.shape)} are shorter than the largest "
                             f"target length {target_lengths.max()}")  # fmt: skip
        return [tg[i, :k] for i, k in enumerate(target_lengths)]
    if tg.ndim != 1:
        raise InputError(f"ctc_loss: expected targets of shape (N, S) or (sum(target_lengths),), got {list(tg.shape)}")
    if target_lengths.sum() > tg.shape[0]:
        raise InputError(f"ctc_loss: concatenated targets have {tg.shape[0]} labels but target_lengths add up to "
                         f"{target_lengths.sum()}")  # fmt: skip
    return np.split(tg, np.cumsum(target_lengths)[:-1])[:n] if n else []


@deferrable
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:  # fmt: skip
    """The connectionist temporal classification loss: -log of the total probability of all
    alignments of each target with its input sequence (blanks between and around labels).

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities (e.g. from log_softmax over C).
        targets: (N, S) padded label indices, or 1-d: the targets one after another.
        input_lengths: (N,) lengths of the inputs (each at most T), a tensor, tuple or list.
        target_lengths: (N,) lengths of the targets.
        blank: the index of the blank class.
        reduction: 'mean' (each loss divided by its target length, then the batch mean), 'sum' or 'none'.
        zero_infinity: give impossible alignments (infinite losses) loss and gradient 0.
    """
    check_reduction(reduction)
    if log_probs.ndim not in (2, 3):
        raise InputError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got {shape_str(log_probs)}")
    if log_probs._data.dtype.kind != "f":
        raise InputTypeError(f"ctc_loss: expected floating point log_probs, got {log_probs.dtype}")
    if targets._data.dtype.kind not in "iuf":
        raise InputTypeError(f"ctc_loss: expected integer targets, got {targets.dtype}")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_max, n, c = lp.shape
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    if il.size != n or tl.size != n:
        raise InputError(f"ctc_loss: expected {n} input_lengths and target_lengths (the batch size), got "
                         f"{il.size} and {tl.size}")  # fmt: skip
    if n and (il.min() < 0 or il.max() > t_max):
        raise InputError(f"ctc_loss: Expected input_lengths to have value at most {t_max}, but got value {il.max()}")
    if n and tl.min() < 0:
        raise InputError(f"ctc_loss: target_lengths must not be negative, got {tl.min()}")
    if not 0 <= blank < c:
        raise InputError(f"ctc_loss: blank must be in label range [0, {c}), got {blank}")
    labels = _ctc_labels(targets, tl, n, batched)
    ext = np.full((n, 2 * int(tl.max(initial=0)) + 1), blank, dtype=np.int64)
    for i, seq in enumerate(labels):
        seq = seq.astype(np.int64)
        if seq.size and (seq.min() < 0 or seq.max() >= c):
            raise IndexError(f"ctc_loss: target labels must be in [0, {c}), got {seq.min()}..{seq.max()}")
        ext[i, 1 : 2 * seq.size : 2] = seq
    loss = _CTCLoss.apply(lp, ext=ext, input_lengths=il, target_lengths=tl, blank=blank,
                          zero_infinity=zero_infinity)  # fmt: skip
    if reduction == "mean":
        return (loss / _wrap(np.maximum(tl, 1).astype(loss._data.dtype))).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)


class CTCLoss(_Loss):
    """The connectionist temporal classification loss (see ``ctc_loss``).

    Args:
        blank: the index of the blank class.
        reduction: 'mean' (losses divided by their target lengths, then averaged), 'sum' or 'none'.
        zero_infinity: give impossible alignments loss and gradient 0.
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths, target_lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)  # fmt: skip


# ====================================================================== margin losses
@deferrable
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:  # fmt: skip
    """Multi-label hinge: for each target class j and each class i not among the targets,
    max(0, 1 - (x[j] - x[i])), summed and divided by C.

    Args:
        input: (C,) or (N, C) scores.
        target: int64 of the same shape: the target classes, ended by the first -1.
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none' (one loss per sample).
    """
    reduction = F._loss_args(size_average, reduce, reduction)
    name = "multilabel_margin_loss"
    if input.ndim not in (1, 2) or (input.ndim == 1 and input.shape[0] == 0):
        raise InputError(f"{name}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                         f"{list(input.shape)}")  # fmt: skip
    if tuple(target.shape) != tuple(input.shape):
        raise InputError(f"{name}: inconsistent target size: {list(target.shape)} for input of size: "
                         f"{list(input.shape)}")  # fmt: skip
    t = target._data
    if t.dtype.kind not in "iu":
        raise InputTypeError(f"{name}: expected integer (int64) class indices as target, got {target.dtype}")
    x = input.reshape(-1, input.shape[-1])
    t = t.reshape(x.shape)
    c = x.shape[1]
    # the targets of a sample are its entries before the first -1; count each occurrence of a class
    active = np.cumprod(t != -1, axis=1).astype(bool)
    if (t[active] < 0).any() or (t[active] >= c).any():
        raise IndexError(f"{name}: target class out of range [0, {c}): got {t[active].min()}..{t[active].max()}")
    counts = np.zeros(t.shape, dtype=x._data.dtype)
    np.add.at(counts, (np.nonzero(active)[0], t[active]), 1)
    others = _wrap((counts == 0).astype(x._data.dtype))
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # [n, j, i] = max(0, 1 - (x[j] - x[i]))
    loss = (hinge * _wrap(counts).unsqueeze(2) * others.unsqueeze(1)).sum((1, 2)) / c
    if reduction == "mean" and loss.shape[0] == 0:
        return loss.sum()  # PyTorch: 0 for an empty batch
    return F._reduce(loss if input.ndim == 2 else loss.squeeze(0), reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss over class indices ended by -1 (see ``multilabel_margin_loss``).

    Args:
        size_average: deprecated (use reduction).
        reduce: deprecated (use reduction).
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_margin_loss(input, target, reduction=self.reduction)


@deferrable
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:  # fmt: skip
    """max(0, d(anchor, positive) - d(anchor, negative) + margin) for any distance function d.

    Args:
        anchor: (N, D) or (D,) (any shapes the distance function takes).
        positive: like anchor.
        negative: like anchor.
        distance_function: a callable of two tensors giving distances; default ``pairwise_distance``.
        margin: the required gap (positive).
        swap: use min(d(anchor, negative), d(positive, negative)) as the negative distance.
        reduction: 'mean', 'sum' or 'none'.
    """
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise InputError(f"triplet_margin_with_distance_loss: The anchor, positive, and negative tensors are expected "
                         f"to have the same number of dimensions, but got: anchor {anchor.ndim}D, positive "
                         f"{positive.ndim}D, and negative {negative.ndim}D inputs")  # fmt: skip
    d = F.pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = _mf.minimum(d_neg, d(positive, negative))
    return F._reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet margin loss with any distance function (see ``triplet_margin_with_distance_loss``).

    Args:
        distance_function: a callable of two tensors giving distances; default ``pairwise_distance``.
        margin: the required gap (positive).
        swap: use the distance swap.
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.distance_function = distance_function if distance_function is not None else F.pairwise_distance
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(anchor, positive, negative,
                                                 distance_function=self.distance_function, margin=self.margin,
                                                 swap=self.swap, reduction=self.reduction)  # fmt: skip


class NLLLoss2d(NLLLoss):
    """Deprecated alias of ``NLLLoss`` (which takes (N, C, H, W) input itself); warns when built.

    Args:
        weight, size_average, ignore_index, reduce, reduction: as NLLLoss.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:  # fmt: skip
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement.",
                      FutureWarning, stacklevel=2)  # fmt: skip
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


# ====================================================================== adaptive softmax
_ASMoutput = collections.namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """The adaptive softmax of Grave et al. (2016): frequent classes in a head softmax, the others in
    clusters reached through the head, each with a smaller projection.

    Args:
        in_features: features of the input.
        n_classes: the number of classes.
        cutoffs: increasing class indices that split the classes into the head and the clusters.
        div_value: each cluster's hidden size is in_features // div_value ** (its index + 1).
        head_bias: give the head a bias.
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0, head_bias: bool = False,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):  # fmt: skip
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")  # fmt: skip
        self.in_features, self.n_classes, self.div_value, self.head_bias = in_features, n_classes, div_value, head_bias
        self.cutoffs = cutoffs + [n_classes]
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **kw),
                                        Linear(hidden, size, bias=False, **kw)))  # fmt: skip

    def reset_parameters(self) -> None:
        """Re-initialise the head and every cluster's projections."""
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        """The log-probability of each target (``output``) and their negated mean (``loss``).

        Args:
            input: (N, in_features) or (in_features,).
            target: (N,) or () class indices.
        """
        if target.ndim == 1:
            if input.shape[0] != target.shape[0]:
                raise InputError("Input and target should have the same size in the batch dimension.")
            if input.ndim != 2:
                raise InputError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                 f"{list(input.shape)}")  # fmt: skip
        elif target.ndim == 0:
            if input.ndim != 1:
                raise InputError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                 f"{list(input.shape)}")  # fmt: skip
        else:
            raise InputError("0D or 1D target tensor expected, multi-target not supported")
        batched = target.ndim > 0
        x = input if batched else input.unsqueeze(0)
        t = target._data.reshape(-1).astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise InputError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                             f"[{t.min()}, {t.max()}] were found. ")  # fmt: skip
        # the head's class of each row: its own class in the shortlist, else its cluster's entry
        cluster = np.searchsorted(self.cutoffs, t, side="right")  # 0 for the shortlist, i for cluster i
        head_index = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(x), dim=1)
        output = _mf.gather(head_logprob, 1, _wrap(head_index[:, None])).squeeze(1)
        rows, parts = [], []
        for i in range(1, self.n_clusters + 1):
            idx = np.flatnonzero(cluster == i)
            if idx.size == 0:
                continue
            local = F.log_softmax(self.tail[i - 1](x[_wrap(idx)]), dim=1)
            relative = (t[idx] - self.cutoffs[i - 1])[:, None]
            rows.append(idx)
            parts.append(_mf.gather(local, 1, _wrap(relative)).squeeze(1))
        if parts:
            order = np.concatenate(rows)
            extra = _mf.cat(parts + [_wrap(np.zeros(t.size - order.size, dtype=output._data.dtype))])
            rest = np.setdiff1d(np.arange(t.size), order)
            output = output + extra[_wrap(np.argsort(np.concatenate([order, rest])))]
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = F.log_softmax(projection(input), dim=1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return _mf.cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """The log-probabilities of all classes, (N, n_classes) or (n_classes,).

        Args:
            input: (N, in_features) or (in_features,).
        """
        x = input if input.ndim == 2 else input.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x))
        return out if input.ndim == 2 else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row (the same as ``log_prob(input).argmax(1)``, cheaper when the
        head's best entry is in the shortlist).

        Args:
            input: (N, in_features) or (in_features,).
        """
        x = input if input.ndim == 2 else input.unsqueeze(0)
        head_output = self.head(x)
        best = head_output.argmax(1)
        outside = best._data >= self.shortlist_size
        if outside.any():
            rows = _wrap(np.flatnonzero(outside))
            best = best.clone()
            best[rows] = self._full_log_prob(x[rows], head_output[rows]).argmax(1)
        return best if input.ndim == 2 else best.squeeze(0)


# ====================================================================== SyncBatchNorm, Container
class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over inputs of any shape (N, C, ...). PyTorch synchronises the batch
    statistics across processes; morch runs in one process, where that is plain BatchNorm.

    Args:
        num_features: C.
        eps: added to the variance.
        momentum: running-statistics update factor (None: cumulative average).
        affine: learn weight and bias.
        track_running_stats: keep running mean and variance.
        process_group: accepted (there is only one process).
        device: 'cpu' or None.
        dtype: dtype of the parameters.
    """

    _dims = range(2, 64)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2:
            raise InputError(f"expected at least 2D input (got {input.ndim}D input)")
        return _batch_norm_forward(self, input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every BatchNorm layer in it replaced by a SyncBatchNorm that shares its
        parameters and buffers (``module`` itself if it is one).

        Args:
            module: the module (tree) to convert.
            process_group: passed to the new layers.
        """
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group)  # fmt: skip
            for name in ("weight", "bias"):
                if name in module._parameters:
                    out._parameters[name] = module._parameters[name]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                out._buffers[name] = module._buffers.get(name)
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class Container(Module):
    """Deprecated: a Module holding the given submodules (subclass ``Module`` instead); warns when built.

    Args:
        kwargs: name=module pairs to add.
    """

    def __init__(self, **kwargs) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)  # fmt: skip
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


def factory_kwargs(kwargs: dict | None) -> dict:
    """The ``device``/``dtype``/``memory_format`` entries of ``kwargs`` as one dict for factory
    functions, merged with its ``factory_kwargs`` entry; any other key is an error.

    Args:
        kwargs: a layer's keyword arguments, or None.
    """
    if kwargs is None:
        return {}
    simple = {"device", "dtype", "memory_format"}
    unexpected = kwargs.keys() - simple - {"factory_kwargs"}
    if unexpected:
        raise TypeError(f"unexpected kwargs {unexpected}")
    out = dict(kwargs.get("factory_kwargs", {}))
    for key in simple & kwargs.keys():
        if key in out:
            raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
        out[key] = kwargs[key]
    return out
