"""Lazy layers: sizes inferred at the first call, parameters materialized in place (an optimizer
built before still holds them), the module becoming the regular layer; reprs as PyTorch's."""

from __future__ import annotations

import numpy as np

import morch
from helpers import requires_torch, torch
from morch import nn


def test_lazy_linear_materializes_in_place_and_becomes_linear():
    morch.manual_seed(0)
    lin = nn.LazyLinear(4)
    weight = lin.weight
    assert isinstance(weight, nn.UninitializedParameter) and lin.has_uninitialized_params()
    opt = morch.optim.SGD(lin.parameters(), lr=0.1)
    x = morch.randn(2, 7)
    lin(x).sum().backward()
    assert type(lin) is nn.Linear and lin.in_features == 7 and lin.weight is weight
    assert type(weight) is nn.Parameter and weight.shape == (4, 7)
    bound = 1 / np.sqrt(7)  # Linear's own initialisation
    assert np.abs(weight.detach().numpy()).max() <= bound
    before = weight.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(weight.detach().numpy(), before - 0.1 * weight.grad.numpy(), rtol=1e-6)
    assert set(lin.state_dict()) == {"weight", "bias"}


def test_lazy_conv_and_batchnorm():
    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    assert net(morch.randn(2, 3, 5, 5)).shape == (2, 2)
    assert [type(m).__name__ for m in net] == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear"]
    assert net[0].weight.shape == (4, 3, 3, 3) and net[1].running_mean.shape == (4,) and net[4].in_features == 36
    c1 = nn.LazyConv1d(2, 3, bias=False)
    assert c1(morch.randn(5, 9)).shape == (2, 7) and c1.bias is None and c1.in_channels == 5  # unbatched
    bn = nn.LazyBatchNorm1d(affine=False)
    assert bn(morch.randn(8, 3)).shape == (8, 3) and bn.weight is None


@requires_torch
def test_reprs_match_torch():
    assert str(nn.LazyLinear(4)) == str(torch.nn.LazyLinear(4))
    assert str(nn.LazyConv2d(5, 3, stride=2)) == str(torch.nn.LazyConv2d(5, 3, stride=2))
    m, t = nn.LazyConv2d(5, 3), torch.nn.LazyConv2d(5, 3)
    m(morch.randn(1, 2, 6, 6))
    t(torch.randn(1, 2, 6, 6))
    assert str(m) == str(t)
