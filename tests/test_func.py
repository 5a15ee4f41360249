"""morch.func: grad, grad_and_value, vjp, jacrev, hessian, vmap and functional_call against torch.func."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch

X = np.array([0.5, -1.0, 2.0])
W = np.random.default_rng(0).standard_normal((3, 3))


def _all(L):
    fn = L.func
    t = lambda v: L.tensor(v)  # noqa: E731
    out = {}
    out["grad2"] = fn.grad(lambda a, b: (a.sin() * b).sum(), argnums=(0, 1))(t(X), t(2 * X))
    out["grad_and_value"] = fn.grad_and_value(lambda a: ((a**2).sum(), a.mean()), has_aux=True)(t(X))
    out["grad_aux"] = fn.grad(lambda a: ((a**3).sum(), a.max()), has_aux=True)(t(X))
    out["nested"] = fn.grad(fn.grad(lambda a: (a**3).sum()))(t(X[:1]).sum())  # d2/dx2 x^3 = 6x
    value, vjp_fn = fn.vjp(lambda a, b: a.exp() * b, t(X), t(W[0]))
    out["vjp"] = (value, vjp_fn(L.ones(3, dtype=L.float64)))
    out["jacrev"] = fn.jacrev(lambda a: (a @ t(W)).tanh())(t(X))
    out["jacrev2"] = fn.jacrev(lambda a, b: a * b, argnums=(0, 1))(t(X), t(W[1]))
    out["hessian"] = fn.hessian(lambda a: (a**3).sum() * a[0])(t(X))
    out["vmap"] = fn.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None))(t(W), t(X))
    out["vmap_out1"] = fn.vmap(lambda a: a * 2, in_dims=1, out_dims=1)(t(W))
    lin = L.nn.Linear(3, 2).double()
    params = {k: v.detach() * 2 for k, v in lin.named_parameters()}
    out["functional_call"] = fn.functional_call(lin, params, (t(X),)) - (t(X) @ params["weight"].t() + params["bias"])
    return out


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [a for item in x for a in _flat(item)]
    return [x.detach().numpy()]


def test_by_hand():
    g = morch.func.grad(lambda a: (a**2).sum())(morch.tensor(X))
    np.testing.assert_allclose(g.numpy(), 2 * X)
    assert morch.func.vmap(lambda a: a.sum())(morch.ones(4, 3)).tolist() == [3.0] * 4
    lin = morch.nn.Linear(3, 1)
    zero = {"weight": morch.zeros(1, 3), "bias": morch.ones(1)}
    assert morch.func.functional_call(lin, zero, morch.randn(2, 3)).tolist() == [[1.0], [1.0]]
    assert lin.weight.abs().sum().item() > 0  # the module's own parameters are back
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        morch.func.grad(lambda a: a * 2)(morch.tensor(X))
    with pytest.raises(KeyError, match="no parameter or buffer named 'w'"):
        morch.func.functional_call(lin, {"w": morch.zeros(1)}, morch.randn(1, 3))
    with pytest.raises(ValueError, match="same size in their batch dimension"):
        morch.func.vmap(lambda a, b: a + b)(morch.ones(2, 3), morch.ones(3, 3))


@requires_torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's own use of torch.jit
def test_matches_torch_func():
    ours, theirs = _all(morch), _all(torch)
    for key in ours:
        a, b = _flat(ours[key]), _flat(theirs[key])
        assert len(a) == len(b), key
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12, err_msg=key)
