"""morch.nn.utils: gradient clipping and parameters as one vector."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morch
import morch.nn as nn
from helpers import assert_close, requires_torch, torch
from morch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def _params_with_grads(lib, grads):
    ps = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(*g.shape))
        p.grad = lib.tensor(g.copy())
        ps.append(p)
    return ps


GRADS = [np.array([[3.0, -4.0], [0.5, 2.0]], dtype=np.float32), np.array([12.0, -1.0], dtype=np.float32)]


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_old_norm():
    ps = _params_with_grads(morch, GRADS)
    total = math.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in GRADS))
    out = clip_grad_norm_(ps, 2.0)
    assert abs(out.item() - total) < 1e-4
    new = math.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in ps))
    assert abs(new - 2.0) < 1e-4
    ps = _params_with_grads(morch, GRADS)
    clip_grad_norm_(ps, 100.0)  # under the limit: untouched
    assert np.array_equal(ps[0].grad.numpy(), GRADS[0])
    inf_norm = clip_grad_norm_(_params_with_grads(morch, GRADS), 1.0, norm_type=float("inf"))
    assert inf_norm.item() == 12.0


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_matches_pytorch(norm_type):
    mp, tp = _params_with_grads(morch, GRADS), _params_with_grads(torch, GRADS)
    assert_close(clip_grad_norm_(mp, 1.5, norm_type), torch.nn.utils.clip_grad_norm_(tp, 1.5, norm_type), atol=1e-5)
    for a, b in zip(mp, tp):
        assert_close(a.grad, b.grad, atol=1e-6)


def test_clip_grad_norm_nonfinite_and_single_tensor():
    p = nn.Parameter(morch.zeros(2))
    p.grad = morch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = nn.Parameter(morch.zeros(2))
    q.grad = morch.tensor([3.0, 4.0])
    clip_grad_norm_(q, 1.0)
    assert_close(q.grad, [0.6, 0.8], atol=1e-5)
    assert clip_grad_norm_([nn.Parameter(morch.zeros(1))], 1.0).item() == 0.0  # no gradients at all


def test_clip_grad_value_clamps_in_place():
    ps = _params_with_grads(morch, GRADS)
    g = ps[0].grad
    assert clip_grad_value_(ps, 2.5) is None
    assert ps[0].grad is g
    assert ps[0].grad.numpy().tolist() == [[2.5, -2.5], [0.5, 2.0]] and ps[1].grad.numpy().tolist() == [2.5, -1.0]


def test_parameters_to_vector_and_back():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(net.parameters())
    assert vec.shape == (11,)
    assert_close(vec[:6], net[0].weight.detach().numpy().ravel())
    w = net[0].weight
    vector_to_parameters(morch.arange(11, dtype=morch.float32), net.parameters())
    assert net[0].weight is w and w[0, 0].item() == 0.0 and net[1].bias.item() == 10.0
    with pytest.raises(ValueError, match="1-D vector of 11 elements"):
        vector_to_parameters(morch.zeros(3), net.parameters())
    (parameters_to_vector(net.parameters()) ** 2).sum().backward()  # differentiable
    assert_close(net[1].bias.grad, [20.0])
