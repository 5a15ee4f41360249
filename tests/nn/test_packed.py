"""morch.nn.utils.rnn (packing and padding) and recurrent layers on packed batches."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck
from morch.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

from .common import copy_from_torch


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ packing and padding


def test_pack_padded_sequence_layout():
    # three sequences (columns) of lengths 3, 2, 1: entries t*10 + b
    x = morch.tensor([[0, 1, 2], [10, 11, 12], [20, 21, 22]])
    p = pack_padded_sequence(x, [3, 2, 1])
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert p.data.tolist() == [0, 1, 2, 10, 11, 20]
    assert p.batch_sizes.tolist() == [3, 2, 1] and p.batch_sizes.dtype == morch.int64
    assert p.sorted_indices is None and p.unsorted_indices is None
    q = pack_padded_sequence(x.t(), morch.tensor([3, 2, 1]), batch_first=True)
    assert q.data.tolist() == [0, 1, 2, 10, 11, 20]


def test_pack_unsorted_keeps_the_permutation_and_padding_restores_the_order():
    x = morch.tensor([[1, 3, 4], [2, 0, 5], [0, 0, 6]])  # lengths 2, 1, 3 (columns)
    p = pack_padded_sequence(x, [2, 1, 3], enforce_sorted=False)
    assert p.data.tolist() == [4, 1, 3, 5, 2, 6] and p.batch_sizes.tolist() == [3, 2, 1]
    assert p.sorted_indices.tolist() == [2, 0, 1] and p.unsorted_indices.tolist() == [1, 2, 0]
    padded, lengths = pad_packed_sequence(p, batch_first=True)
    assert padded.tolist() == [[1, 2, 0], [3, 0, 0], [4, 5, 6]] and lengths.tolist() == [2, 1, 3]
    padded, _ = pad_packed_sequence(p, padding_value=-1, total_length=5)
    assert padded.shape == (5, 3) and padded[:, 1].tolist() == [3, -1, -1, -1, -1]


def test_pad_sequence_against_numpy():
    seqs = [_x(2, 3), _x(4, 3, seed=1), _x(1, 3, seed=2)]
    expected = np.zeros((3, 4, 3), np.float32)
    expected_left = np.full((3, 4, 3), 7.0, np.float32)
    for i, s in enumerate(seqs):
        expected[i, : len(s)] = s
        expected_left[i, 4 - len(s) :] = s
    ms = [morch.tensor(s) for s in seqs]
    assert_close(pad_sequence(ms, batch_first=True), expected)
    assert_close(pad_sequence(ms), expected.transpose(1, 0, 2))
    assert_close(pad_sequence(ms, True, 7.0, padding_side="left"), expected_left)
    ints = pad_sequence([morch.tensor([1, 2]), morch.tensor([3])], padding_value=0.5)
    assert ints.dtype == morch.int64 and ints.tolist() == [[1, 3], [2, 0]]


def test_pack_sequence_unpack_and_unpad_round_trip():
    seqs = [morch.tensor(_x(n, 2, seed=n)) for n in (2, 5, 3)]
    with pytest.raises(ValueError, match="must be sorted in decreasing order"):
        pack_sequence(seqs)
    p = pack_sequence(seqs, enforce_sorted=False)
    assert p.batch_sizes.tolist() == [3, 3, 2, 1, 1] and p.data.shape == (10, 2)
    for a, b in zip(unpack_sequence(p), seqs, strict=True):
        assert_close(a, b, atol=0)
    padded, lengths = pad_packed_sequence(p)
    for a, b in zip(unpad_sequence(padded, lengths), seqs, strict=True):
        assert_close(a, b, atol=0)
    before = padded.shape
    assert [s.shape for s in unpad_sequence(padded.transpose(0, 1), [2, 5, 3], batch_first=True)] == [
        (2, 2), (5, 2), (3, 2)
    ]  # fmt: skip
    assert padded.shape == before  # no in-place transpose


def test_packed_sequence_helpers():
    p = pack_sequence([morch.tensor([1.0, 2.0]), morch.tensor([3.0])])
    assert p.to(morch.float32) is p
    q = p.double()
    assert isinstance(q, PackedSequence) and q.data.dtype == morch.float64 and q.batch_sizes is p.batch_sizes
    assert p.long().data.dtype == morch.int64 and p.cpu() is p and not p.is_cuda
    legacy = PackedSequence((p.data, p.batch_sizes))
    assert legacy.batch_sizes is p.batch_sizes and legacy.unsorted_indices is None
    made = PackedSequence(p.data, p.batch_sizes, morch.tensor([1, 0]))
    assert made.unsorted_indices.tolist() == [1, 0]
    assert invert_permutation(morch.tensor([2, 0, 3, 1])).tolist() == [1, 3, 0, 2]
    assert invert_permutation(None) is None


def test_packing_gradients_against_finite_differences():
    x = rand64(4, 3, 2, seed=0)

    def round_trip(x):
        p = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        return pad_packed_sequence(PackedSequence(p.data * p.data, *p[1:]), padding_value=0.5)[0]

    assert gradcheck(round_trip, (x,))
    a, b = rand64(3, 2, seed=1), rand64(1, 2, seed=2)
    assert gradcheck(lambda a, b: pad_sequence([a, b], True, 1.0, "left"), (a, b))
    assert gradcheck(lambda a, b: pack_sequence([a, b]).data, (a, b))
    assert gradcheck(lambda a, b: unpack_sequence(pack_sequence([b, a], enforce_sorted=False))[1], (a, b))


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_pytorch(batch_first):
    R = torch.nn.utils.rnn
    x = _x(4, 6, 2, 3) if batch_first else _x(6, 4, 2, 3)
    lengths = [3, 6, 1, 4]
    xm, xt = morch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pm = pack_padded_sequence(xm, lengths, batch_first, enforce_sorted=False)
    pt = R.pack_padded_sequence(xt, lengths, batch_first, enforce_sorted=False)
    assert_close(pm.data, pt.data, atol=0)
    for a, b in zip(pm[1:], pt[1:], strict=True):
        assert a.tolist() == b.tolist()
    om, lm = pad_packed_sequence(pm, batch_first, padding_value=2.0, total_length=7)
    ot, lt = R.pad_packed_sequence(pt, batch_first, padding_value=2.0, total_length=7)
    assert_close(om, ot, atol=0)
    assert lm.tolist() == lt.tolist()
    g = _x(*ot.shape, seed=5)
    (om * morch.tensor(g)).sum().backward()
    (ot * torch.tensor(g)).sum().backward()
    assert_close(xm.grad, xt.grad, atol=0)
    seqs = [_x(n, 2, seed=n) for n in (3, 1, 4)]
    for side in ("left", "right"):
        m_out = pad_sequence([morch.tensor(s) for s in seqs], batch_first, -1.0, side)
        assert_close(m_out, R.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side), atol=0)


def test_packing_errors_name_the_function_and_values():
    x = morch.zeros(4, 3, 2)
    with pytest.raises(ValueError, match=r"pack_padded_sequence: `lengths` array must be sorted in decreasing"):
        pack_padded_sequence(x, [4, 2, 3])
    with pytest.raises(RuntimeError, match=r"greater than 0.*lengths=\[4, 2, 0\]"):
        pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(ValueError, match=r"equal to batch_size, but got 2 \(batch_size=3\)"):
        pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match=r"lengths \[5, 2, 1\] exceed the padded length 4"):
        pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match=r"'lengths' should be 1-D, got shape \(1, 3\)"):
        pack_padded_sequence(x, [[4, 2, 1]])
    with pytest.raises(ValueError, match=r"at least 2 dimensions \(T, B, \*\), got shape \(4,\)"):
        pack_padded_sequence(morch.zeros(4), [4])
    p = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        pad_packed_sequence(p, total_length=3)
    with pytest.raises(TypeError, match="pad_packed_sequence: expected a PackedSequence"):
        pad_packed_sequence(x)
    with pytest.raises(RuntimeError, match="pad_sequence: received an empty list"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="padding_side to be one of left or right, but got up"):
        pad_sequence([morch.zeros(2)], padding_side="up")
    with pytest.raises(ValueError, match=r"trailing shape \(3,\) of the first, got shape \(3, 2\) at position 1"):
        pad_sequence([morch.zeros(2, 3), morch.zeros(3, 2)])
    with pytest.raises(ValueError, match=r"unpad_sequence: lengths \[5, 1\] do not fit"):
        unpad_sequence(morch.zeros(4, 2), [5, 1])


# ------------------------------------------------------------------ recurrent layers on packed batches


def _hidden_shapes(m, n):
    d = (2 if m.bidirectional else 1) * m.num_layers
    h = (d, n, m.proj_size or m.hidden_size)
    return [h, (d, n, m.hidden_size)] if isinstance(m, nn.LSTM) else [h]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_batch_equals_each_sequence_run_alone(cls):
    kw = dict(num_layers=2, bidirectional=True, batch_first=True)
    if cls == "LSTM":
        kw["proj_size"] = 2
    m = getattr(nn, cls)(3, 4, **kw)
    lengths = [2, 5, 3]
    seqs = [morch.tensor(_x(n, 3, seed=n)) for n in lengths]
    hx = [morch.tensor(_x(*s, seed=9)) for s in _hidden_shapes(m, 3)]
    out, h = m(pack_sequence(seqs, enforce_sorted=False), hx[0] if len(hx) == 1 else tuple(hx))
    assert isinstance(out, PackedSequence)
    hs = h if isinstance(h, tuple) else (h,)
    for i, (s, o) in enumerate(zip(seqs, unpack_sequence(out), strict=True)):
        alone = tuple(v[:, i : i + 1] for v in hx)
        o1, h1 = m(s.unsqueeze(0), alone[0] if len(alone) == 1 else alone)
        assert_close(o, o1[0], atol=1e-6)
        for a, b in zip(hs, h1 if isinstance(h1, tuple) else (h1,), strict=True):
            assert_close(a[:, i], b[:, 0], atol=1e-6)


def test_packed_lstm_gradients_against_finite_differences():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x, h0, c0 = rand64(4, 3, 2, seed=0), rand64(4, 3, 2, seed=1), rand64(4, 3, 3, seed=2)

    def f(x, h0, c0):
        out, (h, c) = lstm(pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False), (h0, c0))
        return morch.cat([out.data.reshape(-1), h.reshape(-1), c.reshape(-1)])

    assert gradcheck(f, (x, h0, c0))
    gru = nn.GRU(2, 2, bidirectional=True).double()
    assert gradcheck(lambda x: gru(pack_padded_sequence(x, [4, 2, 2]))[1], (x,))


_CONFIGS = [{}, dict(bidirectional=True), dict(num_layers=2, batch_first=True), dict(num_layers=2, bidirectional=True)]
_PROJ = [dict(num_layers=2, bidirectional=True, batch_first=True, proj_size=3), dict(proj_size=2, bias=False)]


@requires_torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(
    "cls, kw", [(c, kw) for c in ("RNN", "LSTM", "GRU") for kw in _CONFIGS] + [("LSTM", kw) for kw in _PROJ], ids=str
)
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
def test_packed_recurrent_layers_match_pytorch(cls, kw, enforce_sorted, with_hx):
    t = getattr(torch.nn, cls)(3, 5, **kw)
    m = getattr(nn, cls)(3, 5, **kw)
    copy_from_torch(m, t)
    bf = kw.get("batch_first", False)
    lengths = [6, 4, 4, 1] if enforce_sorted else [2, 6, 1, 4]
    x = _x(4, 6, 3) if bf else _x(6, 4, 3)
    xm, xt = morch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    leaves_m, leaves_t = [xm], [xt]
    hm = ht = None
    if with_hx:
        hs = [_x(*s, seed=i + 1) for i, s in enumerate(_hidden_shapes(m, 4))]
        leaves_m += [morch.tensor(h, requires_grad=True) for h in hs]
        leaves_t += [torch.tensor(h, requires_grad=True) for h in hs]
        hm, ht = (tuple(leaves_m[1:]), tuple(leaves_t[1:])) if cls == "LSTM" else (leaves_m[1], leaves_t[1])
    om, sm = m(pack_padded_sequence(xm, lengths, bf, enforce_sorted), hm)
    ot, st = t(torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, bf, enforce_sorted), ht)
    assert isinstance(om, PackedSequence) and om.batch_sizes.tolist() == ot.batch_sizes.tolist()
    flat_m = [om.data, *(sm if isinstance(sm, tuple) else (sm,))]
    flat_t = [ot.data, *(st if isinstance(st, tuple) else (st,))]
    rng = np.random.default_rng(3)
    loss_m = loss_t = 0
    for a, b in zip(flat_m, flat_t, strict=True):
        assert_close(a, b, atol=1e-5)
        g = rng.standard_normal(tuple(b.shape)).astype(np.float32)
        loss_m = loss_m + (a * morch.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_m.backward()
    loss_t.backward()
    for a, b in zip(leaves_m, leaves_t, strict=True):
        assert_close(a.grad, b.grad, atol=1e-5)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-5)


def test_packed_input_errors():
    lstm = nn.LSTM(3, 4, proj_size=2)
    p = pack_sequence([morch.zeros(3, 3), morch.zeros(2, 3)])
    with pytest.raises(
        ValueError, match=r"LSTM\(3, 4, proj_size=2\): Expected hidden size \(1, 2, 2\), got \[1, 3, 2\]"
    ):
        lstm(p, (morch.zeros(1, 3, 2), morch.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match=r"Expected cell size \(1, 2, 4\), got \[1, 2, 2\]"):
        lstm(p, (morch.zeros(1, 2, 2), morch.zeros(1, 2, 2)))
    with pytest.raises(ValueError, match=r"PackedSequence input must have 2 dimensions .* got shape \(5, 3, 1\)"):
        lstm(PackedSequence(morch.zeros(5, 3, 1), p.batch_sizes))
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 2"):
        lstm(pack_sequence([morch.zeros(3, 2)]))
    with pytest.raises(ValueError, match="batch_sizes add up to 5, but its data has 4 rows"):
        lstm(PackedSequence(morch.zeros(4, 3), p.batch_sizes))
    with pytest.raises(TypeError, match="expected a morch Tensor or a PackedSequence"):
        lstm([[0.0, 1.0, 2.0]])
