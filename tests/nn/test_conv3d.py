"""conv3d / max_pool3d / avg_pool3d and their layers: values and gradients against torch, finite
differences, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.nn import functional as F

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # torch's own

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 4, 6, 7, 5))
W = RNG.standard_normal((6, 2, 3, 2, 3))
B = RNG.standard_normal(6)

CALLS = {
    "conv_groups": lambda f, L, x, w: f.conv3d(
        x, w, L.tensor(B), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2
    ),
    "conv_same": lambda f, L, x, w: f.conv3d(x[:, :2], w[:, :, :, :, :1], padding="same"),
    "conv_unbatched": lambda f, L, x, w: f.conv3d(x[0, :2], w[:, :, :2, :2, :2]),
    "max_pool": lambda f, L, x, w: f.max_pool3d(x, 2, stride=(1, 2, 2), padding=1),
    "max_pool_dilated": lambda f, L, x, w: f.max_pool3d(x, 2, dilation=2),
    "avg_pool": lambda f, L, x, w: f.avg_pool3d(x, 3, stride=2, padding=1),
    "avg_pool_exclude_pad": lambda f, L, x, w: f.avg_pool3d(x, 3, stride=2, padding=1, count_include_pad=False),
    "avg_pool_divisor": lambda f, L, x, w: f.avg_pool3d(x, 2, divisor_override=3),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_torch(name):
    results = []
    for L in (morch, torch):
        x, w = L.tensor(X, requires_grad=True), L.tensor(W, requires_grad=True)
        out = CALLS[name](L.nn.functional, L, x, w)
        (out * out).sum().backward()
        results.append([out.detach().numpy(), x.grad.numpy(), None if w.grad is None else w.grad.numpy()])
    for a, b in zip(*results):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradients_by_finite_differences():
    x = morch.tensor(X[:1, :2, :3, :4, :3], requires_grad=True)
    w = morch.tensor(W[:2, :, :2, :2, :2], requires_grad=True)
    assert morch.autograd.gradcheck(lambda a, b: F.conv3d(a, b, stride=1, padding=1), (x, w))
    assert morch.autograd.gradgradcheck(lambda a, b: F.conv3d(a, b), (x, w))
    assert morch.autograd.gradcheck(lambda a: F.avg_pool3d(a, 2, stride=1, padding=1, count_include_pad=False), (x,))


def test_layers_and_errors():
    conv = nn.Conv3d(2, 3, 2, bias=False)
    assert conv.weight.shape == (3, 2, 2, 2, 2) and conv(morch.randn(1, 2, 3, 3, 3)).shape == (1, 3, 2, 2, 2)
    assert nn.MaxPool3d(2)(morch.randn(2, 4, 4, 4)).shape == (2, 2, 2, 2)
    assert nn.AvgPool3d(2, stride=1)(morch.randn(1, 1, 3, 3, 3)).shape == (1, 1, 2, 2, 2)
    with pytest.raises(Exception, match="conv3d: input with 3 channels does not fit weight"):
        F.conv3d(morch.randn(1, 3, 4, 4, 4), morch.randn(2, 2, 1, 1, 1))
    with pytest.raises(Exception, match="expected 4-D \\(C, D, H, W\\) or 5-D"):
        F.max_pool3d(morch.randn(4, 4, 4), 2)
    x = morch.randn(1, 1, 5, 5, 5)
    assert F.max_pool3d(x, 2, ceil_mode=True).shape == (1, 1, 3, 3, 3)  # the ceil-mode path in threed.py
    with pytest.raises(Exception, match="is larger than the padded input"):
        F.conv3d(morch.randn(1, 1, 2, 2, 2), morch.randn(1, 1, 3, 3, 3))


@requires_torch
def test_reprs_match_torch():
    for args, kw in [((2, 4, 3), {"padding": 1}), ((2, 4, (1, 2, 3)), {"stride": 2, "bias": False, "groups": 2})]:
        assert str(nn.Conv3d(*args, **kw)) == str(torch.nn.Conv3d(*args, **kw))
    assert str(nn.MaxPool3d(3, 2, 1)) == str(torch.nn.MaxPool3d(3, 2, 1))
    assert str(nn.AvgPool3d(2)) == str(torch.nn.AvgPool3d(2))
