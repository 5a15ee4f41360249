"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm and their functional twins."""

from __future__ import annotations

import numpy as np
import pytest

import morch
import morch.nn as nn
import morch.nn.functional as F
from helpers import assert_close, rand64, requires_torch, torch
from morch.autograd import gradcheck, gradgradcheck

from .common import copy_from_torch, randn, same_outputs_and_grads


def test_batch_norm_training_normalises_with_batch_statistics_and_updates_running_ones():
    bn = nn.BatchNorm2d(3, momentum=0.25)
    x = randn(4, 3, 5, 5) * 2 + 1
    y = bn(x).detach().numpy()
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)
    xa = x.numpy()
    n = xa.size // 3
    assert_close(bn.running_mean, 0.25 * xa.mean(axis=(0, 2, 3)), atol=1e-6)
    assert_close(bn.running_var, 0.75 + 0.25 * xa.var(axis=(0, 2, 3)) * n / (n - 1), atol=1e-5)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == morch.int64


def test_batch_norm_eval_uses_running_statistics():
    bn = nn.BatchNorm1d(2)
    bn.running_mean.copy_(morch.tensor([1.0, -1.0]))
    bn.running_var.copy_(morch.tensor([4.0, 0.25]))
    with morch.no_grad():
        bn.weight.copy_(morch.tensor([2.0, 1.0]))
        bn.bias.copy_(morch.tensor([0.5, 0.0]))
    bn.eval()
    x = morch.tensor([[3.0, 0.0], [1.0, -1.5]])
    expected = (x.numpy() - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0.0]
    assert_close(bn(x), expected, atol=1e-6)
    assert bn.num_batches_tracked.item() == 0  # eval mode changes no statistics
    assert_close(bn.running_mean, [1.0, -1.0])


def test_batch_norm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [randn(6, 2, seed=s) for s in range(3)]
    for x in xs:
        bn(x)
    assert_close(bn.running_mean, np.mean([x.numpy().mean(0) for x in xs], axis=0), atol=1e-6)
    assert bn.num_batches_tracked.item() == 3


def test_batch_norm_without_running_stats_or_affine():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == []
    x = randn(5, 3, 4)
    bn.eval()  # still batch statistics: there are no running ones
    y = bn(x).detach().numpy()
    assert np.allclose(y.mean(axis=(0, 2)), 0, atol=1e-5)
    nb = nn.BatchNorm2d(2, bias=False)
    assert nb.bias is None and nb.weight is not None
    nb(randn(2, 2, 3, 3)).sum().backward()
    assert nb.weight.grad.shape == (2,)


def test_batch_norm_gradients_against_finite_differences():
    x, w, b = rand64(4, 3, 2, seed=1), rand64(3, seed=2), rand64(3, seed=3)
    rm, rv = morch.zeros(3, dtype=morch.float64), morch.ones(3, dtype=morch.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (rand64(5, 2),))


@requires_torch
@pytest.mark.parametrize(
    "cls,shape,kw",
    [
        ("BatchNorm1d", (8, 4), {}),
        ("BatchNorm1d", (6, 4, 5), dict(momentum=0.3, eps=1e-3)),
        ("BatchNorm2d", (4, 4, 5, 6), {}),
        ("BatchNorm2d", (4, 4, 3, 3), dict(affine=False)),
        ("BatchNorm2d", (4, 4, 3, 3), dict(momentum=None)),
        ("BatchNorm3d", (2, 4, 3, 3, 2), {}),
    ],
    ids=str,
)
def test_batch_norm_matches_pytorch_in_training_and_eval(cls, shape, kw):
    tb, mb = getattr(torch.nn, cls)(4, **kw), getattr(nn, cls)(4, **kw)
    with torch.no_grad():
        if tb.weight is not None:
            tb.weight.uniform_(0.5, 1.5)
            tb.bias.uniform_(-0.5, 0.5)
    copy_from_torch(mb, tb)
    for step in range(2):
        x = morch.tensor(randn(*shape, seed=step).numpy() * 3 + 1, requires_grad=True)
        same_outputs_and_grads(mb, tb, [x], atol=1e-4)
        mb.zero_grad()
        tb.zero_grad()
    for name, buf in tb.named_buffers():
        assert_close(mb.get_buffer(name), buf, atol=1e-5)
    mb.eval(), tb.eval()
    same_outputs_and_grads(mb, tb, [randn(*shape, requires_grad=True, seed=7)], atol=1e-4)


def test_batch_norm_errors_name_the_layer_and_shapes():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3, .*expected 4D input \(N, C, H, W\) with C = 3, got shape "):
        bn(morch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"has 3 elements but the input \(shape \(2, 4, 5, 5\)\) has 4 channels"):
        bn(morch.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(morch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(morch.zeros(2, 3, 4, 5))


def test_batch_norm_state_dict_without_counter_still_loads():
    bn = nn.BatchNorm1d(2)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]  # checkpoints from before the counter existed, as PyTorch accepts them
    assert bn.load_state_dict(sd).missing_keys == []


def test_layer_norm_forward_and_gradients():
    ln = nn.LayerNorm(4)
    x = randn(3, 5, 4)
    xa = x.numpy()
    expected = (xa - xa.mean(-1, keepdims=True)) / np.sqrt(xa.var(-1, keepdims=True) + 1e-5)
    assert_close(ln(x), expected, atol=1e-5)
    x, w, b = rand64(2, 3, 4, seed=1), rand64(3, 4, seed=2), rand64(3, 4, seed=3)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w[0], b[0]), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, [4]), (x,))


@requires_torch
@pytest.mark.parametrize(
    "shape,kw",
    [((4,), {}), ((3, 4), dict(eps=1e-3)), ((4,), dict(bias=False)), ((4,), dict(elementwise_affine=False))],
    ids=str,
)  # fmt: skip
def test_layer_norm_matches_pytorch(shape, kw):
    tl, ml = torch.nn.LayerNorm(shape, **kw), nn.LayerNorm(shape, **kw)
    with torch.no_grad():
        for p in tl.parameters():
            p.uniform_(-1, 1)
    copy_from_torch(ml, tl)
    same_outputs_and_grads(ml, tl, [randn(2, 5, 3, 4, requires_grad=True)], atol=1e-4)


def test_layer_norm_checks_the_shape():
    with pytest.raises(ValueError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\]"):
        nn.LayerNorm(5)(morch.zeros(2, 4))


@requires_torch
def test_group_norm_matches_pytorch():
    tg, mg = torch.nn.GroupNorm(2, 6), nn.GroupNorm(2, 6)
    with torch.no_grad():
        tg.weight.uniform_(0.5, 1.5)
        tg.bias.uniform_(-1, 1)
    copy_from_torch(mg, tg)
    same_outputs_and_grads(mg, tg, [randn(3, 6, 4, 5, requires_grad=True)], atol=1e-4)
    with pytest.raises(ValueError, match="expected input"):
        mg(morch.zeros(2, 4, 3))


def test_group_norm_gradients():
    x, w, b = rand64(2, 4, 3, seed=1), rand64(4, seed=2), rand64(4, seed=3)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
