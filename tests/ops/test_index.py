"""Indexing (morch/ops/index.py): getitem with a scatter-add backward, setitem, gather, scatter,
scatter_add, scatter_reduce, index_select, masked ops, sort/topk, nonzero."""

from __future__ import annotations

import numpy as np
import pytest

import morch
from helpers import assert_close, requires_torch, torch
from morch.ops.index import ConstantPad

from .opcheck import arrays, check_grad, check_gradgrad, check_numpy, check_torch

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

# name: (key usable by numpy, torch and morch alike); the input has shape (3, 4)
KEYS = {
    "int": 1,
    "neg_int": -1,
    "int_int": (2, -3),
    "slice": slice(1, None),
    "slice_step": (slice(None), slice(None, None, 2)),
    "neg_step_free": (slice(None, 2), slice(1, 3)),
    "none": (None, 1),
    "none_mid": (slice(None), None, 0),
    "ellipsis": (Ellipsis, 2),
    "ellipsis_none": (Ellipsis, None),
    "list": [0, 2],
    "list_repeated": [2, 0, 2, 2],
    "list_neg": [-1, 0],
    "int_array_2d": np.array([[0, 1], [1, 1]]),
    "pair_of_lists": ([0, 2, 2], [1, 1, 3]),
    "list_and_slice": (slice(None), [3, 0, 3]),
    "slice_and_list_rows": ([1, 1], slice(1, 3)),
    "mask": MASK,
    "row_mask": np.array([True, False, True]),
    "mask_and_slice": (np.array([False, True, True]), slice(0, 2)),
    "empty_list": [],
}


def _np_key(key):
    return key


