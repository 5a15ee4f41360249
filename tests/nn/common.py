"""Shared helpers of the morch.nn tests: copying PyTorch's weights into morch modules, comparisons."""

from __future__ import annotations

import numpy as np

import morch
from helpers import assert_close, to_numpy, torch


def copy_from_torch(m_module, t_module) -> None:
    """Give every parameter and buffer of the morch module the value of its PyTorch twin (same names)."""
    t_state = t_module.state_dict()
    m_state = m_module.state_dict()
    assert set(m_state) == set(t_state), (sorted(m_state), sorted(t_state))
    m_module.load_state_dict({k: morch.tensor(v.detach().numpy().copy()) for k, v in t_state.items()})


def same_outputs_and_grads(m_module, t_module, m_inputs, atol=1e-5, rtol=1e-5, seed=1):
    """Run both modules on the same inputs, backpropagate the same random seed; compare outputs and
    the gradients of inputs and parameters."""
    t_inputs = [torch.tensor(to_numpy(x).copy(), requires_grad=x.requires_grad) for x in m_inputs]
    m_out, t_out = m_module(*m_inputs), t_module(*t_inputs)
    assert_close(m_out, t_out, atol, rtol)
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    m_out.backward(morch.tensor(g, dtype=m_out.dtype))
    t_out.backward(torch.tensor(g, dtype=t_out.dtype))
    for m, t in zip(m_inputs, t_inputs):
        if m.requires_grad:
            assert_close(m.grad, t.grad, atol, rtol)
    t_params = dict(t_module.named_parameters())
    for name, p in m_module.named_parameters():
        assert_close(p.grad, t_params[name].grad, atol, rtol)
    return m_out, t_out


def randn(*shape, requires_grad=False, dtype=np.float32, seed=0):
    """A morch tensor of normal values (float32 by default, as layers use)."""
    arr = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return morch.tensor(arr, requires_grad=requires_grad)
