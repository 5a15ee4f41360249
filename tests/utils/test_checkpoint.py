"""morch.utils.checkpoint: the same values and gradients as running the block normally, with
dropout repeated in the recomputation; compared with torch's reentrant checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import nn
from morch.utils.checkpoint import checkpoint, checkpoint_sequential


def _block(lib, seed=0):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 4)).double()


def _grads(model, x, use_checkpoint, lib=morch, ckpt=checkpoint):
    model.zero_grad()
    x = x.detach().requires_grad_(True)
    h = ckpt(model, x, use_reentrant=True) if use_checkpoint else model(x)
    (h * h).sum().backward()
    return [h.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


def test_checkpoint_gives_the_same_values_and_gradients():
    model = _block(morch)
    x = morch.randn(3, 4, dtype=morch.float64)
    for a, b in zip(_grads(model, x, False), _grads(model, x, True)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_dropout_draws_the_same_mask_when_recomputed():
    drop = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5)).double()
    x = morch.randn(5, 6, dtype=morch.float64, requires_grad=True)
    morch.manual_seed(3)
    out = checkpoint(drop, x, use_reentrant=True)
    out.sum().backward()
    mask = (out.detach().numpy() != 0).astype(float)
    w = drop[0].weight.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), (mask * 2.0) @ w)  # the gradient saw the forward's mask


def test_checkpoint_sequential_and_no_grad():
    model = nn.Sequential(*[nn.Linear(3, 3).double() for _ in range(4)])
    x = morch.randn(2, 3, dtype=morch.float64, requires_grad=True)
    ref = model(x).sum()
    ref.backward()
    expected = x.grad.numpy().copy()
    x.grad = None
    checkpoint_sequential(model, 2, x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    with morch.no_grad():
        assert checkpoint(model, x).grad_fn is None
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        checkpoint(model, morch.ones(1, 3, dtype=morch.float64))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(model, x, scale=2)


@requires_torch
def test_checkpoint_matches_pytorch():
    import torch.utils.checkpoint as tc

    tm, mm = _block(torch), _block(morch)
    mm.load_state_dict({k: morch.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4))
    ours = _grads(mm, morch.tensor(x), True)
    theirs = _grads(tm, torch.tensor(x), True, torch, tc.checkpoint)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_non_reentrant_form_reaches_parameters_and_works_with_grad():
    model = _block(morch)
    x = morch.randn(3, 4, dtype=morch.float64)  # needs no gradient: parameters must still get theirs
    ref = _grads(model, x, False)
    model.zero_grad()
    out = checkpoint(model, x, use_reentrant=False)
    (out * out).sum().backward()
    for a, b in zip(ref[2:], [p.grad.numpy() for p in model.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    params = list(model.parameters())
    out = checkpoint(model, x, use_reentrant=False)
    grads = morch.autograd.grad((out * out).sum(), params)
    for a, b in zip(ref[2:], grads):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12)
    w = morch.ones(4, dtype=morch.float64, requires_grad=True)
    y = checkpoint(lambda a, scale: a * w * scale, x, use_reentrant=False, scale=2.0)  # a plain function: runs normally
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * x.numpy().sum(0))
    seq = nn.Sequential(*[nn.Linear(4, 4).double() for _ in range(4)])
    checkpoint_sequential(seq, 2, x, use_reentrant=False).sum().backward()
    assert all(p.grad is not None for p in seq.parameters())


@requires_torch
def test_non_reentrant_matches_pytorch():
    import torch.utils.checkpoint as tc

    tm, mm = _block(torch), _block(morch)
    mm.load_state_dict({k: morch.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 4))
    for lib, m, ck in ((morch, mm, checkpoint), (torch, tm, tc.checkpoint)):
        out = ck(m, lib.tensor(x), use_reentrant=False)
        (out**2).sum().backward()
    for a, b in zip(mm.parameters(), tm.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
