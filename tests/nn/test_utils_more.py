"""nn.utils fusion (conv/linear + BatchNorm), clip_grads_with_norm_, the deprecated clip_grad_norm,
init.sparse_ and the deprecated init names, and data.StackDataset."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn


def _fused(L):
    L.manual_seed(0)
    out = []
    for conv, bn, x in (
        (L.nn.Conv2d(2, 3, 3), L.nn.BatchNorm2d(3), L.ones(1, 2, 5, 5)),
        (L.nn.ConvTranspose2d(2, 3, 3), L.nn.BatchNorm2d(3), L.ones(1, 2, 4, 4)),
        (L.nn.Linear(4, 3), L.nn.BatchNorm1d(3), L.ones(2, 4)),
    ):
        with L.no_grad():
            bn.running_mean.copy_(L.tensor([0.1, -0.2, 0.3]))
            bn.running_var.copy_(L.tensor([1.5, 0.5, 2.0]))
            bn.weight.copy_(L.tensor([1.2, 0.8, 1.0]))
            bn.bias.copy_(L.tensor([0.0, 0.1, -0.1]))
        conv.eval()
        bn.eval()
        u = L.nn.utils
        if isinstance(conv, L.nn.Linear):
            fused = u.fuse_linear_bn_eval(conv, bn)
        else:
            fused = u.fuse_conv_bn_eval(conv, bn, transpose=isinstance(conv, L.nn.ConvTranspose2d))
        with L.no_grad():
            out.append((fused(x) - bn(conv(x))).abs().max().item())
    return out


def test_fusion_keeps_the_function():
    assert max(_fused(morch)) < 1e-5
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1))


def test_clip_grads_with_norm_and_deprecated_names():
    p = nn.Parameter(morch.tensor([3.0, 4.0]))
    p.grad = morch.tensor([3.0, 4.0])
    total = nn.utils.get_total_norm([p.grad])
    nn.utils.clip_grads_with_norm_([p], 1.0, total)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        nn.utils.clip_grad_norm([p], 10.0)
    with pytest.warns(FutureWarning, match="nn.init.normal` is now deprecated"):
        nn.init.normal(morch.empty(2, 2))
    morch.manual_seed(0)
    w = nn.init.sparse_(morch.empty(10, 4), sparsity=0.3)
    assert ((w == 0).sum(0) >= 3).all() and w.abs().max().item() < 0.1
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.sparse_(morch.empty(2, 2, 2), 0.5)


def test_stack_dataset():
    a, b = morch.utils.data.TensorDataset(morch.arange(3)), morch.utils.data.TensorDataset(morch.arange(3) * 10)
    pairs = morch.utils.data.StackDataset(a, b)
    assert len(pairs) == 3 and pairs[1][1][0].item() == 10
    named = morch.utils.data.StackDataset(x=a, y=b)
    assert set(named[2]) == {"x", "y"}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        morch.utils.data.StackDataset(a, morch.utils.data.TensorDataset(morch.arange(4)))


@requires_torch
def test_fusion_matches_torch_error_size():
    assert np.allclose(_fused(morch), _fused(torch), atol=1e-5)


def test_distributed_sampler_splits_the_dataset():
    data = morch.utils.data
    ds = data.TensorDataset(morch.arange(10))
    parts = [list(data.DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert parts == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded with the first indices, as PyTorch
    assert list(data.DistributedSampler(ds, 3, 0, shuffle=False, drop_last=True)) == [0, 3, 6]
    a, b = data.DistributedSampler(ds, 2, 0), data.DistributedSampler(ds, 2, 1)
    assert sorted(list(a) + list(b)) == list(range(10))
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first and len(a) == 5
    loader = data.DataLoader(ds, batch_size=2, sampler=b)
    assert sum(len(x[0]) for x in loader) == 5
    with pytest.raises(RuntimeError, match="pass num_replicas and rank"):
        data.DistributedSampler(ds)


@requires_torch
def test_distributed_sampler_unshuffled_matches_torch():
    from torch.utils.data import DistributedSampler as TorchSampler

    for n, replicas, drop in [(10, 3, False), (10, 3, True), (7, 2, False), (8, 4, True)]:
        for rank in range(replicas):
            ours = list(morch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop))
            theirs = list(TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop))
            assert ours == theirs, (n, replicas, rank, drop)
