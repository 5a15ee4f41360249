"""Padding layers, PixelShuffle / PixelUnshuffle / ChannelShuffle and Unfold / Fold."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import same_outputs_and_grads

PADS = [
    ("ZeroPad1d", ((2,), ((1, 3),)), (2, 3, 5)),
    ("ZeroPad2d", ((1,), ((1, 2, 0, 3),)), (2, 3, 4, 5)),
    ("ConstantPad1d", ((2, 1.5), ((1, 0), -2.0)), (3, 5)),
    ("ConstantPad2d", ((1, 0.5), ((2, 1, 1, 0), 3.0)), (1, 2, 4, 5)),
    ("ReflectionPad1d", ((2,), ((3, 1),)), (2, 3, 5)),
    ("ReflectionPad2d", ((1,), ((2, 1, 3, 0),)), (2, 4, 5)),
    ("ReplicationPad1d", ((3,), ((0, 2),)), (3, 4)),
    ("ReplicationPad2d", ((2,), ((1, 3, 2, 0),)), (2, 2, 3, 4)),
    ("CircularPad1d", ((2,), ((1, 3),)), (2, 3, 5)),
    ("CircularPad2d", ((1,), ((2, 0, 1, 3),)), (1, 2, 4, 5)),
]


def test_padding_layers_forward_against_numpy():
    x = rand64(2, 3, 4, requires_grad=False, seed=0)
    a = x.numpy()
    assert_close(nn.ZeroPad1d((1, 2))(x), np.pad(a, ((0, 0), (0, 0), (1, 2))))
    assert_close(nn.ConstantPad2d((1, 0, 2, 1), 7.0)(x), np.pad(a, ((0, 0), (2, 1), (1, 0)), constant_values=7.0))
    assert_close(nn.ReflectionPad1d(2)(x), np.pad(a, ((0, 0), (0, 0), (2, 2)), mode="reflect"))
    assert_close(nn.ReplicationPad2d((1, 2, 0, 1))(x), np.pad(a, ((0, 0), (0, 1), (1, 2)), mode="edge"))
    assert_close(nn.CircularPad2d(1)(x), np.pad(a, ((0, 0), (1, 1), (1, 1)), mode="wrap"))
    assert nn.ZeroPad2d(2).padding == (2, 2, 2, 2) and nn.ReflectionPad1d(3).padding == (3, 3)


def test_padding_layers_gradients():
    x = rand64(1, 2, 4, 5, seed=1)
    for m in (nn.ReflectionPad2d((1, 2, 3, 0)), nn.ReplicationPad2d(2), nn.CircularPad2d((1, 0, 2, 1)),
              nn.ConstantPad2d((1, -1, 0, 2), 2.0)):  # fmt: skip
        assert gradcheck(m, (x,)), m
    assert gradcheck(nn.ReflectionPad1d(2), (x[0],))


def test_padding_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match="ReflectionPad2d: padding must be an int or a tuple of 4 ints"):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ReflectionPad1d\(\(1, 1\)\): expected input of shape .*\(2, 3, 4, 5\)"):
        nn.ReflectionPad1d(1)(morch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="Padding size should be less than the corresponding input dimension"):
        nn.ReflectionPad1d(3)(morch.zeros(2, 3))


@requires_torch
@pytest.mark.parametrize("name,args_list,shape", PADS, ids=[p[0] for p in PADS])
def test_padding_layers_match_pytorch(name, args_list, shape):
    for args in args_list:
        m, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(m) == repr(t)
        same_outputs_and_grads(m, t, [rand64(*shape, seed=2)], atol=1e-10)


# ---------------------------------------------------------------- shuffles
def test_pixel_shuffle_against_numpy_and_its_inverse():
    x = rand64(2, 8, 3, 2, requires_grad=False, seed=3)
    y = F.pixel_shuffle(x, 2)
    a = x.numpy().reshape(2, 2, 2, 2, 3, 2)
    expected = np.zeros((2, 2, 6, 4))
    for i in range(2):
        for j in range(2):
            expected[:, :, i::2, j::2] = a[:, :, i, j]
    assert_close(y, expected)
    assert_close(F.pixel_unshuffle(y, 2), x)
    assert_close(nn.PixelUnshuffle(3)(nn.PixelShuffle(3)(rand64(1, 5, 9, 2, 3, seed=4))).shape, (1, 5, 9, 2, 3))
    z = morch.arange(8.0).reshape(1, 8, 1)
    assert F.channel_shuffle(z, 2).flatten().tolist() == [0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]


def test_shuffle_gradients():
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (rand64(2, 4, 2, 3, seed=5),))
    assert gradgradcheck(lambda x: F.pixel_shuffle(x, 2), (rand64(4, 2, 3, seed=5),))
    assert gradcheck(lambda x: F.pixel_unshuffle(x, 2), (rand64(1, 2, 4, 6, seed=6),))
    assert gradcheck(lambda x: F.channel_shuffle(x, 3), (rand64(2, 6, 2, seed=7),))


def test_shuffle_errors():
    with pytest.raises(RuntimeError, match=r"divisible by the square of upscale_factor, but input.size\(-3\)=6"):
        F.pixel_shuffle(morch.zeros(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions, but got input with 2"):
        nn.PixelShuffle(2)(morch.zeros(4, 4))
    with pytest.raises(ValueError, match="positive upscale_factor, but got 0"):
        F.pixel_shuffle(morch.zeros(1, 4, 2, 2), 0)
    with pytest.raises(RuntimeError, match=r"width to be divisible by downscale_factor, but input.size\(-1\)=3"):
        F.pixel_unshuffle(morch.zeros(1, 4, 3), 2)
    with pytest.raises(RuntimeError, match="Got 5 channels and 2 groups"):
        nn.ChannelShuffle(2)(morch.zeros(1, 5, 3))
    with pytest.raises(RuntimeError, match=r"> 2 dims, but got input with sizes \[2, 4\]"):
        F.channel_shuffle(morch.zeros(2, 4), 2)


@requires_torch
def test_shuffles_match_pytorch():
    for m, t, shape in (
        (nn.PixelShuffle(2), torch.nn.PixelShuffle(2), (2, 8, 3, 4)),
        (nn.PixelShuffle(3), torch.nn.PixelShuffle(3), (9, 2, 2)),
        (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), (2, 3, 4, 6)),
        (nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3), (2, 6, 2, 3)),
    ):
        assert repr(m) == repr(t)
        same_outputs_and_grads(m, t, [rand64(*shape, seed=8)], atol=1e-12)


# ---------------------------------------------------------------- unfold / fold
def test_unfold_fold_forward_against_numpy():
    x = rand64(2, 3, 4, 5, requires_grad=False, seed=9)
    cols = nn.Unfold((2, 3))(x)
    assert tuple(cols.shape) == (2, 3 * 6, 3 * 3)
    a = x.numpy()
    # column l = (i, j) holds the window at (i, j), channel-major then kernel row, kernel column
    assert_close(cols[:, :, 4], a[:, :, 1:3, 1:4].reshape(2, -1))
    # fold of unfold counts how many windows cover each pixel
    ones = morch.ones(1, 1, 4, 4, dtype=morch.float64)
    count = nn.Fold(4, 2)(F.unfold(ones, 2))
    assert_close(count[0, 0], np.outer([1, 2, 2, 1], [1, 2, 2, 1]))


def test_unfold_fold_gradients():
    x = rand64(1, 2, 5, 4, seed=10)
    assert gradcheck(nn.Unfold(2, dilation=(2, 1), padding=1, stride=(1, 2)), (x,))
    c = rand64(2, 2 * 4, 12, seed=11)
    assert gradcheck(nn.Fold((4, 5), 2, padding=(1, 0), stride=(2, 1)), (c,))
    assert gradgradcheck(lambda c: F.fold(c, (4, 5), 2, padding=(1, 0), stride=(2, 1)), (c,))


def test_fold_errors_name_the_expected_shape():
    with pytest.raises(ValueError, match=r"fold: expected input of shape \(N, C\*2\*2, 9\)"):
        nn.Fold(4, 2)(morch.zeros(1, 8, 5))
    with pytest.raises(ValueError, match="unfold: expected a 3-D or 4-D input"):
        nn.Unfold(2)(morch.zeros(4, 4))


@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(dilation=2), dict(padding=(1, 2), stride=2), dict(stride=(1, 2))], ids=str)
def test_unfold_and_fold_match_pytorch(kw):
    m, t = nn.Unfold((2, 3), **kw), torch.nn.Unfold((2, 3), **kw)
    assert repr(m) == repr(t)
    cols, _ = same_outputs_and_grads(m, t, [rand64(2, 3, 7, 8, seed=12)], atol=1e-12)
    mf, tf = nn.Fold((7, 8), (2, 3), **kw), torch.nn.Fold((7, 8), (2, 3), **kw)
    assert repr(mf) == repr(tf)
    same_outputs_and_grads(mf, tf, [rand64(*cols.shape, seed=13)], atol=1e-12)
    same_outputs_and_grads(mf, tf, [rand64(*cols.shape[1:], seed=14)], atol=1e-12)  # unbatched
