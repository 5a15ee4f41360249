"""The functional layer (morch/functional.py): the namespace, PyTorch's argument names, and the
functions not covered op by op in tests/ops."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import morch
from helpers import requires_torch, torch
from morch import functional as F


def _public_functions():
    return sorted(
        n
        for n, f in vars(F).items()
        if not n.startswith("_") and callable(f) and getattr(f, "__module__", None) == "morch.functional"
    )


def test_every_public_function_is_in_the_morch_namespace():
    missing = [n for n in _public_functions() if getattr(morch, n, None) is not getattr(F, n)]
    assert not missing
    assert set(_public_functions()) <= set(morch.__all__)


def test_every_public_function_has_a_docstring():
    assert [n for n in _public_functions() if not (getattr(F, n).__doc__ or "").strip()] == []


@pytest.mark.parametrize(
    "method",
    ["add", "mul", "exp", "sum", "mean", "amax", "matmul", "transpose", "squeeze", "gather", "clamp", "where"],
)
def test_tensor_methods_delegate_to_functional(method):
    t = morch.tensor([[1.0, -2.0], [3.0, 4.0]])
    args = {
        "add": (1,), "mul": (2,), "exp": (), "sum": (0,), "mean": (1,), "amax": (0,), "matmul": (t,),
        "transpose": (0, 1), "squeeze": (), "gather": (1, morch.tensor([[0], [1]])), "clamp": (0, 2),
        "where": (t > 0, 0.0),
    }[method]  # fmt: skip
    out = getattr(t, method)(*args)
    expected = F.where(args[0], t, args[1]) if method == "where" else getattr(F, method)(t, *args)
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())


def test_tensor_has_no_math_of_its_own():
    # every public method defined in tensor.py's class body is attribute access, conversion or in-place plumbing
    source = inspect.getsource(morch.Tensor)
    assert "np.exp" not in source and "np.matmul" not in source and "np.sum" not in source


# ------------------------------------------------------------------ PyTorch argument names
KEYWORD_CALLS = [
    "L.add(input=x, other=y, alpha=2)",
    "L.sub(x, other=y, alpha=0.5)",
    "L.mul(input=x, other=3)",
    "L.div(x, other=y, rounding_mode='floor')",
    "L.pow(input=x, exponent=2)",
    "L.sum(input=x, dim=1, keepdim=True)",
    "L.sum(x, dim=(0, 1))",
    "L.mean(input=x, dim=0)",
    "L.max(input=x, dim=1, keepdim=True).values",
    "L.min(x, dim=0).indices",
    "L.amax(input=x, dim=1)",
    "L.argmax(input=x, dim=1, keepdim=False)",
    "L.var(input=x, dim=1, unbiased=False)",
    "L.var(x, dim=0, correction=0)",
    "L.std(x, dim=1, keepdim=True)",
    "L.logsumexp(input=x, dim=1)",
    "L.softmax(input=x, dim=1)",
    "L.log_softmax(x, dim=0)",
    "L.clamp(input=x, min=-0.5, max=0.5)",
    "L.where(condition=x > 0, input=x, other=y)",
    "L.maximum(input=x, other=y)",
    "L.reshape(input=x, shape=(3, 2))",
    "L.flatten(input=x, start_dim=0, end_dim=-1)",
    "L.squeeze(input=x[None], dim=0)",
    "L.unsqueeze(input=x, dim=1)",
    "L.transpose(input=x, dim0=0, dim1=1)",
    "L.permute(input=x, dims=(1, 0))",
    "L.cat(tensors=[x, y], dim=1)",
    "L.stack(tensors=[x, y], dim=0)",
    "L.split(tensor=x, split_size_or_sections=1, dim=1)[2]",
    "L.chunk(input=x, chunks=2, dim=1)[0]",
    "L.matmul(input=x, other=y.T)",
    "L.gather(input=x, dim=1, index=L.tensor([[0], [2]]))",
    "L.index_select(input=x, dim=1, index=L.tensor([2, 0]))",
    "L.narrow(input=x, dim=1, start=1, length=2)",
    "L.cumsum(input=x, dim=1)",
    "L.norm(input=x, p=2, dim=1)",
    "L.flip(input=x, dims=(0,))",
    "L.roll(input=x, shifts=1, dims=1)",
    "L.topk(input=x, k=2, dim=1, largest=False).values",
    "L.sort(input=x, dim=1, descending=True).values",
    "L.argsort(input=x, dim=1, descending=True)",
    "L.allclose(input=x, other=x + 1e-9)",
    "L.isclose(input=x, other=y, rtol=0.1, atol=0.5)",
    "L.masked_fill(input=x, mask=x > 0, value=0.0)",
    "L.outer(input=x[0], vec2=y[1])",
    "L.diff(input=x, n=1, dim=1)",
    "L.count_nonzero(input=x > 0, dim=1)",
    "L.unbind(input=x, dim=1)[1]",
    "L.select(x, 1, 2)",
]


@requires_torch
@pytest.mark.parametrize("call", KEYWORD_CALLS)
def test_keyword_arguments_have_pytorch_names(call):
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    b = np.array([[1.0, 2.0, -3.0], [0.5, 0.5, 0.5]])
    m = eval(call, {"L": morch, "x": morch.tensor(a), "y": morch.tensor(b)})
    t = eval(call, {"L": torch, "x": torch.tensor(a), "y": torch.tensor(b)})
    if isinstance(t, bool):
        assert m is t
    else:
        np.testing.assert_allclose(np.asarray(m.tolist()), np.asarray(t.tolist()), rtol=1e-6)


# ------------------------------------------------------------------ functions not covered op by op
def test_unflatten_vstack_hstack():
    x = morch.arange(12).reshape(2, 6)
    assert x.unflatten(1, (2, 3)).shape == (2, 2, 3)
    assert x.unflatten(-1, (3, -1)).shape == (2, 3, 2)
    assert morch.hstack([morch.ones(2), morch.zeros(3)]).shape == (5,)
    assert morch.vstack([morch.ones(3), morch.zeros(2, 3)]).shape == (3, 3)


def test_exp2_log2_log10():
    x = morch.tensor([1.0, 8.0])
    np.testing.assert_allclose(morch.log2(x).numpy(), [0, 3])
    np.testing.assert_allclose(morch.log10(morch.tensor([100.0])).numpy(), [2])
    np.testing.assert_allclose(morch.exp2(morch.tensor([3])).numpy(), [8])


def test_cumsum_dtype_and_integer_input():
    assert morch.cumsum(morch.tensor([1, 2, 3]), 0).tolist() == [1, 3, 6]
    assert morch.cumsum(morch.tensor([1, 2]), 0, dtype=morch.float64).dtype == morch.float64


def test_norm_variants():
    x = morch.tensor([[3.0, -4.0], [0.0, 1.0]])
    assert x.norm().item() == pytest.approx(np.sqrt(26))
    assert morch.norm(x, dim=1).tolist() == pytest.approx([5.0, 1.0])
    assert morch.norm(x, p=1).item() == 8.0
    assert morch.norm(x, p=float("inf")).item() == 4.0
    assert morch.norm(x, p=float("-inf"), dim=1).tolist() == [3.0, 0.0]


def test_softmax_of_integers_and_dtype_argument():
    assert morch.softmax(morch.tensor([1, 2]), 0).dtype == morch.float32
    assert morch.softmax(morch.tensor([1.0, 2.0]), 0, dtype=morch.float64).dtype == morch.float64


def test_to_dtype_and_as_tensor_like_helpers():
    t = morch.tensor([1.5])
    assert F._to_dtype(t, morch.float64).dtype == morch.float64
    assert F._to_dtype(t, morch.float32) is t
    assert F._as_tensor_like(2, morch.ones(1, dtype=morch.float64)).dtype == morch.float64


# ------------------------------------------------------------------ composites that read shapes, in static graphs
STATIC_CALLS = [
    "L.unflatten(a, 1, (2, 2))",
    "a.narrow(1, -2, 2)",
    "a.sort(1).values",
    "a.sort(1, descending=True)[1]",
    "a.argsort(1)",
    "L.diff(a)",
    "a.topk(2).values",
    "L.masked_select(a, a > 0)",
    "a.roll(1)",
    "L.hstack([a, a])",
    "L.vstack([a, a])",
    "a.tile((2,))",
    "a.view_as(L.zeros(4, 2))",
    "a.expand_as(L.zeros(3, 2, 4))",
    "L.nonzero(a > 0)",
    "L.isclose(a, a + 1e-9)",
    "a.max(1).values",
    "a.cumprod(1)",
    "a.median(1).values",
    "L.nanmedian(a)",
    "a.scatter(1, L.tensor([[0], [3]]), 2.5)",
    "a.scatter(1, L.tensor([[0], [3]]), a)",
    "a.scatter_reduce(1, L.tensor([[0, 0], [3, 1]]), a, 'amax', include_self=False)",
    "L.tensordot(a, a, dims=([1], [1]))",
    "a.repeat_interleave(2, dim=0)",
    "L.take_along_dim(a, L.tensor([[0], [1]]), dim=1)",
    "L.diag_embed(a)",
    "L.kron(a, a)",
    "L.addmm(a[:, :2], a, a.t()[:, :2])",
    "L.lerp(a, a * 2, 0.5)",
    "L.logaddexp(a, a)",
]


@pytest.mark.parametrize("call", STATIC_CALLS)
def test_shape_reading_composites_work_in_static_graphs(call):
    from morch.static import Placeholder, SessionRun

    v = np.arange(8.0).reshape(2, 4) - 3
    a = Placeholder()
    out = SessionRun(eval(call, {"L": morch, "a": a}), {a: v})
    expected = eval(call, {"L": morch, "a": morch.tensor(v, dtype=morch.float32)})
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())
