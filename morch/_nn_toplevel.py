"""The nn functions PyTorch also exposes at top level (``torch.conv1d``, ``torch.batch_norm``,
``torch.ctc_loss``, ...), with the top-level argument orders, which sometimes differ from
``torch.nn.functional``'s: ``embedding(weight, indices)``, ``batch_norm(input, weight, bias,
running_mean, running_var, ...)``, losses whose ``reduction`` is an int (0 'none', 1 'mean', 2 'sum'),
``binary_cross_entropy_with_logits(..., weight, pos_weight, reduction)``. Each delegates to
morch.nn.functional, looked up at call time (so layers added there later are found).
"""

from __future__ import annotations

import numpy as np

from morch.nn import functional as F
from morch.tensor import Tensor, _wrap

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc",
    "dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout", "alpha_dropout_",
    "feature_alpha_dropout", "feature_alpha_dropout_", "embedding", "embedding_bag", "layer_norm", "group_norm",
    "batch_norm", "instance_norm", "rms_norm", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "native_channel_shuffle", "celu", "celu_", "selu", "selu_", "rrelu", "rrelu_", "relu_",
    "threshold", "threshold_", "hardshrink", "prelu", "bilinear", "kl_div", "pairwise_distance", "pdist",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "poisson_nll_loss",
    "triplet_margin_loss", "binary_cross_entropy_with_logits", "ctc_loss", "grid_sampler", "affine_grid_generator",
    "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
]  # fmt: skip

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction, name: str) -> str:
    """PyTorch's top-level reduction code (0, 1, 2; its names are accepted too) as a name."""
    if isinstance(reduction, str) and reduction in _REDUCTIONS.values():
        return reduction
    if isinstance(reduction, int) and reduction in _REDUCTIONS:
        return _REDUCTIONS[reduction]
    raise ValueError(f"{name}: reduction must be 0 ('none'), 1 ('mean') or 2 ('sum'), got {reduction!r}")


def _delegate(name: str, doc: str):
    """``name`` of morch.nn.functional under the same signature, looked up when called."""

    def fn(*args, **kwargs):
        return getattr(F, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc} (``morch.nn.functional.{name}``; the same arguments)."
    return fn


