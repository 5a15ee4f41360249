"""The three checks every op gets: forward against numpy, gradients against finite differences
(float64 gradcheck and gradgradcheck), and forward plus backward against PyTorch.

An op under test is one function ``fn(lib, *xs)`` written once for both frameworks (``lib`` is
``morch`` or ``torch``, whose APIs agree), plus a numpy reference ``np_fn(*arrays)``.
"""

from __future__ import annotations

import numpy as np

import morch
from helpers import assert_close, torch
from morch.autograd import gradcheck, gradgradcheck

# input domains: where an op is smooth enough for finite differences
DOMAINS = {
    "real": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "pos": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    # |x| >= 0.2: away from the kink of abs, relu, sign
    "nonzero": lambda rng, s: rng.uniform(0.2, 2.0, s) * rng.choice([-1.0, 1.0], s),
    # x = k + 0.1..0.4: away from the jumps of floor, ceil, round, trunc
    "offint": lambda rng, s: rng.integers(-3, 3, s) + rng.uniform(0.1, 0.4, s),
}


def arrays(shapes, domain: str = "real", seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    doms = domain if isinstance(domain, (list, tuple)) else [domain] * len(shapes)
    return [np.asarray(DOMAINS[d](rng, s), dtype=np.float64) for d, s in zip(doms, shapes)]


def m_tensors(arrs, dtype=morch.float64, requires_grad: bool = True) -> list:
    return [morch.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrs]


def check_numpy(fn, np_fn, arrs, dtype=morch.float64, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """morch's forward equals numpy's, with the input dtype kept."""
    out = fn(morch, *m_tensors(arrs, dtype, requires_grad=False))
    expected = np_fn(*[a.astype(dtype.np) for a in arrs])
    assert out.dtype == dtype
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, atol=atol, rtol=rtol)


def check_grad(fn, arrs) -> None:
    assert gradcheck(lambda *xs: fn(morch, *xs), tuple(m_tensors(arrs)))


def check_gradgrad(fn, arrs) -> None:
    assert gradgradcheck(lambda *xs: fn(morch, *xs), tuple(m_tensors(arrs)))


def check_torch(fn, arrs, dtype: str = "float32", atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Value, dtype, shape and the gradient of a random projection of the output match PyTorch."""
    m_in = [morch.tensor(a, dtype=getattr(morch, dtype), requires_grad=True) for a in arrs]
    t_in = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrs]
    m_out, t_out = fn(morch, *m_in), fn(torch, *t_in)
    assert str(m_out.dtype).split(".")[1] == str(t_out.dtype).split(".")[1]
    assert tuple(m_out.shape) == tuple(t_out.shape)
    assert_close(m_out, t_out, atol, rtol)
    seed = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    m_out.backward(morch.tensor(seed, dtype=m_out.dtype))
    t_out.backward(torch.tensor(seed, dtype=t_out.dtype))
    for m, t in zip(m_in, t_in):
        if t.grad is None:
            assert m.grad is None
        else:
            assert m.grad is not None and m.grad.shape == tuple(t.grad.shape)
            assert_close(m.grad, t.grad, atol, rtol)
