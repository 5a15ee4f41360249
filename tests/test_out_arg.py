"""``out=`` on morch's top-level functions (morch/_out_arg.py), checked against PyTorch's rules."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch._out_arg import _OUT_NAMES

A = np.random.default_rng(0).standard_normal((3, 4))
B = np.random.default_rng(1).standard_normal((3, 4))
M = np.random.default_rng(2).standard_normal((4, 2))

# name: (args built from a module `m` and its tensors a, b, mat), kwargs
CASES = {
    "add": (lambda m, a, b, mat: (a, b), {"alpha": 2}),
    "sub": (lambda m, a, b, mat: (a, 1.5), {}),
    "mul": (lambda m, a, b, mat: (a, b), {}),
    "exp": (lambda m, a, b, mat: (a,), {}),
    "clamp": (lambda m, a, b, mat: (a, -0.5, 0.5), {}),
    "where": (lambda m, a, b, mat: (a > 0, a, b), {}),
    "eq": (lambda m, a, b, mat: (a, a), {}),
    "matmul": (lambda m, a, b, mat: (a, mat), {}),
    "mm": (lambda m, a, b, mat: (a, mat), {}),
    "cat": (lambda m, a, b, mat: ([a, b],), {"dim": 1}),
    "stack": (lambda m, a, b, mat: ([a, b],), {}),
    "sum": (lambda m, a, b, mat: (a, 0), {}),
    "mean": (lambda m, a, b, mat: (a, 1), {"keepdim": True}),
    "cumsum": (lambda m, a, b, mat: (a, 1), {}),
    "argmax": (lambda m, a, b, mat: (a, 1), {}),
    "max": (lambda m, a, b, mat: (a, 0), {}),
    "min": (lambda m, a, b, mat: (a, 1), {"keepdim": True}),
    "sort": (lambda m, a, b, mat: (a, 1), {"descending": True}),
    "topk": (lambda m, a, b, mat: (a, 2), {}),
    "cummax": (lambda m, a, b, mat: (a, 0), {}),
    "arange": (lambda m, a, b, mat: (0, 5), {}),
    "zeros": (lambda m, a, b, mat: (2, 3), {}),
    "linspace": (lambda m, a, b, mat: (0.0, 1.0, 5), {}),
}


def _inputs(lib):
    return lib.tensor(A), lib.tensor(B), lib.tensor(M)


def _empty_like_dtype(t):
    """An empty morch tensor with the dtype of the torch tensor ``t``."""
    return morch.empty(0, dtype=getattr(morch, str(t.dtype).split(".")[1]))


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    build, kw = CASES[name]
    expected = getattr(torch, name)(*build(torch, *_inputs(torch)), **kw)
    is_tuple = isinstance(expected, tuple)
    outs = tuple(_empty_like_dtype(e) for e in expected) if is_tuple else _empty_like_dtype(expected)
    got = getattr(morch, name)(*build(morch, *_inputs(morch)), **kw, out=outs)
    if is_tuple:
        assert type(got).__name__ == type(expected).__name__.removesuffix("_out")
        assert all(g is o for g, o in zip(got, outs))
        pairs = zip(outs, expected)
    else:
        assert got is outs
        pairs = [(outs, expected)]
    for o, e in pairs:
        assert str(o.dtype).split(".")[1] == str(e.dtype).split(".")[1]
        np.testing.assert_allclose(o.numpy(), e.numpy(), rtol=1e-6, atol=1e-6)


def test_none_calls_through_and_keeps_graph():
    a = morch.tensor(A, requires_grad=True)
    r = morch.exp(a, out=None)
    assert r.grad_fn is not None
    assert morch.exp._without_out is morch.functional.exp or callable(morch.exp._without_out)
    assert not hasattr(morch.nn.functional.relu, "_without_out")


def test_static_graph_unchanged():
    from morch.static import Placeholder, SessionRun

    p = Placeholder()
    t = morch.sum(morch.exp(p), out=None)
    np.testing.assert_allclose(SessionRun(t, {p: A}).detach().numpy(), np.exp(A).sum())
    with pytest.raises(RuntimeError, match="static graph"):
        morch.exp(p, out=morch.empty(0))


def test_resize_warns_only_when_not_empty():
    a = morch.tensor(A)
    c = morch.empty(2)
    with pytest.warns(UserWarning, match=r"resized since it had shape \[2\].*\[3, 4\]"):
        morch.neg(a, out=c)
    assert c.shape == (3, 4)
    np.testing.assert_allclose(c.numpy(), -A.astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        morch.neg(a, out=morch.empty(0))
        morch.neg(a, out=c)  # already the right shape


def test_view_out_writes_through():
    base = morch.zeros(2, 4, dtype=morch.float64)
    morch.add(morch.ones(4, dtype=morch.float64), 1, out=base[1])
    np.testing.assert_array_equal(base.numpy(), [[0] * 4, [2] * 4])


def test_dtype_cast_up_allowed():
    c = morch.empty(3, dtype=morch.float64)
    morch.add(morch.ones(3), 1, out=c)
    assert c.dtype == morch.float64 and c.tolist() == [2.0, 2.0, 2.0]
    i = morch.empty(3, dtype=morch.float32)
    morch.add(morch.ones(3, dtype=morch.int64), 1, out=i)
    assert i.dtype == morch.float32 and i.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("src", "dst", "names"), [("float32", "int64", "Float.*Long"), ("int64", "bool", "Long.*Bool")]
)
def test_dtype_cast_down_refused(src, dst, names):
    with pytest.raises(
        RuntimeError, match=f"result type {names}".replace(".*", " can't be cast to the desired output type ")
    ):
        morch.add(morch.ones(3, dtype=getattr(morch, src)), 1, out=morch.empty(3, dtype=getattr(morch, dst)))


@requires_torch
def test_dtype_refusal_matches_torch():
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.add(torch.ones(3), 1, out=torch.empty(3, dtype=torch.long))


def test_autograd_refused():
    a = morch.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments don't support automatic"):
        morch.add(a, 1, out=morch.empty(0))
    c = morch.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        morch.add(morch.tensor(A), 1, out=c)
    with morch.no_grad():
        assert morch.add(a, 1, out=c) is c
    np.testing.assert_allclose(c.detach().numpy(), A + 1, rtol=1e-6)


def test_structure_errors():
    v = morch.empty(0)
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not tuple"):
        morch.add(morch.ones(2), 1, out=(v,))
    with pytest.raises(TypeError, match="must be a tuple of 2 Tensors, not Tensor"):
        morch.max(morch.ones(2, 3), 0, out=v)
    with pytest.raises(TypeError, match="must hold Tensors"):
        morch.sort(morch.ones(3), out=(v, 1))


def test_tuple_out_as_list():
    v, i = morch.empty(0), morch.empty(0, dtype=morch.long)
    r = morch.sort(morch.tensor([3.0, 1.0, 2.0]), out=[v, i])
    assert r.values is v and r.indices is i
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [1, 2, 0]


def test_list_is_sorted_and_unique():
    assert _OUT_NAMES == sorted(set(_OUT_NAMES))
    assert all(hasattr(morch.__dict__.get(n), "_without_out") for n in _OUT_NAMES if n in morch.__dict__)


@requires_torch
def test_every_listed_name_takes_out_in_torch():
    import os
    import re

    stub = open(os.path.join(os.path.dirname(torch.__file__), "_C", "_VariableFunctions.pyi")).read()
    with_out = {m.group(1) for m in re.finditer(r"^def (\w+)\((.*?)\) ->", stub, re.M | re.S) if "out: " in m.group(2)}
    for name in _OUT_NAMES:
        fn = getattr(torch, name)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        assert "out" in params or name in with_out or "out (" in (fn.__doc__ or ""), name