conv1d = _delegate("conv1d", "1-d convolution")
conv2d = _delegate("conv2d", "2-d convolution")
conv3d = _delegate("conv3d", "3-d convolution")
conv_transpose1d = _delegate("conv_transpose1d", "1-d transposed convolution")
conv_transpose2d = _delegate("conv_transpose2d", "2-d transposed convolution")
conv_transpose3d = _delegate("conv_transpose3d", "3-d transposed convolution")
rms_norm = _delegate("rms_norm", "RMS normalisation over the trailing normalized_shape")
avg_pool1d = _delegate("avg_pool1d", "1-d average pooling")
adaptive_avg_pool1d = _delegate("adaptive_avg_pool1d", "1-d adaptive average pooling")
pixel_shuffle = _delegate("pixel_shuffle", "(N, C*r*r, H, W) -> (N, C, H*r, W*r)")
pixel_unshuffle = _delegate("pixel_unshuffle", "(N, C, H*r, W*r) -> (N, C*r*r, H, W)")
channel_shuffle = _delegate("channel_shuffle", "Channels regrouped: (g, C/g) -> (C/g, g)")
native_channel_shuffle = _delegate("channel_shuffle", "Channels regrouped: (g, C/g) -> (C/g, g)")
hardshrink = _delegate("hardshrink", "x where |x| > lambd, else 0")
prelu = _delegate("prelu", "max(0, x) + weight * min(0, x)")
bilinear = _delegate("bilinear", "x1^T A x2 + b")
pairwise_distance = _delegate("pairwise_distance", "p-norm distance of x1 - x2 + eps along the last dim")
pdist = _delegate("pdist", "p-norm distances between all pairs of rows")


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-d convolution of time-batch-channel input: (T, N, C_in) with a (K, C_in, C_out) weight
    gives (T + 2 * pad - K + 1, N, C_out).

    Args:
        input: (T, N, C_in).
        weight: (K, C_in, C_out).
        bias: (C_out,).
        pad: zero padding on both ends of the time axis.
    """
    if input.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv_tbc: expected 3-d input (T, N, C_in) and weight (K, C_in, C_out), got input "
                         f"{list(input.shape)} and weight {list(weight.shape)}")  # fmt: skip
    out = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


# ---------------------------------------------------------------------- dropout
def _feature_dropout(input: Tensor, p: float, train: bool, inplace: bool = False) -> Tensor:
    if input.ndim < 2:
        raise ValueError(f"feature_dropout: Feature dropout requires at least 2 dimensions in the input, got shape "
                         f"{list(input.shape)}")  # fmt: skip
    return F._feature_dropout(input, p, train, inplace, input.ndim - 2, "feature_dropout")


def _dropout_twins(fn, name: str, what: str) -> tuple:
    """``name(input, p, train)`` and its in-place twin ``name_``, both calling ``fn(input, p, train, inplace=)``."""

    def make(inplace: bool):
        def twin(input: Tensor, p: float, train: bool) -> Tensor:
            return fn(input, p, train, inplace=inplace)

        twin.__name__ = twin.__qualname__ = name + ("_" if inplace else "")
        twin.__doc__ = f"""{what}{" (in place)" if inplace else ""}.

    Args:
        input: the tensor{" to overwrite" if inplace else ""}.
        p: the drop probability.
        train: apply dropout (False returns the input).
    """
        return twin

    return make(False), make(True)


dropout, dropout_ = _dropout_twins(F.dropout, "dropout", "Zero elements with probability p, scale the rest by 1/(1-p)")
feature_dropout, feature_dropout_ = _dropout_twins(
    _feature_dropout, "feature_dropout", "Zero whole channels (dims 0 and 1 of (N, C, ...), at least 2-d)"
)
alpha_dropout, alpha_dropout_ = _dropout_twins(
    F.alpha_dropout, "alpha_dropout", "Dropout that keeps the SELU mean and variance"
)
feature_alpha_dropout, feature_alpha_dropout_ = _dropout_twins(
    F.feature_alpha_dropout, "feature_alpha_dropout", "Alpha dropout of whole channels"
)


# ---------------------------------------------------------------------- embeddings
def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:  # fmt: skip
    """Rows of ``weight`` (note the order: weight first, unlike F.embedding).

    Args:
        weight: (num_embeddings, D).
        indices: integer indices of any shape.
        padding_idx: rows at this index get no gradient; negative: none.
        scale_grad_by_freq: scale gradients by the inverse frequency of each index in the batch.
        sparse: as F.embedding.
    """
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple:  # fmt: skip
    """Sums (mode 0), means (1) or maxima (2) of bags of rows of ``weight``; returns (output,
    offset2bag, bag_size, max_indices) as PyTorch's CPU kernel (the last three are bookkeeping).

    Args:
        weight: (num_embeddings, D).
        indices: 1-d indices, bags given by ``offsets``, or (B, L): B bags of L indices.
        offsets: start of each bag in ``indices`` (1-d indices).
        scale_grad_by_freq: as F.embedding_bag.
        mode: 0 sum, 1 mean, 2 max.
        sparse: as F.embedding_bag.
        per_sample_weights: weights of the indices (mode 0).
        include_last_offset: ``offsets`` has one more entry, the end of the last bag.
        padding_idx: entries of this index are left out of their bags.
    """
    if mode not in (0, 1, 2):
        raise ValueError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode!r}")
    out = F.embedding_bag(indices, weight, offsets if indices.ndim == 1 else None, None, 2, scale_grad_by_freq,
                          ("sum", "mean", "max")[mode], sparse, per_sample_weights, include_last_offset,
                          padding_idx)  # fmt: skip
    idx = indices._data.reshape(-1).astype(np.int64)
    n_bags = out.shape[0]
    if indices.ndim == 2:
        bag = np.repeat(np.arange(n_bags), indices.shape[1])
    else:
        starts = offsets._data.astype(np.int64)[:n_bags]
        bag = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    kept = idx != padding_idx if padding_idx is not None else np.ones(idx.size, bool)
    bag_size = np.bincount(bag[kept], minlength=n_bags).astype(np.int64)
    if mode == 0:  # (PyTorch's float32 sum kernel returns an empty offset2bag instead)
        return out, _wrap(bag), _wrap(np.zeros(n_bags, np.int64)), _wrap(np.zeros(n_bags, np.int64))
    if mode == 1:
        return out, _wrap(bag), _wrap(bag_size), _wrap(bag_size.copy())
    rows = weight._data[idx]
    max_indices = np.zeros(out.shape, np.int64)
    for b in range(n_bags):
        members = np.flatnonzero((bag == b) & kept)
        if members.size:
            max_indices[b] = idx[members[np.argmax(rows[members], axis=0)]]
    return out, _wrap(bag), _wrap(bag_size), _wrap(max_indices)


# ---------------------------------------------------------------------- normalisation
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:  # fmt: skip
    """Layer normalisation (``F.layer_norm``; ``cudnn_enable`` is accepted).

    Args:
        input: (..., *normalized_shape).
        normalized_shape: the trailing shape to normalise over.
        weight: elementwise scale, or None.
        bias: elementwise shift, or None.
        eps: added to the variance.
        cudnn_enable: ignored.
    """
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:  # fmt: skip
    """Group normalisation (``F.group_norm``; ``cudnn_enabled`` is accepted).

    Args:
        input: (N, C, ...).
        num_groups: groups the channels are split into.
        weight: (C,) scale, or None.
        bias: (C,) shift, or None.
        eps: added to the variance.
        cudnn_enabled: ignored.
    """
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
               running_var: Tensor | None, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool) -> Tensor:  # fmt: skip
    """Batch normalisation with PyTorch's top-level argument order (weight and bias first).

    Args:
        input: (N, C, ...).
        weight: (C,) scale, or None.
        bias: (C,) shift, or None.
        running_mean: (C,) running mean, updated in place when training, or None.
        running_var: (C,) running variance, or None.
        training: use the batch statistics (and update the running ones).
        momentum: the running-statistics update factor.
        eps: added to the variance.
        cudnn_enabled: ignored.
    """
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                  running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:  # fmt: skip
    """Instance normalisation with PyTorch's top-level argument order (weight and bias first).

    Args:
        input: (N, C, ...).
        weight: (C,) scale, or None.
        bias: (C,) shift, or None.
        running_mean: (C,) running mean, or None.
        running_var: (C,) running variance, or None.
        use_input_stats: normalise with each instance's statistics.
        momentum: the running-statistics update factor.
        eps: added to the variance.
        cudnn_enabled: ignored.
    """
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


# ---------------------------------------------------------------------- pooling
def _max_pool(nd: int):
    def fn(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> Tensor:
        return getattr(F, f"max_pool{nd}d")(input, kernel_size, stride, padding, dilation, ceil_mode)

    fn.__name__ = fn.__qualname__ = f"max_pool{nd}d"
    fn.__doc__ = f"""{nd}-d max pooling (``F.max_pool{nd}d`` without ``return_indices``).

    Args:
        input: the batched or unbatched input.
        kernel_size, stride, padding, dilation, ceil_mode: as F.max_pool{nd}d.
    """
    return fn


max_pool1d, max_pool2d, max_pool3d = (_max_pool(nd) for nd in (1, 2, 3))


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False) -> tuple:  # fmt: skip
    """1-d max pooling returning (output, indices).

    Args:
        input: (N, C, L) or (C, L).
        kernel_size, stride, padding, dilation, ceil_mode: as F.max_pool1d.
    """
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d(input: Tensor, output_size) -> tuple:
    """1-d adaptive max pooling returning (output, indices).

    Args:
        input: (N, C, L) or (C, L).
        output_size: the output length.
    """
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


# ---------------------------------------------------------------------- activations
def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Args:
        input: any tensor.
        alpha: the scale of the negative part.
    """
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``.

    Args:
        input: the tensor to overwrite.
        alpha: the scale of the negative part.
    """
    return F.celu_(input, alpha)


def selu(input: Tensor) -> Tensor:
    """The scaled ELU with PyTorch's constants.

    Args:
        input: any tensor.
    """
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``.

    Args:
        input: the tensor to overwrite.
    """
    return F.selu_(input)


