"""The nn functions at morch's top level (morch._nn_toplevel), with PyTorch's top-level argument orders."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch._nn_toplevel as top
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, to_torch, torch
from morch.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _m(a, grad=False):
    return morch.tensor(np.asarray(a), requires_grad=grad)


def _t(a):
    return torch.tensor(np.asarray(a))


def test_every_name_is_at_top_level():
    for name in top.__all__:
        assert getattr(morch, name) is getattr(top, name)


@requires_torch
def test_every_name_exists_in_torch():
    assert [n for n in top.__all__ if not hasattr(torch, n)] == []


# ---------------------------------------------------------------------- argument orders that differ from F
def test_batch_and_instance_norm_take_weight_and_bias_first():
    x = rand64(4, 3, 5, seed=1)
    w, b = rand64(3, seed=2), rand64(3, seed=3)
    rm, rv = _m(np.zeros(3)), _m(np.ones(3))
    out = morch.batch_norm(x, w, b, rm, rv, True, 0.2, 1e-5, False)
    assert_close(out, F.batch_norm(x, None, None, w, b, True))
    assert_close(rm, 0.2 * x.detach().numpy().mean((0, 2)))
    out = morch.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False)
    assert_close(out, F.instance_norm(x, weight=w, bias=b))
    assert gradcheck(lambda a, c: morch.batch_norm(a, c, b, None, None, True, 0.1, 1e-5, True), (x, w))


def test_embedding_takes_weight_first():
    w = rand64(6, 2, seed=4)
    idx = _m(np.array([[1, 2], [5, 2]]))
    assert_close(morch.embedding(w, idx), w.detach().numpy()[idx.numpy()])
    morch.embedding(w, idx, 2).sum().backward()  # padding_idx 2: no gradient for row 2
    assert_close(w.grad[:, 0], [0, 1, 0, 0, 0, 1])


def test_integer_reductions_and_orders_of_the_losses():
    a, b = rand64(5, seed=5), rand64(5, seed=6)
    sign = _m(np.where(rng.random(5) < 0.5, -1.0, 1.0))
    assert_close(morch.margin_ranking_loss(a, b, sign, 0.1, 2), F.margin_ranking_loss(a, b, sign, 0.1, reduction="sum"))
    assert_close(morch.hinge_embedding_loss(a, sign, 0.5, 0), F.hinge_embedding_loss(a, sign, 0.5, reduction="none"))
    pw = _m(np.full(5, 2.0))
    expected = F.binary_cross_entropy_with_logits(a, b.abs(), None, reduction="sum", pos_weight=pw)
    assert_close(morch.binary_cross_entropy_with_logits(a, b.abs(), None, pw, 2), expected)
    assert_close(morch.poisson_nll_loss(a, b.abs(), True, False, 1e-8, 1), F.poisson_nll_loss(a, b.abs()))
    lp, p = F.log_softmax(a, 0), F.softmax(b, 0)
    assert_close(morch.kl_div(lp, p), (p * (p.log() - lp)).mean())
    assert_close(morch.kl_div(lp, p.log(), 2, log_target=True), (p * (p.log() - lp)).sum())
    x1, x2 = rand64(3, 4, seed=7), rand64(3, 4, seed=8)
    assert_close(morch.cosine_embedding_loss(x1, x2, sign[:3], 0.2, 0),
                 F.cosine_embedding_loss(x1, x2, sign[:3], 0.2, reduction="none"))  # fmt: skip
    assert_close(morch.triplet_margin_loss(x1, x2, x1 * 2, 1.0, 1.0, 1e-6, True, 2),
                 F.triplet_margin_loss(x1, x2, x1 * 2, 1.0, 1.0, swap=True, reduction="sum"))  # fmt: skip
    with pytest.raises(ValueError, match=r"reduction must be 0 \('none'\), 1 \('mean'\) or 2 \('sum'\), got 3"):
        morch.kl_div(lp, p, 3)


def test_pooling_with_indices_always_returns_pairs():
    x = rand64(2, 3, 8, seed=9)
    out, idx = morch.max_pool1d_with_indices(x, 3, 2, 1)
    ref, ref_idx = F.max_pool1d(x, 3, 2, 1, return_indices=True)
    assert_close(out, ref) and assert_close(idx, ref_idx) is None
    out, idx = morch.adaptive_max_pool1d(x, 3)
    assert idx.dtype == morch.int64 and out.shape == (2, 3, 3)
    assert morch.max_pool1d(x, 2).shape == (2, 3, 4) and morch.avg_pool1d(x, 4, 4).shape == (2, 3, 2)


def test_dropout_family():
    x = _m(np.ones((200, 4, 3)))
    assert morch.dropout(x, 0.5, False) is x and morch.alpha_dropout(x, 0.5, False) is x
    out = morch.feature_dropout(x, 0.5, True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == out[:, :, :1]).all()  # whole channels
    assert 0.3 < (out[:, :, 0] == 0).mean() < 0.7
    y = _m(np.ones((50, 6)))
    assert morch.dropout_(y, 0.5, True) is y and set(np.unique(y.numpy())) <= {0.0, 2.0}
    z = _m(np.ones((50, 6)))
    assert morch.feature_dropout_(z, 0.5, True) is z and (z.numpy() == 0).any()
    assert morch.alpha_dropout_(_m(np.ones(5)), 0.0, True).shape == (5,)
    assert morch.feature_alpha_dropout(_m(np.ones((2, 3, 4))), 0.5, True).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="Feature dropout requires at least 2 dimensions"):
        morch.feature_dropout(_m(np.ones(3)), 0.5, True)


def test_inplace_activations_and_generator():
    x = _m(np.array([-2.0, -0.1, 0.5, 3.0]))
    for fn, ref in [(morch.celu_, F.celu), (morch.selu_, F.selu), (morch.relu_, F.relu)]:
        y = x.clone()
        assert fn(y) is y and assert_close(y, ref(x)) is None
    y = x.clone()
    assert morch.threshold_(y, 0.0, -5.0) is y and y.tolist() == [-5.0, -5.0, 0.5, 3.0]
    assert morch.threshold(x, 0.0, 1.0).tolist() == [1.0, 1.0, 0.5, 3.0]
    assert_close(morch.rrelu(x), F.leaky_relu(x, (1 / 8 + 1 / 3) / 2))
    assert morch.rrelu_(x.clone(), 0.1, 0.2, True).shape == (4,)
    assert morch.hardshrink(x, 1.0).tolist() == [-2.0, 0.0, 0.0, 3.0]
    with pytest.raises(NotImplementedError, match="generator"):
        morch.rrelu(x, generator=morch.Generator())


def test_conv_tbc_is_a_time_major_conv1d():
    x, w, b = rand64(6, 2, 3, seed=10), rand64(3, 3, 4, seed=11), rand64(4, seed=12)
    out = morch.conv_tbc(x, w, b, 1)
    assert out.shape == (6, 2, 4)
    xs, ws = x.detach().numpy(), w.detach().numpy()
    xp = np.pad(xs, ((1, 1), (0, 0), (0, 0)))
    ref = sum(np.einsum("tnc,co->tno", xp[k : k + 6], ws[k]) for k in range(3)) + b.detach().numpy()
    assert_close(out, ref, atol=1e-12)
    assert gradcheck(lambda a, c: morch.conv_tbc(a, c, b, 1), (x, w))
    with pytest.raises(ValueError, match="conv_tbc: expected 3-d input"):
        morch.conv_tbc(x[0], w, b)


def test_recurrent_cells_match_the_layers():
    cell = morch.nn.LSTMCell(3, 4).double()
    x, h, c = rand64(2, 3, seed=13), rand64(2, 4, seed=14), rand64(2, 4, seed=15)
    params = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    for got, ref in zip(morch.lstm_cell(x, (h, c), *params), cell(x, (h, c))):
        assert_close(got, ref, atol=1e-12)
    gru = morch.nn.GRUCell(3, 4).double()
    assert_close(morch.gru_cell(x, h, gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh), gru(x, h), atol=1e-12)
    for nl, fn in (("tanh", morch.rnn_tanh_cell), ("relu", morch.rnn_relu_cell)):
        rnn = morch.nn.RNNCell(3, 4, nonlinearity=nl).double()
        assert_close(fn(x, h, rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh), rnn(x, h), atol=1e-12)
        pre = (
            x.detach().numpy() @ rnn.weight_ih.detach().numpy().T
            + h.detach().numpy() @ rnn.weight_hh.detach().numpy().T
        )
        assert_close(fn(x, h, rnn.weight_ih, rnn.weight_hh), np.tanh(pre) if nl == "tanh" else np.maximum(pre, 0))
    assert gradgradcheck(lambda a: morch.lstm_cell(a, (h, c), *params)[1], (x,))


def test_grid_sampler_codes_and_delegates():
    x, theta = rand64(1, 2, 4, 4, seed=16), rand64(1, 2, 3, seed=17)
    grid = morch.affine_grid_generator(theta, (1, 2, 3, 3), False)
    assert_close(grid, F.affine_grid(theta, (1, 2, 3, 3), align_corners=False))
    assert_close(morch.grid_sampler(x, grid, 1, 2, True), F.grid_sample(x, grid, "nearest", "reflection", True))
    with pytest.raises(ValueError, match="must be 0, 1 or 2"):
        morch.grid_sampler(x, grid, 3, 0, False)
    assert morch.native_channel_shuffle(_m(np.arange(4.0).reshape(1, 4, 1)), 2).numpy().ravel().tolist() == [0, 2, 1, 3]
    assert morch.conv1d.__name__ == "conv1d" and "morch.nn.functional.conv1d" in morch.conv1d.__doc__


# ---------------------------------------------------------------------- against PyTorch, positionally
@requires_torch
def test_positional_calls_match_torch():
    x, w, b = rand64(4, 3, 5, seed=20), rand64(3, seed=21), rand64(3, seed=22)
    rm, rv = np.zeros(3), np.ones(3)
    tx, tw, tb = to_torch(x), to_torch(w), to_torch(b)
    assert_close(morch.batch_norm(x, w, b, _m(rm), _m(rv), False, 0.1, 1e-3, False),
                 torch.batch_norm(tx, tw, tb, _t(rm), _t(rv), False, 0.1, 1e-3, False))  # fmt: skip
    assert_close(morch.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                 torch.instance_norm(tx, tw, tb, None, None, True, 0.1, 1e-5, False))  # fmt: skip
    assert_close(morch.layer_norm(x, [5], None, None, 1e-3, True), torch.layer_norm(tx, [5], None, None, 1e-3, True))
    assert_close(morch.group_norm(x, 3, w, b, 1e-5, True), torch.group_norm(tx, 3, tw, tb, 1e-5, True))
    a, t = rand64(6, seed=23), np.abs(rng.standard_normal(6))
    ta = to_torch(a)
    pw = np.full(6, 3.0)
    assert_close(morch.binary_cross_entropy_with_logits(a, _m(t), None, _m(pw), 0),
                 torch.binary_cross_entropy_with_logits(ta, _t(t), None, _t(pw), 0))  # fmt: skip
    assert_close(morch.poisson_nll_loss(a.abs(), _m(t), False, True, 1e-3, 2),
                 torch.poisson_nll_loss(ta.abs(), _t(t), False, True, 1e-3, 2))  # fmt: skip
    lp, p = F.log_softmax(a, 0), F.softmax(a * 2, 0)
    assert_close(morch.kl_div(lp, p, 2), torch.kl_div(to_torch(lp), to_torch(p), 2))
    assert_close(morch.kl_div(lp, lp, 1, log_target=True), torch.kl_div(to_torch(lp), to_torch(lp), 1, log_target=True))
    wt = rand64(7, 3, seed=24)
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 2])
    for mode in (0, 1, 2):
        got = morch.embedding_bag(wt, _m(idx), _m(off), False, mode)
        ref = torch.embedding_bag(to_torch(wt), _t(idx), _t(off), False, mode)
        for g, r in zip(got, ref):
            assert_close(g, r)
    assert_close(morch.embedding(wt, _m(idx), 2), torch.embedding(to_torch(wt), _t(idx), 2))
    assert_close(morch.rms_norm(x, [5], None, 1e-3), torch.rms_norm(tx, [5], None, 1e-3))


@requires_torch
def test_conv_ctc_cells_and_grids_match_torch():
    x, w, b = rand64(5, 2, 3, seed=30), rand64(3, 3, 4, seed=31), rand64(4, seed=32)
    assert_close(morch.conv_tbc(x, w, b, 2), torch.conv_tbc(to_torch(x), to_torch(w), to_torch(b), 2))
    y, k = rand64(1, 2, 6, 6, seed=33), rand64(2, 1, 3, 3, seed=34)
    assert_close(morch.conv2d(y, k, None, 2, 1, 1, 2), torch.conv2d(to_torch(y), to_torch(k), None, 2, 1, 1, 2))
    y1, k1 = y[:, :, 0], k[:, :, 0]
    assert_close(morch.conv_transpose1d(y1, k1, None, 2, 1, 1, 1, 1),
                 torch.conv_transpose1d(to_torch(y1), to_torch(k1), None, 2, 1, 1, 1, 1))  # fmt: skip
    lp = F.log_softmax(rand64(6, 2, 4, seed=35), 2)
    tg, il, tl = np.array([[1, 2], [3, 3]]), np.array([6, 5]), np.array([2, 2])
    assert_close(morch.ctc_loss(lp, _m(tg), _m(il), _m(tl), 0, 0, False),
                 torch.ctc_loss(to_torch(lp), _t(tg), _t(il), _t(tl), 0, 0, False))  # fmt: skip
    h, c, inp = rand64(2, 4, seed=36), rand64(2, 4, seed=37), rand64(2, 3, seed=38)
    wih, whh, bih, bhh = rand64(16, 3, seed=39), rand64(16, 4, seed=40), rand64(16, seed=41), rand64(16, seed=42)
    got = morch.lstm_cell(inp, [h, c], wih, whh, bih, bhh)
    ref = torch.lstm_cell(*(to_torch(t) for t in (inp,)), [to_torch(h), to_torch(c)],
                          *(to_torch(t) for t in (wih, whh, bih, bhh)))  # fmt: skip
    assert_close(got[0], ref[0]) and assert_close(got[1], ref[1]) is None
    assert_close(morch.gru_cell(inp, h, wih[:12], whh[:12]),
                 torch.gru_cell(to_torch(inp), to_torch(h), to_torch(wih[:12]), to_torch(whh[:12])))  # fmt: skip
    img, theta = rand64(1, 2, 4, 5, seed=43), rand64(1, 2, 3, seed=44)
    grid = morch.affine_grid_generator(theta, [1, 2, 3, 3], True)
    tgrid = torch.affine_grid_generator(to_torch(theta), [1, 2, 3, 3], True)
    assert_close(grid, tgrid)
    for mode, pad in ((0, 0), (1, 1), (0, 2)):
        assert_close(morch.grid_sampler(img, grid, mode, pad, False),
                     torch.grid_sampler(to_torch(img), tgrid, mode, pad, False))  # fmt: skip
    out, idx = morch.adaptive_max_pool1d(y[0], 4)
    tout, tidx = torch.adaptive_max_pool1d(to_torch(y[0]), 4)
    assert_close(out, tout) and assert_close(idx, tidx) is None
    assert_close(morch.celu(y, 0.5), torch.celu(to_torch(y), 0.5))
    assert_close(morch.native_channel_shuffle(y, 2), torch.native_channel_shuffle(to_torch(y), 2))
