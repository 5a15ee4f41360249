"""Dropout layers, Embedding and one_hot."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import copy_from_torch, randn


# ---------------------------------------------------------------- dropout
def test_dropout_zeroes_a_fraction_p_and_rescales_the_rest():
    x = morch.ones(200, 500)
    y = F.dropout(x, 0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    assert np.allclose(y[kept], 1 / 0.7)
    assert y.dtype == np.float32


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero():
    x = randn(4, 5)
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.9, training=False) is x
    assert not F.dropout(x, 1.0).numpy().any()


def test_dropout_gradient_uses_the_same_mask_and_the_generator_is_morchs():
    x = randn(50, 40, requires_grad=True)
    morch.manual_seed(3)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy() != 0, y.detach().numpy() != 0)
    assert np.allclose(x.grad.numpy()[x.grad.numpy() != 0], 2.0)
    morch.manual_seed(3)
    assert np.array_equal(F.dropout(x, 0.5).detach().numpy(), y.detach().numpy())  # reproducible
    z = morch.randn(3, dtype=morch.float64, requires_grad=True)
    assert gradgradcheck(lambda a: F.dropout(a, 0.0, True) * a, (z,))


def test_dropout2d_drops_whole_channels():
    x = morch.ones(8, 50, 3, 3)
    y = nn.Dropout2d(0.4)(x).numpy()
    per_channel = y.reshape(8, 50, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel != 0).all(-1))
    assert abs((per_channel[..., 0] == 0).mean() - 0.4) < 0.06
    unbatched = F.dropout2d(morch.ones(30, 4, 4), 0.5).numpy().reshape(30, 16)
    assert np.all((unbatched == 0).all(-1) | (unbatched != 0).all(-1))
    y1 = F.dropout1d(morch.ones(4, 30, 7), 0.5).numpy()
    assert np.all((y1 == 0).all(-1) | (y1 != 0).all(-1))
    assert F.dropout3d(morch.ones(2, 3, 2, 2, 2), 0.5).shape == (2, 3, 2, 2, 2)
    with pytest.raises(ValueError, match="Expected 3D .* or 4D .* input to dropout2d"):
        F.dropout2d(morch.ones(3, 3), 0.5)


def test_dropout_validates_p_and_supports_inplace():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(morch.ones(2), -0.1)
    x = morch.ones(1000)
    assert F.dropout(x, 0.5, inplace=True) is x and (x.numpy() == 0).any()
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"


# ---------------------------------------------------------------- embedding
def test_embedding_looks_up_rows():
    emb = nn.Embedding(10, 3)
    idx = morch.tensor([[1, 2, 4], [4, 3, 9]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    assert_close(out, emb.weight.detach().numpy()[idx.numpy()])
    assert emb(morch.tensor(5)).shape == (3,)


def test_embedding_init_and_padding_idx():
    emb = nn.Embedding(1000, 8, padding_idx=-1)
    assert emb.padding_idx == 999
    w = emb.weight.detach().numpy()
    assert not w[999].any()
    assert abs(w[:999].std() - 1) < 0.05 and abs(w[:999].mean()) < 0.05  # N(0, 1), as PyTorch
    idx = morch.tensor([3, 999, 3])
    emb(idx).sum().backward()
    g = emb.weight.grad.numpy()
    assert np.allclose(g[3], 2) and not g[999].any() and not g[4].any()


def test_embedding_gradients_and_second_derivatives():
    w = morch.randn(6, 3, dtype=morch.float64, requires_grad=True)
    idx = morch.tensor([[0, 2, 2], [5, 1, 2]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


@requires_torch
@pytest.mark.parametrize(
    "kw", [{}, dict(padding_idx=2), dict(scale_grad_by_freq=True), dict(padding_idx=0, scale_grad_by_freq=True),
           dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)], ids=str,
)  # fmt: skip
def test_embedding_matches_pytorch(kw):
    te, me = torch.nn.Embedding(7, 4, **kw), nn.Embedding(7, 4, **kw)
    copy_from_torch(me, te)
    idx = np.array([[0, 2, 2, 5], [6, 2, 1, 0]])
    out, tout = me(morch.tensor(idx)), te(torch.tensor(idx))
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g, dtype=morch.float32))
    tout.backward(torch.tensor(g, dtype=torch.float32))
    assert_close(me.weight.grad, te.weight.grad, atol=1e-6)
    assert_close(me.weight, te.weight)  # max_norm renormalises the looked-up rows in place


def test_embedding_errors_and_from_pretrained():
    emb = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match=r"Embedding\(5, 2\): index out of range in self: index 5 with 5 embeddings"):
        emb(morch.tensor([1, 5]))
    with pytest.raises(TypeError, match="integer indices"):
        emb(morch.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
    table = morch.tensor([[1.0, 2.0], [3.0, 4.0]])
    pre = nn.Embedding.from_pretrained(table)
    assert not pre.weight.requires_grad and pre.weight._data is table._data
    assert_close(pre(morch.tensor([1])), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert repr(nn.Embedding(5, 2, padding_idx=0, max_norm=1.0)) == "Embedding(5, 2, padding_idx=0, max_norm=1.0)"


# ---------------------------------------------------------------- one_hot
def test_one_hot():
    t = morch.tensor([0, 2, 1])
    oh = F.one_hot(t)
    assert oh.dtype == morch.int64 and oh.numpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(morch.tensor([[1], [0]]), 4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(t, 2)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(morch.tensor([-1]))
    with pytest.raises(TypeError, match="index tensor"):
        F.one_hot(morch.tensor([1.0]))


@requires_torch
def test_one_hot_matches_pytorch():
    t = np.array([[3, 0], [1, 1]])
    assert np.array_equal(F.one_hot(morch.tensor(t), 5).numpy(), torch.nn.functional.one_hot(torch.tensor(t), 5))
