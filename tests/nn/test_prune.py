"""nn.utils.prune (masks, iterative pruning, structured, global, remove) against torch, and DataParallel."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.nn.utils import prune

W = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
W2 = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)


def _prune_steps(L, P):
    lin, lin2 = L.nn.Linear(5, 4), L.nn.Linear(4, 2)
    with L.no_grad():
        lin.weight.copy_(L.tensor(W))
        lin2.weight.copy_(L.tensor(W2))
    P.l1_unstructured(lin, "weight", amount=0.3)
    P.l1_unstructured(lin, "weight", amount=3)  # among the weights still kept
    P.ln_structured(lin, "weight", amount=1, n=2, dim=0)
    P.l1_unstructured(lin, "bias", amount=1, importance_scores=L.tensor([3.0, 1.0, 2.0, 4.0]))
    P.global_unstructured([(lin2, "weight")], pruning_method=P.L1Unstructured, amount=3)
    masks = [lin.weight_mask.numpy().copy(), lin.bias_mask.numpy().copy(), lin2.weight_mask.numpy().copy()]
    (lin(L.ones(1, 5)).sum() + lin2(L.ones(1, 4)).sum()).backward()
    grads = [lin.weight_orig.grad.numpy().copy()]
    P.remove(lin, "weight")
    return masks + grads + [lin.weight.detach().numpy().copy(), np.array(sorted(lin.state_dict()))]


def test_pruning_by_hand():
    out = _prune_steps(morch, prune)
    weight_mask, bias_mask, _, grad, final, keys = out
    assert weight_mask.sum() == 10 and bias_mask.tolist() == [1.0, 0.0, 1.0, 1.0]
    assert np.all(grad[weight_mask == 0] == 0)  # pruned weights get no gradient
    np.testing.assert_array_equal(final, W * weight_mask)
    assert list(keys) == ["bias_mask", "bias_orig", "weight"]
    lin = nn.Linear(3, 3)
    assert not prune.is_pruned(lin)
    prune.random_unstructured(lin, "weight", amount=4)
    assert prune.is_pruned(lin) and (lin.weight == 0).sum().item() == 4
    with pytest.raises(ValueError, match="amount=1.5 should either be a float in the range \\[0, 1\\]"):
        prune.l1_unstructured(lin, "weight", amount=1.5)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(lin, "bias")


@requires_torch
def test_matches_torch():
    import torch.nn.utils.prune as tprune

    for a, b in zip(_prune_steps(morch, prune), _prune_steps(torch, tprune)):
        np.testing.assert_array_equal(a, b)


def test_data_parallel_is_a_transparent_wrapper():
    inner = nn.Linear(2, 3)
    dp = nn.DataParallel(inner)
    assert dp.module is inner and list(dp.state_dict()) == ["module.weight", "module.bias"]
    x = morch.ones(4, 2)
    assert morch.equal(dp(x), inner(x))
    with pytest.raises(RuntimeError, match="morch has no GPUs"):
        nn.DataParallel(inner, device_ids=[0])
