"""InstanceNorm1d/2d, RMSNorm, LocalResponseNorm, AdaptiveMaxPool1d, LPPool1d/2d, Softmax2d and alpha dropout."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import copy_from_torch, randn, same_outputs_and_grads


# ---------------------------------------------------------------- instance norm
def test_instance_norm_normalises_each_sample_and_channel():
    x = randn(3, 4, 5, 6) * 3 + 2
    y = nn.InstanceNorm2d(4)(x).numpy()
    assert np.allclose(y.mean(axis=(2, 3)), 0, atol=1e-5)
    assert np.allclose(y.var(axis=(2, 3)), 1, atol=1e-3)
    m = nn.InstanceNorm1d(4)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []


def test_instance_norm_running_statistics_and_eval_mode():
    m = nn.InstanceNorm1d(2, momentum=0.5, track_running_stats=True, affine=True)
    x = randn(3, 2, 7, dtype=np.float64)
    m(x)
    a = x.numpy()
    assert_close(m.running_mean, 0.5 * a.mean(axis=2).mean(0), atol=1e-6)
    assert_close(m.running_var, 0.5 + 0.5 * a.var(axis=2, ddof=1).mean(0), atol=1e-6)
    m.eval()
    expected = (a - m.running_mean.numpy()[:, None]) / np.sqrt(m.running_var.numpy()[:, None] + 1e-5)
    assert_close(m(x), expected, atol=1e-6)


def test_instance_norm_gradients():
    x, w, b = rand64(2, 3, 4, seed=1), rand64(3, seed=2), rand64(3, seed=3)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert gradgradcheck(lambda x: F.instance_norm(x), (x,))
    rm, rv = morch.zeros(3, dtype=morch.float64), morch.ones(3, dtype=morch.float64) * 2
    assert gradcheck(lambda x, w: F.instance_norm(x, rm, rv, w, use_input_stats=False), (x, w))


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3.*expected 2D \(unbatched\) or 3D \(batched\) input"):
        nn.InstanceNorm1d(3)(morch.zeros(3))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        nn.InstanceNorm1d(3)(morch.zeros(4, 3, 1))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 5"):
        nn.InstanceNorm1d(3, affine=True)(morch.zeros(4, 5, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(3)(morch.randn(2, 4, 3, 3))


@requires_torch
@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (4, 3, 6)), ("InstanceNorm1d", (3, 6)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)), ("InstanceNorm2d", (3, 4, 5))])  # fmt: skip
@pytest.mark.parametrize("kw", [{}, dict(affine=True), dict(affine=True, track_running_stats=True, momentum=0.3)],
                         ids=str)  # fmt: skip
def test_instance_norm_matches_pytorch(cls, shape, kw):
    m, t = getattr(nn, cls)(3, **kw), getattr(torch.nn, cls)(3, **kw)
    assert repr(m) == repr(t)
    if kw.get("affine"):
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            t.bias.uniform_(-1, 1)
    copy_from_torch(m, t)
    same_outputs_and_grads(m, t, [randn(*shape, requires_grad=True)], atol=1e-5)
    for name, buf in t.named_buffers():
        assert_close(getattr(m, name), buf, atol=1e-6)
    m.eval(), t.eval()
    same_outputs_and_grads(m, t, [randn(*shape, requires_grad=True, seed=1)], atol=1e-5)


# ---------------------------------------------------------------- RMS norm and local response norm
def test_rms_norm_against_numpy_and_gradients():
    x = rand64(2, 3, 4, seed=4)
    a = x.detach().numpy()
    m = nn.RMSNorm((3, 4), eps=1e-3)
    expected = a / np.sqrt((a * a).mean(axis=(1, 2), keepdims=True) + 1e-3)
    assert_close(m(x), expected)
    assert_close(nn.RMSNorm(4, elementwise_affine=False)(x), a / np.sqrt((a * a).mean(-1, keepdims=True) + 2.0**-52))
    w = rand64(4, seed=5)
    assert gradcheck(lambda x, w: F.rms_norm(x, [4], w, 1e-5), (x, w))
    assert gradgradcheck(lambda x, w: F.rms_norm(x, (4,), w), (x, w))
    with pytest.raises(ValueError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but"):
        nn.RMSNorm(4)(morch.zeros(4, 5))
    with pytest.raises(TypeError, match="rms_norm: expected a floating-point input"):
        F.rms_norm(morch.tensor([[1, 2]]), 2)


def test_local_response_norm_against_numpy_and_gradients():
    x = rand64(2, 5, 3, seed=6)
    a = x.detach().numpy()
    size, alpha, beta, k = 3, 0.5, 0.75, 2.0
    sq = np.pad(a * a, ((0, 0), (1, 1), (0, 0)))
    mean = (sq[:, 0:5] + sq[:, 1:6] + sq[:, 2:7]) / size
    assert_close(F.local_response_norm(x, size, alpha, beta, k), a / (k + alpha * mean) ** beta)
    assert gradcheck(nn.LocalResponseNorm(2, 0.1, 0.6, 1.5), (rand64(2, 4, 2, 3, seed=7),))
    with pytest.raises(ValueError, match=r"LocalResponseNorm\(2, .*Expected 3D or higher dimensionality input"):
        nn.LocalResponseNorm(2)(morch.zeros(4, 5))


@requires_torch
def test_rms_norm_and_local_response_norm_match_pytorch():
    for args, kw in (((4,), {}), (((3, 4),), dict(eps=1e-3)), ((4,), dict(elementwise_affine=False))):
        m, t = nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw)
        assert repr(m) == repr(t)
        if m.weight is not None:
            with torch.no_grad():
                t.weight.uniform_(0.5, 1.5)
            copy_from_torch(m, t)
        same_outputs_and_grads(m, t, [randn(2, 3, 4, requires_grad=True)], atol=1e-5)
    for size, shape in ((3, (2, 5, 4)), (2, (2, 6, 3, 3)), (4, (1, 5, 2, 2, 3))):
        m, t = nn.LocalResponseNorm(size, 1e-2, 0.75, 1.0), torch.nn.LocalResponseNorm(size, 1e-2, 0.75, 1.0)
        assert repr(m) == repr(t)
        same_outputs_and_grads(m, t, [rand64(*shape, seed=size)], atol=1e-10)


# ---------------------------------------------------------------- pooling
def test_adaptive_max_pool1d_and_lp_pool_against_numpy():
    x = rand64(2, 3, 6, requires_grad=False, seed=8)
    a = x.numpy()
    assert_close(nn.AdaptiveMaxPool1d(3)(x), a.reshape(2, 3, 3, 2).max(-1))
    out, idx = F.adaptive_max_pool1d(x, 2, return_indices=True)
    assert_close(out, a.reshape(2, 3, 2, 3).max(-1))
    assert_close(idx, a.reshape(2, 3, 2, 3).argmax(-1) + [0, 3])
    assert tuple(F.adaptive_max_pool1d(x, 4).shape) == (2, 3, 4)  # uneven windows
    p = np.abs(a)
    assert_close(nn.LPPool1d(2, 3)(morch.tensor(p)), np.sqrt((p.reshape(2, 3, 2, 3) ** 2).sum(-1)))
    y = rand64(1, 2, 4, 4, requires_grad=False, seed=9).abs()
    ya = y.numpy().reshape(1, 2, 2, 2, 2, 2)
    assert_close(F.lp_pool2d(y, 3.0, 2), (ya**3).sum(axis=(3, 5)) ** (1 / 3))
    assert_close(F.lp_pool2d(y, float("inf"), 2), ya.max(axis=(3, 5)))


def test_pooling_gradients_and_errors():
    x = (rand64(2, 2, 6, seed=10).abs() + 0.1).detach().requires_grad_()
    assert gradcheck(nn.LPPool1d(2, 3, stride=2), (x,))
    assert gradcheck(nn.LPPool2d(1.5, (2, 3)), ((rand64(1, 2, 4, 6, seed=11).abs() + 0.1).detach().requires_grad_(),))
    assert gradcheck(nn.AdaptiveMaxPool1d(4), (rand64(2, 2, 7, seed=12),))
    with pytest.raises(ValueError, match=r"adaptive_max_pool1d: expected input of shape \(N, C, L\) or \(C, L\)"):
        nn.AdaptiveMaxPool1d(2)(morch.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match="lp_pool1d: expected input of shape"):
        F.lp_pool1d(morch.zeros(4), 2, 2)


@requires_torch
def test_pooling_layers_match_pytorch():
    pos = (rand64(2, 3, 8, 7, seed=13).abs() + 0.1).detach().requires_grad_()
    cases = [
        (nn.AdaptiveMaxPool1d(3), torch.nn.AdaptiveMaxPool1d(3), rand64(2, 3, 9, seed=14)),
        (nn.AdaptiveMaxPool1d(4), torch.nn.AdaptiveMaxPool1d(4), rand64(3, 10, seed=15)),
        (nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3), rand64(2, 3, 8, seed=16)),
        (nn.LPPool1d(3.0, 2, stride=1, ceil_mode=True), torch.nn.LPPool1d(3.0, 2, stride=1, ceil_mode=True),
         pos[0]),
        (nn.LPPool2d(2, (2, 3), stride=(1, 2)), torch.nn.LPPool2d(2, (2, 3), stride=(1, 2)), pos),
        (nn.LPPool2d(1.5, 2, ceil_mode=True), torch.nn.LPPool2d(1.5, 2, ceil_mode=True), pos),
        (nn.LPPool2d(float("inf"), 2), torch.nn.LPPool2d(float("inf"), 2), pos),
    ]  # fmt: skip
    for m, t, x in cases:
        assert repr(m) == repr(t)
        x = x.detach().requires_grad_()
        same_outputs_and_grads(m, t, [x], atol=1e-10)
    out, idx = F.adaptive_max_pool1d(pos[0], 2, True)
    tout, tidx = torch.nn.functional.adaptive_max_pool1d(torch.tensor(pos[0].detach().numpy()), 2, True)
    assert_close(out, tout) and np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


# ---------------------------------------------------------------- Softmax2d and alpha dropout
def test_softmax2d():
    x = rand64(2, 3, 4, 5, seed=17)
    a = x.detach().numpy()
    assert_close(nn.Softmax2d()(x), np.exp(a) / np.exp(a).sum(1, keepdims=True))
    assert gradcheck(nn.Softmax2d(), (rand64(3, 2, 2, seed=18),))
    with pytest.raises(ValueError, match=r"Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(morch.zeros(2, 3))


@requires_torch
def test_softmax2d_matches_pytorch():
    m, t = nn.Softmax2d(), torch.nn.Softmax2d()
    assert repr(m) == repr(t)
    same_outputs_and_grads(m, t, [rand64(2, 3, 4, 5, seed=19)], atol=1e-12)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    morch.manual_seed(0)
    x = morch.randn(200_000)
    for p in (0.2, 0.5):
        y = F.alpha_dropout(x, p, training=True).numpy()
        assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.02, (p, y.mean(), y.var())
        a = 1 / np.sqrt((1.7580993408473766**2 * p + 1) * (1 - p))
        dropped = np.isclose(y, 1.7580993408473766 * a * (p - 1), atol=1e-6)  # all drop to one value
        assert abs(dropped.mean() - p) < 0.01
    m = nn.AlphaDropout(0.3)
    assert repr(m) == "AlphaDropout(p=0.3, inplace=False)"
    m.eval()
    assert m(x) is x and F.alpha_dropout(x, 0.5) is x  # training defaults to False, as PyTorch's
    assert (F.alpha_dropout(x, 1.0, True).numpy() == 0).all()


def test_feature_alpha_dropout_drops_whole_channels():
    morch.manual_seed(1)
    x = morch.randn(50, 8, 3, 3)
    y = nn.FeatureAlphaDropout(0.5)(x).numpy()
    a = 1 / np.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    dropped_value = a * (-1.7580993408473766) + 1.7580993408473766 * a * 0.5
    dropped = np.isclose(y, dropped_value, atol=1e-5).all(axis=(2, 3))
    kept = np.isclose(y, a * x.numpy() + 1.7580993408473766 * a * 0.5, atol=1e-5).all(axis=(2, 3))
    assert (dropped | kept).all() and 0.3 < dropped.mean() < 0.7
    xg = rand64(4, 3, 2)
    F.feature_alpha_dropout(xg, 0.5, True).sum().backward()
    assert set(np.unique(np.round(xg.grad.numpy(), 6))) <= {0.0, round(a, 6)}
    with pytest.raises(ValueError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(morch.zeros(3), 0.5, True)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.AlphaDropout(1.5)


@requires_torch
def test_alpha_dropout_reprs_and_eval_match_pytorch():
    for name in ("AlphaDropout", "FeatureAlphaDropout"):
        m, t = getattr(nn, name)(0.2), getattr(torch.nn, name)(0.2)
        assert repr(m) == repr(t)
        m.eval(), t.eval()
        same_outputs_and_grads(m, t, [rand64(2, 3, 4)], atol=0)


def test_new_layers_in_a_static_graph_match_eager():
    from morch.static import Placeholder, SessionRun

    net = nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(4, 8, 3), nn.InstanceNorm2d(8, affine=True), nn.PixelShuffle(2),
        nn.ChannelShuffle(2), nn.LocalResponseNorm(2), nn.LPPool2d(2, 2), nn.Softmax2d(), nn.Flatten(),
        nn.RMSNorm(32), nn.AdaptiveMaxPool1d(5),
    )  # fmt: skip
    x, y = Placeholder(), Placeholder()
    loss = F.soft_margin_loss(net(x), y) + F.multi_margin_loss(net(x), morch.tensor([1, 2]))
    for seed in range(2):  # a second run with new values must not replay stale constants
        xv = morch.randn(2, 4, 4, 4, generator=morch.Generator().manual_seed(seed))
        yv = morch.randn(2, 5, generator=morch.Generator().manual_seed(seed + 5)).sign()
        static = SessionRun(loss, {x: xv, y: yv})
        eager = F.soft_margin_loss(net(xv), yv) + F.multi_margin_loss(net(xv), morch.tensor([1, 2]))
        assert_close(static, eager, atol=1e-6)
