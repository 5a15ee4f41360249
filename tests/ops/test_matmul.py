"""Matrix products (morch/ops/matmul.py): PyTorch's 1-D and batched broadcasting rules, mm/bmm/dot/mv/outer."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import requires_torch

from .opcheck import arrays, check_grad, check_gradgrad, check_numpy, check_torch

# (shape of a, shape of b) for a @ b
MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((1, 3), (3, 1)),
    ((2, 2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((2, 3), (4, 3, 2)),
    ((4, 2, 3), (3, 2)),
]


def _id(shapes):
    return "@".join("x".join(map(str, s)) for s in shapes)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_id)
@pytest.mark.parametrize("form", ["operator", "function", "method"])
def test_matmul_forward_matches_numpy(shapes, form):
    fn = {
        "operator": lambda L, a, b: a @ b,
        "function": lambda L, a, b: L.matmul(a, b),
        "method": lambda L, a, b: a.matmul(b),
    }[form]
    check_numpy(fn, np.matmul, arrays(shapes), morch.float64)
    check_numpy(fn, np.matmul, arrays(shapes), morch.float32)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_id)
def test_matmul_gradcheck(shapes):
    check_grad(lambda L, a, b: a @ b, arrays(shapes))


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_id)
def test_matmul_gradgradcheck(shapes):
    check_gradgrad(lambda L, a, b: a @ b, arrays(shapes))


@requires_torch
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_id)
def test_matmul_matches_torch(shapes):
    check_torch(lambda L, a, b: a @ b, arrays(shapes))


def test_matmul_with_one_side_not_requiring_grad():
    a = morch.ones(2, 3, requires_grad=True)
    b = morch.ones(3, 4)
    (a @ b).sum().backward()
    assert a.grad.tolist() == [[4.0] * 3] * 2 and b.grad is None


@pytest.mark.parametrize("side", ["left", "right"])
def test_numpy_array_operand_of_matmul(side):
    x = np.arange(6.0).reshape(2, 3)
    w = morch.ones(3, 2, dtype=morch.float64, requires_grad=True)
    if side == "left":
        out = x @ w
        np.testing.assert_array_equal(out.detach().numpy(), x @ np.ones((3, 2)))
    else:
        out = w.T @ x.T
        np.testing.assert_array_equal(out.detach().numpy(), np.ones((2, 3)) @ x.T)
    assert isinstance(out, morch.Tensor) and out.requires_grad
    out.sum().backward()
    assert w.grad.shape == (3, 2)


def test_matmul_of_integers_stays_integer_and_mixed_promotes():
    a = morch.tensor([[1, 2], [3, 4]])
    assert (a @ a).dtype == morch.int64 and (a @ a).tolist() == [[7, 10], [15, 22]]
    assert (a @ morch.ones(2)).dtype == morch.float32


# ------------------------------------------------------------------ the named products
PRODUCTS = {
    "mm": (lambda L, a, b: L.mm(a, b), np.matmul, [(2, 3), (3, 4)]),
    "mm_method": (lambda L, a, b: a.mm(b), np.matmul, [(2, 3), (3, 1)]),
    "bmm": (lambda L, a, b: L.bmm(a, b), np.matmul, [(2, 2, 3), (2, 3, 4)]),
    "dot": (lambda L, a, b: L.dot(a, b), np.dot, [(4,), (4,)]),
    "mv": (lambda L, a, b: L.mv(a, b), np.matmul, [(2, 3), (3,)]),
    "outer": (lambda L, a, b: L.outer(a, b), np.outer, [(2,), (3,)]),
    "linear": (lambda L, a, b: morch.functional.linear(a, b), lambda a, b: a @ b.T, [(2, 3), (4, 3)]),
}


@pytest.mark.parametrize("name", PRODUCTS)
def test_products(name):
    fn, np_fn, shapes = PRODUCTS[name]
    check_numpy(fn, np_fn, arrays(shapes))
    check_grad(fn, arrays(shapes))
    check_gradgrad(fn, arrays(shapes))


@requires_torch
@pytest.mark.parametrize("name", [n for n in PRODUCTS if n != "linear"])
def test_products_match_torch(name):
    fn, _, shapes = PRODUCTS[name]
    check_torch(fn, arrays(shapes))


def test_functional_linear_with_bias():
    x, w, b = arrays([(2, 3), (4, 3), (4,)])
    out = morch.functional.linear(morch.tensor(x), morch.tensor(w), morch.tensor(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-6)
    check_grad(lambda L, a, ww, bb: morch.functional.linear(a, ww, bb), [x, w, b])


# ------------------------------------------------------------------ einsum
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->j", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("b...,b->...", [(2, 3, 2), (2,)]),
    ("ij,kl->ikjl", [(2, 2), (2, 2)]),
    ("abc,cd,de->abe", [(2, 2, 3), (3, 2), (2, 2)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 3, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_forward_and_gradients(equation, shapes):
    fn = lambda L, *xs: L.einsum(equation, *xs)  # noqa: E731
    check_numpy(fn, lambda *a: np.einsum(equation.replace(" ", ""), *a), arrays(shapes))
    check_grad(fn, arrays(shapes))
    check_gradgrad(fn, arrays(shapes))


@requires_torch
@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(equation, shapes):
    check_torch(lambda L, *xs: L.einsum(equation, *xs), arrays(shapes))


def test_einsum_operand_list_promotion_and_errors():
    a, b = morch.ones(2, 3), morch.ones(3, dtype=morch.float64)
    out = morch.einsum("ij,j->i", [a, b])
    assert out.dtype == morch.float64 and out.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="names 2 operands but 1 were given"):
        morch.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match=r"'ijk' do not fit an operand of shape \(2, 3\)"):
        morch.einsum("ijk->i", a)
    x = morch.ones(3, 3, requires_grad=True)
    trace = morch.einsum("ii->", x)  # a diagonal: forward works, backward says it is not supported
    assert trace.item() == 3.0
    with pytest.raises(RuntimeError, match="repeated within one operand"):
        trace.backward()


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "shapes",
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5,), (4, 2)), ((2, 2, 3), (2, 4, 2))],
    ids=_id,
)
def test_mismatched_inner_dimensions_name_both_shapes(shapes):
    a, b = morch.ones(*shapes[0]), morch.ones(*shapes[1])
    with pytest.raises(ValueError) as err:
        a @ b
    msg = str(err.value)
    assert "MatMul" in msg and "x".join(map(str, shapes[0])) in msg and "x".join(map(str, shapes[1])) in msg


def test_batch_dimensions_that_do_not_broadcast_are_clear():
    with pytest.raises(ValueError, match=r"MatMul.*\(2, 2, 3\).*\(3, 3, 4\)"):
        morch.ones(2, 2, 3) @ morch.ones(3, 3, 4)


def test_matmul_of_0d_is_refused():
    with pytest.raises(ValueError, match="at least 1D"):
        morch.tensor(2.0) @ morch.ones(2)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: morch.mm(morch.ones(2, 3, 4), morch.ones(4, 2)), "mm: self must be a 2D"),
        (lambda: morch.bmm(morch.ones(2, 3), morch.ones(3, 2)), "bmm: batch1 must be a 3D"),
        (lambda: morch.dot(morch.ones(2, 2), morch.ones(2)), "dot: 1st argument must be a 1D"),
        (lambda: morch.mv(morch.ones(2, 2), morch.ones(2, 1)), "mv: vector must be a 1D"),
    ],
)
def test_named_products_check_dimensions(call, match):
    with pytest.raises(ValueError, match=match):
        call()