def _lib_key(lib, key):
    """The key with arrays turned into lib tensors (morch / torch accept both lists and tensors)."""
    if isinstance(key, np.ndarray):
        return lib.tensor(key)
    if isinstance(key, tuple) and any(isinstance(k, np.ndarray) for k in key):
        return tuple(lib.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    return key


@pytest.mark.parametrize("name", KEYS)
def test_getitem_forward_matches_numpy(name):
    key = KEYS[name]
    check_numpy(lambda L, x: x[_lib_key(L, key)], lambda a: a[key], arrays([(3, 4)]))


@pytest.mark.parametrize("name", KEYS)
def test_getitem_accepts_numpy_keys(name):
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(morch.tensor(a)[KEYS[name]].numpy(), a[KEYS[name]])


@pytest.mark.parametrize("name", KEYS)
def test_getitem_gradcheck(name):
    key = KEYS[name]
    check_grad(lambda L, x: x[_lib_key(L, key)] * 1.5, arrays([(3, 4)]))


@pytest.mark.parametrize("name", ["int", "list_repeated", "mask", "pair_of_lists", "slice_step"])
def test_getitem_gradgradcheck(name):
    key = KEYS[name]
    check_gradgrad(lambda L, x: x[_lib_key(L, key)] ** 2, arrays([(3, 4)]))


@requires_torch
@pytest.mark.parametrize("name", KEYS)
def test_getitem_matches_torch(name):
    key = KEYS[name]
    check_torch(lambda L, x: x[_lib_key(L, key)], arrays([(3, 4)]))


def test_repeated_indices_accumulate_in_backward():
    x = morch.zeros(4, requires_grad=True)
    x[morch.tensor([1, 1, 3, 1])].sum().backward()
    assert x.grad.tolist() == [0, 3, 0, 1]


def test_index_with_integer_tensor_of_any_integer_dtype_and_0d():
    x = morch.arange(10.0)
    assert x[morch.tensor([1, 2], dtype=morch.int32)].tolist() == [1, 2]
    assert x[morch.tensor(4)].item() == 4
    assert x[np.int64(3)].item() == 3
    assert x[morch.tensor([True] * 5 + [False] * 5)].tolist() == [0, 1, 2, 3, 4]


def test_index_errors_are_clear():
    x = morch.ones(3, 4)
    with pytest.raises(IndexError, match=r"Index.*out of bounds.*\(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[[0, 7]]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[morch.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="valid indices"):
        x["a"]
    with pytest.raises(IndexError, match="valid indices"):
        x[[0.5]]
    with pytest.raises(IndexError, match=r"mask|boolean"):
        x[morch.tensor([True, False])]


# ------------------------------------------------------------------ setitem / index_put
@pytest.mark.parametrize(
    "key,value",
    [
        (1, 5.0),
        ((slice(None), 0), np.array([7.0, 8.0, 9.0])),
        ([0, 2], np.array([[1.0], [2.0]])),
        (MASK, 0.0),
        ((Ellipsis, slice(1, 3)), np.array([1.0, 2.0])),
    ],
    ids=["int_scalar", "column_array", "rows_broadcast", "mask", "ellipsis_slice"],
)
def test_setitem_matches_numpy(key, value):
    a = np.arange(12.0).reshape(3, 4)
    x = morch.tensor(a)
    x[_lib_key(morch, key)] = value if np.isscalar(value) else morch.tensor(value)
    a[key] = value
    np.testing.assert_array_equal(x.numpy(), a)


def test_setitem_casts_to_the_tensors_dtype():
    x = morch.zeros(3, dtype=morch.int64)
    x[1] = 2.7
    assert x.dtype == morch.int64 and x.tolist() == [0, 2, 0]


def test_setitem_gradient_flows_to_value_and_base():
    base = morch.tensor([1.0, 2.0, 3.0, 4.0], dtype=morch.float64, requires_grad=True)
    value = morch.tensor([10.0, 20.0], dtype=morch.float64, requires_grad=True)

    def f(b, v):
        y = b * 1.0
        y[morch.tensor([0, 2])] = v * 2
        return y * morch.tensor([1.0, 2.0, 3.0, 4.0], dtype=morch.float64)

    out = f(base, value)
    assert out.tolist() == [20, 4, 120, 16]
    out.sum().backward()
    assert base.grad.tolist() == [0, 2, 0, 4]
    assert value.grad.tolist() == [2, 6]
    assert morch.autograd.gradcheck(f, (base, value))


@requires_torch
def test_setitem_gradient_matches_torch():
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def f(lib, x, val):
        y = x.clone()
        y[1] = val * 3
        y[:, 0] = 0.0
        return (y**2).sum()

    check_torch(f, [a, v])


def test_setitem_on_leaf_requiring_grad_is_refused():
    x = morch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 2.0
    with morch.no_grad():
        x[0] = 2.0
    assert x.tolist() == [2, 1, 1]


def test_setitem_shape_mismatch_is_clear():
    x = morch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        x[0] = morch.ones(3)


def test_index_put_accumulate():
    x = morch.zeros(3)
    out = morch.index_put(x, (morch.tensor([0, 0, 2]),), morch.tensor([1.0, 2.0, 5.0]), accumulate=True)
    assert out.tolist() == [3, 0, 5]
    assert x.tolist() == [0, 0, 0]


# ------------------------------------------------------------------ gather / scatter_add / index_select
GATHER_INDEX = np.array([[0, 0, 2], [1, 2, 0]])

INDEX_OPS = {
    "gather_dim1": (
        lambda L, x: L.gather(x, 1, L.tensor(GATHER_INDEX)),
        lambda a: np.take_along_axis(a, GATHER_INDEX, 1),
        (2, 3),
    ),
    "gather_dim0": (
        lambda L, x: x.gather(0, L.tensor([[1, 0, 1]])),
        lambda a: np.take_along_axis(a, np.array([[1, 0, 1]]), 0),
        (2, 3),
    ),
    "index_select": (lambda L, x: L.index_select(x, 1, L.tensor([2, 0, 2])), lambda a: a[:, [2, 0, 2]], (2, 3)),
    "index_select_0": (lambda L, x: x.index_select(0, L.tensor([1])), lambda a: a[[1]], (2, 3)),
    "masked_select": (lambda L, x: L.masked_select(x, x > 0), lambda a: a[a > 0], (2, 3)),
    "masked_select_bcast": (
        lambda L, x: x.masked_select(L.tensor([True, False, True])),
        lambda a: a[:, [0, 2]].reshape(-1),
        (2, 3),
    ),
    "sort_values": (lambda L, x: x.sort(1).values, lambda a: np.sort(a, 1), (2, 3)),
    "sort_desc": (lambda L, x: L.sort(x, 0, descending=True)[0], lambda a: -np.sort(-a, 0), (2, 3)),
    "topk": (lambda L, x: x.topk(2).values, lambda a: -np.sort(-a, 1)[:, :2], (2, 3)),
    "topk_smallest_dim0": (lambda L, x: L.topk(x, 1, 0, largest=False)[0], lambda a: a.min(0, keepdims=True), (2, 3)),
    "diagonal": (lambda L, x: x.diagonal(), np.diagonal, (3, 4)),
    "diagonal_offset": (lambda L, x: L.diagonal(x, 1), lambda a: np.diagonal(a, 1), (3, 4)),
    "diagonal_dims": (lambda L, x: x.diagonal(-1, 2, 0), lambda a: np.diagonal(a, -1, 2, 0), (3, 2, 4)),
    "diag_of_matrix": (lambda L, x: L.diag(x, -1), lambda a: np.diag(a, -1), (3, 4)),
    "diag_of_vector": (lambda L, x: x.diag(1), lambda a: np.diag(a, 1), (3,)),
    "trace": (lambda L, x: L.trace(x), np.trace, (3, 4)),
    "index_add": (
        lambda L, x: L.zeros(4, 3, dtype=x.dtype).index_add(0, L.tensor([0, 2, 0]), x, alpha=2),
        lambda a: _index_add_ref(a),
        (3, 3),
    ),
}


def _index_add_ref(a):
    out = np.zeros((4, 3))
    np.add.at(out, [0, 2, 0], 2 * a)
    return out


@pytest.mark.parametrize("name", INDEX_OPS)
def test_index_op_forward_matches_numpy(name):
    fn, np_fn, shape = INDEX_OPS[name]
    check_numpy(fn, np_fn, arrays([shape]))


@pytest.mark.parametrize("name", INDEX_OPS)
def test_index_op_gradcheck(name):
    fn, _, shape = INDEX_OPS[name]
    check_grad(fn, arrays([shape]))
    check_gradgrad(fn, arrays([shape]))


@requires_torch
@pytest.mark.parametrize("name", INDEX_OPS)
def test_index_op_matches_torch(name):
    fn, _, shape = INDEX_OPS[name]
    check_torch(fn, arrays([shape]))


def test_scatter_add_forward_and_gradients():
    idx = morch.tensor([[0, 1, 0], [2, 0, 0]])
    base, src = arrays([(3, 3), (2, 3)])
    expected = base.copy()
    for i in range(2):
        for j in range(3):
            expected[idx[i, j].item(), j] += src[i, j]
    out = morch.scatter_add(morch.tensor(base), 0, idx, morch.tensor(src))
    np.testing.assert_allclose(out.numpy(), expected)
    check_grad(lambda L, b, s: L.scatter_add(b, 0, idx, s), [base, src])
    check_gradgrad(lambda L, b, s: b.scatter_add(0, idx, s) ** 2, [base, src])


def test_scatter_add_with_src_larger_than_index():
    # only the part of src that the index covers is used (PyTorch's forward; its backward fails here)
    base, src = arrays([(2, 4), (3, 5)])
    idx = np.array([[3, 0], [1, 1]])
    expected = base.copy()
    for i, j in np.ndindex(idx.shape):
        expected[i, idx[i, j]] += src[i, j]
    fn = lambda L, b, s: b.scatter_add(1, L.tensor(idx), s)  # noqa: E731
    check_numpy(fn, lambda b, s: expected, [base, src])
    check_grad(fn, [base, src])
    if torch is not None:
        np.testing.assert_allclose(fn(torch, torch.tensor(base), torch.tensor(src)).numpy(), expected)


# ------------------------------------------------------------------ scatter (write, not add)
UNIQUE = np.array([[0, 2, 1, 2], [2, 0, 2, 0]])  # dim 0 of a (3, 4) input: no position written twice


@pytest.mark.parametrize("dim", [0, -2])
def test_scatter_forward_and_gradients(dim):
    base, src = arrays([(3, 4), (2, 5)])  # src larger than the index: only its covered part is used
    expected = base.copy()
    for i, j in np.ndindex(UNIQUE.shape):
        expected[UNIQUE[i, j], j] = src[i, j]
    fn = lambda L, b, s: L.scatter(b, dim, L.tensor(UNIQUE), s)  # noqa: E731
    check_numpy(fn, lambda b, s: expected, [base, src])
    check_grad(fn, [base, src])
    check_gradgrad(lambda L, b, s: L.scatter(b, dim, L.tensor(UNIQUE), s) ** 2, [base, src])


@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch deprecates scatter's reduce=, but still supports it
def test_scatter_matches_torch():
    base, src = arrays([(3, 4), (2, 4)])
    check_torch(lambda L, b, s: L.scatter(b, 0, L.tensor(UNIQUE), s), [base, src], dtype="float64")
    check_torch(lambda L, b, s: b.scatter(-1, L.tensor(UNIQUE.T[:3]), s.T[:3]), [base, src], dtype="float64")
    check_torch(lambda L, b: b.scatter(1, L.tensor([[1], [3], [0]]), 2.5), [base], dtype="float64")
    for reduce in ("add", "multiply"):
        for s in (torch.tensor(src), 1.5):
            m = morch.tensor(base).scatter(0, morch.tensor(UNIQUE), s if isinstance(s, float) else morch.tensor(src))
            t = torch.tensor(base).scatter(0, torch.tensor(UNIQUE), s)
            np.testing.assert_allclose(m.numpy(), t.numpy())
            m = morch.tensor(base).scatter(
                0, morch.tensor(UNIQUE), s if isinstance(s, float) else morch.tensor(src), reduce=reduce
            )
            t = torch.tensor(base).scatter(0, torch.tensor(UNIQUE), s, reduce=reduce)
            np.testing.assert_allclose(m.numpy(), t.numpy())
    idx = np.array([[0, 0, 2, 2]])  # value + reduce with a repeated index: every repeat counts
    m = morch.ones(3, 4).scatter(0, morch.tensor(np.vstack([idx, idx])), 2.0, reduce="multiply")
    t = torch.ones(3, 4).scatter(0, torch.tensor(np.vstack([idx, idx])), 2.0, reduce="multiply")
    np.testing.assert_allclose(m.numpy(), t.numpy())


def test_scatter_with_reduce_warns_as_pytorch_and_has_gradients():
    base, src = arrays([(3, 4), (2, 4)], domain="pos")
    idx = morch.tensor([[0, 0, 2, 2], [0, 1, 2, 0]])
    with pytest.warns(UserWarning, match="deprecated in PyTorch; use scatter_reduce"):
        out = morch.tensor(base).scatter(0, idx, morch.tensor(src), reduce="multiply")
    expected = base.copy()
    np.multiply.at(expected, (idx.numpy(), np.arange(4)), src)
    np.testing.assert_allclose(out.numpy(), expected)
    # morch differentiates the reduce forms (PyTorch has no derivative for them)
    for reduce in ("add", "multiply"):
        with pytest.warns(UserWarning):
            check_grad(lambda L, b, s, r=reduce: b.scatter(0, idx, s, reduce=r), [base, src])
        check_grad(lambda L, b, r=reduce: b.scatter(0, idx, 1.5, reduce=r), [base])


def test_scatter_value_in_place_and_autograd_through_it():
    w = morch.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = w * 1.0
    y.scatter_(1, morch.tensor([[0], [1], [2]]), value=-1.0)
    assert y.tolist() == [[-1.0, 1.0, 2.0, 3.0], [4.0, -1.0, 6.0, 7.0], [8.0, 9.0, -1.0, 11.0]]
    y.sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]]
    z = morch.zeros(2, 3)
    z.scatter_add_(1, morch.tensor([[0, 0], [2, 1]]), morch.ones(2, 2))
    assert z.tolist() == [[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    assert morch.zeros(3).scatter(0, morch.tensor([2]), 5).tolist() == [0.0, 0.0, 5.0]
    assert morch.zeros(3, dtype=morch.int64).scatter(0, morch.tensor([1]), 2.7).tolist() == [0, 2, 0]


def test_scatter_with_a_repeated_index_keeps_the_last_write():
    # PyTorch leaves the order unspecified (not compared with it); morch writes in index order
    out = morch.zeros(3).scatter(0, morch.tensor([1, 1, 1]), morch.tensor([1.0, 2.0, 3.0]))
    assert out.tolist() == [0.0, 3.0, 0.0]


def test_scatter_gather_on_0d_and_empty_index_as_pytorch():
    t = morch.tensor(2.0, requires_grad=True)
    s = morch.tensor([5.0], requires_grad=True)
    for index in (morch.tensor(0), morch.tensor([0])):
        assert t.scatter(0, index, s).item() == 5.0 and t.scatter(-1, index, s).shape == ()
        assert t.scatter_add(0, index, s).item() == 7.0
        assert t.scatter_reduce(0, index, s, "prod").item() == 10.0
        assert t.gather(0, index).shape == index.shape
    ga, gs = morch.autograd.grad(t.scatter_reduce(0, morch.tensor(0), s, "prod"), (t, s))
    assert ga.item() == 5.0 and gs.tolist() == [2.0]
    with pytest.raises(IndexError, match=r"scatter\(\): index 1 is out of bounds for dimension 0 with size 1"):
        t.scatter(0, morch.tensor(1), s)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.scatter(1, morch.tensor(0), s)
    x = morch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    empty = morch.zeros(0, dtype=morch.int64)
    for out in (x.scatter(1, empty, morch.zeros(0)), x.scatter_reduce(0, empty, morch.zeros(0), "amax")):
        assert out.tolist() == x.tolist()
        out.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    if torch is not None:
        tt = torch.tensor(2.0)
        assert tt.scatter(0, torch.tensor(0), torch.tensor([5.0])).item() == 5.0
        assert torch.tensor([[1.0, 2.0]]).scatter(1, torch.zeros(0, dtype=torch.int64), torch.zeros(0)).shape == (1, 2)


def test_scatter_errors_name_the_problem():
    x, src = morch.zeros(3, 4), morch.ones(2, 4)
    with pytest.raises(TypeError, match=r"scatter\(\): Expected dtype int64 for index .*, got float32"):
        x.scatter(0, morch.tensor([[0.0]]), src)
    with pytest.raises(IndexError, match=r"scatter\(\): index 3 is out of bounds for dimension 0 with size 3"):
        x.scatter(0, morch.tensor([[3]]), src)
    for name in ("scatter", "scatter_add", "gather"):  # negative indices are errors, as in PyTorch
        args = (0, morch.tensor([[-1]])) + (() if name == "gather" else (src,))
        with pytest.raises(IndexError, match=rf"^{name}\(\): index -1 is out of bounds for dimension 0 with size 3"):
            getattr(x, name)(*args)
    with pytest.raises(ValueError, match=r"same number of dimensions .*index \(1,\), src \(2, 4\), input \(3, 4\)"):
        x.scatter(0, morch.tensor([0]), src)
    with pytest.raises(ValueError, match=r"no larger than src \(2, 4\)"):
        x.scatter(0, morch.zeros(3, 4, dtype=morch.int64), src)
    with pytest.raises(ValueError, match=r"apart from dimension 0"):
        x.scatter(0, morch.zeros(1, 5, dtype=morch.int64), morch.ones(2, 5))
    with pytest.raises(TypeError, match=r"scatter\(\): Expected self.dtype to be equal to src.dtype .*float64"):
        x.scatter(0, morch.tensor([[0]]), src.double())
    with pytest.raises(TypeError, match="scatter_add"):
        x.scatter_add(0, morch.tensor([[0]]), src.double())
    with pytest.raises(TypeError, match="exactly one of src"):
        x.scatter(0, morch.tensor([[0]]), src, value=1.0)
    with pytest.raises(ValueError, match="'add' or 'multiply', got 'sum'"):  # 'sum' is scatter_reduce's
        x.scatter(0, morch.tensor([[0]]), src, reduce="sum")
    with pytest.raises(ValueError, match=r"gather\(\): Size does not match at dimension 1"):
        x.gather(0, morch.zeros(1, 5, dtype=morch.int64))
    with pytest.raises(ValueError, match=r"gather\(\): Index tensor must have the same number of dimensions"):
        x.gather(0, morch.zeros(2, dtype=morch.int64))


# ------------------------------------------------------------------ scatter_reduce
SR_INDEX = np.array([[0, 2, 0, 2], [0, 0, 2, 0], [1, 0, 2, 2]])  # dim 0 of a (3, 4) input, with repeats
SR_REDUCES = ["sum", "prod", "mean", "amax", "amin"]


def _scatter_reduce_ref(a, dim, idx, src, reduce, include_self):
    """A loop over the index: every position's list of values, reduced at the end."""
    groups = {}
    for pos in np.ndindex(idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    out = a.copy()
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, values in groups.items():
        out[target] = fn(values + ([a[target]] if include_self else []))
    return out


@pytest.mark.parametrize("reduce", SR_REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, -2])
def test_scatter_reduce_forward_and_gradients(reduce, include_self, dim):
    base, src = arrays([(3, 4), (3, 5)], domain="nonzero", seed=3)  # distinct values: no ties for amax/amin
    idx = SR_INDEX

    def fn(L, b, s):
        return L.scatter_reduce(b, dim, L.tensor(idx), s, reduce, include_self=include_self)

    check_numpy(fn, lambda b, s: _scatter_reduce_ref(b, 0, idx, s, reduce, include_self), [base, src])
    check_grad(fn, [base, src])
    check_gradgrad(fn, [base, src])
    if torch is not None:  # PyTorch's backward needs src shaped as the index
        check_torch(lambda L, b, s: b.scatter_reduce(dim, L.tensor(idx), s, reduce, include_self=include_self),
                    [base, src[:, :4]], dtype="float64", atol=1e-10, rtol=1e-10)  # fmt: skip


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradients_with_zeros(include_self):
    base = np.array([[0.0, 1.5, -2.0], [0.7, 0.0, 1.1]])
    src = np.array([[2.0, 0.0, 0.0], [0.0, -1.3, 0.9], [0.8, 0.0, 1.2]])  # one, two or no zeros per position
    idx = np.array([[0, 1, 0], [0, 0, 1], [1, 1, 0]])

    def fn(L, b, s):
        return L.scatter_reduce(b, 0, L.tensor(idx), s, "prod", include_self=include_self)

    check_numpy(fn, lambda b, s: _scatter_reduce_ref(b, 0, idx, s, "prod", include_self), [base, src])
    check_grad(fn, [base, src])
    check_gradgrad(fn, [base, src])
    if torch is not None:
        check_torch(fn, [base, src], dtype="float64", atol=1e-12, rtol=1e-12)


def test_scatter_reduce_integer_bool_and_nan_values_as_pytorch():
    x = morch.tensor([[1, 2, 3]])
    idx = morch.tensor([[0, 0, 2]])
    s = morch.tensor([[-2, -3, 7]])
    assert x.scatter_reduce(1, idx, s, "mean").tolist() == [[-2, 2, 5]]  # (1 - 2 - 3) / 3 floors to -2
    assert x.scatter_reduce(1, idx, s, "amax", include_self=False).tolist() == [[-2, 2, 7]]
    assert x.scatter_reduce(1, idx, s, "prod").dtype == morch.int64
    b = morch.tensor([True, False, False])
    bi, bs = morch.tensor([0, 1, 1]), morch.tensor([False, True, True])
    assert b.scatter_reduce(0, bi, bs, "sum").tolist() == [True, True, False]
    assert b.scatter_reduce(0, bi, bs, "prod", include_self=False).tolist() == [False, True, False]
    nan = float("nan")
    out = morch.tensor([1.0, nan, 3.0]).scatter_reduce(0, morch.tensor([0, 2]), morch.tensor([nan, 1.0]), "amax")
    assert np.isnan(out[0].item()) and np.isnan(out[1].item()) and out[2].item() == 3.0
    if torch is not None:
        for reduce in SR_REDUCES:
            for include_self in (True, False):
                args = (1, torch.tensor([[0, 0, 2]]), torch.tensor([[-2, -3, 7]]), reduce)
                t = torch.tensor([[1, 2, 3]]).scatter_reduce(*args, include_self=include_self)
                m = x.scatter_reduce(1, idx, s, reduce, include_self=include_self)
                assert m.tolist() == t.tolist(), (reduce, include_self)


def test_scatter_reduce_in_place_and_ties():
    w = morch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y = w * 1.0
    y.scatter_reduce_(0, morch.tensor([0, 0, 1]), morch.tensor([3.0, 3.0, 0.5]), "amax")
    assert y.tolist() == [3.0, 1.0, 2.0]
    y.backward(morch.tensor([3.0, 1.0, 1.0]))
    assert w.grad.tolist() == [1.0, 1.0, 1.0]  # the tie of three at 0 shares: a third each
    # without include_self the input's value takes no share (PyTorch still counts it in a tie)
    s = morch.tensor([3.0, 3.0], requires_grad=True)
    morch.tensor([3.0]).scatter_reduce(0, morch.tensor([0, 0]), s, "amax", include_self=False).backward()
    assert s.grad.tolist() == [0.5, 0.5]


def test_scatter_reduce_errors_name_the_problem():
    x, src = morch.zeros(3, 4), morch.ones(2, 4)
    idx = morch.tensor([[0, 1, 2, 0]])
    with pytest.raises(ValueError, match=r"scatter_reduce\(\): reduce argument must be either sum, prod, mean, amax"):
        x.scatter_reduce(0, idx, src, "max")
    with pytest.raises(TypeError, match=r"scatter_reduce\(\): Expected dtype int64 for index .*, got float32"):
        x.scatter_reduce(0, idx.float(), src, "sum")
    with pytest.raises(IndexError, match=r"scatter_reduce\(\): index 3 is out of bounds for dimension 0 with size 3"):
        x.scatter_reduce(0, idx + 1, src, "sum")
    with pytest.raises(IndexError, match=r"scatter_reduce\(\): index -1 is out of bounds"):
        x.scatter_reduce(0, idx - 1, src, "sum")
    with pytest.raises(ValueError, match=r"scatter_reduce\(\): Index tensor must have the same number of dimensions"):
        x.scatter_reduce(0, idx[0], src, "sum")
    with pytest.raises(ValueError, match=r"scatter_reduce\(\): Expected index \(3, 4\) to be no larger than src"):
        x.scatter_reduce(0, morch.zeros(3, 4, dtype=morch.int64), src, "sum")
    with pytest.raises(TypeError, match=r"scatter_reduce\(\): Expected self.dtype to be equal to src.dtype"):
        x.scatter_reduce(0, idx, src.double(), "sum")
    with pytest.raises(TypeError, match="reduce='mean' is not implemented for bool"):
        morch.tensor([True]).scatter_reduce(0, morch.tensor([0]), morch.tensor([True]), "mean")
    with pytest.raises(IndexError, match=r"scatter_reduce: Dimension out of range"):
        x.scatter_reduce(2, idx, src, "sum")
    with pytest.raises(TypeError, match="reduce"):
        morch.scatter_reduce(x, 0, idx, src)  # reduce is required, as in PyTorch


def test_diagonal_errors_and_read_only_view():
    with pytest.raises(ValueError, match="cannot be the same"):
        morch.ones(2, 2).diagonal(0, 1, 1)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        morch.diag(morch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="trace: expected a matrix"):
        morch.trace(morch.ones(3))
    x = morch.ones(3, 3)
    with pytest.raises(RuntimeError, match="clone"):
        x.diagonal().zero_()


def test_gather_errors():
    with pytest.raises(TypeError, match="integer"):
        morch.ones(2, 3).gather(1, morch.tensor([[0.0]]))
    with pytest.raises(ValueError, match="dimensions"):
        morch.ones(2, 3).gather(1, morch.tensor([0]))


def test_sort_argsort_topk_indices_and_stability():
    x = morch.tensor([[3.0, 1.0, 2.0, 1.0]])
    v, i = x.sort()
    assert v.tolist() == [[1, 1, 2, 3]] and i.tolist() == [[1, 3, 2, 0]]
    assert x.argsort(descending=True).tolist() == [[0, 2, 1, 3]]
    v, i = morch.topk(x, 2)
    assert v.tolist() == [[3, 2]] and i.tolist() == [[0, 2]]
    assert i.dtype == morch.int64
    with pytest.raises(ValueError, match="topk"):
        x.topk(5)
    assert morch.tensor([True, False, True]).argsort(descending=True).tolist() == [0, 2, 1]


def test_nonzero():
    x = morch.tensor([[0, 1], [2, 0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = morch.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert morch.nonzero(morch.tensor(5)).shape == (1, 0)
    assert morch.nonzero(morch.tensor(0)).shape == (0, 0)
    assert [t.tolist() for t in morch.nonzero(morch.tensor(5), as_tuple=True)] == [[0]]
    assert [t.tolist() for t in morch.where(morch.tensor(0.0))] == [[]]


def test_masked_fill_with_tensor_value_and_broadcast_mask():
    x = morch.ones(2, 3, requires_grad=True)
    out = x.masked_fill(morch.tensor([True, False, False]), morch.tensor(-5.0))
    assert out.tolist() == [[-5, 1, 1], [-5, 1, 1]]
    out.sum().backward()
    assert x.grad.tolist() == [[0, 1, 1], [0, 1, 1]]


def test_constant_pad_op_and_gradients():
    (a,) = arrays([(2, 3)])
    x = morch.tensor(a, dtype=morch.float64, requires_grad=True)
    widths = ((1, 0), (2, 1))
    out = ConstantPad.apply(x, widths=widths, value=0.5)
    np.testing.assert_array_equal(out.detach().numpy(), np.pad(a, widths, constant_values=0.5))
    assert morch.autograd.gradcheck(lambda t: ConstantPad.apply(t, widths=widths), (x,))
    assert morch.autograd.gradgradcheck(lambda t: ConstantPad.apply(t, widths=widths) ** 2, (x,))


@requires_torch
def test_index_of_tensor_result_keeps_grad_fn_name():
    x = morch.ones(3, requires_grad=True)
    assert "IndexBackward" in repr(x[0:2])
    assert_close(x[0:2], torch.ones(2))