def _no_generator(generator, name: str) -> None:
    if generator is not None:
        raise NotImplementedError(f"{name}: a generator argument is not supported by morch (it uses morch's default)")


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          generator=None) -> Tensor:  # fmt: skip
    """Leaky relu with a random slope in [lower, upper] when training, their mean otherwise.

    Args:
        input: any tensor.
        lower: the smallest slope.
        upper: the largest slope.
        training: draw random slopes.
        generator: must be None.
    """
    _no_generator(generator, "rrelu")
    return F.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           generator=None) -> Tensor:  # fmt: skip
    """In-place ``rrelu``.

    Args:
        input: the tensor to overwrite.
        lower: the smallest slope.
        upper: the largest slope.
        training: draw random slopes.
        generator: must be None.
    """
    _no_generator(generator, "rrelu_")
    return F.rrelu_(input, lower, upper, training)


def relu_(input: Tensor) -> Tensor:
    """In-place relu.

    Args:
        input: the tensor to overwrite with max(input, 0).
    """
    return F.relu_(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """input where input > threshold, else value.

    Args:
        input: any tensor.
        threshold: the cut-off.
        value: the replacement.
    """
    return F.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``.

    Args:
        input: the tensor to overwrite.
        threshold: the cut-off.
        value: the replacement.
    """
    return F.threshold_(input, threshold, value)


# ---------------------------------------------------------------------- losses (reduction: 0, 1, 2)
def kl_div(input: Tensor, target: Tensor, reduction=1, *, log_target: bool = False) -> Tensor:
    """KL divergence of log-probabilities ``input`` from ``target``; reduction 1 is the plain elementwise
    mean (without F.kl_div's warning about 'batchmean').

    Args:
        input: log-probabilities.
        target: probabilities (log-probabilities with log_target).
        reduction: 0 'none', 1 'mean', 2 'sum'.
        log_target: the target is given as log-probabilities.
    """
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    return F._reduce(loss, _reduction(reduction, "kl_div"))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction=1) -> Tensor:  # fmt: skip
    """``F.cosine_embedding_loss`` with an integer reduction.

    Args:
        input1: (N, D) or (D,).
        input2: the same shape.
        target: 1 or -1 per pair.
        margin: as F.cosine_embedding_loss.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    red = _reduction(reduction, "cosine_embedding_loss")
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=red)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, reduction=1) -> Tensor:
    """``F.hinge_embedding_loss`` with an integer reduction.

    Args:
        input: any shape.
        target: 1 or -1, of the same shape.
        margin: as F.hinge_embedding_loss.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction, "hinge_embedding_loss"))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction=1) -> Tensor:
    """``F.margin_ranking_loss`` with an integer reduction.

    Args:
        input1: scores.
        input2: scores of the same shape.
        target: 1 or -1 per element.
        margin: as F.margin_ranking_loss.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    red = _reduction(reduction, "margin_ranking_loss")
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=red)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float, reduction) -> Tensor:
    """``F.poisson_nll_loss`` with PyTorch's top-level arguments (all required; reduction an int).

    Args:
        input: the expectation (its log with log_input).
        target: counts.
        log_input: the input is the log of the rate.
        full: add the Stirling term.
        eps: keeps log finite when log_input is False.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    red = _reduction(reduction, "poisson_nll_loss")
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=red)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction=1) -> Tensor:  # fmt: skip
    """``F.triplet_margin_loss`` with an integer reduction.

    Args:
        anchor: (N, D) or (D,).
        positive: like anchor.
        negative: like anchor.
        margin, p, eps, swap: as F.triplet_margin_loss.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    red = _reduction(reduction, "triplet_margin_loss")
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=red)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None, reduction=1) -> Tensor:  # fmt: skip
    """``F.binary_cross_entropy_with_logits`` with PyTorch's top-level order: weight, pos_weight, reduction.

    Args:
        input: logits.
        target: probabilities of the same shape.
        weight: rescales each element's loss, or None.
        pos_weight: weight of the positive examples per class, or None.
        reduction: 0 'none', 1 'mean', 2 'sum'.
    """
    red = _reduction(reduction, "binary_cross_entropy_with_logits")
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=red, pos_weight=pos_weight)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0, reduction=1,
             zero_infinity: bool = False) -> Tensor:  # fmt: skip
    """``F.ctc_loss`` with an integer reduction.

    Args:
        log_probs: (T, N, C) or (T, C).
        targets: padded (N, S) or concatenated 1-d targets.
        input_lengths: (N,) input lengths.
        target_lengths: (N,) target lengths.
        blank: the blank class.
        reduction: 0 'none', 1 'mean', 2 'sum'.
        zero_infinity: zero infinite losses and their gradients.
    """
    red = _reduction(reduction, "ctc_loss")
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, red, zero_infinity)


