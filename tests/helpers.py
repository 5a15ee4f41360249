"""Shared test helpers: optional PyTorch, float64 random inputs, comparisons."""

from __future__ import annotations

import numpy as np
import pytest

import morch

try:  # PyTorch is only used to compare against; tests that need it skip without it
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def rand64(*shape, requires_grad: bool = True, low: float = -1.0, high: float = 1.0, seed: int | None = None):
    """A float64 morch tensor of uniform values (the dtype gradcheck wants)."""
    rng = np.random.default_rng(seed)
    return morch.tensor(rng.uniform(low, high, shape), dtype=morch.float64, requires_grad=requires_grad)


def positive64(*shape, requires_grad: bool = True, seed: int | None = None):
    return rand64(*shape, requires_grad=requires_grad, low=0.5, high=2.0, seed=seed)


def assert_close(actual, expected, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Compare morch tensors, torch tensors, arrays or numbers."""
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=atol, rtol=rtol)


def to_numpy(x):
    if isinstance(x, morch.Tensor):
        return x.detach().numpy()
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_torch(t: morch.Tensor, requires_grad: bool | None = None):
    """The same values as a torch tensor (a leaf, requiring grad like ``t`` unless told)."""
    rg = t.requires_grad if requires_grad is None else requires_grad
    return torch.tensor(t.detach().numpy().copy(), requires_grad=rg)


def compare_with_torch(morch_fn, torch_fn, *inputs, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Run both frameworks on the same inputs; compare outputs and the gradients of out.sum()-like seeds."""
    m_in = list(inputs)
    t_in = [to_torch(t) if isinstance(t, morch.Tensor) else t for t in inputs]
    m_out, t_out = morch_fn(*m_in), torch_fn(*t_in)
    assert_close(m_out, t_out, atol, rtol)
    seed = np.random.default_rng(1).standard_normal(tuple(m_out.shape))
    m_out.backward(morch.tensor(seed, dtype=m_out.dtype))
    t_out.backward(torch.tensor(seed, dtype=t_out.dtype))
    for m, t in zip(m_in, t_in):
        if isinstance(m, morch.Tensor) and m.requires_grad:
            assert_close(m.grad, t.grad, atol, rtol)
