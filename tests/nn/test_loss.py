"""Loss functions and loss modules."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]


def _t(x, requires_grad=False):
    return torch.tensor(np.asarray(x), requires_grad=requires_grad)


def compare(m_fn, t_fn, inputs, grad_inputs=(0,), atol=1e-6):
    """Same inputs (numpy arrays) through morch and PyTorch; compare the loss and the input gradients."""
    m_in = [morch.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(inputs)]
    t_in = [_t(a, requires_grad=i in grad_inputs) for i, a in enumerate(inputs)]
    m_out, t_out = m_fn(*m_in), t_fn(*t_in)
    assert_close(m_out, t_out, atol=atol)
    g = np.random.default_rng(5).standard_normal(tuple(t_out.shape))
    m_out.backward(morch.tensor(g, dtype=m_out.dtype))
    t_out.backward(torch.tensor(g, dtype=t_out.dtype))
    for i in grad_inputs:
        assert_close(m_in[i].grad, t_in[i].grad, atol=atol)


rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 5))
TARGET = np.array([0, 4, 2, 2, 1, 3])
WEIGHT = rng.uniform(0.5, 2.0, 5)


# ---------------------------------------------------------------- cross entropy / nll
def test_cross_entropy_forward_matches_the_formula():
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    x, t = morch.tensor(LOGITS), morch.tensor(TARGET)
    assert_close(F.cross_entropy(x, t), -logp[np.arange(6), TARGET].mean())
    assert_close(F.cross_entropy(x, t, reduction="sum"), -logp[np.arange(6), TARGET].sum())
    w = WEIGHT[TARGET]
    assert_close(F.cross_entropy(x, t, weight=morch.tensor(WEIGHT)), -(logp[np.arange(6), TARGET] * w).sum() / w.sum())


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kw", [{}, dict(weight=True), dict(ignore_index=2), dict(label_smoothing=0.2),
           dict(weight=True, ignore_index=2, label_smoothing=0.1)], ids=str,
)  # fmt: skip
def test_cross_entropy_with_class_indices_matches_pytorch(reduction, kw):
    kw = dict(kw)
    wm = wt = None
    if kw.pop("weight", False):
        wm, wt = morch.tensor(WEIGHT), _t(WEIGHT)
    compare(lambda x, t: F.cross_entropy(x, t, weight=wm, reduction=reduction, **kw),
            lambda x, t: torch.nn.functional.cross_entropy(x, t, weight=wt, reduction=reduction, **kw),
            [LOGITS, TARGET])  # fmt: skip


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(weight=True), dict(label_smoothing=0.3)], ids=str)
def test_cross_entropy_with_k_dim_targets_matches_pytorch(reduction, kw):
    kw = dict(kw)
    wm = wt = None
    if kw.pop("weight", False):
        wm, wt = morch.tensor(WEIGHT[:4]), _t(WEIGHT[:4])
    x = rng.standard_normal((2, 4, 3, 5))
    t = rng.integers(0, 4, (2, 3, 5))
    t[0, 0, :2] = -100
    compare(lambda x, t: F.cross_entropy(x, t, weight=wm, reduction=reduction, **kw),
            lambda x, t: torch.nn.functional.cross_entropy(x, t, weight=wt, reduction=reduction, **kw),
            [x, t])  # fmt: skip


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(weight=True), dict(label_smoothing=0.25)], ids=str)
def test_cross_entropy_with_probability_targets_matches_pytorch(reduction, kw):
    kw = dict(kw)
    wm = wt = None
    if kw.pop("weight", False):
        wm, wt = morch.tensor(WEIGHT), _t(WEIGHT)
    p = rng.uniform(0, 1, (6, 5))
    p /= p.sum(1, keepdims=True)
    compare(lambda x, t: F.cross_entropy(x, t, weight=wm, reduction=reduction, **kw),
            lambda x, t: torch.nn.functional.cross_entropy(x, t, weight=wt, reduction=reduction, **kw),
            [LOGITS, p], grad_inputs=(0, 1))  # fmt: skip


@requires_torch
def test_cross_entropy_of_one_unbatched_sample_matches_pytorch():
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, [LOGITS[0], np.array(3)])


def test_cross_entropy_is_stable_for_huge_logits():
    x = morch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], requires_grad=True)
    t = morch.tensor([0, 2])
    loss = F.cross_entropy(x, t)
    assert np.isfinite(loss.item()) and abs(loss.item() - 2500.0) < 1e-3
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert_close(x.grad, [[0, 0, 0], [0, 0.5, -0.5]], atol=1e-6)
    assert np.isfinite(F.cross_entropy(x.detach().double(), t, label_smoothing=0.1).item())


def test_cross_entropy_and_nll_gradients():
    x = rand64(4, 3, seed=1)
    t = morch.tensor([0, 2, 1, 2])
    w = morch.tensor([0.5, 1.0, 2.0], dtype=morch.float64)
    assert gradcheck(lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.1), (x,))
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, weight=w), (x,))
    assert gradgradcheck(lambda x: F.nll_loss(x, t, reduction="none"), (x,))
    p = rand64(4, 3, low=0.1, high=1.0, seed=2)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p), (x, p))
    ti = morch.tensor([0, -100, 1, 2])
    for reduction in REDUCTIONS:  # the fused op's first-order fast path and its differentiable backward
        assert gradcheck(lambda x, r=reduction: F.cross_entropy(x, ti, reduction=r), (x,))
        assert gradgradcheck(lambda x, r=reduction: F.cross_entropy(x, ti, reduction=r), (x,))
    xk = rand64(2, 3, 2, 2, seed=3)
    assert gradcheck(lambda x: F.cross_entropy(x, morch.tensor([[[0, 1], [2, -100]], [[1, 1], [0, 2]]])), (xk,))


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_pytorch(reduction):
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    compare(lambda x, t: F.nll_loss(x, t, weight=morch.tensor(WEIGHT), ignore_index=4, reduction=reduction),
            lambda x, t: torch.nn.functional.nll_loss(x, t, weight=_t(WEIGHT), ignore_index=4, reduction=reduction),
            [logp, TARGET])  # fmt: skip
    compare(lambda x, t: nn.NLLLoss(reduction=reduction)(x, t),
            lambda x, t: torch.nn.NLLLoss(reduction=reduction)(x, t), [logp, TARGET])  # fmt: skip


def test_nll_loss_with_every_target_ignored_is_nan_as_pytorch():
    out = F.nll_loss(morch.randn(2, 3), morch.tensor([-100, -100]))
    assert np.isnan(out.item())


def test_cross_entropy_errors_are_clear():
    x = morch.randn(4, 3)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(x, morch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"):
        F.cross_entropy(x, morch.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 5\], got \[2, 4\]"):
        F.cross_entropy(morch.randn(2, 3, 5), morch.zeros(2, 4, dtype=morch.int64))
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(x, morch.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="weight tensor should be defined either for all 3 classes"):
        F.cross_entropy(x, morch.tensor([0, 1, 2, 0]), weight=morch.ones(4))
    with pytest.raises(ValueError, match="label_smoothing must be between"):
        F.cross_entropy(x, morch.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="nope is not a valid value for reduction"):
        F.cross_entropy(x, morch.tensor([0, 1, 2, 0]), reduction="nope")
    with pytest.raises(ValueError, match="float .* target must have the input's shape"):
        F.cross_entropy(x, morch.rand(4, 2))


# ---------------------------------------------------------------- regression losses
PRED = rng.standard_normal((4, 3))
GOAL = rng.standard_normal((4, 3))


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", dict(beta=0.5)),
                ("smooth_l1_loss", dict(beta=0.0)), ("huber_loss", {}), ("huber_loss", dict(delta=0.3))], ids=str,
)  # fmt: skip
def test_regression_losses_match_pytorch(name, kw, reduction):
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kw),
            lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction, **kw),
            [PRED, GOAL], grad_inputs=(0, 1))  # fmt: skip


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match_pytorch(name, reduction):
    w = rng.uniform(0.1, 2, PRED.shape)
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, weight=morch.tensor(w)),
            lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction, weight=_t(w)),
            [PRED, GOAL])  # fmt: skip


def test_regression_loss_formulas_and_gradients():
    a, b = morch.tensor(PRED), morch.tensor(GOAL)
    d = PRED - GOAL
    assert_close(F.mse_loss(a, b), (d**2).mean())
    assert_close(F.l1_loss(a, b, reduction="sum"), np.abs(d).sum())
    assert_close(F.smooth_l1_loss(a, b, reduction="none"), np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5))
    x, y = rand64(3, 2, seed=1), rand64(3, 2, seed=2)
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        assert gradcheck(fn, (x, y))
    assert gradgradcheck(F.mse_loss, (x, y))


def test_broadcasting_targets_warn_as_pytorch():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(morch.zeros(3, 1), morch.zeros(3))
    with pytest.raises(ValueError, match="smooth_l1_loss does not support negative values for beta"):
        F.smooth_l1_loss(morch.zeros(2), morch.zeros(2), beta=-1.0)


def test_legacy_size_average_and_reduce_arguments():
    a, b = morch.tensor(PRED), morch.tensor(GOAL)
    with pytest.warns(UserWarning, match="deprecated"):
        assert_close(F.mse_loss(a, b, size_average=False), F.mse_loss(a, b, reduction="sum"))
    with pytest.warns(UserWarning):
        assert F.l1_loss(a, b, reduce=False).shape == (4, 3)
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"


# ---------------------------------------------------------------- binary cross entropy
PROB = rng.uniform(0.05, 0.95, (5, 3))
BIN = (rng.uniform(0, 1, (5, 3)) > 0.5).astype(np.float64)


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_pytorch(reduction):
    w = rng.uniform(0.5, 1.5, (5, 3))
    compare(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
            lambda p, t: torch.nn.functional.binary_cross_entropy(p, t, reduction=reduction), [PROB, BIN])  # fmt: skip
    soft = rng.uniform(0, 1, (5, 3))
    compare(lambda p, t: F.binary_cross_entropy(p, t, weight=morch.tensor(w), reduction=reduction),
            lambda p, t: torch.nn.functional.binary_cross_entropy(p, t, weight=_t(w), reduction=reduction),
            [PROB, soft], grad_inputs=(0, 1))  # fmt: skip


@requires_torch
def test_binary_cross_entropy_at_zero_and_one_matches_pytorch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    compare(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
            lambda p, t: torch.nn.functional.binary_cross_entropy(p, t, reduction="none"), [p, t])  # fmt: skip


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_pytorch(reduction):
    x = rng.standard_normal((5, 3)) * 3
    pw = rng.uniform(0.5, 3, 3)
    w = rng.uniform(0.5, 1.5, (5, 3))
    tf = torch.nn.functional
    compare(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
            lambda x, t: tf.binary_cross_entropy_with_logits(x, t, reduction=reduction), [x, BIN])  # fmt: skip
    compare(lambda x, t: F.binary_cross_entropy_with_logits(x, t, morch.tensor(w), reduction=reduction,
                                                            pos_weight=morch.tensor(pw)),
            lambda x, t: tf.binary_cross_entropy_with_logits(x, t, _t(w), reduction=reduction, pos_weight=_t(pw)),
            [x, rng.uniform(0, 1, (5, 3))], grad_inputs=(0, 1))  # fmt: skip


@requires_torch
def test_binary_cross_entropy_with_logits_is_stable_and_right_at_zero():
    x = np.array([1e4, -1e4, 0.0, 0.0, 30.0, -30.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    tf = torch.nn.functional
    compare(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
            lambda x, t: tf.binary_cross_entropy_with_logits(x, t, reduction="none"), [x, t])  # fmt: skip
    loss = nn.BCEWithLogitsLoss()(morch.tensor(x, requires_grad=True), morch.tensor(t))
    assert abs(loss.item() - (2e4 + 2 * np.log(2) + 2 * np.log1p(np.exp(-30))) / 6) < 1e-6


def test_binary_cross_entropy_gradients_and_errors():
    p, t = rand64(3, 2, low=0.1, high=0.9, seed=1), rand64(3, 2, low=0, high=1, seed=2)
    assert gradcheck(F.binary_cross_entropy, (p, t))
    assert gradgradcheck(F.binary_cross_entropy, (p, t))
    x = rand64(3, 2, seed=3)
    pw = morch.tensor([0.5, 2.0], dtype=morch.float64)
    assert gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), (x, t))
    assert gradgradcheck(F.binary_cross_entropy_with_logits, (x, t))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(morch.tensor([1.5]), morch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target size \(morch.Size\(\[3\]\)\) that is different to the input size"):
        F.binary_cross_entropy(morch.rand(3, 1), morch.rand(3))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(morch.rand(3, 1), morch.rand(3))


# ---------------------------------------------------------------- KL divergence
@requires_torch
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_pytorch(reduction, log_target):
    logq = np.log(rng.dirichlet(np.ones(4), 3))
    p = rng.dirichlet(np.ones(4), 3)
    target = np.log(p) if log_target else p
    with pytest.warns(UserWarning) if reduction == "mean" else _nothing():
        compare(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction, log_target=log_target),
                [logq, target], grad_inputs=(0, 1))  # fmt: skip
    if not log_target:  # zero-probability targets contribute 0 (PyTorch's target gradient there is nan; ours 0)
        p[0, 1] = 0.0
        with pytest.warns(UserWarning) if reduction == "mean" else _nothing():
            compare(lambda a, b: F.kl_div(a, b, reduction=reduction),
                    lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction), [logq, p])  # fmt: skip


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_kl_div_gradients():
    q, p = rand64(2, 3, seed=1), rand64(2, 3, low=0.1, high=1, seed=2)
    assert gradcheck(lambda q, p: F.kl_div(q, p, reduction="batchmean"), (q, p))
    assert gradcheck(lambda q, p: F.kl_div(q, p, reduction="sum", log_target=True), (q, p))


# ---------------------------------------------------------------- modules
@requires_torch
def test_loss_modules_match_pytorch():
    x = rng.standard_normal((6, 5))
    pairs = [
        (nn.CrossEntropyLoss(weight=morch.tensor(WEIGHT), label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=_t(WEIGHT), label_smoothing=0.1), [x, TARGET]),
        (nn.CrossEntropyLoss(ignore_index=1, reduction="sum"),
         torch.nn.CrossEntropyLoss(ignore_index=1, reduction="sum"), [x, TARGET]),
        (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), [x, x[::-1].copy()]),
        (nn.L1Loss(), torch.nn.L1Loss(), [x, x[::-1].copy()]),
        (nn.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3), [x, x[::-1].copy()]),
        (nn.HuberLoss(delta=0.4), torch.nn.HuberLoss(delta=0.4), [x, x[::-1].copy()]),
        (nn.BCELoss(), torch.nn.BCELoss(), [PROB, BIN]),
        (nn.BCEWithLogitsLoss(pos_weight=morch.tensor([2.0, 1.0, 0.5])),
         torch.nn.BCEWithLogitsLoss(pos_weight=_t([2.0, 1.0, 0.5])), [PROB * 4 - 2, BIN]),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         torch.nn.KLDivLoss(reduction="batchmean", log_target=True), [np.log(PROB), np.log(PROB[::-1].copy())]),
    ]  # fmt: skip
    for m, t, inputs in pairs:
        compare(m, t, inputs)
        assert repr(m) == repr(t)
    assert list(nn.CrossEntropyLoss(weight=morch.ones(3)).state_dict()) == ["weight"]


@requires_torch
def test_cosine_similarity_and_pairwise_distance_match_pytorch():
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    compare(lambda a, b: F.cosine_similarity(a, b), lambda a, b: torch.nn.functional.cosine_similarity(a, b),
            [a, b], grad_inputs=(0, 1))  # fmt: skip
    compare(lambda a, b: nn.CosineSimilarity(dim=0)(a, b), lambda a, b: torch.nn.CosineSimilarity(dim=0)(a, b), [a, b])
    compare(lambda a, b: nn.PairwiseDistance(p=3.0)(a, b), lambda a, b: torch.nn.PairwiseDistance(p=3.0)(a, b),
            [a, b], grad_inputs=(0, 1))  # fmt: skip
