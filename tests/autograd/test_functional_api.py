"""morch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp against closed forms and torch."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch.autograd import functional as AF


def _f(lib):
    def f(x, y):
        return (x**2 * y[:3]).sum() + (x * y[1:]).prod() * 0.5

    def g(x, y):  # two outputs
        return lib.exp(x) * y[:3], (x * x).sum()

    return f, g


def _inputs(lib):
    rng = np.random.default_rng(0)
    return lib.tensor(rng.standard_normal(3)), lib.tensor(rng.standard_normal(4))


def _all(lib, A):
    f, g = _f(lib)
    x, y = _inputs(lib)
    v3, v4 = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)
    out = {
        "jac_g": A.jacobian(g, (x, y)),
        "jac_single": A.jacobian(lambda t: lib.sin(t) * t.sum(), x),
        "hess": A.hessian(f, (x, y)),
        "hess_single": A.hessian(lambda t: (t**3).sum() * t[0], x),
        "vjp": A.vjp(g, (x, y), (v3, lib.tensor(2.0, dtype=lib.float64))),
        "jvp": A.jvp(g, (x, y), (v3, v4)),
        "hvp": A.hvp(f, (x, y), (v3, v4)),
        "vhp": A.vhp(f, (x, y), (v3, v4)),
    }
    return out


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [a for item in x for a in _flat(item)]
    return [x.detach().numpy()]


def test_jacobian_and_hessian_by_hand():
    x = morch.tensor([1.0, 2.0, 3.0], dtype=morch.float64)
    jac = AF.jacobian(lambda t: t**2, x)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))
    hess = AF.hessian(lambda t: (t**3).sum(), x)
    np.testing.assert_allclose(hess.numpy(), np.diag([6.0, 12.0, 18.0]))
    out, v = AF.vjp(lambda t: t.sum(), x)
    assert out.item() == 6.0 and v.tolist() == [1.0, 1.0, 1.0]
    _, jv = AF.jvp(lambda t: t * 3, x, morch.ones(3, dtype=morch.float64))
    assert jv.tolist() == [3.0, 3.0, 3.0]
    (jx, jy) = AF.jacobian(lambda a, b: a * 2, (x, morch.ones(2, dtype=morch.float64)))
    assert jy.shape == (3, 2) and not jy.numpy().any()
    assert not jac.requires_grad


def test_strict_mode_and_errors():
    x = morch.ones(2, dtype=morch.float64)
    with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in strict mode"):
        AF.jacobian(lambda a, b: a * 2, (x, x.clone()), strict=True)
    with pytest.raises(RuntimeError, match="v can only be None if the output is a single Tensor with a single element"):
        AF.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        AF.hessian(lambda a: a * 2, x)
    with pytest.raises(TypeError, match=r"The inputs\[0\] given to jacobian must be a Tensor, got float"):
        AF.jacobian(lambda a: a, [1.0])
    with pytest.raises(RuntimeError, match="mismatch in shape: v\\[0\\] has a shape of \\(3,\\)"):
        AF.vjp(lambda a: a * 2, x, morch.ones(3, dtype=morch.float64))


def test_create_graph_gives_differentiable_results():
    x = morch.tensor([1.0, 2.0], dtype=morch.float64, requires_grad=True)
    jac = AF.jacobian(lambda t: t**3, x, create_graph=True)  # diag(3 t^2)
    jac.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


@requires_torch
def test_functional_api_matches_pytorch():
    ours, theirs = _all(morch, AF), _all(torch, torch.autograd.functional)
    for key in ours:
        a, b = _flat(ours[key]), _flat(theirs[key])
        assert len(a) == len(b), key
        for u, w in zip(a, b):
            assert u.shape == w.shape, key
            np.testing.assert_allclose(u, w, rtol=1e-10, atol=1e-12, err_msg=key)
