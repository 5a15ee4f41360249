"""Max, average and adaptive pooling (1-d and 2-d)."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck
from morch.ops import nn as N

from .common import randn


def test_max_pool2d_forward_matches_numpy():
    x = rand64(2, 3, 6, 8, requires_grad=False)
    expected = x.numpy().reshape(2, 3, 3, 2, 4, 2).max(axis=(3, 5))
    assert_close(F.max_pool2d(x, 2), expected)
    assert_close(nn.MaxPool2d((3, 2), stride=(3, 2))(x), x.numpy().reshape(2, 3, 2, 3, 4, 2).max(axis=(3, 5)))


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = morch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]], requires_grad=True)  # a tie: PyTorch picks the first
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == morch.int64 and idx.item() == 0


def test_max_pool_propagates_nan():
    x = morch.tensor([[[[1.0, float("nan")], [0.0, 1.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=3, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=True),
]


@requires_torch
@pytest.mark.parametrize("kw", MAX_CASES, ids=str)
def test_max_pool2d_matches_pytorch_values_indices_and_gradients(kw):
    x = rand64(2, 3, 9, 10)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    out, idx = F.max_pool2d(x, return_indices=True, **kw)
    tout, tidx = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    assert_close(out, tout)
    assert np.array_equal(idx.numpy(), tidx.numpy())
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


# windows that tile the (padded) input exactly: pooled through a reshape, the backward writes every element
TILED_CASES = [  # (height, width), pooling arguments
    ((8, 10), dict(kernel_size=2)),
    ((9, 10), dict(kernel_size=(3, 2))),
    ((8, 10), dict(kernel_size=2, padding=1)),
    ((9, 9), dict(kernel_size=2, ceil_mode=True)),
    ((8, 7), dict(kernel_size=(2, 3), padding=(1, 1), ceil_mode=True)),
]


@requires_torch
@pytest.mark.parametrize("hw,kw", TILED_CASES, ids=str)
@pytest.mark.parametrize("channels_first", [False, True], ids=["contiguous", "channels-first"])
def test_tiled_pooling_matches_pytorch_with_ties(hw, kw, channels_first):
    rng = np.random.default_rng(0)
    a = np.maximum(rng.standard_normal((2, 3, *hw)), 0)  # as after a ReLU: windows of tied zeros
    a[0, 0, :3, :3] = 1.0  # ties of a positive maximum too
    if channels_first:  # the memory order of convolution outputs
        a = np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    x = morch.tensor(a, requires_grad=True)
    k, s, p = kw["kernel_size"], kw.get("stride"), kw.get("padding", 0)
    geo = N.PoolGeometry(tuple(x.shape), *(F._pool_args(k, s, p, 1, 2)), kw.get("ceil_mode", False), "test")
    assert geo.tiled
    xt = torch.tensor(a, requires_grad=True)
    out, idx = F.max_pool2d(x, return_indices=True, **kw)
    tout, tidx = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    assert_close(out, tout)
    assert np.array_equal(idx.numpy(), tidx.numpy())
    avg, tavg = F.avg_pool2d(x, **kw), torch.nn.functional.avg_pool2d(xt, **kw)
    assert_close(avg, tavg)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (out * morch.tensor(g)).sum().backward()
    (avg * morch.tensor(g)).sum().backward()
    ((tout + tavg) * torch.tensor(g)).sum().backward()
    assert_close(x.grad, xt.grad)


def test_pool_geometry_knows_when_windows_tile_the_input():
    def tiled(shape, k, s=None, p=0, d=1, ceil_mode=False):
        return N.PoolGeometry(shape, *F._pool_args(k, s, p, d, 2), ceil_mode, "test").tiled

    assert tiled((1, 1, 8, 8), 2) and tiled((1, 1, 9, 10), (3, 2)) and tiled((1, 1, 8, 8), 2, p=1)
    assert tiled((1, 1, 9, 9), 2, ceil_mode=True)  # the extra row and column of ceil mode complete the tiling
    assert not tiled((1, 1, 9, 9), 2)  # the last row and column are in no window: their gradient is zero
    assert not tiled((1, 1, 8, 8), 2, s=1) and not tiled((1, 1, 8, 8), 2, d=2) and not tiled((1, 1, 9, 9), 3, s=2)


def test_tiled_max_pool_second_derivatives():
    x = rand64(2, 2, 4, 6)
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, (2, 3), padding=1), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2), (x,))


def test_max_pool_gradients_against_finite_differences():
    x = rand64(1, 2, 5, 6)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2, 1), (x,))
    assert gradcheck(lambda x: F.max_pool1d(x, 3, 2, 1), (rand64(2, 3, 9),))


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=1, padding=(1, 0)),
    dict(kernel_size=2, divisor_override=3),
]


@requires_torch
@pytest.mark.parametrize("kw", AVG_CASES, ids=str)
def test_avg_pool2d_matches_pytorch(kw):
    x = rand64(2, 3, 9, 10)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    out, tout = F.avg_pool2d(x, **kw), torch.nn.functional.avg_pool2d(xt, **kw)
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


def test_avg_pool_forward_gradients_and_second_derivatives():
    x = rand64(2, 2, 4, 6, requires_grad=False)
    assert_close(F.avg_pool2d(x, 2), x.numpy().reshape(2, 2, 2, 2, 3, 2).mean(axis=(3, 5)))
    x = rand64(1, 2, 5, 5)
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2, 1), (x,))
    assert gradcheck(lambda x: F.avg_pool1d(x, 2), (rand64(2, 3, 8),))


@requires_torch
@pytest.mark.parametrize("size", [1, 2, (3, 4), (5, 3), (None, 2), 7])
def test_adaptive_avg_pool2d_matches_pytorch(size):
    x = rand64(2, 3, 10, 9)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    out, tout = nn.AdaptiveAvgPool2d(size)(x), torch.nn.AdaptiveAvgPool2d(size)(xt)
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


@requires_torch
@pytest.mark.parametrize("size", [1, (2, 3), (4, 3), 3])
def test_adaptive_max_pool2d_matches_pytorch(size):
    x = rand64(2, 3, 8, 9)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    out, tout = F.adaptive_max_pool2d(x, size), torch.nn.functional.adaptive_max_pool2d(xt, size)
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(morch.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)


@requires_torch
def test_1d_pooling_matches_pytorch():
    x = rand64(2, 3, 11)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    tf = torch.nn.functional
    pairs = [
        (F.max_pool1d(x, 3, 2, 1), tf.max_pool1d(xt, 3, 2, 1)),
        (F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), tf.avg_pool1d(xt, 3, 2, 1, count_include_pad=False)),
        (F.adaptive_avg_pool1d(x, 4), tf.adaptive_avg_pool1d(xt, 4)),
        (nn.MaxPool1d(2)(x), torch.nn.MaxPool1d(2)(xt)),
        (nn.AvgPool1d(2)(x), torch.nn.AvgPool1d(2)(xt)),
    ]
    for a, b in pairs:
        assert_close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    assert_close(x.grad, xt.grad)
    _, idx = F.max_pool1d(x, 3, return_indices=True)
    assert np.array_equal(idx.numpy(), tf.max_pool1d(xt, 3, return_indices=True)[1].numpy())


def test_pooling_of_channels_first_and_unbatched_inputs():
    conv = nn.Conv2d(2, 4, 3)
    y = conv(randn(2, 2, 8, 8))  # channels-first in memory
    yc = morch.tensor(y.detach().numpy().copy())
    assert_close(F.max_pool2d(y, 2), F.max_pool2d(yc, 2))
    assert_close(F.avg_pool2d(y, 2), F.avg_pool2d(yc, 2))
    out = F.max_pool2d(y, 2)
    out.sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape
    assert F.max_pool2d(randn(3, 6, 6), 2).shape == (3, 3, 3)


def test_pooling_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*expected input of shape \(N, C, H, W\)"):
        nn.MaxPool2d(2)(morch.zeros(4, 4))
    with pytest.raises(ValueError, match="pad should be at most half"):
        F.max_pool2d(morch.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="too small"):
        F.avg_pool2d(morch.zeros(1, 1, 2, 2), 3)
    with pytest.raises(TypeError, match="floating-point"):
        F.avg_pool2d(morch.zeros(1, 1, 4, 4, dtype=morch.int64), 2)
    with pytest.raises(NotImplementedError, match="return_indices"):
        F.adaptive_max_pool2d(morch.zeros(1, 1, 5, 5), 3, return_indices=True)


def test_pooling_module_reprs_and_defaults():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    out, idx = nn.MaxPool2d(2, return_indices=True)(randn(1, 1, 4, 4))
    assert idx.shape == (1, 1, 2, 2)