# ---------------------------------------------------------------------- sampling grids
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(
    input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int, align_corners: bool
) -> Tensor:
    """``F.grid_sample`` with integer modes: interpolation 0 bilinear, 1 nearest, 2 bicubic; padding
    0 zeros, 1 border, 2 reflection.

    Args:
        input: (N, C, H, W).
        grid: (N, H_out, W_out, 2) sampling positions in [-1, 1].
        interpolation_mode: 0, 1 or 2.
        padding_mode: 0, 1 or 2.
        align_corners: as F.grid_sample.
    """
    if interpolation_mode not in (0, 1, 2) or padding_mode not in (0, 1, 2):
        raise ValueError(f"grid_sampler: interpolation_mode and padding_mode must be 0, 1 or 2, got "
                         f"{interpolation_mode!r} and {padding_mode!r}")  # fmt: skip
    return F.grid_sample(input, grid, _INTERPOLATION[interpolation_mode], _PADDING[padding_mode], align_corners)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    """``F.affine_grid`` (align_corners required).

    Args:
        theta: (N, 2, 3) or (N, 3, 4) affine matrices.
        size: the target output size (N, C, H, W) or (N, C, D, H, W).
        align_corners: as F.affine_grid.
    """
    return F.affine_grid(theta, size, align_corners)


