"""RNN, LSTM, GRU and their cells, against PyTorch with copied weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck

from .common import copy_from_torch


def _pair(cls, *args, **kw):
    t = getattr(torch.nn, cls)(*args, **kw)
    m = getattr(nn, cls)(*args, **kw)
    copy_from_torch(m, t)
    return m, t


def _run_both(m, t, x, hx=None):
    """Outputs and gradients (of inputs, initial states and every parameter) of both modules."""
    xm = morch.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    if hx is None:
        hm = ht = None
        leaves_m, leaves_t = [xm], [xt]
    elif isinstance(hx, tuple):
        hm = tuple(morch.tensor(h, requires_grad=True) for h in hx)
        ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
        leaves_m, leaves_t = [xm, *hm], [xt, *ht]
    else:
        hm, ht = morch.tensor(hx, requires_grad=True), torch.tensor(hx, requires_grad=True)
        leaves_m, leaves_t = [xm, hm], [xt, ht]
    om, ot = m(xm, hm), t(xt, ht)
    flat_m = [om[0], *(om[1] if isinstance(om[1], tuple) else (om[1],))]
    flat_t = [ot[0], *(ot[1] if isinstance(ot[1], tuple) else (ot[1],))]
    rng = np.random.default_rng(3)
    loss_m = loss_t = 0
    for a, b in zip(flat_m, flat_t):
        assert_close(a, b, atol=1e-5)
        g = rng.standard_normal(tuple(b.shape)).astype(np.float32)
        loss_m = loss_m + (a * morch.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_m.backward()
    loss_t.backward()
    for a, b in zip(leaves_m, leaves_t):
        assert_close(a.grad, b.grad, atol=1e-5)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-5)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize(
    "kw", [{}, dict(num_layers=2), dict(batch_first=True), dict(bidirectional=True),
           dict(num_layers=2, bidirectional=True, batch_first=True), dict(bias=False)], ids=str,
)  # fmt: skip
def test_recurrent_layers_match_pytorch(cls, kw):
    m, t = _pair(cls, 3, 4, **kw)
    shape = (2, 5, 3) if kw.get("batch_first") else (5, 2, 3)
    _run_both(m, t, _x(*shape))


@requires_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_initial_states_and_unbatched_input_match_pytorch(cls):
    m, t = _pair(cls, 3, 4, num_layers=2, bidirectional=True)
    h = _x(4, 2, 4, seed=1)
    hx = (h, _x(4, 2, 4, seed=2)) if cls == "LSTM" else h
    _run_both(m, t, _x(5, 2, 3), hx)
    m.zero_grad()
    t.zero_grad()
    h1 = _x(4, 4, seed=1)
    _run_both(m, t, _x(5, 3), (h1, _x(4, 4, seed=2)) if cls == "LSTM" else h1)


@requires_torch
def test_relu_rnn_matches_pytorch():
    m, t = _pair("RNN", 3, 4, nonlinearity="relu", num_layers=2)
    _run_both(m, t, _x(6, 2, 3))


@requires_torch
@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(cls):
    m, t = _pair(cls, 3, 5)
    xm, xt = morch.tensor(_x(4, 3), requires_grad=True), torch.tensor(_x(4, 3), requires_grad=True)
    state_m = state_t = None
    loss_m = loss_t = 0
    for _ in range(3):  # a few steps, feeding the state back
        state_m, state_t = m(xm, state_m), t(xt, state_t)
        hm, ht = (state_m[0], state_t[0]) if cls == "LSTMCell" else (state_m, state_t)
        assert_close(hm, ht, atol=1e-5)
        loss_m, loss_t = loss_m + hm.sum(), loss_t + ht.sum()
    loss_m.backward()
    loss_t.backward()
    assert_close(xm.grad, xt.grad, atol=1e-5)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-5)
    out = m(morch.tensor(_x(3)))  # unbatched
    assert (out[0] if cls == "LSTMCell" else out).shape == (5,)


def test_lstm_gradients_against_finite_differences():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    x = rand64(3, 2, 2)
    h0, c0 = rand64(4, 2, 3, seed=1), rand64(4, 2, 3, seed=2)
    assert gradcheck(lambda x, h, c: lstm(x, (h, c))[0], (x, h0, c0))
    gru = nn.GRU(2, 2).double()
    assert gradcheck(lambda x, w: gru(x)[1] * w.sum(), (x, gru.weight_hh_l0))


def test_parameters_names_shapes_and_init():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4] == "weight_ih_l0_reverse" and len(names) == 16
    assert lstm.weight_ih_l1.shape == (80, 40) and lstm.weight_hh_l0.shape == (80, 20)
    bound = 1 / math.sqrt(20)
    for p in lstm.parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound
    assert len(lstm.all_weights) == 4 and len(lstm.all_weights[0]) == 4
    assert nn.GRU(4, 6).weight_ih_l0.shape == (18, 4)


def test_output_shapes():
    out, (h, c) = nn.LSTM(3, 4, num_layers=3, bidirectional=True, batch_first=True)(morch.randn(2, 7, 3))
    assert out.shape == (2, 7, 8) and h.shape == (6, 2, 4) and c.shape == (6, 2, 4)
    out, h = nn.GRU(3, 4)(morch.randn(7, 3))
    assert out.shape == (7, 4) and h.shape == (1, 4)


def test_dropout_between_layers_only_in_training():
    rnn = nn.RNN(3, 4, num_layers=2, dropout=0.5)
    x = morch.randn(5, 2, 3)
    rnn.eval()
    a, b = rnn(x)[0], rnn(x)[0]
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    rnn.train()
    assert not np.array_equal(rnn(x)[0].detach().numpy(), a.detach().numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_recurrent_errors_name_the_layer_and_shapes():
    lstm = nn.LSTM(10, 20)
    expected = r"LSTM\(10, 20\): input.size\(-1\) must be equal to input_size. Expected 10, got 5"
    with pytest.raises(ValueError, match=expected):
        lstm(morch.randn(3, 2, 5))
    with pytest.raises(ValueError, match=r"expected input of shape \(L, N, H_in\) or unbatched"):
        lstm(morch.randn(3, 2, 2, 10))
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 2, 20\), got \[1, 3, 20\]"):
        lstm(morch.randn(4, 2, 10), (morch.zeros(1, 3, 20), morch.zeros(1, 3, 20)))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        lstm(morch.randn(4, 2, 10), morch.zeros(1, 2, 20))
    with pytest.raises(TypeError, match="dtype"):
        lstm(morch.randn(4, 2, 10, dtype=morch.float64))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="expected input of shape"):
        nn.GRUCell(3, 4)(morch.randn(2, 5))


@requires_torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(
    "kw", [{}, dict(num_layers=2, bidirectional=True), dict(num_layers=3, batch_first=True, bias=False)], ids=str
)
def test_lstm_with_projections_matches_pytorch(kw):
    m, t = _pair("LSTM", 3, 5, proj_size=2, **kw)
    shape = (2, 4, 3) if kw.get("batch_first") else (4, 2, 3)
    _run_both(m, t, _x(*shape))
    m.zero_grad()
    t.zero_grad()
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    _run_both(m, t, _x(*shape), (_x(d, 2, 2, seed=1), _x(d, 2, 5, seed=2)))
    m.zero_grad()
    t.zero_grad()
    _run_both(m, t, _x(4, 3), (_x(d, 2, seed=1), _x(d, 5, seed=2)))  # unbatched


def test_lstm_projection_parameters_shapes_and_repr():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:6] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_hr_l0",
        "weight_ih_l0_reverse",
    ]
    assert len(names) == 20
    assert lstm.weight_hr_l0.shape == (5, 20) and lstm.weight_hh_l1_reverse.shape == (80, 5)
    assert lstm.weight_ih_l1.shape == (80, 10)  # two directions of 5 projected features
    assert len(lstm.all_weights) == 4 and len(lstm.all_weights[0]) == 5
    assert all(np.abs(p.detach().numpy()).max() <= 1 / math.sqrt(20) for p in lstm.parameters())
    assert repr(lstm) == "LSTM(10, 20, proj_size=5, num_layers=2, bidirectional=True)"
    out, (h, c) = lstm(morch.randn(7, 3, 10))
    assert out.shape == (7, 3, 10) and h.shape == (4, 3, 5) and c.shape == (4, 3, 20)
    assert len(nn.LSTM(2, 3, bias=False, proj_size=1).all_weights[0]) == 3


def test_lstm_projection_gradients_against_finite_differences():
    lstm = nn.LSTM(2, 3, num_layers=2, proj_size=2).double()
    x = rand64(3, 2, 2)
    h0, c0 = rand64(2, 2, 2, seed=1), rand64(2, 2, 3, seed=2)
    assert gradcheck(lambda x, h, c, w: lstm(x, (h, c))[1][0] * w.sum(), (x, h0, c0, lstm.weight_hr_l1))


def test_projection_errors_as_pytorch():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(2, 3, proj_size=-1)
    with pytest.raises(TypeError, match="proj_size should be an integer, got 1.5"):
        nn.LSTM(2, 3, proj_size=1.5)
    for cls in (nn.RNN, nn.GRU):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            cls(2, 3, proj_size=1)
    lstm = nn.LSTM(2, 3, proj_size=2)
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 4, 2\), got \[1, 4, 3\]"):
        lstm(morch.randn(5, 4, 2), (morch.zeros(1, 4, 3), morch.zeros(1, 4, 3)))
    with pytest.raises(ValueError, match=r"Expected cell size \(1, 4, 3\), got \[1, 4, 2\]"):
        lstm(morch.randn(5, 4, 2), (morch.zeros(1, 4, 2), morch.zeros(1, 4, 2)))
