"""PyTorch-style custom autograd Functions (static forward(ctx, ...) / backward(ctx, ...) on tensors),
the way PyTorch code writes them, run unchanged on morch and compared with torch."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch


def _classes(lib):
    """The same custom Functions written against ``lib`` (morch or torch), exactly as PyTorch code does."""
    Function = lib.autograd.Function

    class Cube(Function):
        @staticmethod
        def forward(ctx, x, scale=1.0):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x**3 * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2 * ctx.scale, None

    class SplitScale(Function):  # several outputs, one of them not a tensor
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x[:k] * 2, x[k:] * 3, k

        @staticmethod
        def backward(ctx, ga, gb, _):
            return lib.cat([ga * 2, gb * 3]), None

    class MulAdd(Function):  # new style: forward without ctx, then setup_context
        @staticmethod
        def forward(a, b, c):
            return a * b + c

        @staticmethod
        def setup_context(ctx, inputs, output):
            a, b, _ = inputs
            ctx.save_for_backward(a, b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return (g * b if ctx.needs_input_grad[0] else None), (g * a if ctx.needs_input_grad[1] else None), g

    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = lib.sort(x)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            out = lib.zeros_like(g)
            out[idx] = g
            return out

    return Cube, SplitScale, MulAdd, SortWithIndex


def _run(lib, dtype):
    Cube, SplitScale, MulAdd, SortWithIndex = _classes(lib)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(5), dtype=dtype, requires_grad=True)
    b = lib.tensor(rng.standard_normal(5), dtype=dtype, requires_grad=True)
    c = lib.tensor(rng.standard_normal(5), dtype=dtype)
    y = Cube.apply(x, 2.0)
    p, q, k = SplitScale.apply(y, 2)
    m = MulAdd.apply(q, b[k:], c[k:])
    s, idx = SortWithIndex.apply(m)
    loss = (p**2).sum() + (s * lib.arange(3, dtype=dtype)).sum()
    loss.backward()
    return [loss.detach().numpy(), x.grad.numpy(), b.grad.numpy(), idx.numpy(), idx.requires_grad, k]


def test_custom_functions_compute_values_and_gradients():
    loss, gx, gb, idx, idx_grad, k = _run(morch, morch.float64)
    assert k == 2 and not idx_grad and idx.dtype == np.int64
    assert np.isfinite(loss) and gx.shape == (5,) and gb.shape == (5,)


@requires_torch
def test_custom_functions_match_pytorch():
    ours, theirs = _run(morch, morch.float64), _run(torch, torch.float64)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_gradcheck_and_double_backward_through_a_custom_function():
    Cube = _classes(morch)[0]
    x = morch.randn(4, dtype=morch.float64, requires_grad=True)
    assert morch.autograd.gradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    assert morch.autograd.gradgradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    (g,) = morch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = morch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_once_differentiable_backward_refuses_a_second_derivative():
    from morch.autograd.function import once_differentiable

    class Square(morch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = morch.tensor([3.0], requires_grad=True)
    (g,) = morch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="SquareBackward is not twice differentiable"):
        g.sum().backward()


def test_materialize_grads_and_unused_outputs():
    seen = []

    class Two(morch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append((ga is None, gb is None))
            return (ga if ga is not None else 0) * 2 + (gb if gb is not None else 0) * 3

    x = morch.ones(2, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert seen == [(False, True)] and x.grad.tolist() == [2.0, 2.0]


def test_errors_name_the_function():
    class Bad(morch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x)
            return x + y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    x, y = morch.ones(2, requires_grad=True), morch.ones(2, requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"BadBackward returned an incorrect number of gradients \(expected 2, got 1\)"
    ):
        Bad.apply(x, y).sum().backward()
    Cube = _classes(morch)[0]
    out = Cube.apply(x)
    with morch.no_grad():
        x.add_(1)  # changes a saved tensor
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_no_graph_without_grad_and_in_no_grad_mode():
    Cube = _classes(morch)[0]
    y = Cube.apply(morch.ones(2))
    assert y.grad_fn is None and not y.requires_grad
    with morch.no_grad():
        y = Cube.apply(morch.ones(2, requires_grad=True))
    assert y.grad_fn is None


def test_custom_function_in_a_static_graph():
    from morch.static import Placeholder, Session

    Cube = _classes(morch)[0]
    x = Placeholder((3,), name="x")
    y = Cube.apply(x, 2.0)
    out = Session().run(y, {x: np.array([1.0, 2.0, 3.0], np.float32)})
    np.testing.assert_allclose(np.asarray(out), [2.0, 16.0, 54.0])