# ---------------------------------------------------------------------- recurrent cells
def _cell(mode: str, input: Tensor, h: Tensor, c, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh) -> tuple:
    from morch.nn.rnn import _linear, _rnn_step

    return _rnn_step(mode, _linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple:  # fmt: skip
    """One LSTM step with explicit weights; returns (h', c').

    Args:
        input: (N, input_size).
        hx: (h, c), each (N, hidden_size).
        w_ih: (4 * hidden_size, input_size), gates in the order input, forget, cell, output.
        w_hh: (4 * hidden_size, hidden_size).
        b_ih: (4 * hidden_size,) or None.
        b_hh: (4 * hidden_size,) or None.
    """
    h, c = hx
    return _cell("LSTM", input, h, c, w_ih, w_hh, b_ih, b_hh)


def _single_state_cell(mode: str, name: str, formula: str, gates: int):
    def fn(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
           b_hh: Tensor | None = None) -> Tensor:  # fmt: skip
        return _cell(mode, input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]

    size = f"{gates} * hidden_size" if gates > 1 else "hidden_size"
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""One {formula} step with explicit weights; returns h'.

    Args:
        input: (N, input_size).
        hx: (N, hidden_size).
        w_ih: ({size}, input_size).
        w_hh: ({size}, hidden_size).
        b_ih: ({size},) or None.
        b_hh: ({size},) or None.
    """
    return fn


gru_cell = _single_state_cell("GRU", "gru_cell", "GRU (gates: reset, update, new)", 3)
rnn_tanh_cell = _single_state_cell("RNN_TANH", "rnn_tanh_cell", "tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)", 1)
rnn_relu_cell = _single_state_cell("RNN_RELU", "rnn_relu_cell", "relu(x W_ih^T + b_ih + h W_hh^T + b_hh)", 1)
