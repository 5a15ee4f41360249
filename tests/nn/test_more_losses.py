"""Margin, embedding and likelihood losses: MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss,
MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MultiMarginLoss, TripletMarginLoss, PoissonNLLLoss,
GaussianNLLLoss and their functions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)
X1, X2, X3 = rng.standard_normal((3, 6, 4))
SIGNS = np.where(rng.random(6) < 0.5, -1.0, 1.0)
SIGNS4 = np.where(rng.random((6, 4)) < 0.5, -1.0, 1.0)
LABELS = (rng.random((6, 4)) < 0.5).astype(np.float64)
CLASSES = np.array([0, 3, 1, 1, 2, 3])
COUNTS = rng.poisson(2.0, (6, 4)).astype(np.float64)


def _m(a, grad=False):
    return morch.tensor(np.asarray(a), requires_grad=grad)


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def compare(name, arrays, grads, module=None, **kw):
    """F.<name> (and the module, if given) against PyTorch on the same arrays: loss and input gradients."""
    m_in = [_m(a, i in grads) for i, a in enumerate(arrays)]
    t_in = [_t(a, i in grads) for i, a in enumerate(arrays)]
    m_out = getattr(F, name)(*m_in, **kw)
    t_out = getattr(torch.nn.functional, name)(*t_in, **kw)
    assert_close(m_out, t_out, atol=1e-10)
    g = np.random.default_rng(5).standard_normal(tuple(t_out.shape))
    m_out.backward(morch.tensor(g))
    t_out.backward(torch.tensor(g))
    for i in grads:
        assert_close(m_in[i].grad, t_in[i].grad, atol=1e-10)
    if module is not None:
        m_mod, t_mod = module
        assert repr(m_mod) == repr(t_mod)
        assert_close(m_mod(*[_m(a) for a in arrays]), t_mod(*[_t(a) for a in arrays]), atol=1e-10)


# ---------------------------------------------------------------- forward against numpy
def test_losses_forward_against_numpy():
    x1, x2, y = _m(X1[:, 0]), _m(X2[:, 0]), _m(SIGNS)
    assert_close(F.margin_ranking_loss(x1, x2, y, 0.5), np.maximum(0, -SIGNS * (X1[:, 0] - X2[:, 0]) + 0.5).mean())
    d = np.abs(X1)
    expected = np.where(SIGNS4 == 1, d, np.maximum(0, 2.0 - d))
    assert_close(F.hinge_embedding_loss(_m(d), _m(SIGNS4), 2.0, reduction="none"), expected)
    assert_close(nn.SoftMarginLoss(reduction="sum")(_m(X1), _m(SIGNS4)), np.log1p(np.exp(-SIGNS4 * X1)).sum())
    sig = 1 / (1 + np.exp(-X1))
    bce = -(LABELS * np.log(sig) + (1 - LABELS) * np.log(1 - sig))
    assert_close(nn.MultiLabelSoftMarginLoss(reduction="none")(_m(X1), _m(LABELS)), bce.mean(1))
    cos = (X1 * X2).sum(1) / np.sqrt((X1**2).sum(1) * (X2**2).sum(1))
    expected = np.where(SIGNS == 1, 1 - cos, np.maximum(0, cos - 0.1)).mean()
    assert_close(nn.CosineEmbeddingLoss(0.1)(_m(X1), _m(X2), _m(SIGNS)), expected)
    true = X1[np.arange(6), CLASSES][:, None]
    terms = np.maximum(0, 1 - true + X1) ** 2
    terms[np.arange(6), CLASSES] = 0
    assert_close(nn.MultiMarginLoss(p=2)(_m(X1), _m(CLASSES)), (terms.sum(1) / 4).mean())
    dp, dn = np.linalg.norm(X1 - X2 + 1e-6, axis=1), np.linalg.norm(X1 - X3 + 1e-6, axis=1)
    assert_close(nn.TripletMarginLoss()(_m(X1), _m(X2), _m(X3)), np.maximum(dp - dn + 1.0, 0).mean())
    assert_close(nn.PoissonNLLLoss()(_m(X1), _m(COUNTS)), (np.exp(X1) - COUNTS * X1).mean())
    var = np.exp(X2)
    expected = 0.5 * (np.log(var) + (X1 - X3) ** 2 / var) + 0.5 * math.log(2 * math.pi)
    assert_close(nn.GaussianNLLLoss(full=True, reduction="sum")(_m(X1), _m(X3), _m(var)), expected.sum())


# ---------------------------------------------------------------- gradients
def test_loss_gradients_against_finite_differences():
    a, b, c = rand64(5, 3, seed=1), rand64(5, 3, seed=2), rand64(5, 3, seed=3)
    y3, y = _m(SIGNS4[:5, :3]), _m(SIGNS[:5])
    assert gradcheck(lambda a, b: F.margin_ranking_loss(a, b, y3, margin=0.3), (a, b))
    assert gradcheck(lambda a: F.hinge_embedding_loss(a, y3, margin=0.5, reduction="sum"), (a,))
    assert gradgradcheck(lambda a: F.soft_margin_loss(a, y3), (a,))
    assert gradcheck(lambda a, w: F.multilabel_soft_margin_loss(a, _m(LABELS[:5, :3]), w), (a, rand64(3, seed=4)))
    assert gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, y, margin=-0.2), (a, b))
    assert gradcheck(lambda a: F.multi_margin_loss(a, _m(CLASSES[:5] % 3), p=2, weight=_m([1.0, 2.0, 0.5])), (a,))
    assert gradcheck(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, p=3, swap=True), (a, b, c))
    assert gradcheck(lambda a: F.poisson_nll_loss(a, _m(COUNTS[:5, :3]), full=True), (a,))
    pos = (a.abs() + 0.5).detach().requires_grad_()
    assert gradcheck(lambda x: F.poisson_nll_loss(x, _m(COUNTS[:5, :3]), log_input=False), (pos,))
    assert gradcheck(lambda a, b, v: F.gaussian_nll_loss(a, b, v), (a, b, pos))
    assert gradgradcheck(lambda a, v: F.gaussian_nll_loss(a, c, v, full=True), (a, pos))


# ---------------------------------------------------------------- errors
def test_loss_errors_are_clear():
    with pytest.raises(ValueError, match=r"margin_ranking_loss: All input tensors should have same dimension"):
        F.margin_ranking_loss(morch.zeros(3), morch.zeros(3, 1), morch.zeros(3))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(IndexError, match=r"multi_margin_loss: target out of range: classes must be in \[0, 4\)"):
        F.multi_margin_loss(morch.zeros(2, 4), morch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"Expected target size \[3\], but got \[2\]"):
        F.multi_margin_loss(morch.zeros(3, 4), morch.tensor([0, 1]))
    with pytest.raises(TypeError, match="multi_margin_loss: expected integer class indices"):
        F.multi_margin_loss(morch.zeros(2, 4), morch.zeros(2))
    with pytest.raises(ValueError, match="multi-target not supported"):
        F.cosine_embedding_loss(morch.zeros(3, 4), morch.zeros(3, 4), morch.zeros(3, 1))
    with pytest.raises(ValueError, match="anchor 2D, positive 2D, and negative 1D inputs"):
        F.triplet_margin_loss(morch.zeros(3, 4), morch.zeros(3, 4), morch.zeros(4))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError, match=r"var is of incorrect size: \[3, 2\] for input \[3, 4\]"):
        F.gaussian_nll_loss(morch.zeros(3, 4), morch.zeros(3, 4), morch.ones(3, 2))
    with pytest.raises(ValueError, match="var has negative entry"):
        nn.GaussianNLLLoss()(morch.zeros(3, 4), morch.zeros(3, 4), -morch.ones(3, 4))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.poisson_nll_loss(morch.zeros(3), morch.zeros(3), reduction="bad")
    with pytest.raises(ValueError, match="multilabel_soft_margin_loss: target shape"):
        F.multilabel_soft_margin_loss(morch.zeros(3, 4), morch.zeros(3, 2))


# ---------------------------------------------------------------- against PyTorch
@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pairwise_losses_match_pytorch(reduction):
    kw = dict(reduction=reduction)
    compare("margin_ranking_loss", [X1[:, 0], X2[:, 0], SIGNS], (0, 1), margin=0.2, **kw,
            module=(nn.MarginRankingLoss(0.2, reduction=reduction),
                    torch.nn.MarginRankingLoss(0.2, reduction=reduction)))  # fmt: skip
    compare("hinge_embedding_loss", [np.abs(X1), SIGNS4], (0,), margin=1.5, **kw,
            module=(nn.HingeEmbeddingLoss(1.5, reduction=reduction),
                    torch.nn.HingeEmbeddingLoss(1.5, reduction=reduction)))  # fmt: skip
    compare("soft_margin_loss", [X1, SIGNS4], (0,), **kw,
            module=(nn.SoftMarginLoss(reduction=reduction), torch.nn.SoftMarginLoss(reduction=reduction)))  # fmt: skip
    compare("cosine_embedding_loss", [X1, X2, SIGNS], (0, 1), margin=0.1, **kw,
            module=(nn.CosineEmbeddingLoss(0.1, reduction=reduction),
                    torch.nn.CosineEmbeddingLoss(0.1, reduction=reduction)))  # fmt: skip
    compare("cosine_embedding_loss", [X1[0], X2[0], np.array(-1.0)], (0, 1), **kw)  # unbatched
    compare("triplet_margin_loss", [X1, X2, X3], (0, 1, 2), margin=1.5, p=1.0, swap=True, **kw,
            module=(nn.TripletMarginLoss(1.5, 1.0, swap=True, reduction=reduction),
                    torch.nn.TripletMarginLoss(1.5, 1.0, swap=True, reduction=reduction)))  # fmt: skip


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_classification_losses_match_pytorch(reduction):
    w = rng.uniform(0.5, 2.0, 4)
    compare("multilabel_soft_margin_loss", [X1, LABELS], (0,), reduction=reduction,
            module=(nn.MultiLabelSoftMarginLoss(_m(w), reduction=reduction),
                    torch.nn.MultiLabelSoftMarginLoss(_t(w), reduction=reduction)))  # fmt: skip
    compare("multilabel_soft_margin_loss", [X1[0], LABELS[0]], (0,), reduction=reduction)
    for p in (1, 2):
        compare("multi_margin_loss", [X1, CLASSES], (0,), p=p, margin=0.7, reduction=reduction,
                module=(nn.MultiMarginLoss(p, 0.7, _m(w), reduction=reduction),
                        torch.nn.MultiMarginLoss(p, 0.7, _t(w), reduction=reduction)))  # fmt: skip
    compare("multi_margin_loss", [X1[1], np.array(2)], (0,), reduction=reduction)


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_losses_match_pytorch(reduction):
    for log_input in (True, False):
        for full in (False, True):
            x = X1 if log_input else np.abs(X1)
            compare("poisson_nll_loss", [x, COUNTS], (0, 1), log_input=log_input, full=full, reduction=reduction,
                    module=(nn.PoissonNLLLoss(log_input, full, reduction=reduction),
                            torch.nn.PoissonNLLLoss(log_input, full, reduction=reduction)))  # fmt: skip
    var = np.exp(X2)
    var[0, 0] = 1e-9  # clamped at eps, the gradient passing through
    for v in (var, var[:, 0], var[:, :1]):
        compare("gaussian_nll_loss", [X1, X3, v], (0, 1, 2), full=True, reduction=reduction,
                module=(nn.GaussianNLLLoss(full=True, reduction=reduction),
                        torch.nn.GaussianNLLLoss(full=True, reduction=reduction)))  # fmt: skip
    m, t = F.gaussian_nll_loss(_m(X1), _m(X3), 0.5), torch.nn.functional.gaussian_nll_loss(_t(X1), _t(X3), 0.5)
    assert_close(m, t, atol=1e-10)
