"""EmbeddingBag / F.embedding_bag: every mode, offsets and 2-d input, padding_idx, per-sample
weights, include_last_offset; values and weight gradients against torch; errors."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.nn import functional as F

W = np.random.default_rng(0).standard_normal((10, 3))
CASES = [
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 4, 4], mode="sum"),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 4, 4], mode="mean", padding_idx=2),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 3, 8], mode="max", include_last_offset=True),
    dict(input=[[1, 2, 0], [4, 4, 9]], mode="mean"),
    dict(input=[[1, 2, 0], [4, 4, 9]], mode="max", padding_idx=4),
    dict(input=[1, 2, 4, 5], offsets=[0, 1], mode="sum", per_sample_weights=[1.0, 2.0, 0.5, 0.1]),
]


def _run(lib, case):
    w = lib.tensor(W, requires_grad=True)
    kw = dict(case)
    ids = lib.tensor(kw.pop("input"))
    offsets = lib.tensor(kw.pop("offsets")) if "offsets" in kw else None
    if "per_sample_weights" in kw:
        kw["per_sample_weights"] = lib.tensor(kw["per_sample_weights"], dtype=lib.float64)
    out = lib.nn.functional.embedding_bag(ids, w, offsets, **kw)
    (out * lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape)).sum().backward()
    return out.detach().numpy(), w.grad.numpy()


@requires_torch
@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case):
    for a, b in zip(_run(morch, case), _run(torch, case)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_by_hand_gradcheck_and_module():
    w = morch.tensor(W, requires_grad=True)
    out = F.embedding_bag(morch.tensor([[1, 2], [3, 3]]), w, mode="sum")
    np.testing.assert_allclose(out.detach().numpy(), [W[1] + W[2], 2 * W[3]])
    assert morch.autograd.gradcheck(
        lambda t: F.embedding_bag(morch.tensor([0, 5, 5, 7]), t, morch.tensor([0, 2]), mode="mean"), (w,)
    )
    bag = nn.EmbeddingBag(10, 4, mode="sum", padding_idx=0)
    assert bag.weight[0].abs().sum().item() == 0 and bag(morch.tensor([[0, 1]])).shape == (1, 4)
    assert str(bag) == "EmbeddingBag(10, 4, mode='sum', padding_idx=0)"


def test_errors():
    w = morch.tensor(W)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(morch.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(morch.tensor([1, 2]), w, morch.tensor([1]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(morch.tensor([[1, 2]]), w, per_sample_weights=morch.ones(1, 2), mode="mean")
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(morch.tensor([[1, 2]]), w, mode="median")
